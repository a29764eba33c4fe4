//! Spreadsheets — Excel workbooks (`.xlsx`, `.xls`) and OpenDocument
//! spreadsheets (`.ods`) — read with `calamine` and written out once as the
//! CSV the reader reads (UTF-8, comma-separated), so that everything after
//! (the two passes, corrections, the error, preview and result files, which
//! stay CSV with every original row) is the same for every upload.
//!
//! Each cell becomes the text a person sees in it, as far as the file
//! tells: text as written; a whole number without a decimal point or an
//! exponent however long (a phone stored as the number 5511987654321 stays
//! `5511987654321`, never `5.5119E+12`); other numbers to Excel's 15
//! significant digits (`0.1 + 0.2` is `0.3`); dates as ISO `YYYY-MM-DD`
//! (`YYYY-MM-DD HH:MM:SS` with a time, `HH:MM:SS` a time alone); booleans
//! `TRUE` and `FALSE`; errors as Excel writes them (`#N/A`). A number
//! format's currency sign, thousands separators or percent are not applied.
//!
//! Row numbers stay the spreadsheet's: empty rows before and between rows
//! are written as lines of one empty value, which the reader counts and
//! skips, and columns start at column A. An `.xlsx` sheet is read a cell at a time
//! (memory holds the shared strings and one row); an `.xls` (at most 65,536
//! rows) or `.ods` sheet is read whole, as `calamine` reads them.

use std::io::{Cursor, Write};
use std::ops::ControlFlow;

use calamine::{Data, DataRef, ExcelDateTime, Ods, Reader, Xls, Xlsx, open_workbook_from_rs};

use crate::limits::{MAX_DATA_ROWS, MAX_SHEET_TEXT_BYTES};
use crate::refusal::Refusal;

/// The kinds of spreadsheet read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Xlsx,
    Xls,
    Ods,
}

/// The media type an OpenDocument spreadsheet names in its first entry.
const ODS_MEDIA_TYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// The kind of spreadsheet a file's first bytes begin, if any: an OLE2
/// compound document (`.xls`), or a zip archive whose `mimetype` entry
/// names an OpenDocument spreadsheet (`.ods`) or not (taken for `.xlsx`,
/// and refused when it is no workbook).
pub fn kind(head: &[u8]) -> Option<Kind> {
    if head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return Some(Kind::Xls);
    }
    if !head.starts_with(b"PK\x03\x04") {
        return None;
    }
    let first_entry = &head[..head.len().min(256)];
    let ods = first_entry
        .windows(ODS_MEDIA_TYPE.len())
        .any(|w| w == ODS_MEDIA_TYPE);
    Some(if ods { Kind::Ods } else { Kind::Xlsx })
}

/// The workbook's sheets and the one read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sheets {
    /// Every sheet, in the workbook's order.
    pub names: Vec<String>,
    /// The sheet read: the one the options name, else the first that has a
    /// header and a row below it.
    pub read: String,
}

/// Writes the sheet `sheet` of the spreadsheet `bytes` as CSV to `out`;
/// answers the workbook's sheets. Without a sheet named, the first sheet
/// that has a header and a row below it is read — a cover or notes sheet
/// before the data is passed over — else the first.
pub fn to_csv(
    bytes: &[u8],
    kind: Kind,
    sheet: Option<&str>,
    out: impl Write,
) -> Result<Sheets, Refusal> {
    let mut book = Book::open(bytes, kind)?;
    let names = book.sheet_names();
    let read = match sheet.map(str::trim).filter(|w| !w.is_empty()) {
        Some(wanted) => names
            .iter()
            .find(|n| n.trim().to_lowercase() == wanted.to_lowercase())
            .cloned()
            .ok_or_else(|| Refusal::NoSuchSheet {
                name: wanted.to_string(),
                sheets: names.join(", "),
            })?,
        None => {
            let mut with_rows = None;
            for name in &names {
                if book.has_rows(name, 2)? {
                    with_rows = Some(name.clone());
                    break;
                }
            }
            match with_rows.or_else(|| names.first().cloned()) {
                Some(name) => name,
                None => return Err(Refusal::NoDataRows),
            }
        }
    };
    let mut csv = CsvOut::new(out);
    book.write(&read, &mut csv)?;
    csv.finish()?;
    Ok(Sheets { names, read })
}

