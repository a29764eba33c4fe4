//! Spreadsheets read back cell for cell: any table written by the
//! `rust_xlsxwriter` crate — text in any script with commas, quotes and
//! line breaks, whole numbers as long as phones, decimals, booleans, dates,
//! empty cells and empty rows — is turned into CSV and read by the reader
//! with every cell as a person sees it and every row numbered as the
//! spreadsheet numbers it. The small `.xls` and `.ods` files of
//! `tests/files/spreadsheets/` (written by `xlwt` and `odfpy`, see
//! `make-spreadsheets.py` there) read the same way.

use contact_engine::dialect::DialectOptions;
use contact_engine::reader::with_records;
use contact_engine::refusal::Refusal;
use contact_engine::spreadsheet::{Kind, kind, to_csv};
use csv::StringRecord;
use proptest::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

#[derive(Debug, Clone)]
enum Cell {
    Empty,
    Text(String),
    Whole(i64),
    /// Hundredths.
    Decimal(i64),
    Bool(bool),
    Date(u16, u8, u8),
}

impl Cell {
    /// What the cell reads as.
    fn shown(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(t) => t.clone(),
            Self::Whole(n) => n.to_string(),
            Self::Decimal(h) => format!("{}", *h as f64 / 100.0),
            Self::Bool(b) => (if *b { "TRUE" } else { "FALSE" }).to_string(),
            Self::Date(y, m, d) => format!("{y:04}-{m:02}-{d:02}"),
        }
    }
}

fn cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        Just(Cell::Empty),
        "[A-Za-zÀ-ÿñÑçãõ0-9+][A-Za-zÀ-ÿñ 0-9,;\"'\n+-]{0,14}".prop_map(Cell::Text),
        // Phones stored as numbers, and small counts.
        (1_000_000_000i64..99_999_999_999_999).prop_map(Cell::Whole),
        (-1000i64..1000).prop_map(Cell::Whole),
        (-100_000i64..100_000).prop_map(Cell::Decimal),
        any::<bool>().prop_map(Cell::Bool),
        (1950u16..2080, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Cell::Date(y, m, d)),
    ]
}

/// Rows of up to six cells; `None` is an empty row.
fn table() -> impl Strategy<Value = Vec<Option<Vec<Cell>>>> {
    prop::collection::vec(
        prop::option::weighted(0.9, prop::collection::vec(cell(), 1..6)),
        1..25,
    )
}

const HEADERS: [&str; 6] = ["Nombre", "Celular", "Saldo", "Activo", "Alta", "Notas"];

/// The table as an `.xlsx` of sheets "Portada" (one cell) and "Clientes"
/// (a header row, then the rows).
fn xlsx(rows: &[Option<Vec<Cell>>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let cover = book.add_worksheet();
    cover.set_name("Portada").unwrap();
    cover.write_string(0, 0, "Lista de clientes").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("Clientes").unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, name) in HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let Some(row) = row else { continue };
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Empty => {}
                Cell::Text(t) => drop(sheet.write_string(r, c, t).unwrap()),
                Cell::Whole(n) => drop(sheet.write_number(r, c, *n as f64).unwrap()),
                Cell::Decimal(h) => drop(sheet.write_number(r, c, *h as f64 / 100.0).unwrap()),
                Cell::Bool(b) => drop(sheet.write_boolean(r, c, *b).unwrap()),
                Cell::Date(y, m, d) => {
                    let day = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                    sheet.write_datetime_with_format(r, c, &day, &date).unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// The sheet as the reader reads it: headers, then each row's number and
/// values.
type Sheet = (Vec<String>, Vec<(u64, Vec<String>)>);

fn read(bytes: &[u8], sheet: Option<&str>) -> Result<Sheet, String> {
    let kind = kind(bytes).expect("a spreadsheet");
    let mut csv = Vec::new();
    to_csv(bytes, kind, sheet, &mut csv).map_err(|e| e.to_string())?;
    with_records(&csv[..], DialectOptions::default(), |records| {
        let mut rows = Vec::new();
        let mut record = StringRecord::new();
        while let Some(place) = records.next(&mut record)? {
            rows.push((place.row, record.iter().map(String::from).collect()));
        }
        Ok((records.headers.clone(), rows))
    })
    .map_err(|e| e.to_string())
}

/// What the reader should give: the non-empty rows, numbered as the sheet
/// numbers them (the header is row 1), each cut after its last value.
fn expected(rows: &[Option<Vec<Cell>>]) -> Vec<(u64, Vec<String>)> {
    rows.iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let mut cells: Vec<String> = row.as_ref()?.iter().map(Cell::shown).collect();
            while cells.last().is_some_and(String::is_empty) {
                cells.pop();
            }
            (!cells.iter().all(|c| c.trim().is_empty())).then_some((i as u64 + 2, cells))
        })
        .collect()
}

