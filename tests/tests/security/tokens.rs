//! Tokens: expired, unsigned, or naming no role or an unsafe workspace, are
//! refused.

use super::*;

// ---- Tokens ----------------------------------------------------------------

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A JWT with `header` and `claims`, signed HS256 with `secret`.
fn jwt(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let signing = format!(
        "{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    );
    format!("{signing}.{}", base64url(&hmac(secret, signing.as_bytes())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_stale_tokens_are_refused() {
    let s = stack();
    let secret = contacts::stack::local::DEFAULT_SECRET.as_bytes();
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let later = now() + 3600;
    let claims =
        |ws: &str, role: &str, exp: i64| json!({"workspace_id": ws, "role": role, "exp": exp});
    // The crafting is right: a well-formed token is taken.
    let good = jwt(&hs256, &claims("sec-tokens", "owner", later), secret);
    let answer = ok(ApiClient::new(&s.api_url, Some(good))
        .call("GET", "/v1/settings", None)
        .await);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let refused = [
        (
            "expired",
            jwt(&hs256, &claims("sec-tokens", "owner", now() - 3600), secret),
        ),
        (
            "no expiry",
            jwt(
                &hs256,
                &json!({"workspace_id": "sec-tokens", "role": "owner"}),
                secret,
            ),
        ),
        (
            "an unknown role",
            jwt(&hs256, &claims("sec-tokens", "admin", later), secret),
        ),
        (
            "no workspace",
            jwt(&hs256, &json!({"role": "owner", "exp": later}), secret),
        ),
        (
            "an unsafe workspace",
            jwt(&hs256, &claims("a#b", "owner", later), secret),
        ),
        (
            "an empty workspace",
            jwt(&hs256, &claims("", "owner", later), secret),
        ),
        (
            "no signature",
            format!(
                "{}.{}.",
                base64url(json!({"alg": "none", "typ": "JWT"}).to_string().as_bytes()),
                base64url(claims("sec-tokens", "owner", later).to_string().as_bytes())
            ),
        ),
        (
            "another algorithm",
            jwt(
                &json!({"alg": "HS512", "typ": "JWT"}),
                &claims("sec-tokens", "owner", later),
                secret,
            ),
        ),
    ];
    for (what, token) in refused {
        let answer = ok(ApiClient::new(&s.api_url, Some(token))
            .call("GET", "/v1/settings", None)
            .await);
        assert_error(&answer, 401, "unauthorized", what);
    }
}
