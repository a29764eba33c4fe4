//! Who is calling: a verified JWT whose claims name the workspace and role.
//! On AWS, API Gateway's JWT authorizer verifies the identity provider's
//! token and passes its claims on; locally (and wherever no identity provider
//! is set up) the API verifies an HS256 token signed with a shared key. The
//! workspace comes from verified claims only.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use serde::{Deserialize, Serialize};

use super::errors::ApiError;
use crate::operations::{Caller, Role};
use crate::records::ids::is_safe_id;
use crate::records::time::now;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub workspace_id: String,
    pub role: Role,
    /// Who the token is for, shown as who started an import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Expiry, Unix seconds.
    pub exp: u64,
}

/// How the API learns who calls, and the key the local stack signs and
/// checks its tokens with.
#[derive(Debug, Clone)]
pub struct Auth {
    pub keys: Keys,
    pub authentication: Authentication,
}

impl Auth {
    /// Shared-key tokens, signed and checked with `jwt_secret`.
    pub fn shared_key(jwt_secret: &[u8]) -> Self {
        Self {
            keys: Keys::new(jwt_secret),
            authentication: Authentication::SharedKey,
        }
    }

    /// From `AUTH_MODE` (see [`Authentication::from_env`]) and `JWT_SECRET`
    /// (needed unless the gateway verifies tokens).
    pub fn from_env() -> Result<Self, String> {
        let authentication = Authentication::from_env()?;
        let secret = match (std::env::var("JWT_SECRET"), &authentication) {
            (Ok(secret), _) => secret,
            // Behind the gateway no shared-key token is ever checked; an
            // unknowable key keeps it that way.
            (Err(_), Authentication::Gateway { .. }) => {
                format!("{}{}", ulid::Ulid::new(), ulid::Ulid::new())
            }
            (Err(_), Authentication::SharedKey) => {
                return Err("JWT_SECRET is not set (needed with AUTH_MODE=shared-key)".into());
            }
        };
        Ok(Self {
            keys: Keys::new(secret.as_bytes()),
            authentication,
        })
    }

    /// The caller of a request.
    pub fn caller(&self, parts: &axum::http::request::Parts) -> Result<Caller, ApiError> {
        self.authentication.caller(&self.keys, parts)
    }
}

/// How the API learns who calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    /// The API verifies an HS256 bearer token itself, with the shared key.
    SharedKey,
    /// API Gateway's JWT authorizer has already verified the token
    /// (signature, issuer, audience, expiry) and refuses requests without
    /// one; the API reads the workspace and role from the claims it passes
    /// on, never from the request's own headers.
    Gateway {
        workspace_claim: String,
        role_claim: String,
        user_claim: String,
    },
}

/// The claim names Amazon Cognito gives custom user attributes.
pub const COGNITO_WORKSPACE_CLAIM: &str = "custom:workspace_id";
pub const COGNITO_ROLE_CLAIM: &str = "custom:role";
/// The claim naming the person: Cognito's ID tokens carry the user's email.
pub const COGNITO_USER_CLAIM: &str = "email";

impl Authentication {
    /// From `AUTH_MODE` (`shared-key`, the default, or `gateway`) and, for
    /// the gateway, `WORKSPACE_CLAIM`, `ROLE_CLAIM` and `USER_CLAIM`
    /// (Cognito's names by default).
    pub fn from_env() -> Result<Self, String> {
        match std::env::var("AUTH_MODE").as_deref() {
            Err(_) | Ok("shared-key") => Ok(Self::SharedKey),
            Ok("gateway") => Ok(Self::Gateway {
                workspace_claim: std::env::var("WORKSPACE_CLAIM")
                    .unwrap_or_else(|_| COGNITO_WORKSPACE_CLAIM.into()),
                role_claim: std::env::var("ROLE_CLAIM")
                    .unwrap_or_else(|_| COGNITO_ROLE_CLAIM.into()),
                user_claim: std::env::var("USER_CLAIM")
                    .unwrap_or_else(|_| COGNITO_USER_CLAIM.into()),
            }),
            Ok(other) => Err(format!(
                "AUTH_MODE={other} is neither shared-key nor gateway"
            )),
        }
    }

