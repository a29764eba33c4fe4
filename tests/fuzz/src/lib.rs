//! What the fuzz targets run, and the properties every input must keep.
//!
//! An input goes through the engine as the validator takes an upload: the
//! dialect is detected, the file read, the columns mapped, every value
//! checked and every row classified (`validate`); then the file is read
//! again to write the error file and the preview (`write_files`) and the
//! stage file the workers read (`write_stage`), and a result file is written
//! from the staged rows. Every output is read back and held to these
//! properties; a broken one panics, which libFuzzer reports as a crash:
//!
//! - the input is reviewed, or refused with a file refusal or an options
//!   error; never an I/O error (the input is in memory) and never a panic;
//! - every row is accounted for: the review's counts add up to its rows, and
//!   the preview, the stage file and the result file each hold one line per
//!   row, the error file one per row in error, in the same order;
//! - each status is one the purpose allows, and every Skipped or Error row
//!   says why while Imported and Updated rows say nothing;
//! - no cell of any output would run as a spreadsheet formula, and each
//!   original cell appears as read, escaped where it had to be;
//! - the error file written beside the stage file is the error file
//!   written beside the preview, byte for byte.
//!
//! This file is also compiled into the engine's `hostile_files` test, so the
//! regression corpus is replayed through exactly these checks.

use std::borrow::Cow;

use contact_engine::classify::Status;
use contact_engine::dialect::Dialect;
use contact_engine::fields::{ContactField, CustomField, CustomType, FieldRef};
use contact_engine::files::{ResultWriter, escape_formula};
use contact_engine::limits::{MAX_COLUMNS, MAX_DATA_ROWS};
use contact_engine::lookup::{ContactLookup, LookupError};
use contact_engine::options::{
    Identifier, ImportOptions, MappingEntry, OptionsError, Purpose, RememberedColumn, Workspace,
};
use contact_engine::reader;
use contact_engine::refusal::Refusal;
use contact_engine::validation::MappingReview;
use contact_engine::{Review, ReviewRowsOut, StageOut, StagedRow, ValidateError, validate};

/// Rows per stage chunk: small, so that small inputs span several chunks.
const STAGE_CHUNK_ROWS: usize = 3;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How an input ended.
#[derive(Debug)]
pub enum Outcome {
    /// The file was refused as a whole.
    Refused(Refusal),
    /// The options do not work together.
    OptionsRefused(OptionsError),
    /// The file's headers do not fit the mapping: what to change.
    MappingProblems(Box<MappingReview>),
    Reviewed(Reviewed),
}

/// A reviewed input, with its files read back.
#[derive(Debug)]
pub struct Reviewed {
    pub dialect: Dialect,
    pub headers: Vec<String>,
    pub review: Review,
    pub statuses: Vec<Status>,
    /// The preview's data rows: the original columns, `Predicted Status`,
    /// `Errors`.
    pub preview: Vec<Vec<String>>,
    /// The error file's data rows: the original columns, `Error`.
    pub errors: Vec<Vec<String>>,
    /// The result file's data rows: the original columns, `Import Status`,
    /// `Errors`, `Contact ID`.
    pub result: Vec<Vec<String>>,
    pub staged: Vec<StagedRow>,
    /// Every output file as written, for checks on the raw bytes.
    pub raw_files: Vec<Vec<u8>>,
}

impl Outcome {
    pub fn reviewed(self) -> Reviewed {
        match self {
            Self::Reviewed(r) => r,
            other => panic!("expected a review, got {other:?}"),
        }
    }