/// An open workbook of any kind read.
enum Book<'b> {
    Xlsx(Xlsx<Cursor<&'b [u8]>>),
    /// An `.xls` or `.ods` workbook, whose sheets `calamine` reads whole:
    /// the last one read is kept, so the sheet found to have rows is not
    /// read a second time to be written.
    Whole(WholeBook<'b>, Option<(String, calamine::Range<Data>)>),
}

enum WholeBook<'b> {
    Xls(Xls<Cursor<&'b [u8]>>),
    Ods(Ods<Cursor<&'b [u8]>>),
}

fn unreadable(e: impl std::fmt::Display) -> Refusal {
    Refusal::UnreadableSpreadsheet { why: e.to_string() }
}

impl<'b> Book<'b> {
    fn open(bytes: &'b [u8], kind: Kind) -> Result<Self, Refusal> {
        let data = Cursor::new(bytes);
        Ok(match kind {
            Kind::Xlsx => Self::Xlsx(open_workbook_from_rs(data).map_err(unreadable)?),
            Kind::Xls => Self::Whole(
                WholeBook::Xls(open_workbook_from_rs(data).map_err(unreadable)?),
                None,
            ),
            Kind::Ods => Self::Whole(
                WholeBook::Ods(open_workbook_from_rs(data).map_err(unreadable)?),
                None,
            ),
        })
    }

    fn sheet_names(&self) -> Vec<String> {
        match self {
            Self::Xlsx(b) => b.sheet_names(),
            Self::Whole(WholeBook::Xls(b), _) => b.sheet_names(),
            Self::Whole(WholeBook::Ods(b), _) => b.sheet_names(),
        }
    }

    /// Hands the non-empty cells of sheet `name` to `visit` in row order,
    /// until it breaks.
    fn cells(
        &mut self,
        name: &str,
        mut visit: impl FnMut(u32, u32, &DataRef<'_>) -> Result<ControlFlow<()>, Refusal>,
    ) -> Result<(), Refusal> {
        match self {
            Self::Xlsx(book) => {
                let mut cells = book.worksheet_cells_reader(name).map_err(unreadable)?;
                while let Some(cell) = cells.next_cell().map_err(unreadable)? {
                    let (row, column) = cell.get_position();
                    if visit(row, column, cell.get_value())?.is_break() {
                        break;
                    }
                }
            }
            Self::Whole(book, kept) => {
                if kept.as_ref().is_none_or(|(kept, _)| kept != name) {
                    let range = match book {
                        WholeBook::Xls(b) => b.worksheet_range(name).map_err(unreadable)?,
                        WholeBook::Ods(b) => b.worksheet_range(name).map_err(unreadable)?,
                    };
                    *kept = Some((name.to_string(), range));
                }
                let Some((_, range)) = kept else {
                    return Ok(());
                };
                let (top, left) = range.start().unwrap_or_default();
                for (i, row) in range.rows().enumerate() {
                    for (j, value) in row.iter().enumerate() {
                        let flow = visit(top + i as u32, left + j as u32, &borrowed(value))?;
                        if flow.is_break() {
                            return Ok(());
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether sheet `name` has `rows` rows holding a value (read only as
    /// far as it takes to tell).
    fn has_rows(&mut self, name: &str, rows: usize) -> Result<bool, Refusal> {
        let mut filled = 0;
        let mut last = None;
        let mut text = String::new();
        self.cells(name, |row, _, value| {
            text.clear();
            cell_text(value, &mut text);
            if !text.trim().is_empty() && last != Some(row) {
                last = Some(row);
                filled += 1;
            }
            Ok(if filled >= rows {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })?;
        Ok(filled >= rows)
    }

    /// Writes sheet `name` as CSV.
    fn write(&mut self, name: &str, csv: &mut CsvOut<impl Write>) -> Result<(), Refusal> {
        self.cells(name, |row, column, value| {
            csv.cell(row, column, value)?;
            Ok(ControlFlow::Continue(()))
        })
    }
}

/// Why a file could not be made readable.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("reading or writing the file: {0}")]
    Io(#[from] std::io::Error),
}

/// When the file at `upload` is a spreadsheet, writes the CSV of its sheet
/// `sheet` (the first when `None`) to `csv` and answers the workbook's
/// sheets: then `csv` is the file every reading reads. `None` for
/// delimited text, which is read as it is.
pub fn convert_file(
    upload: &std::path::Path,
    sheet: Option<&str>,
    csv: &std::path::Path,
) -> Result<Option<Sheets>, ConvertError> {
    let mut head = [0u8; 512];
    let read = std::io::Read::read(&mut std::fs::File::open(upload)?, &mut head)?;
    let Some(kind) = kind(&head[..read]) else {
        return Ok(None);
    };
    let bytes = std::fs::read(upload)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(csv)?);
    let sheets = to_csv(&bytes, kind, sheet, &mut out)?;
    out.flush()?;
    Ok(Some(sheets))
}

fn io_refusal(e: std::io::Error) -> Refusal {
    match e.kind() {
        std::io::ErrorKind::FileTooLarge => Refusal::SheetTooLarge,
        _ => Refusal::UnreadableSpreadsheet { why: e.to_string() },
    }
}

/// Cells in row order into CSV rows, empty records where the sheet has
/// empty rows, empty values where it has empty cells. It stops with a
/// refusal once the sheet has more rows than a file may, or more text than
/// [`MAX_SHEET_TEXT_BYTES`]: nothing is written past what would be refused.
struct CsvOut<W: Write> {
    csv: csv::Writer<Capped<W>>,
    /// The row being filled and the next row the file will write.
    row: Vec<String>,
    row_index: Option<u32>,
    next_line: u32,
    rows: u64,
    text: String,
}

impl<W: Write> CsvOut<W> {
    fn new(out: W) -> Self {
        Self {
            csv: csv::WriterBuilder::new()
                .flexible(true)
                .from_writer(Capped { out, written: 0 }),
            row: Vec::new(),
            row_index: None,
            next_line: 0,
            rows: 0,
            text: String::new(),
        }
    }

    fn cell(&mut self, row: u32, column: u32, value: &DataRef<'_>) -> Result<(), Refusal> {
        self.text.clear();
        cell_text(value, &mut self.text);
        if self.text.is_empty() {
            return Ok(());
        }
        if self.row_index != Some(row) {
            self.end_row()?;
            self.row_index = Some(row);
        }
        // At most 16,384 columns: an Excel row's width.
        let column = column as usize;
        if self.row.len() <= column {
            self.row.resize(column + 1, String::new());
        }
        self.row[column].clone_from(&self.text);
        Ok(())
    }

    /// Writes the row being filled, after a blank line for each empty row
    /// before it.
    fn end_row(&mut self) -> Result<(), Refusal> {
        let Some(index) = self.row_index.take() else {
            return Ok(());
        };
        self.rows += 1;
        if self.rows > MAX_DATA_ROWS + 1 {
            return Err(Refusal::TooManyRows);
        }
        // An empty record is a line of one empty value, `""`: the reader
        // counts it and skips it.
        for _ in self.next_line..index {
            self.csv.write_record(None::<&[u8]>).map_err(csv_refusal)?;
        }
        self.csv.write_record(&self.row).map_err(csv_refusal)?;
        self.row.clear();
        self.next_line = index + 1;
        Ok(())
    }

    fn finish(mut self) -> Result<(), Refusal> {
        self.end_row()?;
        self.csv.flush().map_err(io_refusal)
    }
}

/// A writer that takes at most [`MAX_SHEET_TEXT_BYTES`].
struct Capped<W> {
    out: W,
    written: u64,
}

impl<W: Write> Write for Capped<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.written += buf.len() as u64;
        if self.written > MAX_SHEET_TEXT_BYTES {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn csv_refusal(e: csv::Error) -> Refusal {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => io_refusal(e),
        other => Refusal::UnreadableSpreadsheet {
            why: format!("{other:?}"),
        },
    }
}

/// The text a person sees in a cell (see the module's description).
fn cell_text(value: &DataRef<'_>, out: &mut String) {
    use std::fmt::Write as _;
    match value {
        DataRef::Empty => {}
        DataRef::String(s) => out.push_str(s),
        DataRef::SharedString(s) => out.push_str(s),
        DataRef::Int(i) => {
            let _ = write!(out, "{i}");
        }
        DataRef::Float(f) => number_text(*f, out),
        DataRef::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTime(d) => date_text(d, out),
        DataRef::DateTimeIso(s) => out.push_str(&iso_text(s)),
        DataRef::DurationIso(s) => out.push_str(s),
        DataRef::Error(e) => {
            let _ = write!(out, "{e}");
        }
    }
}

/// A whole number in full; any other to 15 significant digits, as Excel
/// shows and keeps numbers.
fn number_text(f: f64, out: &mut String) {
    use std::fmt::Write as _;
    if !f.is_finite() {
        let _ = write!(out, "{f}");
    } else if f.fract() == 0.0 && f.abs() < 1e17 {
        let _ = write!(out, "{}", f as i64);
    } else {
        let shown: f64 = format!("{f:.14e}").parse().unwrap_or(f);
        let _ = write!(out, "{shown}");
    }
}

fn date_text(d: &ExcelDateTime, out: &mut String) {
    use std::fmt::Write as _;
    if !d.is_datetime() {
        return number_text(d.as_f64(), out);
    }
    let (year, month, day, hour, minute, second, _) = d.to_ymd_hms_milli();
    let midnight = (hour, minute, second) == (0, 0, 0);
    if d.as_f64() < 1.0 && !midnight {
        let _ = write!(out, "{hour:02}:{minute:02}:{second:02}");
    } else if midnight {
        let _ = write!(out, "{year:04}-{month:02}-{day:02}");
    } else {
        let _ = write!(
            out,
            "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"
        );
    }
}

/// An ISO date-time as an `.ods` stores it, in the same forms as
/// [`date_text`]: `2024-03-01T00:00:00` is `2024-03-01`.
fn iso_text(s: &str) -> String {
    match s.split_once('T') {
        Some((date, "00:00:00")) => date.to_string(),
        Some((date, time)) => format!("{date} {}", time.split('.').next().unwrap_or(time)),
        None => s.to_string(),
    }
}

/// A whole-sheet cell as the cell-at-a-time reader gives one.
fn borrowed(value: &Data) -> DataRef<'_> {
    match value {
        Data::Empty => DataRef::Empty,
        Data::Int(i) => DataRef::Int(*i),
        Data::Float(f) => DataRef::Float(*f),
        Data::String(s) => DataRef::SharedString(s),
        Data::Bool(b) => DataRef::Bool(*b),
        Data::DateTime(d) => DataRef::DateTime(*d),
        Data::DateTimeIso(s) => DataRef::DateTimeIso(s.clone()),
        Data::DurationIso(s) => DataRef::DurationIso(s.clone()),
        Data::Error(e) => DataRef::Error(e.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: DataRef<'_>) -> String {
        let mut out = String::new();
        cell_text(&value, &mut out);
        out
    }

    #[test]
    fn cells_read_as_a_person_sees_them() {
        assert_eq!(text(DataRef::Float(5511987654321.0)), "5511987654321");
        assert_eq!(text(DataRef::Float(593991234567.0)), "593991234567");
        assert_eq!(text(DataRef::Float(0.1 + 0.2)), "0.3");
        assert_eq!(text(DataRef::Float(-12.5)), "-12.5");
        assert_eq!(text(DataRef::Int(42)), "42");
        assert_eq!(text(DataRef::Bool(true)), "TRUE");
        assert_eq!(text(DataRef::Error(calamine::CellErrorType::NA)), "#N/A");
        let date = |v| {
            DataRef::DateTime(ExcelDateTime::new(
                v,
                calamine::ExcelDateTimeType::DateTime,
                false,
            ))
        };
        assert_eq!(text(date(45943.0)), "2025-10-13");
        assert_eq!(text(date(45943.5)), "2025-10-13 12:00:00");
        assert_eq!(text(date(0.75)), "18:00:00");
        assert_eq!(
            text(DataRef::DateTimeIso("2024-03-01T00:00:00".into())),
            "2024-03-01"
        );
    }

    #[test]
    fn a_sheet_past_the_row_or_text_limits_is_refused_before_more_is_written() {
        let mut csv = CsvOut::new(std::io::sink());
        let value = DataRef::Int(1);
        let mut refused = None;
        for row in 0..=(MAX_DATA_ROWS as u32 + 2) {
            if let Err(e) = csv.cell(row, 0, &value) {
                refused = Some((row, e));
                break;
            }
        }
        assert_eq!(
            refused,
            Some((MAX_DATA_ROWS as u32 + 2, Refusal::TooManyRows))
        );

        let mut capped = Capped {
            out: std::io::sink(),
            written: 0,
        };
        let mib = vec![b'x'; 1 << 20];
        let mut wrote = 0u64;
        let error = loop {
            match capped.write(&mib) {
                Ok(n) => wrote += n as u64,
                Err(e) => break e,
            }
        };
        assert_eq!(wrote, MAX_SHEET_TEXT_BYTES);
        assert_eq!(io_refusal(error), Refusal::SheetTooLarge);
    }

    #[test]
    fn kinds_by_their_first_bytes() {
        assert_eq!(
            kind(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"),
            Some(Kind::Xls)
        );
        let mut ods = b"PK\x03\x04".to_vec();
        ods.extend([0u8; 26]);
        ods.extend(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet");
        assert_eq!(kind(&ods), Some(Kind::Ods));
        assert_eq!(kind(b"PK\x03\x04[Content_Types].xml"), Some(Kind::Xlsx));
        assert_eq!(kind(b"Nombre,Celular\n"), None);
    }
}
