//! Corrections made in the review: cells given a new value and rows dropped,
//! applied to the records as they are read, so that every reading (the
//! check, the stage the workers import, the files) sees the same corrected
//! file and the upload itself never changes.
//!
//! A dropped row is still a row of the file: it ends `Skipped`, saying it
//! was removed in the review, so that every row stays accounted for.

use csv::StringRecord;
use serde::{Deserialize, Serialize};

use crate::limits::{MAX_CORRECTED_ROWS, MAX_TEXT_CHARS};

/// One cell given a new value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CellCorrection {
    /// The column's index, the first column being 0.
    pub column: usize,
    pub value: String,
}

/// What the review changed of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowCorrection {
    /// The row number a spreadsheet shows: the header is row 1.
    pub row: u64,
    /// New values, one per column at most, by column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cells: Vec<CellCorrection>,
    /// Removed from the import: the row ends `Skipped`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dropped: bool,
}

impl RowCorrection {
    fn is_empty(&self) -> bool {
        self.cells.is_empty() && !self.dropped
    }
}

/// Every correction of one import, by row number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Corrections {
    /// Sorted by row, one entry per row, none empty.
    rows: Vec<RowCorrection>,
}

/// A change asked of the corrections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A cell's new value; `None` gives the cell back its value in the file.
    Cell {
        row: u64,
        column: usize,
        value: Option<String>,
    },
    Drop {
        row: u64,
    },
    Restore {
        row: u64,
    },
}

/// Why a change cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorrectionError {
    #[error("row {row} is not a data row of the file: they are rows 2 to {last}")]
    NoSuchRow { row: u64, last: u64 },
    #[error("column {column} is not a column of the file: it has {columns} (0 to {})", columns.saturating_sub(1))]
    NoSuchColumn { column: usize, columns: usize },
    #[error("the value for row {row}, column {column} is longer than {MAX_TEXT_CHARS} characters")]
    TooLong { row: u64, column: usize },
    #[error(
        "at most {MAX_CORRECTED_ROWS} rows may be corrected or dropped in a review; fix the rest in the file and upload it again"
    )]
    TooMany,
}

/// The file's shape the changes are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileShape {
    /// The last data row's number.
    pub last_row: u64,
    pub columns: usize,
}

impl Corrections {
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every corrected or dropped row, by row number.
    pub fn rows(&self) -> &[RowCorrection] {
        &self.rows
    }

    pub fn dropped_rows(&self) -> usize {
        self.rows.iter().filter(|r| r.dropped).count()
    }

    pub fn corrected_rows(&self) -> usize {
        self.rows.iter().filter(|r| !r.cells.is_empty()).count()
    }

    /// What the review changed of row `row`, if anything.
    pub fn of_row(&self, row: u64) -> Option<&RowCorrection> {
        self.rows
            .binary_search_by_key(&row, |r| r.row)
            .ok()
            .map(|i| &self.rows[i])
    }

    /// These corrections with `changes` made, in order, each checked
    /// against `shape`; on any error nothing is changed.
    pub fn with(&self, changes: &[Change], shape: FileShape) -> Result<Self, CorrectionError> {
        let mut next = self.clone();
        for change in changes {
            next.change(change, shape)?;
        }
        if next.rows.len() > MAX_CORRECTED_ROWS {
            return Err(CorrectionError::TooMany);
        }
        Ok(next)
    }

    fn change(&mut self, change: &Change, shape: FileShape) -> Result<(), CorrectionError> {
        let row = match change {
            Change::Cell { row, .. } | Change::Drop { row } | Change::Restore { row } => *row,
        };
        if row < 2 || row > shape.last_row {
            return Err(CorrectionError::NoSuchRow {
                row,
                last: shape.last_row,
            });
        }
        let at = match self.rows.binary_search_by_key(&row, |r| r.row) {
            Ok(i) => i,
            Err(i) => {
                self.rows.insert(
                    i,
                    RowCorrection {
                        row,
                        cells: Vec::new(),
                        dropped: false,
                    },
                );
                i
            }
        };
        let entry = &mut self.rows[at];
        match change {
            Change::Drop { .. } => entry.dropped = true,
            Change::Restore { .. } => entry.dropped = false,
            Change::Cell { column, value, .. } => {
                if *column >= shape.columns {
                    self.remove_if_empty(at);
                    return Err(CorrectionError::NoSuchColumn {
                        column: *column,
                        columns: shape.columns,
                    });
                }
                let entry = &mut self.rows[at];
                let slot = entry.cells.binary_search_by_key(column, |c| c.column);
                match (value, slot) {
                    (Some(v), _) if v.chars().count() > MAX_TEXT_CHARS => {
                        self.remove_if_empty(at);
                        return Err(CorrectionError::TooLong {
                            row,
                            column: *column,
                        });
                    }
                    (Some(v), Ok(i)) => entry.cells[i].value = v.clone(),
                    (Some(v), Err(i)) => entry.cells.insert(
                        i,
                        CellCorrection {
                            column: *column,
                            value: v.clone(),
                        },
                    ),
                    (None, Ok(i)) => {
                        entry.cells.remove(i);
                    }
                    (None, Err(_)) => {}
                }
            }
        }
        self.remove_if_empty(at);
        Ok(())
    }