    pub fn refusal(self) -> Refusal {
        match self {
            Self::Refused(r) => r,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

/// Runs `data` through the engine with the options, workspace and lookup
/// given, checks every property, and answers how it ended.
pub fn run(
    data: &[u8],
    options: &ImportOptions,
    workspace: &Workspace,
    lookup: &impl ContactLookup,
) -> Outcome {
    let validation = match validate(data, options, workspace, lookup) {
        Ok(v) => v,
        Err(ValidateError::Refused(r)) => {
            assert!(!r.to_string().is_empty() && !r.code().is_empty());
            return Outcome::Refused(r);
        }
        Err(ValidateError::Options(e)) => return Outcome::OptionsRefused(e),
        Err(ValidateError::Mapping(found)) => {
            assert!(!found.problems.is_empty() && found.mapping.len() == found.headers.len());
            return Outcome::MappingProblems(found);
        }
        Err(e) => panic!("an in-memory file failed to validate: {e}"),
    };
    let review = validation.review;
    let headers = validation.headers.clone();
    let columns = headers.len();
    let statuses: Vec<Status> = validation.statuses().collect();

    assert!(columns <= MAX_COLUMNS, "{columns} columns were accepted");
    assert!(review.rows <= MAX_DATA_ROWS);
    assert!(review.rows > 0, "a review without data rows");
    let mut names = std::collections::HashSet::new();
    for h in headers.iter().filter(|h| !h.is_empty()) {
        assert_eq!(h.trim(), h, "header {h:?} is not trimmed");
        assert!(names.insert(h.to_lowercase()), "header {h:?} repeated");
    }
    assert_eq!(
        review.to_add + review.to_update + review.to_skip + review.errors,
        review.rows,
        "the counts do not add up: {review:?}"
    );
    assert_eq!(statuses.len() as u64, review.rows);
    let count = |s: Status| statuses.iter().filter(|x| **x == s).count() as u64;
    assert_eq!(
        (
            count(Status::Imported),
            count(Status::Updated),
            count(Status::Skipped),
            count(Status::Error)
        ),
        (
            review.to_add,
            review.to_update,
            review.to_skip,
            review.errors
        )
    );
    let allowed: &[Status] = match options.purpose {
        Purpose::AddNew => &[Status::Imported, Status::Skipped, Status::Error],
        Purpose::UpdateExisting => &[Status::Updated, Status::Skipped, Status::Error],
        Purpose::AddAndUpdate => &[Status::Imported, Status::Updated, Status::Error],
        Purpose::AddAll => &[Status::Imported, Status::Error],
    };
    assert!(
        statuses.iter().all(|s| allowed.contains(s)),
        "a status that {:?} does not allow: {statuses:?}",
        options.purpose
    );
    if let Some(quota) = workspace.remaining_quota {
        assert!(review.to_add <= quota, "the quota was overrun");
    }

    let mut errors_file = Vec::new();
    let mut preview_file = Vec::new();
    validation
        .write_files(data, Some(&mut errors_file), Some(&mut preview_file))
        .expect("the review's files are written");
    let mut stage_file = Vec::new();
    let mut stage_errors_file = Vec::new();
    let mut row_files: [Vec<u8>; 4] = Default::default();
    let [imported, updated, skipped, error] = &mut row_files;
    let chunks = validation
        .write_stage(
            data,
            options,
            workspace,
            STAGE_CHUNK_ROWS,
            StageOut {
                stage: &mut stage_file,
                errors: Some(&mut stage_errors_file),
                rows: Some(ReviewRowsOut {
                    imported,
                    updated,
                    skipped,
                    error,
                }),
            },
        )
        .expect("the stage file is written")
        .chunks;
    // The review's rows: one line per row, in the file of its status.
    let lines = |file: &[u8]| file.iter().filter(|b| **b == b'\n').count() as u64;
    assert_eq!(
        row_files.each_ref().map(|f| lines(f)),
        [
            review.to_add,
            review.to_update,
            review.to_skip,
            review.errors
        ],
        "the review's rows disagree with its counts"
    );
    assert!(
        stage_errors_file == errors_file,
        "the two error files differ"
    );

    let staged: Vec<StagedRow> = stage_file
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).expect("a stage line is JSON"))
        .collect();
    assert_eq!(staged.len() as u64, review.rows, "stage lines");
    assert!(staged.first().is_none_or(|s| s.row >= 2));
    assert!(
        staged.windows(2).all(|w| w[0].row < w[1].row),
        "staged rows out of order"
    );
    let mut next_start = 0;
    let mut chunk_rows = 0u64;
    let mut chunk_adds = 0u64;
    for (i, chunk) in chunks.iter().enumerate() {
        assert_eq!(chunk.index as usize, i);
        assert_eq!(chunk.start, next_start, "chunks leave a gap");
        assert!(chunk.rows > 0 && chunk.rows as usize <= STAGE_CHUNK_ROWS);
        assert_eq!(chunk.first_row, staged[chunk_rows as usize].row);
        next_start = chunk.end;
        chunk_rows += u64::from(chunk.rows);
        chunk_adds += u64::from(chunk.adds);
    }
    assert_eq!(next_start, stage_file.len() as u64);
    assert_eq!((chunk_rows, chunk_adds), (review.rows, review.to_add));

    let mut result = ResultWriter::new(Vec::new(), validation.dialect.delimiter, &headers)
        .expect("the result file starts");
    for (row, status) in staged.iter().zip(&statuses) {
        let cells = csv::StringRecord::from(row.cells.clone());
        let message = row.error.as_deref().unwrap_or("");
        let id = format!("c_{}", row.row);
        let id = matches!(status, Status::Imported | Status::Updated).then_some(id.as_str());
        result
            .write(&cells, *status, message, id)
            .expect("a result row is written");
    }
    let result_file = result.finish().expect("the result file ends");

    let delimiter = validation.dialect.delimiter.byte();
    let preview = read_back(
        &preview_file,
        delimiter,
        &headers,
        &["Predicted Status", "Errors"],
    );
    let errors = read_back(&errors_file, delimiter, &headers, &["Error"]);
    let result = read_back(
        &result_file,
        delimiter,
        &headers,
        &["Import Status", "Errors", "Contact ID"],
    );
    assert_eq!(preview.rows.len() as u64, review.rows, "preview rows");
    assert_eq!(errors.rows.len() as u64, review.errors, "error file rows");
    assert_eq!(result.rows.len() as u64, review.rows, "result rows");

    // Each output keeps the file's cells, but for a column of the file an
    // added one took (the file's own "Error" column, say).
    let keeps = |output: &Output, row: &[String], stage: &StagedRow, what: &str| {
        for c in (0..columns).filter(|c| !output.taken[*c]) {
            let read = stage.cells.get(c).map_or("", String::as_str);
            assert_eq!(
                row[c],
                escape_formula(read),
                "{what}: row {} column {c}",
                stage.row
            );
        }
    };
    let mut error_rows = errors.rows.iter();
    for (i, (row, status)) in preview.rows.iter().zip(&statuses).enumerate() {
        let stage = &staged[i];
        keeps(&preview, row, stage, "preview");
        keeps(&result, &result.rows[i], stage, "result");
        assert_eq!(row[preview.at[0]], status.as_str());
        let why = &row[preview.at[1]];
        match status {
            Status::Imported | Status::Updated => assert!(why.is_empty(), "{why}"),
            Status::Skipped | Status::Error => {
                assert!(!why.is_empty(), "row {} says no why", stage.row)
            }
        }
        assert_eq!(result.rows[i][result.at[0]], status.as_str());
        if *status == Status::Error {
            let in_errors = error_rows.next().expect("an error row per Error");
            keeps(&errors, in_errors, stage, "error file");
            let located = in_errors[errors.at[0]]
                .strip_prefix(&format!("Row {}: ", stage.row))
                .expect("the error names its row");
            assert_eq!(escape_formula(located), why.as_str());
        }
    }
    let (preview, errors, result) = (preview.rows, errors.rows, result.rows);

    Outcome::Reviewed(Reviewed {
        dialect: validation.dialect,
        headers,
        review,
        statuses,
        preview,
        errors,
        result,
        staged,
        raw_files: vec![errors_file, preview_file, result_file],
    })
}

/// One output file read back: its data rows, where each added column
/// stands, and which of the file's own columns an added one took.
struct Output {
    rows: Vec<Vec<String>>,
    at: Vec<usize>,
    taken: Vec<bool>,
}

/// Where each added column of an output goes, as the engine lays them out
/// (`files::Layout`): into the file's own column of that name (trimmed,
/// case aside; the first not taken yet), else after the file's columns, in
/// order.
fn placed(headers: &[String], added: &[&str]) -> (Vec<usize>, Vec<bool>) {
    let mut taken = vec![false; headers.len()];
    let mut at = Vec::with_capacity(added.len());
    let mut next = headers.len();
    for name in added {
        let own = headers
            .iter()
            .enumerate()
            .position(|(c, h)| !taken[c] && h.trim().eq_ignore_ascii_case(name));
        match own {
            Some(c) => {
                taken[c] = true;
                at.push(c);
            }
            None => {
                at.push(next);
                next += 1;
            }
        }
    }
    (at, taken)
}

/// Reads one output file back: it starts with a UTF-8 byte-order mark, its
/// header is the file's (escaped) then the `added` columns it does not have
/// already, every row has exactly those columns, and no cell would run as a
/// formula.
fn read_back(file: &[u8], delimiter: u8, headers: &[String], added: &[&str]) -> Output {
    let body = file
        .strip_prefix(UTF8_BOM)
        .expect("an output starts with a BOM");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body);
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| {
            let record = r.expect("an output is valid CSV");
            record.iter().map(String::from).collect()
        })
        .collect();
    assert!(!rows.is_empty(), "an output without a header");
    let header = rows.remove(0);
    let (at, taken) = placed(headers, added);
    let expected: Vec<Cow<'_, str>> = headers
        .iter()
        .map(|h| escape_formula(h))
        .chain(
            added
                .iter()
                .zip(&at)
                .filter(|(_, at)| **at >= headers.len())
                .map(|(a, _)| Cow::Borrowed(*a)),
        )
        .collect();
    assert_eq!(header, expected, "an output's header");
    for row in &rows {
        assert_eq!(row.len(), expected.len(), "an output row's width");
        for cell in row {
            assert!(
                matches!(escape_formula(cell), Cow::Borrowed(_)),
                "a cell would run as a formula: {cell:?}"
            );
        }
    }
    Output { rows, at, taken }
}

