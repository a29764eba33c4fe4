//! The workspace's contact quota: the rows past it end in error, with each
//! purpose that creates contacts.

use super::*;

/// The quota: rows past it are errors, in file order; updates are not
/// counted; the next import finds it used up.
pub(crate) async fn quota_case(ws: &str, purpose: &str) {
    let api = shared().owner(ws);
    // The seeded contact counts toward the month's limit: 3 places are left.
    seed_contact(&api, json!({"first_name": "Ya", "phone": ec_phone(5_000)})).await;
    set_contact_limit(ws, 4).await;
    let known_row = match purpose {
        // The known contact is updated: it takes none of the quota.
        "add_and_update" => ("Updated", ""),
        "add_new" => ("Skipped", "already exists"),
        // add_all creates it again, taking the quota's third place.
        _ => ("Imported", ""),
    };
    let bytes = file(&[
        "First Name,Phone".into(),
        format!("Uno,{}", ec_phone(5_001)),
        format!("Dos,{}", ec_phone(5_002)),
        format!("Ya,{}", ec_phone(5_000)),
        format!("Tres,{}", ec_phone(5_003)),
        format!("Cuatro,{}", ec_phone(5_004)),
        format!("Cinco,{}", ec_phone(5_005)),
    ]);
    let import = reviewed(&api, "cupo.csv", &bytes, Some(json!({"purpose": purpose}))).await;
    let id = id_of(&import);
    let expected: Vec<Expected<'_>> = if purpose == "add_all" {
        vec![
            ("Imported", ""),
            ("Imported", ""),
            known_row,
            ("Error", "limit"),
            ("Error", "limit"),
            ("Error", "limit"),
        ]
    } else {
        vec![
            ("Imported", ""),
            ("Imported", ""),
            known_row,
            ("Imported", ""),
            ("Error", "limit"),
            ("Error", "limit"),
        ]
    };
    let count = |s: &str| expected.iter().filter(|e| e.0 == s).count() as u64;
    let (added, updated, skipped, errors) = (
        count("Imported"),
        count("Updated"),
        count("Skipped"),
        count("Error"),
    );
    assert_eq!(added, 3, "the quota is used up exactly");
    assert_eq!(
        review_counts(&import),
        [6, added, updated, skipped, errors],
        "{import}"
    );
    let done = confirmed(&api, &id).await;
    assert_eq!(
        result_counts(&done),
        [added, updated, skipped, errors],
        "{done}"
    );
    let result = result_file(&api, &id, b',').await;
    assert_rows(&result, &strs(&first_column(&bytes)), &expected);
    for (i, (status, _)) in expected.iter().enumerate() {
        if *status == "Error" {
            let phone = result.cell(i, "Phone");
            assert!(
                by_phone(&api, phone).await.is_empty(),
                "row {} created",
                i + 2
            );
        }
    }

    // The next import finds the quota used up.
    let more = file(&[
        "First Name,Phone".into(),
        format!("Seis,{}", ec_phone(5_006)),
    ]);
    let again = reviewed(&api, "mas.csv", &more, Some(json!({"purpose": purpose}))).await;
    assert_eq!(review_counts(&again), [1, 0, 0, 0, 1], "{again}");
    let cancelled = ok(api
        .call("DELETE", &format!("/v1/imports/{}", id_of(&again)), None)
        .await);
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(crate) async fn quota_used_up_errors_the_rows_past_it_with_add_new() {
    quota_case("rows-quota-add-new", "add_new").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(crate) async fn quota_used_up_errors_the_rows_past_it_with_add_and_update() {
    quota_case("rows-quota-add-and-update", "add_and_update").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(crate) async fn quota_used_up_errors_the_rows_past_it_with_add_all() {
    quota_case("rows-quota-add-all", "add_all").await;
}
