//! The workspace's notifications: written inside the transactions that end
//! what they announce, so each is written once; read newest first.

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::error::StoreError;
use super::keys;
use super::table::{Item, Table, from_item, key, s, sort_key, to_item, without_keys};
use crate::records::Notification;

/// What a notification concerns: an import, or a job (an export or a
/// reset).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject<'a> {
    Import(&'a str),
    Job(&'a str),
}

/// A notification for the workspace: what happened (`kind`), what it
/// concerns, and plain words. Its id is its sort key, which orders the
/// workspace's notifications by time.
pub(crate) fn note(
    table: &Table,
    ws: &str,
    now: i64,
    kind: &str,
    subject: Subject<'_>,
    message: String,
) -> Result<TransactWriteItem, StoreError> {
    let (name, id) = match subject {
        Subject::Import(id) => ("import", id),
        Subject::Job(id) => ("job", id),
    };
    let sk = keys::notification_sk(now, name, id);
    let note = Notification {
        id: sk.clone(),
        kind: kind.to_string(),
        message,
        created_at: Some(now),
        import: matches!(subject, Subject::Import(_)).then(|| id.to_string()),
        job: matches!(subject, Subject::Job(_)).then(|| id.to_string()),
    };
    let mut item = to_item(&note)?;
    item.remove("id");
    item.extend(key(keys::notifications(ws), &sk));
    Ok(table.put(item, None))
}

/// The workspace's newest notifications, at most 100.
pub(crate) async fn newest(table: &Table, ws: &str) -> Result<Vec<Notification>, StoreError> {
    let out = table
        .newest_first(keys::notifications(ws))
        .limit(100)
        .send()
        .await?;
    out.items
        .unwrap_or_default()
        .into_iter()
        .map(read)
        .collect()
}

fn read(item: Item) -> Result<Notification, StoreError> {
    let id = sort_key(&item).map(s);
    let mut item = without_keys(item);
    item.extend(id.map(|id| ("id".to_string(), id)));
    from_item(item)
}
