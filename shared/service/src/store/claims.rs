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

fn value(contact: &Contact, identifier: Identifier) -> Option<&str> {
    match identifier {
        Identifier::Phone => contact.phone.as_deref(),
        Identifier::Email => contact.email.as_deref(),
        Identifier::ContactId => None,
    }
}

/// The claim changes that move a contact's identifiers from `before` (none
/// for a new contact) to `after`, each with the key it writes; those in
/// `exclusive` are claimed for this contact alone (it may already hold
/// them: that retry succeeds).
pub(crate) fn moves(
    table: &Table,
    ws: &str,
    before: Option<&Contact>,
    after: &Contact,
    exclusive: &[Identifier],
) -> Vec<(String, TransactWriteItem)> {
    let mut items = Vec::new();
    for identifier in CLAIMED {
        let old = before.and_then(|b| value(b, identifier));
        let new = value(after, identifier);
        if before.is_some() && old == new {
            continue;
        }
        if let Some(old) = old {
            let pk = keys::claim(ws, identifier, old);
            let release = table
                .update(key(pk.clone(), keys::SK_CLAIM), "DELETE ids :id")
                .value(":id", AttributeValue::Ss(vec![after.id.clone()]));
            items.push((pk, release.item()));
        }
        if let Some(new) = new {
            let pk = keys::claim(ws, identifier, new);
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
