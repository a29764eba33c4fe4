//! The first reading: records read on this thread while other threads
//! check them (phone parsing dominates), then merged back in file order, so
//! the outcome is the same as one thread's. Memory holds a few bytes per
//! row and one entry per distinct identifier; the rows' text is never kept.

use std::collections::BTreeMap;
use std::sync::{Mutex, mpsc};

use csv::StringRecord;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use crate::normalize::ValueError;
use crate::reader::{ReadError, Records, RowPlace};
use crate::row::{RowRules, cell_value};

/// One value that cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Problem {
    Value { column: usize, error: ValueError },
    ExtraValues { count: usize },
}

/// What the first pass keeps of a row.
#[derive(Debug)]
pub(super) struct ScannedRow {
    /// Index into the distinct identifiers.
    pub(super) identifier: Option<u32>,
    pub(super) problems: Option<Box<[Problem]>>,
    pub(super) has_first_name: bool,
    /// Removed in the review: neither checked nor counted.
    pub(super) dropped: bool,
}

/// A distinct identifier of the file.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct IdentifierUse {
    pub(super) rows: u32,
    pub(super) holders: u32,
    /// The spreadsheet rows of its first two rows, so that a repeated value
    /// can say where else it is.
    pub(super) first_rows: [u64; 2],
}

impl IdentifierUse {
    /// Another row holding the value than `row`, when there is one.
    pub(super) fn other_row(&self, row: u64) -> Option<u64> {
        let [first, second] = self.first_rows;
        let other = if first == row { second } else { first };
        (self.rows > 1 && other != 0).then_some(other)
    }
}

/// Checks every row of a file by the mapping's rules.
pub(super) struct Scanner<'a> {
    pub(super) rules: RowRules<'a>,
}

/// The file's distinct identifiers, in the order of their first row.
pub(super) type Identifiers = IndexMap<Box<str>, IdentifierUse, FxBuildHasher>;
type Scanned = (Vec<ScannedRow>, Identifiers);

/// Rows handed to a checking thread at a time.
const BATCH_ROWS: usize = 1024;

/// A batch of records read, and later the same records' results.
#[derive(Default)]
struct Batch {
    number: usize,
    records: Vec<StringRecord>,
    places: Vec<RowPlace>,
    checked: Vec<(ScannedRow, Option<String>)>,
}

impl Scanner<'_> {
    /// Reads on this thread while other threads check the rows (phone
    /// parsing dominates), then merges their results in file order, so the
    /// outcome is the same as one thread's.
    pub(super) fn scan(&self, records: &mut Records<'_>) -> Result<Scanned, ReadError> {
        let checkers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let mut merged = Merged::default();
        let (to_check, inbox) = mpsc::sync_channel::<Batch>(checkers * 2);
        let inbox = Mutex::new(inbox);
        let (to_merge, checked) = mpsc::channel::<Batch>();
        std::thread::scope(|scope| {
            for _ in 0..checkers {
                let (inbox, to_merge) = (&inbox, to_merge.clone());
                scope.spawn(move || {
                    loop {
                        let next = inbox.lock().ok().and_then(|rx| rx.recv().ok());
                        let Some(mut batch) = next else { break };
                        batch.checked.clear();
                        let rows = batch.records.iter().zip(&batch.places);
                        batch
                            .checked
                            .extend(rows.map(|(record, place)| self.scan_row(record, *place)));
                        if to_merge.send(batch).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(to_merge);
            let mut spare: Vec<Batch> = Vec::new();
            let mut read = || -> Result<(), ReadError> {
                for number in 0.. {
                    let mut batch = spare.pop().unwrap_or_default();
                    batch.number = number;
                    let more = fill(&mut batch, records)?;
                    if !batch.places.is_empty() && to_check.send(batch).is_err() {
                        break;
                    }
                    while let Ok(done) = checked.try_recv() {
                        spare.extend(merged.add(done));
                    }
                    if !more {
                        break;
                    }
                }
                Ok(())
            };
            let read = read();
            drop(to_check);
            for done in checked {
                merged.add(done);
            }
            read
        })?;
        Ok((merged.rows, merged.identifiers))
    }

    /// Checks every mapped value of one row; answers the row and its
    /// normalised identifier.
    fn scan_row(&self, record: &StringRecord, place: RowPlace) -> (ScannedRow, Option<String>) {
        if place.dropped {
            // Its identifier is no one's: dropping one of two rows that
            // repeat a phone is how the other gets imported.
            let row = ScannedRow {
                identifier: None,
                problems: None,
                has_first_name: false,
                dropped: true,
            };
            return (row, None);
        }
        let mut problems = Vec::new();
        let mut key = None;
        if place.extra_values > 0 {
            problems.push(Problem::ExtraValues {
                count: place.extra_values,
            });
        }
        let plan = self.rules.plan;
        let rules = self.rules.for_row(record);
        for &(column, target) in &plan.columns {
            let value = cell_value(record, column);
            if value.is_empty() {
                continue;
            }
            match rules.value(target, value) {
                Ok(stored) if Some(column) == plan.identifier_column => {
                    key = Some(stored.into_text())
                }
                Ok(_) => {}
                Err(error) => problems.push(Problem::Value { column, error }),
            }
        }
        let has_first_name = plan
            .first_name_column
            .is_some_and(|c| !cell_value(record, c).is_empty());
        let row = ScannedRow {
            identifier: None,
            problems: (!problems.is_empty()).then(|| problems.into_boxed_slice()),
            has_first_name,
            dropped: false,
        };
        (row, key)
    }
}

/// Reads up to [`BATCH_ROWS`] records into `batch`, reusing its records;
/// answers whether the file may have more.
fn fill(batch: &mut Batch, records: &mut Records<'_>) -> Result<bool, ReadError> {
    batch.places.clear();
    while batch.places.len() < BATCH_ROWS {
        let i = batch.places.len();
        if batch.records.len() == i {
            batch.records.push(StringRecord::new());
        }
        match records.next(&mut batch.records[i])? {
            Some(place) => batch.places.push(place),
            None => {
                batch.records.truncate(i);
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Checked batches put back in file order.
#[derive(Default)]
struct Merged {
    rows: Vec<ScannedRow>,
    identifiers: Identifiers,
    next: usize,
    waiting: BTreeMap<usize, Batch>,
}

impl Merged {
    /// Takes a checked batch and merges every batch now in order; answers
    /// the batches emptied, to reuse.
    fn add(&mut self, batch: Batch) -> Vec<Batch> {
        self.waiting.insert(batch.number, batch);
        let mut emptied = Vec::new();
        while let Some(mut batch) = self.waiting.remove(&self.next) {
            self.next += 1;
            for ((row, key), place) in batch.checked.drain(..).zip(&batch.places) {
                let identifier = key.map(|key| {
                    let entry = self.identifiers.entry(key.into_boxed_str());
                    let index = entry.index();
                    let used = entry.or_default();
                    if let Some(slot) = used.first_rows.get_mut(used.rows as usize) {
                        *slot = place.row;
                    }
                    used.rows += 1;
                    index as u32
                });
                self.rows.push(ScannedRow { identifier, ..row });
            }
            emptied.push(batch);
        }
        emptied
    }
}
