//! The workspace's import lock: one item that an importing import, or a
//! running month-end reset, holds. Taken and released only inside the
//! transactions that start and end what holds it.

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::error::StoreError;
use super::keys;
use super::table::{Table, key, n, s, text};

/// Takes the lock for `holder` (an import or a reset), only while no one
/// holds it.
pub(crate) fn take(table: &Table, ws: &str, holder: &str, since: Option<i64>) -> TransactWriteItem {
    let mut lock = key(keys::workspace(ws), keys::SK_LOCK);
    lock.insert("import".into(), s(holder));
    if let Some(since) = since {
        lock.insert("since".into(), n(since));
    }
    table.put(lock, Some("attribute_not_exists(pk)"))
}

/// Releases the lock if `holder` holds it; already released is fine.
pub(crate) fn release(table: &Table, ws: &str, holder: &str) -> TransactWriteItem {
    table
        .delete(
            key(keys::workspace(ws), keys::SK_LOCK),
            Some("attribute_not_exists(pk) OR #import = :id"),
        )
        .name("#import", "import")
        .value(":id", s(holder))
        .item()
}

/// The import (or reset) holding the lock, if any.
pub(crate) async fn holder(table: &Table, ws: &str) -> Result<Option<String>, StoreError> {
    let item = table.get(key(keys::workspace(ws), keys::SK_LOCK)).await?;
    Ok(item.and_then(|item| text(&item, "import").map(str::to_string)))
}
