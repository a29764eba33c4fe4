//! Streams a delimited file's records: decoding to UTF-8 on the fly, one
//! reused record, a row number on each, and the file-level rules checked as
//! the bytes pass. Memory does not grow with the file.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use csv::StringRecord;

use crate::corrections::Corrections;
use crate::dialect::{self, Detected, Dialect, DialectOptions, Encoding, SNIFF_BYTES};
use crate::limits::{MAX_COLUMNS, MAX_DATA_ROWS, MAX_FILE_BYTES, MAX_SHEET_TEXT_BYTES};
use crate::refusal::Refusal;
use crate::single_byte;

/// Somewhere a file can be read from, from its start, as often as needed:
/// validation reads twice (classify, then write the files out).
pub trait Source {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>>;

    /// The most bytes the reader takes from it: an upload's limit.
    fn byte_limit(&self) -> u64 {
        MAX_FILE_BYTES
    }
}

/// A file on disk.
pub struct FileSource(pub PathBuf);

impl Source for FileSource {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(File::open(&self.0)?))
    }
}

/// The CSV a spreadsheet upload was turned into ([`crate::spreadsheet`]):
/// the upload's limit held for the workbook, its text may be longer (a
/// workbook is compressed), up to [`MAX_SHEET_TEXT_BYTES`].
pub struct SheetSource(pub PathBuf);

impl Source for SheetSource {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(File::open(&self.0)?))
    }

    fn byte_limit(&self) -> u64 {
        MAX_SHEET_TEXT_BYTES
    }
}

impl Source for [u8] {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(self))
    }
}

impl Source for Vec<u8> {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(self.as_slice()))
    }
}

/// Why reading stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A UTF-8 guess from the file's first bytes was wrong: read it again as
    /// Windows-1252.
    #[error("the file is not UTF-8 after all")]
    NotUtf8AfterAll,
    #[error("the file could not be read: {0}")]
    Io(#[from] io::Error),
}

/// A fault the decoder raises inside `Read`, carried through `io::Error`.
#[derive(Debug, thiserror::Error)]
enum DecodeFault {
    #[error("too large")]
    TooLarge { size: u64 },
    #[error("malformed at line {line}")]
    Malformed {
        line: u64,
        guess_was_wrong: bool,
        encoding: &'static str,
    },
    #[error("NUL at line {line}")]
    Nul { line: u64 },
}

fn from_io(e: io::Error) -> ReadError {
    if e.get_ref().is_some_and(|inner| inner.is::<DecodeFault>()) {
        let fault = e
            .into_inner()
            .and_then(|inner| inner.downcast::<DecodeFault>().ok());
        return match fault.map(|b| *b) {
            Some(DecodeFault::TooLarge { size }) => Refusal::TooLarge { size }.into(),
            Some(DecodeFault::Malformed {
                guess_was_wrong: true,
                ..
            }) => ReadError::NotUtf8AfterAll,
            Some(DecodeFault::Malformed { line, encoding, .. }) => {
                Refusal::Undecodable { line, encoding }.into()
            }
            Some(DecodeFault::Nul { line }) => Refusal::NotDelimitedText {
                why: format!("line {line} holds NUL bytes, as binary files do"),
            }
            .into(),
            None => io::Error::other("decoder fault").into(),
        };
    }
    ReadError::Io(e)
}

/// Counts line ends the way the file is read: `\n`, `\r\n` and `\r` each end
/// a line, also when a `\r\n` is split between two pieces.
#[derive(Debug, Clone, Copy, Default)]
struct LineEnds {
    count: u64,
    after_cr: bool,
}

impl LineEnds {
    fn feed(&mut self, bytes: &[u8]) {
        for i in memchr::memchr2_iter(b'\r', b'\n', bytes) {
            let after_cr = match i {
                0 => self.after_cr,
                _ => bytes[i - 1] == b'\r',
            };
            if bytes[i] == b'\r' || !after_cr {
                self.count += 1;
            }
        }
        if let Some(last) = bytes.last() {
            self.after_cr = *last == b'\r';
        }
    }

