//! Where the service's `tracing` events go: one subscriber per process,
//! one line per event on stderr (CloudWatch, in Lambda).
//!
//! Events carry ids, counts and codes as fields; a contact's phone or email
//! never appears in one, and free text that might hold one (an error's
//! words) is passed through [`contact_engine::mask::scrub`] where it is logged. The
//! level never goes below INFO: the Lambda runtime logs whole event
//! payloads (API request bodies with their contacts) at TRACE.

use std::io::Write;
use std::sync::Mutex;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

/// How each line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `time LEVEL target: message field=value…`
    Text,
    /// One JSON object a line, fields under `fields`: what Lambda's JSON
    /// log format expects.
    Json,
}

impl Format {
    /// JSON when Lambda's `AWS_LAMBDA_LOG_FORMAT` says `JSON`, else text.
    pub fn from_env() -> Self {
        match std::env::var("AWS_LAMBDA_LOG_FORMAT") {
            Ok(v) if v.eq_ignore_ascii_case("json") => Self::Json,
            _ => Self::Text,
        }
    }
}

/// `AWS_LAMBDA_LOG_LEVEL` may make logs quieter (`WARN`, `ERROR`), never
/// more verbose than INFO.
fn level_from_env() -> LevelFilter {
    match std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .unwrap_or_default()
        .to_ascii_uppercase()
        .as_str()
    {
        "ERROR" | "FATAL" => LevelFilter::ERROR,
        "WARN" => LevelFilter::WARN,
        _ => LevelFilter::INFO,
    }
}

fn dispatch<W>(writer: W, format: Format, level: LevelFilter) -> tracing::Dispatch
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_max_level(level)
        .with_ansi(false);
    match format {
        Format::Text => builder.into(),
        Format::Json => builder.json().into(),
    }
}

/// Sends the process's events to stderr, in the format and at the level
/// Lambda's environment asks for. Answers whether it did: a subscriber
/// installed earlier (by a function's `main`, or a test) is kept.
pub fn init() -> bool {
    tracing::dispatcher::set_global_default(dispatch(
        std::io::stderr,
        Format::from_env(),
        level_from_env(),
    ))
    .is_ok()
}

/// Sends warnings and errors only to stderr, as text: for the local
/// command, whose own output (the demo's steps, a dry run's review) is what
/// its user reads. Answers whether it did.
pub fn init_warnings() -> bool {
    tracing::dispatcher::set_global_default(dispatch(
        std::io::stderr,
        Format::Text,
        LevelFilter::WARN,
    ))
    .is_ok()
}

/// Sends the process's events to `writer` instead, at INFO: for tests
/// that read what the service logs. Answers whether it did.
pub fn init_to(writer: impl Write + Send + 'static, format: Format) -> bool {
    tracing::dispatcher::set_global_default(dispatch(Mutex::new(writer), format, LevelFilter::INFO))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(format: Format, emit: impl FnOnce()) -> String {
        let buffer = Buffer::default();
        let dispatch = dispatch(Mutex::new(buffer.clone()), format, LevelFilter::INFO);
        tracing::dispatcher::with_default(&dispatch, emit);
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn both_formats_carry_fields_and_stop_at_info() {
        let emit = || {
            tracing::info!(workspace = "acme", import = "imp_1", rows = 3, "validated");
            tracing::trace!(body = "+593987654321", "a payload");
            tracing::debug!(body = "ana@example.com", "a payload");
        };
        let text = logged(Format::Text, emit);
        assert!(text.contains("validated"), "{text}");
        assert!(text.contains("import=\"imp_1\"") || text.contains("import=imp_1"));
        assert!(!text.contains("payload"), "{text}");
        let json = logged(Format::Json, emit);
        let line: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["fields"]["message"], "validated");
        assert_eq!(line["fields"]["rows"], 3);
        assert_eq!(json.lines().count(), 1, "{json}");
    }
}
