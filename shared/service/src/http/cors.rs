//! Which browser pages may call the API (CORS): the origins allowed, from
//! `CORS_ALLOWED_ORIGINS` (comma-separated; none by default, and then the
//! router adds no CORS headers at all). On AWS the HTTP API answers for
//! CORS itself, from the template's `AllowedOrigins` (it ignores what the
//! function would add); this layer serves the local stack, and any host
//! without a gateway in front.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Requests headers a page may send: the token, the JSON body's type, and
/// the settings' version.
const ALLOWED_HEADERS: [HeaderName; 3] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::IF_MATCH,
];

/// Answer headers a page may read: the settings' version and a file link.
const EXPOSED_HEADERS: [HeaderName; 2] = [header::ETAG, header::LOCATION];

/// How long a browser may keep a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The origins allowed to call the API from a browser.
#[derive(Debug, Clone, Default)]
pub struct Cors {
    origins: Vec<HeaderValue>,
}

impl Cors {
    /// Origins such as `https://app.example.com` (scheme, host and port,
    /// no path); an empty entry is skipped.
    pub fn new<S: AsRef<str>>(origins: &[S]) -> Result<Self, String> {
        let mut allowed = Vec::new();
        for origin in origins {
            let origin = origin.as_ref().trim().trim_end_matches('/');
            if origin.is_empty() {
                continue;
            }
            let well_formed = (origin.starts_with("https://") || origin.starts_with("http://"))
                && !origin
                    .split_once("://")
                    .is_some_and(|(_, rest)| rest.contains('/'));
            if !well_formed {
                return Err(format!(
                    "CORS origin \"{origin}\" must be a scheme and a host, such as https://app.example.com"
                ));
            }
            allowed.push(HeaderValue::from_str(origin).map_err(|e| format!("{origin}: {e}"))?);
        }
        Ok(Self { origins: allowed })
    }

    /// From `CORS_ALLOWED_ORIGINS`, comma-separated; none when unset.
    pub fn from_env() -> Result<Self, String> {
        let origins = std::env::var("CORS_ALLOWED_ORIGINS").unwrap_or_default();
        Self::new(&origins.split(',').collect::<Vec<_>>())
    }

    /// The layer answering preflights and marking answers for the allowed
    /// origins; `None` when no origin is allowed.
    pub(super) fn layer(&self) -> Option<CorsLayer> {
        if self.origins.is_empty() {
            return None;
        }
        Some(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(self.origins.clone()))
                .allow_methods([
                    Method::GET,
                    Method::POST,
                    Method::PUT,
                    Method::PATCH,
                    Method::DELETE,
                ])
                .allow_headers(ALLOWED_HEADERS)
                .expose_headers(EXPOSED_HEADERS)
                .max_age(PREFLIGHT_MAX_AGE),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_a_scheme_and_a_host() {
        assert_eq!(
            Cors::new(&["https://app.example.com/", " http://localhost:5173", ""])
                .unwrap()
                .origins
                .len(),
            2
        );
        for bad in ["app.example.com", "https://app.example.com/page", "*"] {
            assert!(Cors::new(&[bad]).is_err(), "{bad}");
        }
        assert!(Cors::new::<&str>(&[]).unwrap().layer().is_none());
    }
}
