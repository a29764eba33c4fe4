//! Claims: the items that say which contacts hold a phone or an email. A
//! contact's writes carry its claim moves in the same transaction, and a
//! claim taken for one contact alone is conditional, which is what keeps
//! identifiers unique whatever runs beside the write (an import's workers,
//! the API).

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use contact_engine::options::Identifier;

use super::keys;
use super::table::{Table, key, n, s};
use crate::records::Contact;

/// The identifiers a contact's claims are kept for.
const CLAIMED: [Identifier; 2] = [Identifier::Phone, Identifier::Email];

/// The claim changes that move a contact's identifiers from `before` (none
/// for a new contact) to `after`, each with the key it writes; those in
/// `exclusive` are claimed for this contact alone (it may already hold
/// them: that retry succeeds). A contact holds its own phone and email and
/// those merged into it ([`Contact::held`]).
pub(crate) fn moves(
    table: &Table,
    ws: &str,
    before: Option<&Contact>,
    after: &Contact,
    exclusive: &[Identifier],
) -> Vec<(String, TransactWriteItem)> {
    let mut items = Vec::new();
    for identifier in CLAIMED {
        let old = before.map(|b| b.held(identifier)).unwrap_or_default();
        let new = after.held(identifier);
        for gone in old.iter().filter(|v| !new.contains(v)) {
            let pk = keys::claim(ws, identifier, gone);
            let release = table
                .update(key(pk.clone(), keys::SK_CLAIM), "DELETE ids :id")
                .value(":id", AttributeValue::Ss(vec![after.id.clone()]));
            items.push((pk, release.item()));
        }
        for came in new.iter().filter(|v| !old.contains(v)) {
            let pk = keys::claim(ws, identifier, came);
            let mut claim = table
                .update(key(pk.clone(), keys::SK_CLAIM), "ADD ids :id")
                .value(":id", AttributeValue::Ss(vec![after.id.clone()]));
            if exclusive.contains(&identifier) {
                claim = claim
                    .condition(
                        "attribute_not_exists(ids) OR (size(ids) = :one AND contains(ids, :me))",
                    )
                    .value(":one", n(1))
                    .value(":me", s(&after.id));
            }
            items.push((pk, claim.item()));
        }
    }
    items
}

/// Sets who holds one identifier value, on condition that the holders are
/// still exactly `read` (a merge or its undo moves a claim between
/// contacts; anything that changed it meanwhile cancels the write).
pub(crate) fn set_holders(
    table: &Table,
    ws: &str,
    identifier: Identifier,
    value: &str,
    read: &[String],
    holders: &[String],
) -> TransactWriteItem {
    let pk = keys::claim(ws, identifier, value);
    let mut condition = if read.is_empty() {
        "attribute_not_exists(ids)".to_string()
    } else {
        "size(ids) = :count".to_string()
    };
    let mut values: Vec<(String, AttributeValue)> = Vec::new();
    if !read.is_empty() {
        values.push((":count".into(), n(read.len())));
    }
    for (i, id) in read.iter().enumerate() {
        condition.push_str(&format!(" AND contains(ids, :held{i})"));
        values.push((format!(":held{i}"), s(id)));
    }
    if holders.is_empty() {
        let mut delete = table.delete(key(pk, keys::SK_CLAIM), Some(&condition));
        for (name, value) in values {
            delete = delete.value(&name, value);
        }
        return delete.item();
    }
    let mut item = key(pk, keys::SK_CLAIM);
    item.insert("ids".into(), AttributeValue::Ss(holders.to_vec()));
    let values: Vec<(&str, AttributeValue)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    table.put_when(item, Some(&condition), &values)
}

/// The releases of every claim a contact holds, as it is deleted.
pub(crate) fn releases(table: &Table, ws: &str, contact: &Contact) -> Vec<TransactWriteItem> {
    let gone = Contact {
        id: contact.id.clone(),
        ..Contact::default()
    };
    moves(table, ws, Some(contact), &gone, &[])
        .into_iter()
        .map(|(_, item)| item)
        .collect()
}
