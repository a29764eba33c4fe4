//! The product's limits, in one place: on files, on the values a contact
//! holds (from a file's rows or from the API alike), and on the API's other
//! inputs. docs/SECURITY.md lists them with what answers each one broken.

/// A file may be at most 20 MiB.
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// A header row, then at most this many data rows.
pub const MAX_DATA_ROWS: u64 = 200_000;
/// Columns in the header row.
pub const MAX_COLUMNS: usize = 500;

/// Characters in a declared file name.
pub const MAX_FILE_NAME_CHARS: usize = 255;

// ---- Values: a file's cells and the API's contact fields alike ----------

/// Longest text value a contact field keeps (names, email, assignee, text
/// and url custom fields, a group, a list option), in characters.
pub const MAX_TEXT_CHARS: usize = 255;
/// Longest single tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// Most tags one row or one contact may carry, and an import's own tags.
pub const MAX_TAGS_PER_ROW: usize = 50;

// ---- The API's other inputs ------------------------------------------

/// Entries in an import's column mapping: one per column at most.
pub const MAX_MAPPING_ENTRIES: usize = MAX_COLUMNS;
/// An import's options as stored, in bytes of JSON: far below DynamoDB's
/// 400 KB item, whatever the mapping names.
pub const MAX_OPTIONS_BYTES: usize = 64 * 1024;
/// A workspace's settings as stored, in bytes of JSON (custom fields with
/// their options, users), for the same reason.
pub const MAX_SETTINGS_BYTES: usize = 128 * 1024;
/// Custom field keys (`[a-z][a-z0-9_]*`) and labels, in characters.
pub const MAX_CUSTOM_FIELD_KEY_CHARS: usize = 40;
pub const MAX_CUSTOM_FIELD_LABEL_CHARS: usize = 100;
/// Custom fields a workspace defines, and options a list field offers.
pub const MAX_CUSTOM_FIELDS: usize = 100;
pub const MAX_LIST_OPTIONS: usize = 200;
/// Contacts a listing page holds unless `limit` asks otherwise, and at most.
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 100;
/// Characters of a listing cursor: more is not one the API gave.
pub const MAX_CURSOR_CHARS: usize = 400;

/// The most text a spreadsheet upload's sheet may hold once written as CSV:
/// ten times the upload limit, since a workbook is compressed. Beyond it
/// (a sheet of millions of cells, or a file made to expand) the workbook is
/// refused before more is written.
pub const MAX_SHEET_TEXT_BYTES: u64 = 10 * MAX_FILE_BYTES;

/// File name endings the product takes: delimited text and spreadsheets.
pub const FILE_EXTENSIONS: [&str; 6] = ["csv", "tsv", "txt", "xlsx", "xls", "ods"];

/// Whether a declared file name is of a type the product takes (`.csv`,
/// `.tsv`, `.txt`, `.xlsx`, `.xls` or `.ods`, in any case); the content is
/// checked when it is read.
pub fn is_accepted_file_name(file_name: &str) -> bool {
    std::path::Path::new(file_name.trim())
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| FILE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Rows a review may correct or drop: beyond that, the file wants fixing
/// where it came from.
pub const MAX_CORRECTED_ROWS: usize = 1_000;
/// Sample values shown per column, and the most of each sample's characters.
pub const SAMPLES_PER_COLUMN: usize = 3;
pub const SAMPLE_CHARS: usize = 40;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_delimited_text_and_spreadsheet_names() {
        for ok in [
            "clientes.csv",
            "CONTATOS.TXT",
            "a.b.csv",
            " x.csv ",
            "lista.tsv",
            "contactos.xlsx",
            "VIEJO.XLS",
            "hoja.ods",
        ] {
            assert!(is_accepted_file_name(ok), "{ok}");
        }
        for no in [
            "contacts.xlsb",
            "contacts",
            "csv",
            "report.pdf",
            ".csv.exe",
            "a.numbers",
        ] {
            assert!(!is_accepted_file_name(no), "{no}");
        }
    }
}
