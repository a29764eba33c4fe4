//! A file's identifiers are looked up side by side, not one call after
//! another: on AWS each `BatchGetItem` is a round trip, and 2,000 of them in
//! series would add tens of seconds to a 200,000-row review. moto answers
//! at once, so the test counts the calls the validator had outstanding at
//! the same time (`InFlight`), and checks every row's review outcome.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_s_identifiers_are_looked_up_several_calls_at_once_with_each_row_s_answer_in_place()
{
    let stack = own_stack(StackOptions::default()).await;
    let api = end_to_end::client(&stack.api_url, &stack.auth, "ws-lookups", Role::Owner);
    // 1,200 rows: 12 look-up calls of 100. Rows 300 to 349 are contacts
    // already (an earlier import), so they update; the rest are new.
    let first = reviewed(&api, "antes.csv", &generated_file(300, 50), None).await;
    confirmed(&api, &end_to_end::id_of(&first)).await;
    stack.in_flight.reset();
    let review = reviewed(&api, "grande.csv", &generated_file(0, 1200), None).await;
    assert_eq!(
        review_counts(&review),
        [1200, 1150, 50, 0, 0],
        "{}",
        review["review"]
    );
    // Row by row: exactly the known phones' rows update (person n is on
    // line n + 2), so each answer landed on its own row.
    let updates = ok(api
        .call(
            "GET",
            &format!(
                "/v1/imports/{}/rows?status=Updated&limit=100",
                id_of(&review)
            ),
            None,
        )
        .await);
    assert_eq!(updates.status, 200, "{}", updates.body);
    let rows: Vec<u64> = updates.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, (302..352).collect::<Vec<u64>>());
    let at_once = stack.in_flight.most_at_once("BatchGetItem");
    assert!(
        at_once >= 2,
        "look-ups ran one at a time ({at_once} at once)"
    );
    stack.stop().await;
}
