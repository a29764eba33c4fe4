//! The product's limits on files, in one place.

/// A file may be at most 20 MiB.
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// A header row, then at most this many data rows.
pub const MAX_DATA_ROWS: u64 = 200_000;
/// Columns in the header row.
pub const MAX_COLUMNS: usize = 500;

/// File name endings the product takes: delimited text only.
pub const FILE_EXTENSIONS: [&str; 2] = ["csv", "txt"];

/// Whether a declared file name is of a type the product takes (`.csv` or
/// `.txt`, in any case); the content is checked when it is read.
pub fn is_delimited_text_name(file_name: &str) -> bool {
    std::path::Path::new(file_name.trim())
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| FILE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_csv_and_txt_names() {
        for ok in ["clientes.csv", "CONTATOS.TXT", "a.b.csv", " x.csv "] {
            assert!(is_delimited_text_name(ok), "{ok}");
        }
        for no in ["contacts.xlsx", "contacts", "csv", "report.pdf", ".csv.exe"] {
            assert!(!is_delimited_text_name(no), "{no}");
        }
    }
}
