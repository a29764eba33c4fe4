//! What the second reading leaves for the review's pages: every row, with
//! its predicted status, its cells and each reason beside the column it
//! names, one JSON line each, in one file per status. A page is a byte
//! range of one file (or of the four, merged by row number), so no page
//! ever reads the whole file; and a few sample values of each column, for
//! choosing the mapping.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::classify::Status;
use crate::limits::{SAMPLE_CHARS, SAMPLES_PER_COLUMN};

/// One reason a row ends as it does, beside the column it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowIssue {
    /// The column's index (the first being 0), when the reason names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// In plain words, naming the column, as the error file says it.
    pub message: String,
}

/// One row as the review shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewRow {
    /// The row number a spreadsheet shows: the header is row 1.
    pub row: u64,
    /// The predicted status: `Imported`, `Updated`, `Skipped` or `Error`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "Error"))]
    pub status: Status,
    /// The values, as corrected in the review, up to the header's last column.
    pub cells: Vec<String>,
    /// Why the row is skipped or in error; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<RowIssue>,
    /// The columns whose value the review corrected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrected: Vec<usize>,
    /// Removed from the import in the review.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dropped: bool,
}

/// The four files the review's rows are written to, one per status.
pub struct ReviewRowsOut<'w> {
    pub imported: &'w mut (dyn Write + 'w),
    pub updated: &'w mut (dyn Write + 'w),
    pub skipped: &'w mut (dyn Write + 'w),
    pub error: &'w mut (dyn Write + 'w),
}

impl ReviewRowsOut<'_> {
    /// Writes `row` as one line of its status's file.
    pub(super) fn write(&mut self, row: &ReviewRow, line: &mut Vec<u8>) -> std::io::Result<()> {
        line.clear();
        serde_json::to_writer(&mut *line, row).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let out = match row.status {
            Status::Imported => &mut self.imported,
            Status::Updated => &mut self.updated,
            Status::Skipped => &mut self.skipped,
            Status::Error => &mut self.error,
        };
        out.write_all(line)
    }

    pub(super) fn flush(&mut self) -> std::io::Result<()> {
        self.imported.flush()?;
        self.updated.flush()?;
        self.skipped.flush()?;
        self.error.flush()
    }
}

/// The first few distinct non-empty values of each column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Samples {
    columns: Vec<Vec<String>>,
}

impl Samples {
    pub(super) fn new(columns: usize) -> Self {
        Self {
            columns: vec![Vec::new(); columns],
        }
    }

    /// Takes a row's values into the samples still wanted.
    pub(super) fn take<'v>(&mut self, values: impl Iterator<Item = &'v str>) {
        for (kept, value) in self.columns.iter_mut().zip(values) {
            let value = value.trim();
            if kept.len() >= SAMPLES_PER_COLUMN || value.is_empty() {
                continue;
            }
            let value: String = value.chars().take(SAMPLE_CHARS).collect();
            if !kept.contains(&value) {
                kept.push(value);
            }
        }
    }

    pub(super) fn into_columns(self) -> Vec<Vec<String>> {
        self.columns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_keep_the_first_distinct_non_empty_values_cut_short() {
        let mut samples = Samples::new(2);
        let long = "x".repeat(60);
        for row in [
            ["Ana", ""],
            ["Ana", "  "],
            ["Bea", long.as_str()],
            ["Caro", "b"],
            ["Dina", "c"],
        ] {
            samples.take(row.into_iter());
        }
        assert_eq!(
            samples.into_columns(),
            vec![
                vec!["Ana".to_string(), "Bea".into(), "Caro".into()],
                vec!["x".repeat(SAMPLE_CHARS), "b".into(), "c".into()],
            ]
        );
    }
}
