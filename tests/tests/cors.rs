//! CORS on the local stack, as the template configures it on AWS: a page
//! on an allowed origin may call the API (its preflight answered, every
//! answer — refusals included — readable, the ETag exposed) and PUT its
//! file to the presigned URL; a page on another origin gets no CORS
//! headers, so its browser refuses to read anything.

use contacts::stack::local::ALLOWED_ORIGINS;
use contacts::stack::template::{TEMPLATE_PATH, Template};
use end_to_end::{ok, shared};
use serde_json::json;

const EVIL: &str = "https://not-allowed.example";

/// The origin the shared stack allows: the template's default.
fn allowed_origin() -> String {
    let template = Template::load(std::path::Path::new(TEMPLATE_PATH)).unwrap();
    let origins = template.list_parameter_default(ALLOWED_ORIGINS).unwrap();
    origins
        .first()
        .expect("an allowed origin by default")
        .clone()
}

fn allow_origin(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_on_an_allowed_origin_may_call_the_api_and_upload_to_the_bucket() {
    let s = shared();
    let origin = allowed_origin();
    let http = reqwest::Client::new();
    let token = s
        .auth
        .keys
        .sign("cors-page", contact_service::operations::Role::Owner, 3600);

    // The preflight of a JSON POST with a token.
    let preflight = |origin: String| {
        http.request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/imports", s.api_url),
        )
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
    };
    let answer = preflight(origin.clone()).await.unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    assert_eq!(allow_origin(&answer).as_deref(), Some(origin.as_str()));
    let methods = answer.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        methods.contains("POST") && methods.contains("PATCH"),
        "{methods}"
    );
    let headers = answer.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("if-match"),
        "{headers}"
    );
    // Another origin is not allowed.
    let refused = preflight(EVIL.into()).await.unwrap();
    assert_eq!(allow_origin(&refused), None);

    // The answers themselves, the settings' ETag readable.
    let settings = http
        .get(format!("{}/v1/settings", s.api_url))
        .header("origin", &origin)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(settings.status(), 200);
    assert_eq!(allow_origin(&settings).as_deref(), Some(origin.as_str()));
    let exposed = settings.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(exposed.contains("etag"), "{exposed}");
    // A refusal is readable too, so the page can say why.
    let unauthorized = http
        .get(format!("{}/v1/settings", s.api_url))
        .header("origin", &origin)
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(
        allow_origin(&unauthorized).as_deref(),
        Some(origin.as_str())
    );
    let elsewhere = http
        .get(format!("{}/v1/settings", s.api_url))
        .header("origin", EVIL)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(allow_origin(&elsewhere), None);

    // The upload: the bucket answers the PUT's preflight and the PUT.
    let api = s.owner("cors-page");
    let bytes = b"Nombre,Celular\nAna,+593991234560\n".to_vec();
    let created = ok(api
        .call(
            "POST",
            "/v1/imports",
            Some(&json!({"file_name": "navegador.csv", "size_bytes": bytes.len()})),
        )
        .await);
    assert_eq!(created.status, 201, "{}", created.body);
    let url = created.body["upload"]["url"].as_str().unwrap().to_string();
    let put_preflight = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", &origin)
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(
        put_preflight.status().is_success(),
        "{}",
        put_preflight.status()
    );
    assert_eq!(
        allow_origin(&put_preflight).as_deref(),
        Some(origin.as_str())
    );
    let put = http
        .put(&url)
        .header("origin", &origin)
        .header("content-type", "text/csv")
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(allow_origin(&put).as_deref(), Some(origin.as_str()));
    let evil_preflight = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", EVIL)
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    assert_eq!(allow_origin(&evil_preflight), None);
}