/// A workspace whose contacts are decided by the identifier itself: its
/// hash says whether no contact, one, or two contacts hold it, so every
/// branch of the classification is reachable without a store.
#[derive(Debug, Clone, Copy, Default)]
pub struct HashedHolders;

impl ContactLookup for HashedHolders {
    fn holders(&self, _: Identifier, keys: &[&str]) -> Result<Vec<Vec<String>>, LookupError> {
        Ok(keys
            .iter()
            .map(|key| {
                let hash = key
                    .bytes()
                    .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
                (0..[0, 1, 2, 0][hash as usize % 4])
                    .map(|n| format!("c_{n}"))
                    .collect()
            })
            .collect())
    }
}

/// The fixed options of the `engine` target: the defaults (add and update,
/// by phone, automatic mapping, detected dialect) in an Ecuadorian workspace.
pub fn default_case() -> (ImportOptions, Workspace) {
    let workspace = Workspace {
        default_country: Some("EC".into()),
        ..Default::default()
    };
    (ImportOptions::default(), workspace)
}

/// A workspace with one custom field of each type, a user list and a quota.
fn rich_workspace(country: Option<&str>, quota: Option<u64>) -> Workspace {
    let custom = |key: &str, label: &str, kind: CustomType| CustomField {
        key: key.into(),
        label: label.into(),
        kind,
    };
    Workspace {
        default_country: country.map(String::from),
        remaining_quota: quota,
        custom_fields: vec![
            custom("plan", "Plan", CustomType::Text),
            custom("saldo", "Saldo", CustomType::Number),
            custom("nacimiento", "Nacimiento", CustomType::Date),
            custom("vip", "VIP", CustomType::Boolean),
            custom("web", "Sitio web", CustomType::Url),
            custom("correo2", "Correo 2", CustomType::Email),
            custom("fijo", "Telefono fijo", CustomType::Phone),
            custom(
                "ciudad",
                "Ciudad",
                CustomType::List {
                    options: vec!["Quito".into(), "São Paulo".into(), "Kuala Lumpur".into()],
                },
            ),
        ],
        users: Some(vec!["ana@example.com".into(), "u_1".into()]),
        // A header mapped by hand in an earlier import.
        remembered: vec![RememberedColumn {
            header: "Grupo".into(),
            field: Some(FieldRef::Contact(ContactField::Tags)),
            overwrite: true,
        }],
    }
}