    /// The caller of a request: its bearer token checked with `keys`, or
    /// the claims of API Gateway's authorizer.
    pub fn caller(
        &self,
        keys: &Keys,
        parts: &axum::http::request::Parts,
    ) -> Result<Caller, ApiError> {
        match self {
            Self::SharedKey => keys.verify(
                parts
                    .headers
                    .get(axum::http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok()),
            ),
            Self::Gateway {
                workspace_claim,
                role_claim,
                user_claim,
            } => {
                let claims = match parts.request_context_ref() {
                    Some(RequestContext::ApiGatewayV2(context)) => context
                        .authorizer
                        .as_ref()
                        .and_then(|a| a.jwt.as_ref())
                        .map(|jwt| &jwt.claims),
                    _ => None,
                };
                let claims = claims.ok_or_else(|| {
                    ApiError::Unauthorized("the request carries no verified claims".into())
                })?;
                caller_from_claims(claims, workspace_claim, role_claim, user_claim)
            }
        }
    }
}

/// A caller from claims someone else verified.
fn caller_from_claims(
    claims: &HashMap<String, String>,
    workspace_claim: &str,
    role_claim: &str,
    user_claim: &str,
) -> Result<Caller, ApiError> {
    let workspace = claims
        .get(workspace_claim)
        .filter(|ws| is_safe_id(ws))
        .ok_or_else(|| {
            ApiError::Unauthorized(format!(
                "the token's {workspace_claim} claim must be 1 to 64 letters, digits, _ or -"
            ))
        })?;
    let role = claims
        .get(role_claim)
        .and_then(|r| serde_json::from_value::<Role>(serde_json::Value::String(r.clone())).ok())
        .ok_or_else(|| {
            ApiError::Unauthorized(format!(
                "the token's {role_claim} claim must be owner, manager or agent"
            ))
        })?;
    Ok(Caller {
        workspace: workspace.clone(),
        role,
        user: claims
            .get(user_claim)
            .map(String::as_str)
            .and_then(user_name),
    })
}

/// The person a token names, cut to a length a page shows; `None` when
/// blank.
fn user_name(claimed: &str) -> Option<String> {
    let name = claimed.trim();
    (!name.is_empty()).then(|| name.chars().take(MAX_USER_CHARS).collect())
}

/// The longest name kept for who started an import (an email is at most
/// 254 characters).
pub const MAX_USER_CHARS: usize = 254;

/// How long after its `exp` a token is still taken: the clocks of the
/// issuer and of the function may differ by that much.
pub const TOKEN_LEEWAY_SECS: u64 = 60;