    fn in_text(text: &str) -> u64 {
        let mut ends = Self::default();
        ends.feed(text.as_bytes());
        ends.count
    }
}

/// Decodes any supported encoding to UTF-8 as a `Read`, counting raw bytes
/// (the size rule) and keeping the decoded bytes the CSV reader may still be
/// working on, so that records and faults can be placed on their lines.
struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    encoding: Encoding,
    /// True when the encoding is a UTF-8 guess that invalid bytes may disprove.
    guessed: bool,
    /// The most bytes taken ([`Source::byte_limit`]).
    byte_limit: u64,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    /// The decoder has seen the end of input and must not be called again.
    finished: bool,
    raw_bytes: u64,
    /// Decoded bytes from the start of the record read last (or the start of
    /// the file): a record's line is only known once the reader has it whole.
    window: Vec<u8>,
    /// The bytes at the window's front already counted in `lines`.
    window_counted: usize,
    /// The decoded offset of `window[window_counted]`.
    window_offset: u64,
    /// Line ends before `window_offset`.
    lines: LineEnds,
    seen_non_ascii: bool,
}

impl<R: Read> Decoding<R> {
    fn new(inner: R, encoding: Encoding, guessed: bool, byte_limit: u64) -> Self {
        Self {
            inner,
            byte_limit,
            decoder: encoding.codec().new_decoder_with_bom_removal(),
            encoding,
            guessed,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            finished: false,
            raw_bytes: 0,
            window: Vec::new(),
            window_counted: 0,
            window_offset: 0,
            lines: LineEnds::default(),
            seen_non_ascii: false,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        let n = loop {
            match self.inner.read(&mut self.buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        self.start = 0;
        self.end = n;
        self.eof = n == 0;
        self.raw_bytes += n as u64;
        if self.raw_bytes > self.byte_limit {
            return Err(io::Error::other(DecodeFault::TooLarge {
                size: self.raw_bytes,
            }));
        }
        Ok(())
    }

    /// The line a fault lies on when `before` are the bytes decoded since the
    /// window's end.
    fn line_after(&self, before: &[u8]) -> u64 {
        let mut lines = self.lines;
        lines.feed(&self.window[self.window_counted..]);
        lines.feed(before);
        lines.count + 1
    }

    /// The line on which the record that starts at decoded offset `start`
    /// has its first character. The CSV reader places a record before the
    /// line ends that precede it (a `\r\n`'s `\n`, empty lines) and counts
    /// only `\n`; this counts every line end and skips those. Records are
    /// asked for in file order: the bytes before `start` are let go.
    fn line_of_record(&mut self, start: u64) -> u64 {
        let uncounted = self.window.len() - self.window_counted;
        let skip = usize::try_from(start.saturating_sub(self.window_offset))
            .map_or(uncounted, |n| n.min(uncounted));
        let from = self.window_counted;
        self.lines.feed(&self.window[from..from + skip]);
        self.window_counted += skip;
        self.window_offset += skip as u64;
        // Let go of counted bytes once they are half the window: moving the
        // rest costs no more than the bytes already counted.
        if self.window_counted >= 64 * 1024 && self.window_counted * 2 >= self.window.len() {
            self.window.drain(..self.window_counted);
            self.window_counted = 0;
        }
        let rest = &self.window[self.window_counted..];
        let blank = rest
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        let mut lines = self.lines;
        lines.feed(&rest[..blank]);
        lines.count + 1
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.finished {
                return Ok(0);
            }
            if self.start == self.end && !self.eof {
                self.refill()?;
            }
            let input = &self.buf[self.start..self.end];
            let (result, read, written) = self
                .decoder
                .decode_to_utf8_without_replacement(input, out, self.eof);
            let decoded = &out[..written];
            // Judged on what came out: bytes the decoder holds back, such as
            // a lead byte cut by the end of the file, are not characters yet.
            if !self.seen_non_ascii && !decoded.is_ascii() {
                self.seen_non_ascii = true;
            }
            self.start += read;
            // Text holds no NUL; the first bytes are checked by detection,
            // the rest here, whatever the encoding.
            if let Some(at) = memchr::memchr(0, decoded) {
                return Err(io::Error::other(DecodeFault::Nul {
                    line: self.line_after(&decoded[..at]),
                }));
            }
            self.window.extend_from_slice(decoded);
            match result {
                encoding_rs::DecoderResult::Malformed(..) => {
                    return Err(io::Error::other(DecodeFault::Malformed {
                        line: self.line_after(&[]),
                        // Plain ASCII until now and then a byte that is not
                        // UTF-8: a Windows-1252 file whose first accent came late.
                        guess_was_wrong: self.guessed && !self.seen_non_ascii,
                        encoding: self.encoding.codec().name(),
                    }));
                }
                encoding_rs::DecoderResult::OutputFull => return Ok(written),
                encoding_rs::DecoderResult::InputEmpty if self.eof => {
                    self.finished = true;
                    return Ok(written);
                }
                encoding_rs::DecoderResult::InputEmpty if written > 0 => return Ok(written),
                encoding_rs::DecoderResult::InputEmpty => {}
            }
        }
    }
}

/// A record's place in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowPlace {
    /// The row number a spreadsheet shows: the header is row 1.
    pub row: u64,
    /// The line the record starts on (records may span lines).
    pub line: u64,
    /// Non-empty values past the header's last column.
    pub extra_values: usize,
    /// Removed from the import in the review (see [`Corrections`]).
    pub dropped: bool,
}

/// The records of one file, read in one pass.
pub struct Records<'a> {
    csv: csv::Reader<Decoding<Box<dyn Read + Send + 'a>>>,
    pub dialect: Dialect,
    pub headers: Vec<String>,
    /// The row and line of the record read last.
    row: u64,
    line: u64,
    /// Line breaks inside the values read so far: they stay in their cells,
    /// so they end a line of the file but not a row of a spreadsheet.
    breaks_in_values: u64,
    data_rows: u64,
    /// The review's corrections, given to each record as it is read.
    corrections: Corrections,
    /// Lines before the header that no spreadsheet shows as rows (a
    /// `sep=` line).
    hidden_lines: u64,
}