/// How many leading bytes [`case_from`] takes for the options.
pub const SELECTOR_BYTES: usize = 8;

/// Options, a workspace and a file from one input: the first
/// [`SELECTOR_BYTES`] choose purpose, identifier, dialect, country, quota
/// and whether and how the columns are mapped by hand; the rest is the file.
pub fn case_from(input: &[u8]) -> (ImportOptions, Workspace, &[u8]) {
    let mut selector = [0u8; SELECTOR_BYTES];
    let split = input.len().min(SELECTOR_BYTES);
    selector[..split].copy_from_slice(&input[..split]);
    let data = &input[split..];
    let [purpose, dialect, country, quota, mapping, seed, tags, _] = selector;
    let pick = |byte: u8, n: usize| usize::from(byte) % n;

    let purpose = [
        Purpose::AddNew,
        Purpose::UpdateExisting,
        Purpose::AddAndUpdate,
        Purpose::AddAll,
    ][pick(purpose, 4)];
    let identifier =
        [Identifier::Phone, Identifier::Email, Identifier::ContactId][pick(seed >> 4, 3)];
    let delimiter = [None, Some(","), Some(";"), Some("|"), Some("tab")][pick(dialect, 5)];
    let enclosure = [None, Some("\""), Some("'"), Some("none")][pick(dialect / 5, 4)];
    let encoding = [
        None,
        Some("utf-8"),
        Some("utf-16le"),
        Some("utf-16be"),
        Some("windows-1252"),
        Some("macintosh"),
    ][pick(dialect / 20, 6)];
    let dialect_options = serde_json::json!({
        "delimiter": delimiter,
        "enclosure": enclosure,
        "encoding": encoding,
    });
    let dialect_options = serde_json::from_value(dialect_options).expect("dialect options");
    let country = [
        None,
        Some("EC"),
        Some("BR"),
        Some("MY"),
        Some("US"),
        Some("ES"),
    ][pick(country, 6)];
    let quota = (quota < 128).then_some(u64::from(quota % 8));
    let workspace = rich_workspace(country, quota);

    let mut options = ImportOptions {
        purpose,
        identifier,
        tags: match tags % 3 {
            0 => Vec::new(),
            1 => vec!["vip".into()],
            _ => vec!["nov".into(), "Lista 2".into()],
        },
        dialect: Some(dialect_options),
        ..Default::default()
    };
    if mapping % 2 == 1 {
        options.mapping = Some(mapping_for(data, &options, &workspace, seed));
    }
    (options, workspace, data)
}

/// A hand-made mapping over the file's own headers (read with the dialect
/// options in force), each column given a field picked from `seed`.
fn mapping_for(
    data: &[u8],
    options: &ImportOptions,
    workspace: &Workspace,
    seed: u8,
) -> Vec<MappingEntry> {
    let overrides = options.dialect.unwrap_or_default();
    let headers =
        reader::with_records(data, overrides, |r| Ok(r.headers.clone())).unwrap_or_default();
    let targets: Vec<Option<FieldRef>> = std::iter::once(None)
        .chain(
            ContactField::ALL
                .into_iter()
                .map(|f| Some(FieldRef::Contact(f))),
        )
        .chain(
            workspace
                .custom_fields
                .iter()
                .map(|c| Some(FieldRef::Custom(c.key.clone()))),
        )
        .collect();
    let mut state = u32::from(seed) | 1;
    headers
        .into_iter()
        .filter(|h| !h.is_empty())
        .map(|column| {
            // A small xorshift: a spread of fields from one byte.
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            MappingEntry {
                column,
                field: targets[state as usize % targets.len()].clone(),
                overwrite: state & 0x100 == 0,
                note: None,
                remembered: false,
                suggestion: None,
            }
        })
        .collect()
}
