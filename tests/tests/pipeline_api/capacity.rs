//! DynamoDB's capacity as the local stack models it (`infra/local/capacity.py`):
//! the units an import consumes are counted the way AWS bills them, and a
//! table capped below what an import asks for answers
//! `ProvisionedThroughputExceededException`, as DynamoDB does, so that the
//! retry paths run under real pressure rather than only injected faults.

use contacts::stack::capacity::{CapacityReport, Caps};
use contacts::stack::local::Stack;

use super::*;

const ROWS: u32 = 300;

/// Imports [`ROWS`] new contacts of the generated file into `ws` on a
/// stack of its own, and answers the stack with the units the import's
/// workers consumed (from the confirm on).
async fn imported_units(ws: &str, name: &str) -> (Stack, CapacityReport) {
    let stack = own_stack(StackOptions::default()).await;
    let api = end_to_end::client(&stack.api_url, &stack.auth, ws, Role::Owner);
    let review = reviewed(&api, name, &generated_file(0, ROWS), None).await;
    stack.capacity.reset().await.expect("the meter answers");
    let done = confirmed(&api, &id_of(&review)).await;
    assert_eq!(result_counts(&done), [u64::from(ROWS), 0, 0, 0]);
    let units = stack.capacity.report().await.expect("the meter answers");
    (stack, units)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_contact_costs_its_items_twice_in_a_transaction_plus_one_write_per_index_it_enters() {
    let (stack, units) = imported_units("ws-units", "units.csv").await;
    let rows = f64::from(ROWS);
    println!(
        "per row: {:.2} write units ({:.2} on indexes), {:.2} read units; by operation {:#?}",
        units.write_units() / rows,
        units.index_write_units() / rows,
        units.read_units() / rows,
        units.operations
    );
    // Each new contact is its item and its phone and email claims, written
    // in transactions: at least 2 units each.
    let transactions = &units.operations["TransactWriteItems"];
    assert!(
        transactions.write >= 2.0 * 3.0 * rows,
        "{} write units in transactions for {ROWS} new contacts",
        transactions.write
    );
    // And it enters the indexes its attributes key: at least the
    // creation order's and the first name's.
    for index in ["created", "name"] {
        let place = units
            .places
            .iter()
            .find(|(place, _)| place.ends_with(&format!("/{index}")))
            .unwrap_or_else(|| panic!("no writes counted on index {index}: {:?}", units.places));
        assert!(
            place.1.write >= rows,
            "index {index}: {} write units for {ROWS} new contacts",
            place.1.write
        );
    }
    assert_eq!(units.throttled(), 0);
    stack.stop().await;
}

/// What keeps a new contact's write units down (docs/CAPACITY.md): its
/// "created" line is its own attribute, not a history item; its first two
/// tags, groups or values ride on its item in the value indexes, at one
/// unit an entry; it is not copied into the listing index; and its item
/// stays under 1 KB. So a new contact of the generated file (a name, a
/// phone, an email, the import's tag and at times a few more) costs its
/// transaction's three items (6 units), an index entry per thing it is
/// found by, and a third item now and then: at most 13 units, where it
/// was 17.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_contact_writes_no_history_item_and_keeps_its_first_values_on_its_item() {
    let (stack, units) = imported_units("ws-cut", "cut.csv").await;
    let rows = f64::from(ROWS);
    assert!(
        units
            .kinds
            .keys()
            .all(|kind| !kind.split(' ').any(|word| word == "ACT")),
        "no history item: {:#?}",
        units.kinds
    );
    let contacts = units
        .kinds
        .iter()
        .find(|(kind, _)| kind.ends_with("C CONTACT"))
        .map(|(_, units)| *units)
        .expect("contacts written");
    assert_eq!(
        contacts,
        2.0 * rows,
        "one unit each, twice in a transaction"
    );
    let place = |index: &str| {
        units
            .places
            .iter()
            .find(|(place, _)| place.ends_with(&format!("/{index}")))
            .map_or(0.0, |(_, place)| place.write)
    };
    assert_eq!(place("value_1"), rows, "every contact has the import's tag");
    // Only the import's own listing entry moves in `gsi1` (its counts):
    // contacts are listed by the created index.
    assert!(place("gsi1") < rows / 10.0, "{:#?}", units.places);
    let per_contact = units.write_units() / rows;
    assert!(
        per_contact <= 13.0,
        "{per_contact:.2} write units a new contact: {:#?}",
        units.places
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_out_of_write_capacity_throttles_and_the_import_still_ends_with_every_row_imported_once()
 {
    let stack = own_stack(StackOptions::default()).await;
    let api = end_to_end::client(&stack.api_url, &stack.auth, "ws-throttled", Role::Owner);
    let review = reviewed(&api, "throttled.csv", &generated_file(0, ROWS), None).await;
    // Far below what moto takes (thousands of units a second): the workers'
    // writes outrun it at once.
    stack
        .capacity
        .cap(Caps {
            read: None,
            write: Some(400.0),
        })
        .await
        .expect("the meter answers");
    let done = confirmed(&api, &id_of(&review)).await;
    stack
        .capacity
        .cap(Caps::default())
        .await
        .expect("the meter answers");
    let units = stack.capacity.report().await.expect("the meter answers");
    assert!(
        units.throttled() > 0,
        "no call was throttled: {:#?}",
        units.operations
    );
    assert_eq!(
        result_counts(&done),
        [u64::from(ROWS), 0, 0, 0],
        "{}",
        done["result"]
    );
    // Row by row: each row imported, once, with its own contact.
    let result = result_file(&api, &id_of(&review), b',').await;
    assert_eq!(result.rows.len(), ROWS as usize);
    let n = result.headers.len();
    let mut ids = std::collections::BTreeSet::new();
    for (i, row) in result.rows.iter().enumerate() {
        assert_eq!(row[0], format!("Person {i}"), "row {} in file order", i + 2);
        assert_eq!(row[n - 3], "Imported", "row {}: {row:?}", i + 2);
        assert!(
            ids.insert(row[n - 1].clone()),
            "row {} shares a contact",
            i + 2
        );
    }
    let plan = ok(api.call("GET", "/v1/plan", None).await);
    assert_eq!(plan.body["count"], u64::from(ROWS), "{}", plan.body);
    stack.stop().await;
}

/// The meter's rules, one call at a time on the stack's own table: an item
/// entering an index, its index key moving (the old entry deleted and the
/// new one put), a change the index does not hold, a write whose condition
/// fails, and a delete, each costs what AWS bills.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_write_costs_its_item_and_each_index_what_it_holds_of_the_item() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let stack = own_stack(StackOptions::default()).await;
    let (db, table) = (&stack.clients.dynamodb, &stack.resources.names.table);
    let s = |v: &str| AttributeValue::S(v.into());
    let key = || {
        [("pk", "W#meter#X#1"), ("sk", "X")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), s(v)))
            .collect::<std::collections::HashMap<_, _>>()
    };
    stack.capacity.reset().await.expect("the meter answers");
    // Enters the `country` index: 1 for the table, 1 for the index.
    let mut item = key();
    item.insert("ix_country_pk".into(), s("W#meter#country#ec"));
    item.insert("ix_created_sk".into(), s("1"));
    db.put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    // Its index key moves: 1 for the table, 2 for the index.
    db.update_item()
        .table_name(table)
        .set_key(Some(key()))
        .update_expression("SET ix_created_sk = :k")
        .expression_attribute_values(":k", s("2"))
        .send()
        .await
        .unwrap();
    // An attribute the index does not project: 1 for the table alone.
    db.update_item()
        .table_name(table)
        .set_key(Some(key()))
        .update_expression("SET note = :n")
        .expression_attribute_values(":n", s("x"))
        .send()
        .await
        .unwrap();
    // A put whose condition fails still costs its write, and no index's.
    let refused = db
        .put_item()
        .table_name(table)
        .set_item(Some(key()))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    assert!(refused.is_err(), "the item exists");
    // Leaves the index: 1 for the table, 1 for the index.
    db.delete_item()
        .table_name(table)
        .set_key(Some(key()))
        .send()
        .await
        .unwrap();
    let units = stack.capacity.report().await.expect("the meter answers");
    let write = |operation: &str| units.operations[operation].write;
    assert_eq!(write("PutItem"), 1.0 + 1.0 + 1.0, "{:#?}", units.operations);
    assert_eq!(
        write("UpdateItem"),
        1.0 + 2.0 + 1.0,
        "{:#?}",
        units.operations
    );
    assert_eq!(write("DeleteItem"), 1.0 + 1.0, "{:#?}", units.operations);
    assert_eq!(
        units.places[&format!("{table}/country")].write,
        4.0,
        "{:#?}",
        units.places
    );
    stack.stop().await;
}
