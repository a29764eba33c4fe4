//! The CSV files validation and imports write: the error file, the preview
//! and the result file. Each keeps the original columns and the file's row
//! order, then adds its own columns.
//!
//! Every file is UTF-8 with a byte-order mark (so spreadsheets read accents
//! right) and uses the delimiter of the file it came from (so a spreadsheet
//! set up for `;` opens it in columns).

use std::borrow::Cow;
use std::io::{self, Write};

use csv::StringRecord;

use crate::classify::Status;
use crate::dialect::Delimiter;

/// Which file, and so which columns follow the original ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// The rows in error, with why.
    Errors,
    /// Every row with its predicted outcome, before confirming.
    Preview,
    /// Every row with its outcome, after the import.
    Result,
    /// Contacts, in the columns asked for.
    Export,
}

impl FileKind {
    pub fn added_columns(self) -> &'static [&'static str] {
        match self {
            Self::Errors => &["Error"],
            Self::Preview => &["Predicted Status", "Errors"],
            Self::Result => &["Import Status", "Errors", "Contact ID"],
            Self::Export => &[],
        }
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where a file's cells go. The original columns come first, in their
/// order; each added column follows them — unless the file already has a
/// column of that name (a result file imported again has its `Import
/// Status`, `Errors` and `Contact ID`), whose cells it then takes over, so
/// a file written from a file this service wrote keeps one column per name
/// and imports again like the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The original columns' count: rows are cut or padded to it.
    columns: usize,
    /// For each original column, the added value that replaces its cell.
    replaced: Vec<Option<usize>>,
    /// The added values written after the original columns, in order.
    appended: Vec<usize>,
}

impl Layout {
    pub fn new(headers: &[String], kind: FileKind) -> Self {
        let mut replaced = vec![None; headers.len()];
        let mut appended = Vec::new();
        for (added, name) in kind.added_columns().iter().enumerate() {
            let same = headers.iter().enumerate().position(|(column, header)| {
                replaced[column].is_none() && header.trim().eq_ignore_ascii_case(name)
            });
            match same {
                Some(column) => replaced[column] = Some(added),
                None => appended.push(added),
            }
        }
        Self {
            columns: headers.len(),
            replaced,
            appended,
        }
    }

    /// The header row: the original names, then the added ones not there.
    fn header_cells<'h>(&'h self, headers: &'h [String], kind: FileKind) -> Vec<&'h str> {
        let added = kind.added_columns();
        headers
            .iter()
            .map(String::as_str)
            .chain(self.appended.iter().map(|a| added[*a]))
            .collect()
    }
}

/// A file being written: its header row is out, its rows follow the
/// layout.
pub struct FileWriter<W: Write> {
    csv: csv::Writer<W>,
    layout: Layout,
}

impl<W: Write> FileWriter<W> {
    /// Starts a file: the byte-order mark, then the header row.
    pub fn new(
        mut out: W,
        delimiter: Delimiter,
        headers: &[String],
        kind: FileKind,
    ) -> io::Result<Self> {
        out.write_all(UTF8_BOM)?;
        let mut csv = csv::WriterBuilder::new()
            .delimiter(delimiter.byte())
            .from_writer(out);
        let layout = Layout::new(headers, kind);
        write_cells(&mut csv, layout.header_cells(headers, kind).into_iter())?;
        Ok(Self { csv, layout })
    }

    /// Writes one row ([`write_row`]).
    pub fn row(&mut self, record: &StringRecord, added: &[&str]) -> io::Result<()> {
        write_row(&mut self.csv, &self.layout, record, added)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.csv.flush()
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.csv.flush()?;
        self.csv
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))
    }
}

/// Writes one row: the original values, cut or padded to the header's
/// columns, and the `added` values where `layout` puts them.
pub fn write_row<W: Write>(
    w: &mut csv::Writer<W>,
    layout: &Layout,
    record: &StringRecord,
    added: &[&str],
) -> io::Result<()> {
    let original = (0..layout.columns).map(|i| match layout.replaced[i] {
        Some(a) => added[a],
        None => record.get(i).unwrap_or(""),
    });
    let appended = layout.appended.iter().map(|a| added[*a]);
    write_cells(w, original.chain(appended))
}

fn write_cells<'c, W: Write>(
    w: &mut csv::Writer<W>,
    cells: impl Iterator<Item = &'c str>,
) -> io::Result<()> {
    for cell in cells {
        w.write_field(escape_formula(cell).as_bytes())?;
    }
    w.write_record(None::<&[u8]>)?;
    Ok(())
}