impl<'a> Records<'a> {
    /// Opens `source`, detects its dialect (within `overrides`) and reads the
    /// header row.
    pub fn open(
        source: &'a (impl Source + ?Sized),
        overrides: DialectOptions,
    ) -> Result<Self, ReadError> {
        let mut stream = source.open()?;
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        (&mut stream)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut head)?;
        let Detected {
            dialect,
            encoding_guessed,
            separator_line,
        } = dialect::detect(&head, overrides)?;
        let chained: Box<dyn Read + Send + 'a> = Box::new(io::Cursor::new(head).chain(stream));
        let decoding = Decoding::new(
            chained,
            dialect.encoding,
            encoding_guessed,
            source.byte_limit(),
        );
        let mut builder = csv::ReaderBuilder::new();
        builder
            .has_headers(false)
            .flexible(true)
            .delimiter(dialect.delimiter.byte())
            .terminator(csv::Terminator::CRLF);
        match dialect.enclosure.byte() {
            Some(q) => builder.quote(q),
            None => builder.quoting(false),
        };
        let mut records = Self {
            csv: builder.from_reader(decoding),
            dialect,
            headers: Vec::new(),
            row: 0,
            line: 0,
            breaks_in_values: 0,
            data_rows: 0,
            corrections: Corrections::default(),
            hidden_lines: 0,
        };
        let mut header = StringRecord::new();
        if separator_line {
            // Read, then forgotten: it is no row, as Excel shows none for it.
            records.csv.read_record(&mut header).map_err(csv_error)?;
            records.place(&header);
            records.hidden_lines = records.line;
        }
        if !records.next_nonblank(&mut header)? {
            return Err(Refusal::NoDataRows.into());
        }
        records.headers = header.iter().map(|h| h.trim().to_string()).collect();
        check_header(&records.headers)?;
        Ok(records)
    }

    /// Reads the next data row into `record`; `None` at the end of the file.
    pub fn next(&mut self, record: &mut StringRecord) -> Result<Option<RowPlace>, ReadError> {
        if !self.next_nonblank(record)? {
            if self.data_rows == 0 {
                return Err(Refusal::NoDataRows.into());
            }
            return Ok(None);
        }
        self.data_rows += 1;
        if self.data_rows > MAX_DATA_ROWS {
            return Err(Refusal::TooManyRows.into());
        }
        let line = self.line;
        let columns = self.headers.len();
        if columns >= 2 && self.swallowed_rows(record) {
            return Err(Refusal::UnclosedQuote { line }.into());
        }
        let dropped = self.corrections.apply(self.row, record);
        let extra_values = record
            .iter()
            .skip(columns)
            .filter(|v| !v.trim().is_empty())
            .count();
        Ok(Some(RowPlace {
            row: self.row,
            line,
            extra_values,
            dropped,
        }))
    }

    /// Reads every following record with the review's corrections made.
    pub fn correct(&mut self, corrections: &Corrections) {
        self.corrections = corrections.clone();
    }

    /// Skips records whose values are all blank: spreadsheets leave them
    /// behind, and they are neither data nor errors.
    fn next_nonblank(&mut self, record: &mut StringRecord) -> Result<bool, ReadError> {
        loop {
            match self.csv.read_record(record) {
                Ok(false) => return Ok(false),
                Ok(true) => {
                    self.place(record);
                    if record.iter().any(|v| !v.trim().is_empty()) {
                        return Ok(true);
                    }
                }
                Err(e) => return Err(csv_error(e)),
            }
        }
    }

    /// Sets the line and the row of the record just read. A spreadsheet shows
    /// one row per line of the file, empty lines included, except that line
    /// breaks inside a quoted value stay in its cell.
    fn place(&mut self, record: &StringRecord) {
        let start = record.position().map_or(0, |p| p.byte());
        self.line = self.csv.get_mut().line_of_record(start);
        self.row = self.line - self.breaks_in_values - self.hidden_lines;
        if memchr::memchr2(b'\n', b'\r', record.as_slice().as_bytes()).is_some() {
            self.breaks_in_values += record.iter().map(LineEnds::in_text).sum::<u64>();
        }
    }

    /// An unclosed quote makes the reader take the following rows as one
    /// value: a value holding a line that splits like a whole row.
    fn swallowed_rows(&self, record: &StringRecord) -> bool {
        let delimiter = char::from(self.dialect.delimiter.byte());
        let row_like = self.headers.len() - 1;
        // One vectorised look over the whole record first: nearly every row
        // has no line break at all.
        memchr::memchr2(b'\n', b'\r', record.as_slice().as_bytes()).is_some()
            && record.iter().any(|v| {
                v.contains(['\n', '\r'])
                    && v.split(['\n', '\r'])
                        .skip(1)
                        .any(|line| line.matches(delimiter).count() >= row_like)
            })
    }
}

