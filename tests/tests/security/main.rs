//! Security properties through the front doors, on the local stack:
//!
//! - presigned URLs: the upload is one `PUT` of one key with the declared
//!   length, downloads are one `GET` of one key, none lives past 15
//!   minutes. moto checks none of it, so each URL's SigV4 signature is
//!   recomputed here from the stack's credentials: it holds for exactly
//!   that request and for no other method, key, length or expiry;
//! - object keys: every object of a workspace carries 80 random bits;
//! - tokens: expired, unsigned, or naming no role or an unsafe workspace,
//!   are refused;
//! - logs: every `tracing` event of this process is captured (in the JSON
//!   format Lambda's JSON logs use) and holds no phone number or email in
//!   clear;
//! - value limits: each at its limit is taken, one over is refused with
//!   the API's error shape (or, in a file, the row ends `Error`).

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use contact_engine::fields::{CustomField, CustomType};
use contact_engine::limits;
use contact_engine::lookup::EmptyWorkspace;
use contact_engine::options::{ImportOptions, Workspace};
use contact_engine::refusal::Refusal;
use contact_engine::{ValidateError, validate};
use contact_service::records::time::{month, now};
use contacts::client::{Answer, ApiClient};
use end_to_end::{
    PIPELINE_TIMEOUT, Shared, confirmed, ec_phone, eventually, file, id_of, ok, query_value,
    result_file, reviewed, shared,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod keys;
mod links;
mod logs;
mod tokens;
mod value_limits;

// ---- The stack, with every log line of the process captured ------------

/// What the process's `tracing` subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Installed before the stack starts, so nothing it logs escapes.
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        assert!(
            contact_service::logging::init_to(
                captured.clone(),
                contact_service::logging::Format::Json
            ),
            "the capture is the process's only subscriber"
        );
        captured
    })
}

fn stack() -> &'static Shared {
    logs();
    shared()
}

fn assert_error(answer: &Answer, status: u16, code: &str, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.body);
    assert_eq!(answer.code(), code, "{what}: {}", answer.body);
    let message = answer.body["error"]["message"].as_str().unwrap_or("");
    assert!(
        !message.trim().is_empty(),
        "{what}: a message in {}",
        answer.body
    );
}

// ---- SigV4, recomputed ---------------------------------------------------

/// The credentials the local stack signs with (`Clients::local`).
const ACCESS_KEY: &str = "test";
const SECRET_KEY: &str = "test";

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(data)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A presigned URL taken apart: host, path and query pairs as sent.
struct SignedUrl {
    host: String,
    path: String,
    query: Vec<(String, String)>,
}

impl SignedUrl {
    fn parse(url: &str) -> Self {
        let rest = url.strip_prefix("http://").expect("an http URL");
        let (host, rest) = rest.split_once('/').expect("a path");
        let (path, query) = rest.split_once('?').expect("a query");
        let query = query
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        Self {
            host: host.to_string(),
            path: format!("/{path}"),
            query,
        }
    }

    /// A query parameter, percent-decoded.
    fn param(&self, name: &str) -> String {
        let raw = self
            .query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} in the URL"));
        percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .unwrap()
            .into_owned()
    }

    fn with_param(&self, name: &str, value: &str) -> Self {
        let query = self
            .query
            .iter()
            .map(|(k, v)| (k.clone(), if k == name { value.into() } else { v.clone() }))
            .collect();
        Self {
            host: self.host.clone(),
            path: self.path.clone(),
            query,
        }
    }

    fn with_path(&self, path: &str) -> Self {
        Self {
            host: self.host.clone(),
            path: path.to_string(),
            query: self.query.clone(),
        }
    }

    /// Whether the URL's signature holds for `method` with `headers` (the
    /// signed ones besides `host`), as S3 would check it.
    fn signature_holds(&self, method: &str, headers: &[(&str, &str)]) -> bool {
        let signed = self.param("X-Amz-SignedHeaders");
        let mut canonical_headers = String::new();
        for name in signed.split(';') {
            let value = if name == "host" {
                self.host.clone()
            } else {
                match headers.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => v.to_string(),
                    None => return false,
                }
            };
            canonical_headers.push_str(&format!("{name}:{}\n", value.trim()));
        }
        let mut pairs: Vec<&(String, String)> = self
            .query
            .iter()
            .filter(|(k, _)| k != "X-Amz-Signature")
            .collect();
        pairs.sort();
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let canonical = format!(
            "{method}\n{}\n{}\n{canonical_headers}\n{signed}\nUNSIGNED-PAYLOAD",
            self.path,
            query.join("&")
        );
        let credential = self.param("X-Amz-Credential");
        let scope = credential
            .strip_prefix(&format!("{ACCESS_KEY}/"))
            .expect("the stack's access key");
        let mut parts = scope.split('/');
        let (date, region, service) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
            self.param("X-Amz-Date"),
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mut key = hmac(format!("AWS4{SECRET_KEY}").as_bytes(), date.as_bytes());
        for part in [region, service, "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        hex(&hmac(&key, to_sign.as_bytes())) == self.param("X-Amz-Signature")
    }
}

/// A download link: one `GET` of `key`, for at most 15 minutes, and for
/// nothing else.
fn assert_download_link(url: &str, key: &str) {
    let link = SignedUrl::parse(url);
    assert!(
        link.path.ends_with(&format!("/{key}")),
        "{url} is a link to {key}"
    );
    let expires: u64 = link.param("X-Amz-Expires").parse().unwrap();
    assert!(expires <= 15 * 60, "{url} lives {expires} s");
    assert_eq!(link.param("X-Amz-SignedHeaders"), "host");
    assert!(
        link.signature_holds("GET", &[]),
        "{url}: the GET it was made for"
    );
    for method in ["PUT", "DELETE", "POST", "HEAD"] {
        assert!(!link.signature_holds(method, &[]), "{url} signs {method}");
    }
    let other_key = link.path.replace(key, &format!("{key}x"));
    assert!(!link.with_path(&other_key).signature_holds("GET", &[]));
    assert!(
        !link
            .with_param("X-Amz-Expires", "604800")
            .signature_holds("GET", &[]),
        "{url}: its expiry is signed"
    );
}

/// The object key a presigned URL names (after the bucket).
fn object_key(url: &str) -> String {
    let path = SignedUrl::parse(url).path;
    let decoded = percent_encoding::percent_decode_str(&path)
        .decode_utf8()
        .unwrap()
        .into_owned();
    let (_, key) = decoded[1..].split_once('/').expect("/bucket/key");
    key.to_string()
}

async fn export_done(api: &ApiClient, id: &str) -> Value {
    eventually(PIPELINE_TIMEOUT, "the export", || async {
        let answer = ok(api.call("GET", &format!("/v1/exports/{id}"), None).await);
        assert_eq!(answer.status, 200, "{}", answer.body);
        (answer.body["status"] != "running").then_some(answer.body)
    })
    .await
}