/// Writes result rows: the original values plus `Import Status`, `Errors`
/// and `Contact ID`.
pub struct ResultWriter<W: Write>(FileWriter<W>);

impl<W: Write> ResultWriter<W> {
    pub fn new(out: W, delimiter: Delimiter, headers: &[String]) -> io::Result<Self> {
        FileWriter::new(out, delimiter, headers, FileKind::Result).map(Self)
    }

    pub fn write(
        &mut self,
        record: &StringRecord,
        status: Status,
        errors: &str,
        contact_id: Option<&str>,
    ) -> io::Result<()> {
        self.0
            .row(record, &[status.as_str(), errors, contact_id.unwrap_or("")])
    }

    pub fn finish(self) -> io::Result<W> {
        self.0.finish()
    }
}

/// A cell a spreadsheet would run as a formula — it begins with `=`, `+`,
/// `-`, `@`, a tab or a carriage return and is not a plain number such as an
/// E.164 phone — gets a leading `'`, which spreadsheets show as text.
pub fn escape_formula(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The value a guarded cell stands for, when a file is read: a `'` before
/// what a spreadsheet would run as a formula (`'=…`, `'+…`, `'-…`, `'@…`)
/// is the guard — ours, or Shopify's on its phones (`'+593…`) — and comes
/// off, so that the files this service writes import again with exactly
/// the values they came from.
pub fn unescape_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_escaped_but_numbers_are_not() {
        for risky in [
            "=SUM(A1)",
            "+1+2",
            "-2+3",
            "@cmd",
            "\tx",
            "\rx",
            "+593 99 123 4503",
            "=1",
        ] {
            assert_eq!(escape_formula(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in [
            "+593991234501",
            "-12.5",
            "12",
            "Ana",
            "",
            "a=b",
            "+1",
            "-0.5",
        ] {
            assert_eq!(escape_formula(plain), plain, "{plain:?}");
        }
    }

    #[test]
    fn every_guarded_cell_reads_back_as_it_was() {
        for cell in [
            "=SUM(A1)",
            "+593 99 123 4503",
            "-2+3",
            "@cmd",
            "\tx",
            "+593991234501",
            "Ana",
            "'quoted'",
            "",
        ] {
            assert_eq!(unescape_formula(&escape_formula(cell)), cell, "{cell:?}");
        }
        // Shopify guards plain numbers too.
        assert_eq!(unescape_formula("'+593991234501"), "+593991234501");
        // An apostrophe before anything else is the value's own.
        assert_eq!(unescape_formula("'Tis"), "'Tis");
    }

    #[test]
    fn result_file_keeps_columns_and_adds_its_own() {
        let headers = vec!["Nombre".to_string(), "Celular".to_string()];
        let mut w = ResultWriter::new(Vec::new(), Delimiter::Semicolon, &headers).unwrap();
        w.write(
            &StringRecord::from(vec!["Ana", "=cmd"]),
            Status::Imported,
            "",
            Some("c_1"),
        )
        .unwrap();
        w.write(
            &StringRecord::from(vec!["Luis"]),
            Status::Error,
            "Celular: empty",
            None,
        )
        .unwrap();
        let bytes = w.finish().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "\u{FEFF}Nombre;Celular;Import Status;Errors;Contact ID\nAna;'=cmd;Imported;;c_1\nLuis;;Error;Celular: empty;\n"
        );
    }

    #[test]
    fn a_result_file_imported_again_gets_its_own_columns_filled_not_repeated() {
        // A result file's columns, the status ones not last (a user moved
        // them) and in another case.
        let headers: Vec<String> = ["Contact ID", "Nombre", "import status", "Errors", "Celular"]
            .map(String::from)
            .to_vec();
        let mut w = ResultWriter::new(Vec::new(), Delimiter::Comma, &headers).unwrap();
        w.write(
            &StringRecord::from(vec!["c_1", "Ana", "Error", "old reason", "+593991234501"]),
            Status::Updated,
            "",
            Some("c_1"),
        )
        .unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "\u{FEFF}Contact ID,Nombre,import status,Errors,Celular\nc_1,Ana,Updated,,+593991234501\n"
        );
        // The error file of such a file adds its one column.
        let layout = Layout::new(&headers, FileKind::Errors);
        assert_eq!(layout.appended, [0]);
        assert_eq!(layout.replaced, [None; 5]);
    }
}
