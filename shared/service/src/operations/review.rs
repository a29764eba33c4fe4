//! The review, row by row: its rows paged and filtered by predicted status,
//! and the corrections made in it (cells given a new value, rows dropped),
//! which validate the same upload again as the next generation.
//!
//! A page reads byte ranges of the review's row files (one per status,
//! written by the validation that made the review), never the whole file:
//! its cursor holds the review's generation and where each file goes on.
//! A page of every status merges the four files by row number.

use contact_engine::ReviewRow;
use contact_engine::classify::Status;
use contact_engine::corrections::{Change, FileShape};
use contact_engine::limits::{DEFAULT_PAGE, MAX_CURSOR_CHARS, MAX_PAGE};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{AtStep, ServiceError};
use super::imports::{Imports, not_in_review};
use crate::records::{ImportRecord, RowFiles};

/// A predicted status as the rows query names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum RowStatus {
    Imported,
    Updated,
    Skipped,
    Error,
}

impl RowStatus {
    /// The status a query's word names: `imported`, `updated`, `skipped`
    /// or `error`.
    pub fn parse(word: &str) -> Option<Status> {
        RowFiles::STATUSES
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(word.trim()))
    }
}

/// `GET /v1/imports/{id}/rows`.
#[derive(Debug, Clone, Default)]
pub struct RowsQuery {
    /// Only the rows predicted so; every row, in file order, when absent.
    pub status: Option<Status>,
    /// Where the previous page ended (its `cursor`).
    pub cursor: Option<String>,
    /// Rows per page: 50 unless given, at most 100.
    pub limit: Option<usize>,
}

/// A page of the review's rows, in file order.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RowsPage {
    pub items: Vec<ReviewRow>,
    /// The next page's cursor; `null` on the last page.
    pub cursor: Option<String>,
}

/// `POST /v1/imports/{id}/corrections`: changes to the review's rows, made
/// together or not at all.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectRows {
    /// Cells given a new value (`null`: back to the file's value).
    #[serde(default)]
    pub cells: Vec<CellChange>,
    /// Rows removed from the import: they end `Skipped`.
    #[serde(default)]
    pub drop: Vec<u64>,
    /// Dropped rows put back.
    #[serde(default)]
    pub restore: Vec<u64>,
}

/// One cell's new value.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CellChange {
    /// The row number a spreadsheet shows (the header is row 1), as the
    /// review's rows give it.
    #[schema(minimum = 2)]
    pub row: u64,
    /// The column's index in `headers`, the first being 0.
    pub column: usize,
    /// At most 255 characters; `null` gives the cell back its value in the
    /// file.
    #[schema(max_length = 255)]
    pub value: Option<String>,
}

/// Where a page of rows goes on: the review's generation and a byte offset
/// in each status's file. Digits and dots, safe in a query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RowsCursor {
    generation: u32,
    offsets: [u64; 4],
}

impl RowsCursor {
    fn encode(&self) -> String {
        let [a, b, c, d] = self.offsets;
        format!("{}.{a}.{b}.{c}.{d}", self.generation)
    }

    fn decode(text: &str) -> Option<Self> {
        if text.len() > MAX_CURSOR_CHARS {
            return None;
        }
        let mut parts = text.split('.');
        let generation = parts.next()?.parse().ok()?;
        let mut offsets = [0u64; 4];
        for offset in &mut offsets {
            *offset = parts.next()?.parse().ok()?;
        }
        parts.next().is_none().then_some(Self {
            generation,
            offsets,
        })
    }
}

fn invalid_cursor(message: &str) -> ServiceError {
    ServiceError::bad_request("invalid_cursor", message)
}

