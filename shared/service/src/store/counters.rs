//! The month's count of contacts created, one counter item a workspace and
//! month: the atomic check every creation (API or import) passes against
//! the plan's limit.

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::error::StoreError;
use super::keys;
use super::table::{Table, key, n};

/// Contacts the workspace created in `month` (`yyyy-mm`).
pub(crate) async fn created(table: &Table, ws: &str, month: &str) -> Result<u64, StoreError> {
    Ok(table
        .get(key(keys::workspace(ws), &keys::counters_sk(month)))
        .await?
        .and_then(|item| item.get("contacts_created")?.as_n().ok()?.parse().ok())
        .unwrap_or(0))
}

/// Adds `count` new contacts to `month`'s counter, and with a `limit`
/// only while the total stays within it. `None` when `count` alone exceeds
/// the limit.
pub(crate) fn take(
    table: &Table,
    ws: &str,
    month: &str,
    count: u64,
    limit: Option<u64>,
) -> Option<TransactWriteItem> {
    let mut update = table
        .update(
            key(keys::workspace(ws), &keys::counters_sk(month)),
            "ADD contacts_created :n",
        )
        .value(":n", n(count));
    if let Some(limit) = limit {
        update = update
            .condition("attribute_not_exists(contacts_created) OR contacts_created <= :max")
            .value(":max", n(limit.checked_sub(count)?));
    }
    Some(update.item())
}

/// Adds `change` (negative: gives back) to `month`'s counter, unchecked.
pub(crate) fn add(table: &Table, ws: &str, month: &str, change: i64) -> TransactWriteItem {
    table
        .update(
            key(keys::workspace(ws), &keys::counters_sk(month)),
            "ADD contacts_created :n",
        )
        .value(":n", n(change))
        .item()
}

/// Restarts `month`'s count at zero (a month-end reset).
pub(crate) fn restart(table: &Table, ws: &str, month: &str) -> TransactWriteItem {
    table
        .update(
            key(keys::workspace(ws), &keys::counters_sk(month)),
            "SET contacts_created = :zero",
        )
        .value(":zero", n(0))
        .item()
}