    fn remove_if_empty(&mut self, at: usize) {
        if self.rows[at].is_empty() {
            self.rows.remove(at);
        }
    }

    /// Gives `record`, read at row `row`, the review's values; answers
    /// whether the row was dropped.
    pub(crate) fn apply(&self, row: u64, record: &mut StringRecord) -> bool {
        let Some(fix) = self.of_row(row) else {
            return false;
        };
        if !fix.cells.is_empty() {
            let width = record
                .len()
                .max(fix.cells.last().map_or(0, |c| c.column + 1));
            let mut values: Vec<String> = (0..width)
                .map(|i| record.get(i).unwrap_or("").to_string())
                .collect();
            for cell in &fix.cells {
                values[cell.column] = cell.value.clone();
            }
            record.clear();
            for value in &values {
                record.push_field(value);
            }
        }
        fix.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: FileShape = FileShape {
        last_row: 10,
        columns: 3,
    };

    fn cell(row: u64, column: usize, value: &str) -> Change {
        Change::Cell {
            row,
            column,
            value: Some(value.to_string()),
        }
    }

    #[test]
    fn a_corrected_cell_replaces_the_value_read_and_leaves_the_others() {
        let fixes = Corrections::default()
            .with(&[cell(3, 1, "+593991234567")], SHAPE)
            .unwrap();
        let mut record = StringRecord::from(vec!["Ana", "abc", "x"]);
        assert!(!fixes.apply(3, &mut record));
        assert_eq!(
            record,
            StringRecord::from(vec!["Ana", "+593991234567", "x"])
        );
        let mut other = StringRecord::from(vec!["Ana", "abc", "x"]);
        fixes.apply(4, &mut other);
        assert_eq!(other, StringRecord::from(vec!["Ana", "abc", "x"]));
    }

    #[test]
    fn a_short_row_is_widened_to_take_its_corrected_cell() {
        let fixes = Corrections::default()
            .with(&[cell(2, 2, "vip")], SHAPE)
            .unwrap();
        let mut record = StringRecord::from(vec!["Ana"]);
        fixes.apply(2, &mut record);
        assert_eq!(record, StringRecord::from(vec!["Ana", "", "vip"]));
    }

    #[test]
    fn a_dropped_row_is_said_dropped_and_a_restored_one_is_forgotten() {
        let dropped = Corrections::default()
            .with(&[Change::Drop { row: 5 }], SHAPE)
            .unwrap();
        assert!(dropped.apply(5, &mut StringRecord::new()));
        assert_eq!(dropped.dropped_rows(), 1);
        let restored = dropped.with(&[Change::Restore { row: 5 }], SHAPE).unwrap();
        assert!(restored.is_empty());
    }

    #[test]
    fn a_cell_given_back_its_value_leaves_no_correction() {
        let fixes = Corrections::default()
            .with(&[cell(4, 0, "Ana")], SHAPE)
            .unwrap();
        let undone = fixes
            .with(
                &[Change::Cell {
                    row: 4,
                    column: 0,
                    value: None,
                }],
                SHAPE,
            )
            .unwrap();
        assert!(undone.is_empty());
    }

    #[test]
    fn a_change_outside_the_file_is_refused_and_changes_nothing() {
        let fixes = Corrections::default()
            .with(&[cell(4, 0, "Ana")], SHAPE)
            .unwrap();
        for (change, words) in [
            (cell(1, 0, "x"), "row 1 is not a data row"),
            (
                cell(11, 0, "x"),
                "row 11 is not a data row of the file: they are rows 2 to 10",
            ),
            (
                cell(4, 3, "x"),
                "column 3 is not a column of the file: it has 3 (0 to 2)",
            ),
            (cell(5, 0, &"x".repeat(300)), "longer than 255 characters"),
        ] {
            let e = fixes.with(&[cell(6, 1, "ok"), change], SHAPE).unwrap_err();
            assert!(e.to_string().contains(words), "{e}");
        }
        assert_eq!(fixes.rows().len(), 1);
    }

    #[test]
    fn more_rows_than_the_limit_are_refused() {
        let shape = FileShape {
            last_row: 5_000,
            columns: 1,
        };
        let changes: Vec<Change> = (2..=(MAX_CORRECTED_ROWS as u64 + 2))
            .map(|row| Change::Drop { row })
            .collect();
        assert_eq!(
            Corrections::default().with(&changes, shape),
            Err(CorrectionError::TooMany)
        );
    }
}
