//! Streams a delimited file's records: decoding to UTF-8 on the fly, one
//! reused record, a row number on each, and the file-level rules checked as
//! the bytes pass. Memory does not grow with the file.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use csv::StringRecord;

use crate::dialect::{self, Detected, Dialect, DialectOptions, Encoding, SNIFF_BYTES};
use crate::limits::{MAX_COLUMNS, MAX_DATA_ROWS, MAX_FILE_BYTES};
use crate::refusal::Refusal;

/// Somewhere a file can be read from, from its start, as often as needed:
/// validation reads twice (classify, then write the files out).
pub trait Source {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>>;
}

/// A file on disk.
pub struct FileSource(pub PathBuf);

impl Source for FileSource {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(File::open(&self.0)?))
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
            None => io::Error::other("decoder fault").into(),
        };
    }
    ReadError::Io(e)
}

/// Decodes any supported encoding to UTF-8 as a `Read`, counting raw bytes
/// (the size rule) and decoded line feeds (for error messages).
struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    encoding: Encoding,
    /// True when the encoding is a UTF-8 guess that invalid bytes may disprove.
    guessed: bool,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    /// The decoder has seen the end of input and must not be called again.
    finished: bool,
    raw_bytes: u64,
    line_feeds: u64,
    seen_non_ascii: bool,
}

impl<R: Read> Decoding<R> {
    fn new(inner: R, encoding: Encoding, guessed: bool) -> Self {
        Self {
            inner,
            decoder: encoding.codec().new_decoder_with_bom_removal(),
            encoding,
            guessed,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            finished: false,
            raw_bytes: 0,
            line_feeds: 0,
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
        if self.raw_bytes > MAX_FILE_BYTES {
            return Err(io::Error::other(DecodeFault::TooLarge {
                size: self.raw_bytes,
            }));
        }
        Ok(())
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
            let decoded = match result {
                encoding_rs::DecoderResult::Malformed(bad, after) => {
                    read.saturating_sub(usize::from(bad) + usize::from(after))
                }
                _ => read,
            };
            if !self.seen_non_ascii && !input[..decoded].is_ascii() {
                self.seen_non_ascii = true;
            }
            self.start += read;
            self.line_feeds += memchr::memchr_iter(b'\n', &out[..written]).count() as u64;
            match result {
                encoding_rs::DecoderResult::Malformed(..) => {
                    return Err(io::Error::other(DecodeFault::Malformed {
                        line: self.line_feeds + 1,
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
}

/// The records of one file, read in one pass.
pub struct Records<'a> {
    csv: csv::Reader<Decoding<Box<dyn Read + Send + 'a>>>,
    pub dialect: Dialect,
    pub headers: Vec<String>,
    row: u64,
    data_rows: u64,
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
        } = dialect::detect(&head, overrides)?;
        let chained: Box<dyn Read + Send + 'a> = Box::new(io::Cursor::new(head).chain(stream));
        let decoding = Decoding::new(chained, dialect.encoding, encoding_guessed);
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
            data_rows: 0,
        };
        let mut header = StringRecord::new();
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
        let line = record.position().map_or(0, |p| p.line());
        let columns = self.headers.len();
        if columns >= 2 && self.swallowed_rows(record) {
            return Err(Refusal::UnclosedQuote { line }.into());
        }
        let extra_values = record
            .iter()
            .skip(columns)
            .filter(|v| !v.trim().is_empty())
            .count();
        Ok(Some(RowPlace {
            row: self.row,
            line,
            extra_values,
        }))
    }

    /// Skips records whose values are all blank: spreadsheets leave them
    /// behind, and they are neither data nor errors.
    fn next_nonblank(&mut self, record: &mut StringRecord) -> Result<bool, ReadError> {
        loop {
            match self.csv.read_record(record) {
                Ok(false) => return Ok(false),
                Ok(true) => {
                    self.row += 1;
                    if record.iter().any(|v| !v.trim().is_empty()) {
                        return Ok(true);
                    }
                }
                Err(e) => {
                    return Err(match e.into_kind() {
                        csv::ErrorKind::Io(io) => from_io(io),
                        other => {
                            io::Error::new(io::ErrorKind::InvalidData, format!("{other:?}")).into()
                        }
                    });
                }
            }
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

/// Opens `source`, reading it again as Windows-1252 when a UTF-8 guess from
/// its first bytes proves wrong further on, and hands the records to `visit`.
pub fn with_records<T>(
    source: &(impl Source + ?Sized),
    overrides: DialectOptions,
    mut visit: impl FnMut(&mut Records<'_>) -> Result<T, ReadError>,
) -> Result<T, ReadError> {
    let first = Records::open(source, overrides).and_then(|mut r| visit(&mut r));
    match first {
        Err(ReadError::NotUtf8AfterAll) => {
            let overrides = DialectOptions {
                encoding: Some(Encoding::Windows1252),
                ..overrides
            };
            Records::open(source, overrides).and_then(|mut r| visit(&mut r))
        }
        other => other,
    }
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
        assert_eq!(
            data,
            vec![
                (2, vec!["1".into(), "x,\"y\"".into()]),
                (3, vec!["2".into(), "multi\nline".into()]),
                (4, vec!["3".into(), "z".into()]),
            ]
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
