//! The default country: the review says which one it read numbers in and
//! where it came from (or that none is set), a number written without its
//! country code says what it needs when none is, and a look-up by a value
//! that cannot be an identifier says why instead of finding no one.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_says_which_default_country_is_in_force_and_a_local_number_asks_for_one() {
    let ws = "api-default-country";
    let api = shared().owner(ws);
    let bytes = file(&[
        "Nombre,Celular".into(),
        "Ana,0991200001".into(),
        "Luis,+593991200002".into(),
    ]);

    // None set: the local number is an error that says to set one.
    let import = reviewed(&api, "sin-pais.csv", &bytes, None).await;
    let id = id_of(&import);
    assert_eq!(
        import["default_country"],
        json!({"code": null, "from": "none"})
    );
    assert_eq!(review_counts(&import), [2, 1, 0, 0, 1]);
    let errors = error_file(&api, &id, b',').await;
    assert_eq!(errors.rows.len(), 1, "{:?}", errors.rows);
    let message = errors.rows[0].last().unwrap();
    assert!(message.contains("country code"), "{message}");
    assert!(message.contains("default country"), "{message}");

    // Set on the import: in force, from the import.
    let patch = ok(api
        .call(
            "PATCH",
            &format!("/v1/imports/{id}"),
            Some(&json!({"options": {"default_country": "ec"}})),
        )
        .await);
    assert_eq!(patch.status, 200, "{}", patch.body);
    let now = ok(api
        .wait_for(&id, PIPELINE_TIMEOUT, |i| i["status"] == "review")
        .await);
    assert_eq!(
        now["default_country"],
        json!({"code": "EC", "from": "import"})
    );
    assert_eq!(review_counts(&now), [2, 2, 0, 0, 0]);

    // Set in the workspace's settings: in force, from the workspace.
    let settings = ok(api
        .call(
            "PATCH",
            "/v1/settings",
            Some(&json!({"default_country": "EC"})),
        )
        .await);
    assert_eq!(settings.status, 200, "{}", settings.body);
    let other = reviewed(&api, "con-pais.csv", &bytes, None).await;
    assert_eq!(
        other["default_country"],
        json!({"code": "EC", "from": "workspace"})
    );
    assert_eq!(review_counts(&other), [2, 2, 0, 0, 0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_look_up_by_a_value_that_cannot_be_an_identifier_answers_400_saying_why() {
    let api = shared().owner("api-lookup-values");
    for (query, said) in [
        ("phone=abc", "\"abc\" is not a phone number"),
        ("phone=0991234567", "default country"),
        ("phone=-", "holds no digits"),
        (
            "email=no-es-correo",
            "\"no-es-correo\" is not an email address",
        ),
    ] {
        let answer = ok(api
            .call("GET", &format!("/v1/contacts?{query}"), None)
            .await);
        assert_error(&answer, 400, "invalid_query");
        let message = answer.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(said), "{query}: {message}");
    }
    // A number that can be someone's but is no one's finds no one.
    let answer = ok(api
        .call("GET", "/v1/contacts?phone=%2B593991299999", None)
        .await);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["items"], json!([]));
}
