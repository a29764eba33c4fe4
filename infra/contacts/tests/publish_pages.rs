//! `contacts publish-pages` on moto's S3: every built file lands with the
//! type and caching the distribution serves it with, beside the
//! configuration that names the API and the sign-in page.

use contact_service::store::Clients;
use contacts::pages::{PagesConfig, PublishError, SignIn, publish};
use contacts::stack::moto::Moto;

fn built_pages() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pages-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    for (name, body) in [
        ("index.html", "<contacts-app></contacts-app>"),
        ("embed.html", "<contact-import></contact-import>"),
        ("contact-import.js", "export {}"),
        ("assets/app-BPCTUN27.js", "export {}"),
    ] {
        std::fs::write(dir.join(name), body).unwrap();
    }
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_are_published_with_their_types_caching_and_configuration() {
    let moto = Moto::start().await.expect("moto starts");
    let clients = Clients::local(&moto.endpoint, &[]);
    clients
        .s3
        .create_bucket()
        .bucket("site")
        .send()
        .await
        .unwrap();
    let config = PagesConfig {
        api_base: "https://abc.execute-api.us-east-1.amazonaws.com".into(),
        sign_in: Some(SignIn {
            domain: "contacts-123.auth.us-east-1.amazoncognito.com".into(),
            client_id: "client-1".into(),
        }),
    };
    let dir = built_pages();
    let published = publish(&clients.s3, "site", &dir, &config).await.unwrap();
    let order: Vec<&str> = published.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        order,
        [
            "assets/app-BPCTUN27.js",
            "contact-import.js",
            "embed.html",
            "config.json",
            "index.html"
        ],
        "hashed files first, the configuration before the page that reads it"
    );

    for (key, content_type, cache_control) in [
        (
            "assets/app-BPCTUN27.js",
            "text/javascript; charset=utf-8",
            "public, max-age=31536000, immutable",
        ),
        (
            "contact-import.js",
            "text/javascript; charset=utf-8",
            "no-cache",
        ),
        ("index.html", "text/html; charset=utf-8", "no-cache"),
        ("config.json", "application/json", "no-cache"),
    ] {
        let head = clients
            .s3
            .head_object()
            .bucket("site")
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(head.content_type(), Some(content_type), "{key}");
        assert_eq!(head.cache_control(), Some(cache_control), "{key}");
    }
    let written = clients
        .s3
        .get_object()
        .bucket("site")
        .key("config.json")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let written: serde_json::Value = serde_json::from_slice(&written).unwrap();
    assert_eq!(
        written,
        serde_json::json!({
            "api_base": "https://abc.execute-api.us-east-1.amazonaws.com",
            "sign_in": {"domain": "contacts-123.auth.us-east-1.amazoncognito.com", "client_id": "client-1"}
        })
    );

    // Pages never built: refused before anything is written.
    let empty = dir.join("assets");
    std::fs::remove_file(empty.join("app-BPCTUN27.js")).unwrap();
    let refused = publish(&clients.s3, "other", &empty, &config).await;
    assert!(
        matches!(&refused, Err(PublishError::NotBuilt(_))),
        "{refused:?}"
    );
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("build the pages first (make pages)")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