/// Why a token was refused, in plain words rather than the JWT library's.
fn token_words(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => format!(
            "the token has expired (tokens are taken until {TOKEN_LEEWAY_SECS} s past their exp); ask for a new one"
        ),
        ErrorKind::ImmatureSignature => "the token is not valid yet".into(),
        ErrorKind::InvalidSignature => {
            "the token's signature does not match: it was not signed with this service's key".into()
        }
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "the token must be signed with HS256".into()
        }
        ErrorKind::MissingRequiredClaim(claim) => format!("the token has no {claim} claim"),
        ErrorKind::Json(_) => {
            "the token's claims must be workspace_id, role (owner, manager or agent) and exp".into()
        }
        _ => "the token cannot be read: send the JSON Web Token this service issued, as Authorization: Bearer <token>".into(),
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
        self.sign_for(workspace, role, None, valid_for_secs)
    }

    /// A token naming the person it is for (`email`).
    pub fn sign_for(
        &self,
        workspace: &str,
        role: Role,
        email: Option<&str>,
        valid_for_secs: u64,
    ) -> String {
        let claims = Claims {
            workspace_id: workspace.to_string(),
            role,
            email: email.map(str::to_string),
            exp: now() as u64 + valid_for_secs,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing does not fail")
    }

    /// Checks an `Authorization` header's value.
    pub fn verify(&self, authorization: Option<&str>) -> Result<Caller, ApiError> {
        let token = authorization
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .ok_or_else(|| ApiError::Unauthorized("send Authorization: Bearer <token>".into()))?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = TOKEN_LEEWAY_SECS;
        let claims = jsonwebtoken::decode::<Claims>(token.trim(), &self.decoding, &validation)
            .map_err(|e| ApiError::Unauthorized(token_words(&e)))?
            .claims;
        if !is_safe_id(&claims.workspace_id) {
            return Err(ApiError::Unauthorized(
                "workspace_id must be 1 to 64 letters, digits, _ or -".into(),
            ));
        }
        Ok(Caller {
            user: claims.email.as_deref().and_then(user_name),
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
        assert_eq!(caller.user, None);
        let named = keys.sign_for("acme", Role::Owner, Some(" ana@example.com "), 60);
        let caller = keys.verify(Some(&format!("Bearer {named}"))).unwrap();
        assert_eq!(caller.user.as_deref(), Some("ana@example.com"));
        let other = Keys::new(b"other");
        assert!(other.verify(Some(&format!("Bearer {token}"))).is_err());
        assert!(keys.verify(None).is_err());
        assert!(keys.verify(Some("Bearer nonsense")).is_err());
        let unsafe_ws = keys.sign("a#b", Role::Owner, 60);
        assert!(keys.verify(Some(&format!("Bearer {unsafe_ws}"))).is_err());
    }

    #[test]
    fn refusals_say_why_in_plain_words() {
        let keys = Keys::new(b"secret");
        let words = |header: &str| keys.verify(Some(header)).unwrap_err().to_string();
        let forged = Keys::new(b"other").sign("acme", Role::Owner, 60);
        for (header, said) in [
            ("Bearer nonsense".to_string(), "cannot be read"),
            ("Bearer a.b.c".to_string(), "cannot be read"),
            (
                format!("Bearer {forged}"),
                "not signed with this service's key",
            ),
        ] {
            let message = words(&header);
            assert!(message.contains(said), "{header}: {message}");
            for internal in ["InvalidToken", "Base64", "InvalidSignature", "Error("] {
                assert!(!message.contains(internal), "{header}: {message}");
            }
        }
        // Past exp and past the leeway: expired, said so.
        let claims = Claims {
            workspace_id: "acme".into(),
            role: Role::Owner,
            email: None,
            exp: now() as u64 - TOKEN_LEEWAY_SECS - 5,
        };
        let old =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert!(words(&format!("Bearer {old}")).contains("has expired"));
        // Within the leeway it is still taken.
        let claims = Claims {
            exp: now() as u64 - TOKEN_LEEWAY_SECS / 2,
            ..claims
        };
        let late =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert!(keys.verify(Some(&format!("Bearer {late}"))).is_ok());
    }

    fn request_with_claims(claims: Option<&[(&str, &str)]>) -> axum::http::request::Parts {
        let mut context = aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
        if let Some(claims) = claims {
            let mut jwt =
                aws_lambda_events::apigw::ApiGatewayRequestAuthorizerJwtDescription::default();
            jwt.claims = claims
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let mut authorizer = aws_lambda_events::apigw::ApiGatewayRequestAuthorizer::default();
            authorizer.jwt = Some(jwt);
            context.authorizer = Some(authorizer);
        }
        let mut request = axum::http::Request::new(());
        request
            .extensions_mut()
            .insert(RequestContext::ApiGatewayV2(context));
        request.into_parts().0
    }

    #[test]
    fn behind_the_gateway_only_the_authorizers_claims_count() {
        let gateway = Authentication::Gateway {
            workspace_claim: COGNITO_WORKSPACE_CLAIM.into(),
            role_claim: COGNITO_ROLE_CLAIM.into(),
            user_claim: COGNITO_USER_CLAIM.into(),
        };
        let keys = Keys::new(b"secret");
        let parts = request_with_claims(Some(&[
            (COGNITO_WORKSPACE_CLAIM, "acme"),
            (COGNITO_ROLE_CLAIM, "agent"),
            (COGNITO_USER_CLAIM, "ana@example.com"),
        ]));
        let caller = gateway.caller(&keys, &parts).unwrap();
        assert_eq!(caller.workspace, "acme");
        assert_eq!(caller.role, Role::Agent);
        assert_eq!(caller.user.as_deref(), Some("ana@example.com"));
        // A token without the person's claim still calls, naming nobody.
        let parts = request_with_claims(Some(&[
            (COGNITO_WORKSPACE_CLAIM, "acme"),
            (COGNITO_ROLE_CLAIM, "owner"),
        ]));
        assert_eq!(gateway.caller(&keys, &parts).unwrap().user, None);

        // A valid shared-key token in the header does not stand in for the
        // authorizer's claims.
        let mut parts = request_with_claims(None);
        let token = keys.sign("acme", Role::Owner, 60);
        parts.headers.insert(
            axum::http::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        assert!(gateway.caller(&keys, &parts).is_err());
        assert!(Authentication::SharedKey.caller(&keys, &parts).is_ok());

        for claims in [
            &[(COGNITO_WORKSPACE_CLAIM, "acme")][..],
            &[(COGNITO_ROLE_CLAIM, "owner")],
            &[
                (COGNITO_WORKSPACE_CLAIM, "a#b"),
                (COGNITO_ROLE_CLAIM, "owner"),
            ],
            &[
                (COGNITO_WORKSPACE_CLAIM, "acme"),
                (COGNITO_ROLE_CLAIM, "root"),
            ],
        ] {
            let parts = request_with_claims(Some(claims));
            assert!(gateway.caller(&keys, &parts).is_err(), "{claims:?}");
        }
    }
}
