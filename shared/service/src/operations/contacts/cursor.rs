//! The contact listing's cursor: where a listing goes on, opaque to the
//! caller.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::operations::error::ServiceError;
use crate::records::ids::is_safe_id;
use crate::store::CONTACT_SHARDS;
use contact_engine::limits::MAX_CURSOR_CHARS;

/// Where a listing goes on: a shard, and the last contact id read in it
/// (none: from the shard's start). Only the shard and id travel; the keys
/// are rebuilt from the caller's workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Cursor {
    pub(super) shard: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) id: Option<String>,
}

impl Cursor {
    /// base64url, unpadded: safe in a query string as it is.
    pub(super) fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a cursor serialises");
        URL_SAFE_NO_PAD.encode(json)
    }

    pub(super) fn decode(text: &str) -> Result<Self, ServiceError> {
        let invalid = || {
            ServiceError::bad_request(
                "invalid_cursor",
                "the cursor is not one this listing gave; list again without it",
            )
        };
        if text.is_empty()
            || text.len() > MAX_CURSOR_CHARS
            || !text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let cursor: Self = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let id_ok = cursor.id.as_deref().is_none_or(is_safe_id);
        if cursor.shard >= CONTACT_SHARDS || !id_ok {
            return Err(invalid());
        }
        Ok(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        for cursor in [
            Cursor { shard: 0, id: None },
            Cursor {
                shard: 15,
                id: Some("c_01jabc".into()),
            },
        ] {
            let text = cursor.encode();
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
            assert_eq!(Cursor::decode(&text).unwrap(), cursor);
        }
        let forged = |json: &str| base64::engine::general_purpose::STANDARD_NO_PAD.encode(json);
        for bad in [
            "".to_string(),
            "nonsense!".to_string(),
            "abc".to_string(),
            forged(r#"{"shard":16}"#),
            forged(r#"{"shard":1,"id":"W#other#C#x"}"#),
            forged(r#"{"shard":1,"pk":"x"}"#),
        ] {
            let e = Cursor::decode(&bad).unwrap_err();
            assert_eq!(e.code(), "invalid_cursor", "{bad}");
        }
    }
}
