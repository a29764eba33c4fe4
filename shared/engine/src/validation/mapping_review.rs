//! A file whose mapping cannot work — no column for the identifier, no
//! column recognised at all, an explicit mapping naming a column the file
//! lacks — is not a dead end. Validation answers what it found instead of
//! a review: the dialect, the headers, the mapping it could make, and each
//! problem with the headers that could fix it, so that the mapping can be
//! changed and the same upload validated again.
//!
//! For a missing identifier the candidates are the unmapped columns whose
//! first rows hold values the identifier accepts (phone numbers for the
//! phone, addresses for the email), the most such values first; when none
//! does, every unmapped column.

use csv::StringRecord;
use serde::{Deserialize, Serialize};

use crate::dialect::Dialect;
use crate::fields::ContactField;
use crate::mapping::{self, Plan, Target};
use crate::options::{ImportOptions, MappingEntry, OptionsError, Workspace};
use crate::reader::{ReadError, Records};
use crate::row::{RowRules, cell_value};

use super::review_rows::Samples;

/// Rows read to find the columns that could hold the identifier.
const SAMPLE_ROWS: usize = 200;

/// What validation found of a file whose mapping cannot work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingReview {
    pub dialect: Dialect,
    pub headers: Vec<String>,
    /// One entry per header: what could be mapped.
    pub mapping: Vec<MappingEntry>,
    pub problems: Vec<MappingProblem>,
    /// A few values of each column, in header order.
    pub samples: Vec<Vec<String>>,
}

impl std::fmt::Display for MappingReview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let words: Vec<&str> = self.problems.iter().map(|p| p.message.as_str()).collect();
        f.write_str(&words.join("; "))
    }
}

/// One thing the mapping must change, and the headers that could do it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MappingProblem {
    /// `identifier_not_mapped`, `nothing_mapped`, `unknown_column`,
    /// `column_mapped_twice`, `field_mapped_twice` or `unknown_custom_field`.
    pub code: String,
    /// Plain words, for people.
    pub message: String,
    /// Headers of the file that could fix it, the likeliest first.
    pub candidates: Vec<String>,
}

/// Reads the first rows of `records` to say what `problem` needs.
pub(super) fn mapping_review(
    records: &mut Records<'_>,
    options: &ImportOptions,
    workspace: &Workspace,
    default_country: Option<&'static str>,
    problem: &OptionsError,
) -> Result<MappingReview, ReadError> {
    let headers = records.headers.clone();
    let mapping = mapping::draft(&headers, options, workspace);
    let mut first_rows = Vec::new();
    let mut record = StringRecord::new();
    while first_rows.len() < SAMPLE_ROWS && records.next(&mut record)?.is_some() {
        first_rows.push(record.clone());
    }
    let mut samples = Samples::new(headers.len());
    for row in &first_rows {
        samples.take(row.iter());
    }
    let unmapped: Vec<usize> = (0..headers.len())
        .filter(|&c| mapping[c].field.is_none() && !headers[c].trim().is_empty())
        .collect();
    let candidates: Vec<usize> = match problem {
        OptionsError::NothingMapped => unmapped,
        OptionsError::IdentifierNotMapped(_) => match options.identifier_in_force() {
            Some(identifier) => {
                let rules = SampleRules {
                    workspace,
                    default_country,
                };
                rules.holding(&first_rows, identifier.field(), unmapped)
            }
            None => unmapped,
        },
        _ => unmapped,
    };
    Ok(MappingReview {
        dialect: records.dialect,
        problems: vec![MappingProblem {
            code: problem.code().to_string(),
            message: problem.to_string(),
            candidates: candidates.iter().map(|&c| headers[c].clone()).collect(),
        }],
        headers,
        mapping,
        samples: samples.into_columns(),
    })
}

struct SampleRules<'a> {
    workspace: &'a Workspace,
    default_country: Option<&'static str>,
}

impl SampleRules<'_> {
    /// `columns` ordered by how many of the first rows hold a value `field`
    /// accepts; those that hold none are left out, unless none holds any.
    fn holding(
        &self,
        first_rows: &[StringRecord],
        field: ContactField,
        columns: Vec<usize>,
    ) -> Vec<usize> {
        let plan = Plan {
            entries: Vec::new(),
            columns: Vec::new(),
            identifier_column: None,
            first_name_column: None,
            country_column: None,
        };
        let rules = RowRules {
            plan: &plan,
            workspace: self.workspace,
            default_country: self.default_country,
        };
        let mut hits = vec![0usize; columns.len()];
        for record in first_rows {
            for (i, &column) in columns.iter().enumerate() {
                let value = cell_value(record, column);
                if !value.is_empty() && rules.value(Target::Field(field), value).is_ok() {
                    hits[i] += 1;
                }
            }
        }
        let mut found: Vec<(usize, usize)> = columns
            .iter()
            .zip(&hits)
            .filter(|(_, h)| **h > 0)
            .map(|(c, h)| (*c, *h))
            .collect();
        if found.is_empty() {
            return columns;
        }
        // Most values first; file order among equals.
        found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        found.into_iter().map(|(c, _)| c).collect()
    }
}
