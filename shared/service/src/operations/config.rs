//! The operations' settings: how long a review may be confirmed and how
//! long the links they sign work.

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
}

impl Config {
    pub fn new(review_ttl: Duration) -> Self {
        Self {
            review_ttl,
            upload_url_ttl: Duration::from_secs(10 * 60),
            download_url_ttl: Duration::from_secs(5 * 60),
        }
    }

    /// From `REVIEW_TTL_SECONDS` (default 3600).
    pub fn from_env() -> Result<Self, String> {
        let ttl = match std::env::var("REVIEW_TTL_SECONDS") {
            Ok(v) => v
                .parse()
                .map_err(|_| format!("REVIEW_TTL_SECONDS={v} is not a number of seconds"))?,
            Err(_) => 3600,
        };
        Ok(Self::new(Duration::from_secs(ttl)))
    }
}