/// The reader's row cut after its last value, as [`expected`] cuts.
fn trimmed(mut cells: Vec<String>) -> Vec<String> {
    while cells.last().is_some_and(String::is_empty) {
        cells.pop();
    }
    cells
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_table_written_as_xlsx_reads_back_cell_for_cell(rows in table()) {
        let want = expected(&rows);
        prop_assume!(!want.is_empty());
        let (headers, got) = read(&xlsx(&rows), Some("clientes")).unwrap();
        prop_assert_eq!(headers, HEADERS.map(String::from).to_vec());
        let got: Vec<(u64, Vec<String>)> = got.into_iter().map(|(n, c)| (n, trimmed(c))).collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn the_first_sheet_with_rows_unless_the_options_name_another() {
    let rows = vec![Some(vec![
        Cell::Text("Ana".into()),
        Cell::Whole(593991234567),
    ])];
    let book = xlsx(&rows);
    assert_eq!(kind(&book), Some(Kind::Xlsx));
    // The cover sheet is first, one cell and no rows: passed over.
    let ana = [(2, vec!["Ana".to_string(), "593991234567".to_string()])];
    assert_eq!(read(&book, None).unwrap().1, ana);
    // Named, it is read (and has no data rows).
    assert_eq!(
        read(&book, Some("portada")).err(),
        Some(Refusal::NoDataRows.to_string())
    );
    assert_eq!(read(&book, Some(" CLIENTES ")).unwrap().1, ana);
    let mut csv = Vec::new();
    let missing = to_csv(&book, Kind::Xlsx, Some("Ventas"), &mut csv).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "the workbook has no sheet \"Ventas\"; its sheets are: Portada, Clientes"
    );
}

#[test]
fn a_file_that_is_no_workbook_is_refused_saying_so() {
    let mut not_a_book = b"PK\x03\x04".to_vec();
    not_a_book.extend([0u8; 64]);
    let mut csv = Vec::new();
    let refusal = to_csv(&not_a_book, Kind::Xlsx, None, &mut csv).unwrap_err();
    assert_eq!(refusal.code(), "unreadable_spreadsheet");
    assert!(refusal.to_string().contains("save it as CSV"), "{refusal}");
}

#[test]
fn xls_and_ods_files_read_as_their_tools_wrote_them() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/files/spreadsheets");
    for (name, kind_of) in [("clientes.xls", Kind::Xls), ("clientes.ods", Kind::Ods)] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(kind(&bytes), Some(kind_of), "{name}");
        let (headers, rows) = read(&bytes, None).unwrap();
        assert_eq!(
            headers,
            ["Nombre", "Celular", "Alta", "Activo", "Saldo"],
            "{name}"
        );
        assert_eq!(
            rows,
            [
                (
                    2,
                    ["José Peña", "593991234567", "2024-03-01", "TRUE", "12.5"]
                        .map(String::from)
                        .to_vec()
                ),
                // Row 3 is empty.
                (
                    4,
                    [
                        "João Conceição",
                        "5511987654321",
                        "1999-12-31",
                        "FALSE",
                        "-3"
                    ]
                    .map(String::from)
                    .to_vec()
                ),
            ],
            "{name}"
        );
    }
}
