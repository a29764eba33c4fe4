//! Logs: no phone number or email in clear in any event of the process.

use super::*;

// ---- Logs ------------------------------------------------------------------

/// Every `+` followed by eight digits or more: an E.164 number in clear.
fn numbers_in_clear(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'+' {
            let digits = bytes[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits >= 8 {
                found.push(text[i..i + 1 + digits].to_string());
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_name_ids_and_counts_never_a_phone_or_an_email() {
    let s = stack();
    let ws = "sec-logs";
    let api = s.owner(ws);
    let settings = json!({"default_country": "EC"});
    assert_eq!(
        ok(api.call("PUT", "/v1/settings", Some(&settings)).await).status,
        200
    );
    let bytes = file(&[
        "Nombre,Teléfono,Correo".into(),
        "Ana,+593 99 765 4321,Ana.Log@Example.com".into(),
        "Bruno,099 765 4322,bruno.log@example.com".into(),
        "Caro,no es un número,caro.log@@example.com".into(),
        "Dani,+5511987654323,dani.log@loja.com.br".into(),
        "Eva,+5511987654323,eva.log@loja.com.br".into(),
    ]);
    let mut secrets: Vec<String> = [
        "+593997654321",
        "593997654321",
        "+593 99 765 4321",
        "+593997654322",
        "099 765 4322",
        "+5511987654323",
        "5511987654323",
        "Ana.Log@Example.com",
        "ana.log@example.com",
        "bruno.log@example.com",
        "caro.log@@example.com",
        "dani.log@loja.com.br",
        "eva.log@loja.com.br",
    ]
    .map(String::from)
    .to_vec();
    let import = reviewed(&api, "registros.csv", &bytes, None).await;
    let id = id_of(&import);
    let done = confirmed(&api, &id).await;
    assert_eq!(done["result"]["imported"], 2, "{done}");

    // The contacts API, with values it refuses and values it takes.
    for (method, path, body, status) in [
        (
            "POST",
            "/v1/contacts".to_string(),
            json!({"first_name": "Fe", "phone": "+593 99 765 43ab"}),
            400,
        ),
        (
            "POST",
            "/v1/contacts".to_string(),
            json!({"first_name": "Fe", "email": "fe.log@@example.com"}),
            400,
        ),
        (
            "POST",
            "/v1/contacts".to_string(),
            json!({"first_name": "Fe", "phone": "+593997654330", "email": "fe.log@example.com"}),
            201,
        ),
        (
            "POST",
            "/v1/contacts".to_string(),
            json!({"first_name": "Gil", "phone": "+593997654330"}),
            409,
        ),
    ] {
        let answer = ok(api.call(method, &path, Some(&body)).await);
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
    }
    secrets.extend(
        [
            "+593 99 765 43ab",
            "fe.log@@example.com",
            "+593997654330",
            "fe.log@example.com",
        ]
        .map(String::from),
    );
    let fe = ok(api
        .call(
            "GET",
            &format!("/v1/contacts?phone={}", query_value("+593997654330")),
            None,
        )
        .await);
    let fe = fe.body["items"][0]["id"].as_str().unwrap().to_string();
    for (body, status) in [
        (json!({"phone": "099 765 43xx"}), 400),
        (
            json!({"email": "fe.nuevo@example.com", "phone": "0997654331"}),
            200,
        ),
    ] {
        let answer = ok(api
            .call("PATCH", &format!("/v1/contacts/{fe}"), Some(&body))
            .await);
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
    }
    secrets.extend(
        [
            "099 765 43xx",
            "fe.nuevo@example.com",
            "+593997654331",
            "0997654331",
        ]
        .map(String::from),
    );

    // A message a parser echoes back into its error: the error is logged
    // with the number masked.
    let poison = json!({"workspace": ws, "import": id, "generation": "+593997654399"}).to_string();
    s.clients
        .sqs
        .send_message()
        .queue_url(&s.rows_queue_url)
        .message_body(poison)
        .send()
        .await
        .unwrap();
    secrets.push("+593997654399".into());
    let captured = logs();
    eventually(PIPELINE_TIMEOUT, "the worker's complaint", || async {
        captured.text().contains("+593*******99").then_some(())
    })
    .await;

    let text = captured.text();
    for expected in [
        id.as_str(),
        "upload reviewed",
        "import completed",
        "contact created",
        "invalid_contact",
        "message not handled",
    ] {
        assert!(text.contains(expected), "the logs name {expected}");
    }
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "{secret} is in the logs");
    }
    assert_eq!(numbers_in_clear(&text), Vec::<String>::new());
    // One JSON object a line, its fields apart from its message.
    for line in text.lines() {
        let event: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(event["level"].is_string(), "{line}");
        assert!(event["fields"]["message"].is_string(), "{line}");
    }
    let reviewed_event = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| {
            e["fields"]["message"] == "upload reviewed" && e["fields"]["import"] == id.as_str()
        })
        .expect("the review's event");
    assert_eq!(reviewed_event["fields"]["rows"], 5, "{reviewed_event}");
    assert_eq!(
        reviewed_event["fields"]["workspace"], ws,
        "{reviewed_event}"
    );
}
