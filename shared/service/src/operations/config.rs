//! The operations' settings: how long a review may be confirmed, how long
//! the links they sign work, and how many rows a chunk message carries.

use std::time::Duration;

/// The operations' settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long a review may be confirmed.
    pub review_ttl: Duration,
    /// How long a presigned upload URL works (at most 15 minutes).
    pub upload_url_ttl: Duration,
    /// How long a presigned download URL works.
    pub download_url_ttl: Duration,
    /// Rows per chunk message ([`CHUNK_ROWS`] unless set).
    pub chunk_rows: usize,
}

/// Rows per chunk message by default: small enough for a worker to finish
/// well inside its timeout, large enough that DynamoDB and SQS calls stay
/// few per row.
pub const CHUNK_ROWS: usize = 500;

/// The chunk sizes a deployment may choose: at 2,000 rows a worker's batch
/// of 10 chunks still ends well inside its 60 s timeout on AWS (about 0.7 s
/// a chunk of 500 under the latency model, docs/CAPACITY.md); under 100 the
/// calls per row grow for nothing.
pub const CHUNK_ROWS_RANGE: std::ops::RangeInclusive<usize> = 100..=2000;

/// Rows per chunk from `CHUNK_ROWS`'s value (none: the default).
pub fn chunk_rows_from(value: Option<&str>) -> Result<usize, String> {
    let Some(value) = value else {
        return Ok(CHUNK_ROWS);
    };
    value
        .trim()
        .parse()
        .ok()
        .filter(|rows| CHUNK_ROWS_RANGE.contains(rows))
        .ok_or_else(|| {
            format!(
                "CHUNK_ROWS={value} is not a number of rows from {} to {}",
                CHUNK_ROWS_RANGE.start(),
                CHUNK_ROWS_RANGE.end()
            )
        })
}

impl Config {
    pub fn new(review_ttl: Duration) -> Self {
        Self {
            review_ttl,
            upload_url_ttl: Duration::from_secs(10 * 60),
            download_url_ttl: Duration::from_secs(5 * 60),
            chunk_rows: CHUNK_ROWS,
        }
    }

    /// From `REVIEW_TTL_SECONDS` (default 3600) and `CHUNK_ROWS` (default
    /// [`CHUNK_ROWS`]).
    pub fn from_env() -> Result<Self, String> {
        let ttl = match std::env::var("REVIEW_TTL_SECONDS") {
            Ok(v) => v
                .parse()
                .map_err(|_| format!("REVIEW_TTL_SECONDS={v} is not a number of seconds"))?,
            Err(_) => 3600,
        };
        let chunk_rows = chunk_rows_from(std::env::var("CHUNK_ROWS").ok().as_deref())?;
        Ok(Self {
            chunk_rows,
            ..Self::new(Duration::from_secs(ttl))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_size_is_taken_within_its_range_and_refused_outside_it() {
        assert_eq!(chunk_rows_from(None), Ok(500));
        assert_eq!(chunk_rows_from(Some("1000")), Ok(1000));
        for refused in ["99", "2001", "0", "mil", ""] {
            let error = chunk_rows_from(Some(refused)).unwrap_err();
            assert!(error.contains("from 100 to 2000"), "{error}");
        }
    }
}