impl Imports {
    /// A page of the review's rows, each with its cells, predicted status
    /// and reasons by column.
    pub async fn review_rows(
        &self,
        caller: &Caller,
        id: &str,
        query: RowsQuery,
    ) -> Result<RowsPage, ServiceError> {
        let limit = query.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ServiceError::bad_request(
                "invalid_query",
                format!("limit must be 1 to {MAX_PAGE}"),
            ));
        }
        let record = self.import(caller, id).await?;
        self.must_be_in_review(&record, "the review's rows are read")?;
        let Some(sizes) = record.row_files else {
            return Err(not_in_review(
                "the mapping must change before there are rows to review; see problems",
            ));
        };
        let at = match &query.cursor {
            None => [0; 4],
            Some(text) => {
                let cursor = RowsCursor::decode(text).ok_or_else(|| {
                    invalid_cursor("the cursor is not one this listing gave; list again without it")
                })?;
                if cursor.generation != record.generation {
                    return Err(invalid_cursor(
                        "the review changed since this cursor was given; list its rows again without it",
                    ));
                }
                cursor.offsets
            }
        };
        let wanted = |i: usize| {
            let status = RowFiles::STATUSES[i];
            query.status.is_none_or(|s| s == status)
        };
        let (a, b, c, d) = tokio::try_join!(
            self.rows_of(&record, &sizes, 0, at[0], wanted(0).then_some(limit)),
            self.rows_of(&record, &sizes, 1, at[1], wanted(1).then_some(limit)),
            self.rows_of(&record, &sizes, 2, at[2], wanted(2).then_some(limit)),
            self.rows_of(&record, &sizes, 3, at[3], wanted(3).then_some(limit)),
        )?;
        let (items, offsets) = merge([a, b, c, d], at, limit);
        let more = (0..4).any(|i| wanted(i) && offsets[i] < sizes.size(RowFiles::STATUSES[i]));
        let cursor = more.then(|| {
            RowsCursor {
                generation: record.generation,
                offsets,
            }
            .encode()
        });
        Ok(RowsPage { items, cursor })
    }

    /// Up to `limit` rows of the `i`th status's file from byte `from`;
    /// none when the status is not wanted.
    async fn rows_of(
        &self,
        record: &ImportRecord,
        sizes: &RowFiles,
        i: usize,
        from: u64,
        limit: Option<usize>,
    ) -> Result<Vec<(ReviewRow, u64)>, ServiceError> {
        let Some(limit) = limit else {
            return Ok(Vec::new());
        };
        let status = RowFiles::STATUSES[i];
        let review = (
            record.workspace.as_str(),
            record.id.as_str(),
            record.generation,
        );
        self.store
            .files
            .review_rows(review, status, from, sizes.size(status), limit)
            .await
            .at("reading the review's rows")?
            .ok_or_else(|| {
                invalid_cursor("the cursor is not one this listing gave; list again without it")
            })
    }

    /// Corrects cells and drops or restores rows of an import in review,
    /// then validates the same upload again with them: the answer is the
    /// import, `validating`. Every change is checked first; one bad change
    /// refuses them all and changes nothing.
    pub async fn correct(
        &self,
        caller: &Caller,
        id: &str,
        body: CorrectRows,
    ) -> Result<ImportRecord, ServiceError> {
        let record = self.import(caller, id).await?;
        self.must_be_in_review(&record, "rows are corrected")?;
        let (Some(last_row), Some(headers)) = (record.last_row, &record.headers) else {
            return Err(not_in_review(
                "the mapping must change before rows can be corrected; see problems",
            ));
        };
        let changes: Vec<Change> = body
            .cells
            .into_iter()
            .map(|c| Change::Cell {
                row: c.row,
                column: c.column,
                value: c.value,
            })
            .chain(body.drop.into_iter().map(|row| Change::Drop { row }))
            .chain(body.restore.into_iter().map(|row| Change::Restore { row }))
            .collect();
        if changes.is_empty() {
            return Err(ServiceError::bad_request(
                "invalid_corrections",
                "nothing to change: give cells, drop or restore",
            ));
        }
        let shape = FileShape {
            last_row,
            columns: headers.len(),
        };
        let corrections = record
            .corrections
            .with(&changes, shape)
            .map_err(|e| ServiceError::bad_request("invalid_corrections", e.to_string()))?;
        let options = record.options.clone();
        self.revalidate(&record, options, corrections).await
    }
}

/// Takes the first `limit` rows by row number from the four files' rows
/// (each in file order); answers them and where each file goes on.
fn merge(
    files: [Vec<(ReviewRow, u64)>; 4],
    mut offsets: [u64; 4],
    limit: usize,
) -> (Vec<ReviewRow>, [u64; 4]) {
    let mut files = files.map(|rows| rows.into_iter().peekable());
    let mut items = Vec::with_capacity(limit);
    while items.len() < limit {
        let next = (0..4)
            .filter_map(|i| files[i].peek().map(|(row, _)| (row.row, i)))
            .min();
        let Some((_, i)) = next else { break };
        let (row, end) = files[i].next().expect("a row was peeked");
        offsets[i] = end;
        items.push(row);
    }
    (items, offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: u64, status: Status) -> ReviewRow {
        ReviewRow {
            row: n,
            status,
            cells: Vec::new(),
            issues: Vec::new(),
            corrected: Vec::new(),
            dropped: false,
        }
    }

    #[test]
    fn a_page_of_every_status_takes_rows_in_file_order_and_says_where_each_file_goes_on() {
        let files = [
            vec![
                (row(2, Status::Imported), 10),
                (row(5, Status::Imported), 20),
            ],
            vec![],
            vec![(row(4, Status::Skipped), 7)],
            vec![(row(3, Status::Error), 9), (row(6, Status::Error), 18)],
        ];
        let (items, offsets) = merge(files, [0; 4], 3);
        let rows: Vec<u64> = items.iter().map(|r| r.row).collect();
        assert_eq!(rows, vec![2, 3, 4]);
        assert_eq!(offsets, [10, 0, 7, 9]);
    }

    #[test]
    fn cursors_read_back_and_nothing_else_does() {
        let cursor = RowsCursor {
            generation: 3,
            offsets: [0, 120, 7, 99_000],
        };
        assert_eq!(RowsCursor::decode(&cursor.encode()), Some(cursor));
        for bad in ["", "3", "3.1.2.3", "3.1.2.3.4.5", "x.1.2.3.4", "3.-1.2.3.4"] {
            assert_eq!(RowsCursor::decode(bad), None, "{bad}");
        }
    }
}
