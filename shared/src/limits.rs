//! The product's limits on files, in one place.

/// A file may be at most 20 MiB.
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// A header row, then at most this many data rows.
pub const MAX_DATA_ROWS: u64 = 200_000;
/// Columns in the header row.
pub const MAX_COLUMNS: usize = 500;