fn csv_error(e: csv::Error) -> ReadError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => from_io(io),
        other => io::Error::new(io::ErrorKind::InvalidData, format!("{other:?}")).into(),
    }
}

fn check_header(headers: &[String]) -> Result<(), Refusal> {
    if headers.len() > MAX_COLUMNS {
        return Err(Refusal::TooManyColumns {
            count: headers.len(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for name in headers.iter().filter(|h| !h.is_empty()) {
        if !seen.insert(name.to_lowercase()) {
            return Err(Refusal::RepeatedHeader { name: name.clone() });
        }
    }
    Ok(())
}

/// Opens `source`, reading it again in the single-byte encoding its bytes
/// show ([`single_byte`]) when a UTF-8 guess from its first bytes proves
/// wrong further on, and hands the records to `visit`.
pub fn with_records<T>(
    source: &(impl Source + ?Sized),
    overrides: DialectOptions,
    mut visit: impl FnMut(&mut Records<'_>) -> Result<T, ReadError>,
) -> Result<T, ReadError> {
    let first = Records::open(source, overrides).and_then(|mut r| visit(&mut r));
    match first {
        Err(ReadError::NotUtf8AfterAll) => {
            let overrides = DialectOptions {
                encoding: Some(single_byte_encoding(source)?),
                ..overrides
            };
            Records::open(source, overrides).and_then(|mut r| visit(&mut r))
        }
        other => other,
    }
}

/// Weighs every byte of `source` for its single-byte encoding: the first
/// bytes were plain ASCII, so the evidence is further on.
fn single_byte_encoding(source: &(impl Source + ?Sized)) -> Result<Encoding, ReadError> {
    let mut input = source.open()?;
    let mut weigher = single_byte::Weigher::default();
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        weigher.feed(&buf[..n]);
    }
    Ok(dialect::single_byte_encoding(weigher.finish())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The headers, and each data row's number and values.
    type Read = (Vec<String>, Vec<(u64, Vec<String>)>);

    fn rows(bytes: &[u8]) -> Result<Read, ReadError> {
        with_records(bytes, DialectOptions::default(), |records| {
            let mut out = Vec::new();
            let mut record = StringRecord::new();
            while let Some(place) = records.next(&mut record)? {
                out.push((place.row, record.iter().map(String::from).collect()));
            }
            Ok((records.headers.clone(), out))
        })
    }

    #[test]
    fn line_ends_quotes_and_row_numbers() {
        let (headers, data) = rows(b"a,b\r\n1,\"x,\"\"y\"\"\"\r2,\"multi\nline\"\n\n3,z").unwrap();
        assert_eq!(headers, ["a", "b"]);
        // The empty line is row 4, as a spreadsheet shows it; the line break
        // inside "multi\nline" stays in its cell.
        assert_eq!(
            data,
            vec![
                (2, vec!["1".into(), "x,\"y\"".into()]),
                (3, vec!["2".into(), "multi\nline".into()]),
                (5, vec!["3".into(), "z".into()]),
            ]
        );
    }

    #[test]
    fn line_ends_count_alike_even_when_a_crlf_is_split() {
        let mut ends = LineEnds::default();
        ends.feed(b"a\r");
        ends.feed(b"\nb\rc\n\n");
        ends.feed(b"");
        ends.feed(b"\r");
        assert_eq!(ends.count, 5);
        assert_eq!(LineEnds::in_text("x\r\ny\n\rz"), 3);
    }

    #[test]
    fn a_separator_line_is_no_row_and_rows_are_numbered_as_excel_shows_them() {
        let (headers, data) = rows(b"sep=;\r\nNombre;Celular\r\nAna;0991234501\r\n").unwrap();
        assert_eq!(headers, ["Nombre", "Celular"]);
        // Excel shows the header as row 1 and Ana as row 2.
        assert_eq!(
            data,
            vec![(2, vec!["Ana".to_string(), "0991234501".to_string()])]
        );
    }

    #[test]
    fn blank_rows_are_skipped_but_counted_in_row_numbers() {
        let (_, data) = rows(b"a;b\n;\n1;2\n ; \n").unwrap();
        assert_eq!(data, vec![(3, vec!["1".into(), "2".into()])]);
    }

    #[test]
    fn windows_1252_after_a_long_ascii_prefix_is_read_again() {
        let mut file = b"Nombre;Apellido\n".to_vec();
        for _ in 0..8000 {
            file.extend_from_slice(b"Ana;Perez\n");
        }
        file.extend_from_slice(b"Ra\xFAl;Ord\xF3\xF1ez\n");
        assert!(file.len() > SNIFF_BYTES);
        let (_, data) = rows(&file).unwrap();
        assert_eq!(data.last().unwrap().1, ["Raúl", "Ordóñez"]);
    }

    #[test]
    fn invalid_utf8_in_a_utf8_file_is_refused_with_its_line() {
        let mut file = "Nome,Cidade\nJoão,São Paulo\n".as_bytes().to_vec();
        for _ in 0..9000 {
            file.extend_from_slice(b"Ana,Rio\n");
        }
        file.extend_from_slice(b"Bad,\xFF\xFE\n");
        match rows(&file) {
            Err(ReadError::Refused(Refusal::Undecodable { line, .. })) => assert_eq!(line, 9003),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("read a file with invalid UTF-8"),
        }
    }

    #[test]
    fn declared_encoding_that_does_not_fit_is_refused() {
        let o = DialectOptions {
            encoding: Some(Encoding::Utf8),
            ..Default::default()
        };
        let r = with_records(&b"a,b\n\xE9,1\n"[..], o, |r| {
            let mut rec = StringRecord::new();
            while r.next(&mut rec)?.is_some() {}
            Ok(())
        });
        assert!(
            matches!(
                r,
                Err(ReadError::Refused(Refusal::Undecodable { line: 2, .. }))
            ),
            "{r:?}"
        );
    }

    #[test]
    fn file_rules() {
        assert!(matches!(
            rows(b""),
            Err(ReadError::Refused(Refusal::NoDataRows))
        ));
        assert!(matches!(
            rows(b"a,b\n"),
            Err(ReadError::Refused(Refusal::NoDataRows))
        ));
        assert!(matches!(
            rows(b"a,b\n,\n"),
            Err(ReadError::Refused(Refusal::NoDataRows))
        ));
        assert!(
            matches!(rows(b"Phone,phone\n1,2\n"), Err(ReadError::Refused(Refusal::RepeatedHeader { name })) if name == "phone")
        );
        let wide = (0..501)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",")
            + "\n1\n";
        assert!(matches!(
            rows(wide.as_bytes()),
            Err(ReadError::Refused(Refusal::TooManyColumns { count: 501 }))
        ));
        let unclosed = b"a,b,c\n1,\"open,3\n4,5,6\n7,8,9\n";
        assert!(matches!(
            rows(unclosed),
            Err(ReadError::Refused(Refusal::UnclosedQuote { line: 2 }))
        ));
    }

    #[test]
    fn too_many_rows_and_too_many_bytes() {
        let mut file = b"a\n".to_vec();
        for _ in 0..=MAX_DATA_ROWS {
            file.extend_from_slice(b"1\n");
        }
        assert!(matches!(
            rows(&file),
            Err(ReadError::Refused(Refusal::TooManyRows))
        ));
        let mut big = b"a,b\n".to_vec();
        big.resize(MAX_FILE_BYTES as usize + 10, b'x');
        assert!(matches!(
            rows(&big),
            Err(ReadError::Refused(Refusal::TooLarge { .. }))
        ));
    }

    #[test]
    fn extra_values_past_the_header_are_counted() {
        let file = b"a,b\n1,2,3,,\n";
        let n = with_records(&file[..], DialectOptions::default(), |r| {
            let mut rec = StringRecord::new();
            Ok(r.next(&mut rec)?.unwrap().extra_values)
        })
        .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn utf16_with_bom_is_read() {
        let text = "\u{FEFF}Nome;Telefone\r\nJoão;+5511987650101\r\n";
        let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let (headers, data) = rows(&bytes).unwrap();
        assert_eq!(headers, ["Nome", "Telefone"]);
        assert_eq!(data[0].1, ["João", "+5511987650101"]);
    }
}
