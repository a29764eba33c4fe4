//! Why a whole file is refused. Each message names the rule it breaks.

use crate::limits::{MAX_COLUMNS, MAX_DATA_ROWS, MAX_FILE_BYTES, MAX_SHEET_TEXT_BYTES};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the file is {size} bytes; files may be at most 20 MiB ({MAX_FILE_BYTES} bytes)")]
    TooLarge { size: u64 },
    #[error("{}; upload the whole file again", received_words(*received, *declared))]
    NotAsDeclared { received: u64, declared: u64 },
    #[error("the file has more than {MAX_DATA_ROWS} data rows; split it into smaller files")]
    TooManyRows,
    #[error("the file has no data rows: it needs a header row and at least one row below it")]
    NoDataRows,
    #[error("the file is not delimited text: {why}")]
    NotDelimitedText { why: String },
    #[error("the header repeats the column \"{name}\"; every column needs its own name")]
    RepeatedHeader { name: String },
    #[error("the header has {count} columns; files may have at most {MAX_COLUMNS}")]
    TooManyColumns { count: usize },
    #[error(
        "line {line} holds bytes that are not valid {encoding}; save the file as UTF-8 and upload it again"
    )]
    Undecodable { line: u64, encoding: &'static str },
    #[error(
        "the file is not UTF-8, and its accents read as well in Windows-1252 (\"{windows}\") as in Mac Roman (\"{mac}\"); choose its encoding in the import's options — windows-1252 if it was saved on Windows, macintosh if it was saved by Excel for Mac — or save it as UTF-8 and upload it again"
    )]
    UncertainEncoding { windows: String, mac: String },
    #[error(
        "the spreadsheet cannot be read ({why}); open it and save it again, or save it as CSV UTF-8"
    )]
    UnreadableSpreadsheet { why: String },
    #[error("the sheet holds more than {} MiB of text; split it into smaller workbooks", MAX_SHEET_TEXT_BYTES / (1024 * 1024))]
    SheetTooLarge,
    #[error("the workbook has no sheet \"{name}\"; its sheets are: {sheets}")]
    NoSuchSheet { name: String, sheets: String },
    #[error(
        "line {line} opens a quoted value that is never closed, so the rest of the file cannot be read"
    )]
    UnclosedQuote { line: u64 },
}

/// What came of an upload whose size is not the one declared.
fn received_words(received: u64, declared: u64) -> String {
    if received < declared {
        format!("received {received} of the {declared} bytes declared")
    } else {
        format!("received {received} bytes, more than the {declared} declared")
    }
}

impl Refusal {
    /// A stable snake_case code for the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "file_too_large",
            Self::NotAsDeclared { .. } => "size_not_as_declared",
            Self::TooManyRows => "too_many_rows",
            Self::NoDataRows => "no_data_rows",
            Self::NotDelimitedText { .. } => "not_delimited_text",
            Self::RepeatedHeader { .. } => "repeated_header",
            Self::TooManyColumns { .. } => "too_many_columns",
            Self::Undecodable { .. } => "undecodable_bytes",
            Self::UncertainEncoding { .. } => "uncertain_encoding",
            Self::UnreadableSpreadsheet { .. } => "unreadable_spreadsheet",
            Self::NoSuchSheet { .. } => "no_such_sheet",
            Self::SheetTooLarge => "sheet_too_large",
            Self::UnclosedQuote { .. } => "unclosed_quote",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_not_as_declared_says_what_came() {
        let short = Refusal::NotAsDeclared {
            received: 0,
            declared: 982,
        };
        assert_eq!(
            short.to_string(),
            "received 0 of the 982 bytes declared; upload the whole file again"
        );
        let long = Refusal::NotAsDeclared {
            received: 1000,
            declared: 982,
        };
        assert_eq!(
            long.to_string(),
            "received 1000 bytes, more than the 982 declared; upload the whole file again"
        );
    }
}
