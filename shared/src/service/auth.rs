//! Who is calling: an HS256 JWT whose claims name the workspace and role.
//! The workspace comes from the verified token only.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::error::ServiceError;
use crate::store::keys;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Manager,
    Agent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub workspace_id: String,
    pub role: Role,
    /// Expiry, Unix seconds.
    pub exp: u64,
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub workspace: String,
    pub role: Role,
}

impl Caller {
    /// Imports, exports, deletes and settings need owner or manager.
    pub fn may_manage(&self) -> Result<(), ServiceError> {
        match self.role {
            Role::Owner | Role::Manager => Ok(()),
            Role::Agent => Err(ServiceError::Forbidden),
        }
    }
}

/// Signs and checks tokens with one shared key.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    pub fn sign(&self, workspace: &str, role: Role, valid_for_secs: u64) -> String {
        let claims = Claims {
            workspace_id: workspace.to_string(),
            role,
            exp: super::model::now() as u64 + valid_for_secs,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing does not fail")
    }

    /// Checks an `Authorization` header's value.
    pub fn verify(&self, authorization: Option<&str>) -> Result<Caller, ServiceError> {
        let token = authorization
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                ServiceError::Unauthorized("send Authorization: Bearer <token>".into())
            })?;
        let validation = Validation::new(Algorithm::HS256);
        let claims = jsonwebtoken::decode::<Claims>(token.trim(), &self.decoding, &validation)
            .map_err(|e| ServiceError::Unauthorized(e.to_string()))?
            .claims;
        if !keys::is_safe_id(&claims.workspace_id) {
            return Err(ServiceError::Unauthorized(
                "workspace_id must be 1 to 64 letters, digits, _ or -".into(),
            ));
        }
        Ok(Caller {
            workspace: claims.workspace_id,
            role: claims.role,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_bad_ones_are_refused() {
        let keys = Keys::new(b"secret");
        let token = keys.sign("acme", Role::Manager, 60);
        let caller = keys.verify(Some(&format!("Bearer {token}"))).unwrap();
        assert_eq!(caller.workspace, "acme");
        assert_eq!(caller.role, Role::Manager);
        let other = Keys::new(b"other");
        assert!(other.verify(Some(&format!("Bearer {token}"))).is_err());
        assert!(keys.verify(None).is_err());
        assert!(keys.verify(Some("Bearer nonsense")).is_err());
        let unsafe_ws = keys.sign("a#b", Role::Owner, 60);
        assert!(keys.verify(Some(&format!("Bearer {unsafe_ws}"))).is_err());
    }
}
