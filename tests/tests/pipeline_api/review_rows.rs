//! The review row by row, through HTTP: its rows paged and filtered by
//! predicted status with each reason beside its column, samples of each
//! column, and corrections (cells fixed, rows dropped) that validate the
//! same upload again and are what the workers import and the result file
//! shows. A bad correction is refused whole and changes nothing.

use super::*;

/// Every page of `GET …/rows` with `query`, following the cursors.
async fn all_rows(api: &ApiClient, id: &str, query: &str) -> (Vec<Value>, usize) {
    let mut rows = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/imports/{id}/rows?limit=3{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = ok(api.call("GET", &path, None).await);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        pages += 1;
        rows.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return (rows, pages),
        }
    }
}

fn row_numbers(rows: &[Value]) -> Vec<u64> {
    rows.iter().map(|r| r["row"].as_u64().unwrap()).collect()
}

/// Nine rows: two with a bad phone (rows 3 and 7), two repeating a phone
/// (rows 5 and 9), the other five good.
fn nine_rows() -> Vec<u8> {
    file(&[
        "Nombre;Celular;Ciudad".into(),
        format!("Ana;{};Quito", ec_phone(8_100_001)),
        "Beto;no es un número;Loja".into(),
        format!("Caro;{};Cuenca", ec_phone(8_100_003)),
        format!("Dani;{};Ambato", ec_phone(8_100_009)),
        format!("Eva;{};Quito", ec_phone(8_100_005)),
        "Fabi;12;Manta".into(),
        format!("Gabo;{};Tena", ec_phone(8_100_007)),
        format!("Hugo;{};Puyo", ec_phone(8_100_009)),
        format!("Iris;{};Baños", ec_phone(8_100_010)),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_rows_are_paged_in_file_order_and_filtered_by_status() {
    let api = shared().owner("api-review-rows");
    let import = reviewed(
        &api,
        "filas.csv",
        &nine_rows(),
        Some(json!({"default_country": "EC"})),
    )
    .await;
    let id = id_of(&import);

    // Samples of each column, for the mapping step.
    assert_eq!(import["samples"][0], json!(["Ana", "Beto", "Caro"]));
    assert_eq!(import["samples"][2], json!(["Quito", "Loja", "Cuenca"]));

    // Every row, in file order, over pages of three.
    let (rows, pages) = all_rows(&api, &id, "").await;
    assert_eq!(row_numbers(&rows), (2..=10).collect::<Vec<_>>());
    assert_eq!(pages, 3);
    let statuses: Vec<(u64, &str)> = rows
        .iter()
        .map(|r| (r["row"].as_u64().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            (2, "Imported"),
            (3, "Error"),
            (4, "Imported"),
            (5, "Error"),
            (6, "Imported"),
            (7, "Error"),
            (8, "Imported"),
            (9, "Error"),
            (10, "Imported"),
        ]
    );
    let by_row = |n: u64| rows.iter().find(|r| r["row"] == n).unwrap().clone();
    // Each reason beside the column it names.
    let beto = by_row(3);
    assert_eq!(beto["status"], "Error");
    assert_eq!(beto["cells"], json!(["Beto", "no es un número", "Loja"]));
    assert_eq!(beto["issues"][0]["column"], 1);
    assert!(
        beto["issues"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Celular: \"no es un número\""),
        "{beto}"
    );

    // Only the errors: the same rows as the error file, in order.
    let (errors, _) = all_rows(&api, &id, "&status=error").await;
    let error_rows = row_numbers(&errors);
    assert!(errors.iter().all(|r| r["status"] == "Error"));
    let errors_file = error_file(&api, &id, b';').await;
    assert_eq!(error_rows.len(), errors_file.rows.len());
    assert_eq!(
        errors.len() as u64,
        import["review"]["errors"].as_u64().unwrap()
    );
    let (added, _) = all_rows(&api, &id, "&status=imported").await;
    assert_eq!(
        added.len() as u64,
        import["review"]["to_add"].as_u64().unwrap()
    );

    // Bad queries say what is wrong.
    for (query, code) in [
        ("?status=nuevo", "invalid_query"),
        ("?limit=0", "invalid_query"),
        ("?limit=101", "invalid_query"),
        ("?cursor=nada", "invalid_cursor"),
        ("?cursor=1.5.0.0.0", "invalid_cursor"),
        ("?cursor=99.0.0.0.0", "invalid_cursor"),
    ] {
        let answer = ok(api
            .call("GET", &format!("/v1/imports/{id}/rows{query}"), None)
            .await);
        assert_error(&answer, 400, code);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_cell_and_a_dropped_row_are_what_the_workers_import_and_the_result_shows() {
    let api = shared().owner("api-review-fix");
    let import = reviewed(
        &api,
        "arreglos.csv",
        &nine_rows(),
        Some(json!({"default_country": "EC"})),
    )
    .await;
    let id = id_of(&import);
    assert_eq!(import["review"]["errors"], 4, "{import}");
    let generation_cursor = ok(api
        .call("GET", &format!("/v1/imports/{id}/rows?limit=1"), None)
        .await)
    .body["cursor"]
        .as_str()
        .unwrap()
        .to_string();

    // Fix Beto's phone, drop Fabi's row and Hugo's, which repeats Dani's
    // phone.
    let fixed_phone = ec_phone(8_100_002);
    let answer = ok(api
        .call(
            "POST",
            &format!("/v1/imports/{id}/corrections"),
            Some(&json!({
                "cells": [{"row": 3, "column": 1, "value": fixed_phone}],
                "drop": [7, 9]
            })),
        )
        .await);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["status"], "validating");
    let now = ok(api
        .wait_for(&id, PIPELINE_TIMEOUT, |i| i["status"] == "review")
        .await);
    assert_eq!(review_counts(&now), [9, 7, 0, 2, 0], "{now}");
    assert_eq!(
        now["corrections"],
        json!([
            {"row": 3, "cells": [{"column": 1, "value": fixed_phone}]},
            {"row": 7, "dropped": true},
            {"row": 9, "dropped": true}
        ])
    );
    // A cursor of the review before is refused: the rows changed.
    let stale = ok(api
        .call(
            "GET",
            &format!("/v1/imports/{id}/rows?cursor={generation_cursor}"),
            None,
        )
        .await);
    assert_error(&stale, 400, "invalid_cursor");
    let (rows, _) = all_rows(&api, &id, "").await;
    let beto = rows.iter().find(|r| r["row"] == 3).unwrap();
    assert_eq!(beto["status"], "Imported");
    assert_eq!(beto["corrected"], json!([1]));
    assert_eq!(beto["cells"][1], fixed_phone.as_str());
    let fabi = rows.iter().find(|r| r["row"] == 7).unwrap();
    assert_eq!(
        (fabi["status"].as_str(), fabi["dropped"].as_bool()),
        (Some("Skipped"), Some(true))
    );

    // Confirmed: the result file shows the corrected value and the dropped
    // rows as Skipped, every row in order.
    confirmed(&api, &id).await;
    let done = completed(&api, &id).await;
    assert_eq!(result_counts(&done), [7, 0, 2, 0]);
    let result = result_file(&api, &id, b';').await;
    assert_eq!(result.rows.len(), 9);
    assert_eq!(result.cell(1, "Celular"), fixed_phone);
    assert_eq!(result.cell(1, "Import Status"), "Imported");
    assert_eq!(result.cell(5, "Import Status"), "Skipped");
    assert_eq!(
        result.cell(5, "Errors"),
        "removed from the import in the review"
    );
    assert_eq!(result.cell(7, "Import Status"), "Skipped", "Hugo");
    assert_eq!(result.cell(6, "Import Status"), "Imported", "Gabo");
    assert_eq!(
        result.cell(3, "Import Status"),
        "Imported",
        "Dani, no longer repeated"
    );
    assert!(
        result.cell(1, "Contact ID").starts_with("c_"),
        "Beto is a contact"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_correction_is_refused_whole_and_changes_nothing() {
    let api = shared().owner("api-review-bad-fix");
    let import = reviewed(
        &api,
        "malos.csv",
        &nine_rows(),
        Some(json!({"default_country": "EC"})),
    )
    .await;
    let id = id_of(&import);
    let path = format!("/v1/imports/{id}/corrections");
    let long = "x".repeat(256);
    for (body, code, words) in [
        (json!({}), "invalid_corrections", "nothing to change"),
        (
            json!({"drop": [1]}),
            "invalid_corrections",
            "row 1 is not a data row",
        ),
        (
            json!({"drop": [2, 11]}),
            "invalid_corrections",
            "rows 2 to 10",
        ),
        (
            json!({"cells": [{"row": 3, "column": 3, "value": "x"}]}),
            "invalid_corrections",
            "column 3 is not a column",
        ),
        (
            json!({"cells": [{"row": 3, "column": 1, "value": long}]}),
            "invalid_corrections",
            "longer than 255",
        ),
        (json!({"drop": ["dos"]}), "invalid_body", ""),
        (json!({"quitar": [2]}), "invalid_body", ""),
    ] {
        let answer = ok(api.call("POST", &path, Some(&body)).await);
        assert_error(&answer, 400, code);
        assert!(
            answer.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(words),
            "{body}: {}",
            answer.body
        );
    }
    let after = ok(api.call("GET", &format!("/v1/imports/{id}"), None).await).body;
    assert_eq!(after["status"], "review");
    assert_eq!(after["corrections"], json!([]));
    assert_eq!(review_counts(&after), review_counts(&import));

    // Not in review: refused with the import's status.
    confirmed(&api, &id).await;
    let late = ok(api.call("POST", &path, Some(&json!({"drop": [2]}))).await);
    assert_error(&late, 409, "not_in_review");
}
