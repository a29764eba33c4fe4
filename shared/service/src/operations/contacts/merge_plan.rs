//! What a merge makes of its contacts, and what undoing it gives back:
//! pure functions over the contacts as read, so the rules are tested
//! without a table.
//!
//! Merging: the contact merged into keeps its id; per field the caller
//! chooses whose value stays (by default its own, or the first other's
//! when it has none); tags and groups are united; the phones and emails of
//! every contact stay held by the merged one (the chosen one as its own,
//! the rest as `other_phones` / `other_emails`).
//!
//! Undoing: each contact comes back as it was just before the merge, except
//! that what was changed on the merged contact since is kept on it: a field
//! whose value differs from what the merge made keeps its new value, tags
//! added or removed since stay added or removed. A phone or email goes back
//! to the contact it came from unless the merged contact made it its own
//! since or another contact holds it now; each such one is said in
//! `not_restored`.

use std::collections::BTreeMap;

use contact_engine::fields::ContactField;
use contact_engine::normalize;
use contact_engine::options::Identifier;

use super::checker::with_tags;
use crate::operations::error::ServiceError;
use crate::records::{Contact, MergeRecord};
use crate::store::ClaimChange;

/// The identifiers a contact's claims are kept for.
const CLAIMED: [(Identifier, &str); 2] =
    [(Identifier::Phone, "phone"), (Identifier::Email, "email")];

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request("invalid_merge", message)
}

/// The field a `fields` key names: a contact field or `custom:<key>`.
enum Chosen {
    Own(ContactField),
    Custom(String),
}

fn chosen_field(name: &str) -> Result<Chosen, ServiceError> {
    if let Some(key) = name.strip_prefix("custom:") {
        return Ok(Chosen::Custom(key.to_string()));
    }
    ContactField::own_values()
        .find(|f| f.key() == name)
        .map(Chosen::Own)
        .ok_or_else(|| {
            invalid(format!(
                "fields.{name}: choose among first_name, last_name, phone, email, country, language, assignee and custom:<key> (tags and groups are united)"
            ))
        })
}

fn set_main(
    contact: &mut Contact,
    identifier: Identifier,
    main: Option<String>,
    held: Vec<String>,
) {
    let others: Vec<String> = held
        .into_iter()
        .filter(|v| Some(v) != main.as_ref())
        .collect();
    match identifier {
        Identifier::Phone => {
            contact.phone = main;
            contact.other_phones = others;
        }
        Identifier::Email => {
            contact.email = main;
            contact.other_emails = others;
        }
        Identifier::ContactId => {}
    }
}

fn united(lists: impl Iterator<Item = Vec<String>>) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for list in lists {
        for item in list {
            if !normalize::has_tag(&all, &item) {
                all.push(item);
            }
        }
    }
    all
}

/// The contact `survivor` and `others` (in the order asked) become.
/// `fields` names, per field, the contact whose value it keeps.
pub(super) fn merged_contact(
    survivor: &Contact,
    others: &[Contact],
    fields: &BTreeMap<String, String>,
    stamp: String,
) -> Result<Contact, ServiceError> {
    let all: Vec<&Contact> = std::iter::once(survivor).chain(others).collect();
    let by_id = |id: &str| all.iter().copied().find(|c| c.id == id);
    let mut own: BTreeMap<ContactField, &Contact> = BTreeMap::new();
    let mut custom: BTreeMap<String, &Contact> = BTreeMap::new();
    for (name, id) in fields {
        let from = by_id(id).ok_or_else(|| {
            invalid(format!(
                "fields.{name}: {id} is not one of the contacts merged"
            ))
        })?;
        match chosen_field(name)? {
            Chosen::Own(field) => {
                own.insert(field, from);
            }
            Chosen::Custom(key) => {
                custom.insert(key, from);
            }
        }
    }
    let mut merged = survivor.clone();
    for field in ContactField::own_values() {
        let value = match own.get(&field) {
            Some(from) => from.field(field).cloned().flatten(),
            None => all.iter().find_map(|c| c.field(field).cloned().flatten()),
        };
        if let Some(slot) = merged.field_mut(field) {
            *slot = value;
        }
    }
    for (identifier, _) in CLAIMED {
        let held: Vec<String> = united(
            all.iter()
                .map(|c| c.held(identifier).into_iter().map(str::to_string).collect()),
        );
        let main = match identifier {
            Identifier::Phone => merged.phone.clone(),
            _ => merged.email.clone(),
        };
        set_main(&mut merged, identifier, main, held);
    }
    let mut tags = survivor.tags.clone();
    for other in others {
        tags = with_tags(tags, &other.tags)?;
    }
    merged.tags = tags;
    merged.groups = united(all.iter().map(|c| c.groups.clone()));
    let keys: std::collections::BTreeSet<&String> =
        all.iter().flat_map(|c| c.custom_fields.keys()).collect();
    merged.custom_fields = keys
        .into_iter()
        .filter_map(|key| {
            let value = match custom.get(key) {
                Some(from) => from.custom_fields.get(key).cloned(),
                None => all.iter().find_map(|c| c.custom_fields.get(key).cloned()),
            };
            value.map(|v| (key.clone(), v))
        })
        .collect();
    merged.blocked = false;
    merged.created_at = all
        .iter()
        .map(|c| c.created_at.clone())
        .min()
        .unwrap_or_default();
    merged.updated_at = stamp;
    Ok(merged)
}

/// The claim changes that hand the other contacts' phones and emails to
/// the survivor; `read` answers who holds each value now.
pub(super) fn merge_claims(
    survivor: &str,
    others: &[Contact],
    read: &BTreeMap<(Identifier, String), Vec<String>>,
) -> Vec<ClaimChange> {
    let gone: Vec<&str> = others.iter().map(|c| c.id.as_str()).collect();
    let mut changes = Vec::new();
    for ((identifier, value), holders) in read {
        let mut after: Vec<String> = holders
            .iter()
            .filter(|h| !gone.contains(&h.as_str()))
            .cloned()
            .collect();
        if !after.iter().any(|h| h == survivor) {
            after.push(survivor.to_string());
        }
        after.sort();
        if after != *holders {
            changes.push(ClaimChange {
                identifier: *identifier,
                value: value.clone(),
                read: holders.clone(),
                holders: after,
            });
        }
    }
    changes
}

/// The values of the merged-away contacts: whose claims an undo looks at.
pub(super) fn undo_values(record: &MergeRecord) -> Vec<(Identifier, String)> {
    let mut values = Vec::new();
    for other in record.before.iter().skip(1) {
        for (identifier, _) in CLAIMED {
            for value in other.held(identifier) {
                let pair = (identifier, value.to_string());
                if !values.contains(&pair) {
                    values.push(pair);
                }
            }
        }
    }
    values
}

/// What an undo writes.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Restoration {
    pub survivor: Contact,
    pub brought_back: Vec<Contact>,
    pub claims: Vec<ClaimChange>,
    pub not_restored: Vec<String>,
}

/// Whether the merged contact's `field` changed since the merge.
fn changed_since(record: &MergeRecord, current: &Contact, field: ContactField) -> bool {
    record.after.field(field) != current.field(field)
}

/// `base` with the tags (or groups) added and removed between `made` and
/// `now`.
fn replay(base: &[String], made: &[String], now: &[String]) -> Vec<String> {
    let mut out: Vec<String> = base
        .iter()
        .filter(|t| !normalize::has_tag(made, t) || normalize::has_tag(now, t))
        .cloned()
        .collect();
    for t in now {
        if !normalize::has_tag(made, t) && !normalize::has_tag(&out, t) {
            out.push(t.clone());
        }
    }
    out
}

/// The undo of `record` over the merged contact as it is now (`current`);
/// `read` answers who holds each of [`undo_values`] now; `stamp` makes the
/// new `updated_at`s.
pub(super) fn restoration(
    record: &MergeRecord,
    current: &Contact,
    read: &BTreeMap<(Identifier, String), Vec<String>>,
    stamp: impl Fn(&str) -> String,
) -> Restoration {
    let original = &record.before[0];
    let survivor_id = &record.contact;
    let mut survivor = original.clone();
    for field in ContactField::own_values() {
        if changed_since(record, current, field)
            && let (Some(slot), Some(now)) = (survivor.field_mut(field), current.field(field))
        {
            *slot = now.clone();
        }
    }
    survivor.tags = replay(&original.tags, &record.after.tags, &current.tags);
    survivor.groups = replay(&original.groups, &record.after.groups, &current.groups);
    let keys: std::collections::BTreeSet<&String> = original
        .custom_fields
        .keys()
        .chain(record.after.custom_fields.keys())
        .chain(current.custom_fields.keys())
        .collect();
    survivor.custom_fields = keys
        .into_iter()
        .filter_map(|key| {
            let made = record.after.custom_fields.get(key);
            let now = current.custom_fields.get(key);
            let value = if made != now {
                now
            } else {
                original.custom_fields.get(key)
            };
            value.map(|v| (key.clone(), v.clone()))
        })
        .collect();
    survivor.blocked = current.blocked;
    survivor.updated_at = stamp(&current.updated_at);

    let mut claims = Vec::new();
    let mut not_restored = Vec::new();
    let mut brought_back = Vec::new();
    // What the survivor keeps of what it holds now.
    let mut kept: BTreeMap<Identifier, Vec<String>> = CLAIMED
        .iter()
        .map(|(i, _)| {
            (
                *i,
                current.held(*i).into_iter().map(str::to_string).collect(),
            )
        })
        .collect();
    for other in record.before.iter().skip(1) {
        let mut back = other.clone();
        back.updated_at = stamp(&other.updated_at);
        for (identifier, words) in CLAIMED {
            let mut restorable = Vec::new();
            for value in other.held(identifier) {
                let holders = read
                    .get(&(identifier, value.to_string()))
                    .cloned()
                    .unwrap_or_default();
                let held_now = current.held(identifier).contains(&value);
                let own_main = match identifier {
                    Identifier::Phone => current.phone.as_deref(),
                    _ => current.email.as_deref(),
                };
                let made_main_since = own_main == Some(value)
                    && changed_since(
                        record,
                        current,
                        match identifier {
                            Identifier::Phone => ContactField::Phone,
                            _ => ContactField::Email,
                        },
                    );
                let shared_before = original.held(identifier).contains(&value);
                let mut after: Vec<String> = holders.clone();
                if held_now && made_main_since {
                    not_restored.push(format!(
                        "{}'s {words} {value} stays with {survivor_id}, which made it its own {words} since the merge",
                        other.id
                    ));
                    continue;
                }
                let foreign: Vec<&String> = holders
                    .iter()
                    .filter(|h| *h != survivor_id && **h != other.id)
                    .collect();
                if !held_now && !foreign.is_empty() {
                    not_restored.push(format!(
                        "{}'s {words} {value} is held by contact {} now",
                        other.id, foreign[0]
                    ));
                    continue;
                }
                if held_now && !shared_before {
                    after.retain(|h| h != survivor_id);
                    if let Some(list) = kept.get_mut(&identifier) {
                        list.retain(|v| v != value);
                    }
                }
                if !after.contains(&other.id) {
                    after.push(other.id.clone());
                }
                after.sort();
                if after != holders {
                    claims.push(ClaimChange {
                        identifier,
                        value: value.to_string(),
                        read: holders,
                        holders: after,
                    });
                }
                restorable.push(value.to_string());
            }
            let main = match identifier {
                Identifier::Phone => other.phone.clone(),
                _ => other.email.clone(),
            }
            .filter(|m| restorable.contains(m))
            .or_else(|| restorable.first().cloned());
            set_main(&mut back, identifier, main, restorable);
        }
        brought_back.push(back);
    }
    for (identifier, _) in CLAIMED {
        let held = kept.remove(&identifier).unwrap_or_default();
        let wanted = match identifier {
            Identifier::Phone => survivor.phone.clone(),
            _ => survivor.email.clone(),
        };
        let main = wanted
            .filter(|m| held.contains(m))
            .or_else(|| held.first().cloned());
        set_main(&mut survivor, identifier, main, held);
    }
    Restoration {
        survivor,
        brought_back,
        claims,
        not_restored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contact(id: &str, name: &str, phone: Option<&str>, email: Option<&str>) -> Contact {
        Contact {
            id: id.into(),
            first_name: Some(name.into()),
            phone: phone.map(Into::into),
            email: email.map(Into::into),
            created_at: "2026-11-01T00:00:00Z".into(),
            updated_at: "2026-11-01T00:00:00Z".into(),
            ..Contact::default()
        }
    }

    const PA: &str = "+593991111111";
    const PB: &str = "+593992222222";

    fn pair() -> (Contact, Contact) {
        let mut a = contact("c_a", "Ana", Some(PA), None);
        a.tags = vec!["vip".into()];
        a.custom_fields.insert("plan".into(), json!("pro"));
        let mut b = contact("c_b", "Ana María", Some(PB), Some("ana@x.co"));
        b.tags = vec!["VIP".into(), "feria".into()];
        b.custom_fields.insert("plan".into(), json!("básico"));
        b.custom_fields.insert("empresa".into(), json!("Loja"));
        b.created_at = "2026-10-01T00:00:00Z".into();
        (a, b)
    }

    fn merged(fields: &[(&str, &str)]) -> Contact {
        let (a, b) = pair();
        let fields = fields
            .iter()
            .map(|(f, c)| (f.to_string(), c.to_string()))
            .collect();
        merged_contact(&a, &[b], &fields, "2026-12-01T00:00:00Z".into()).unwrap()
    }

    #[test]
    fn the_merged_contact_keeps_its_own_values_unless_another_is_chosen() {
        let m = merged(&[]);
        assert_eq!(m.id, "c_a");
        assert_eq!(m.first_name.as_deref(), Some("Ana"));
        assert_eq!(m.phone.as_deref(), Some(PA));
        assert_eq!(m.other_phones, [PB], "the other phone is still held");
        assert_eq!(
            m.email.as_deref(),
            Some("ana@x.co"),
            "an empty field takes another's value"
        );
        assert_eq!(m.tags, ["vip", "feria"], "tags united, case-insensitively");
        assert_eq!(m.custom_fields["plan"], json!("pro"));
        assert_eq!(m.custom_fields["empresa"], json!("Loja"));
        assert_eq!(
            m.created_at, "2026-10-01T00:00:00Z",
            "the earliest creation"
        );

        let m = merged(&[
            ("first_name", "c_b"),
            ("phone", "c_b"),
            ("custom:plan", "c_b"),
        ]);
        assert_eq!(m.first_name.as_deref(), Some("Ana María"));
        assert_eq!(m.phone.as_deref(), Some(PB));
        assert_eq!(m.other_phones, [PA]);
        assert_eq!(m.custom_fields["plan"], json!("básico"));
    }

    #[test]
    fn a_choice_that_names_no_field_or_no_merged_contact_is_refused() {
        let (a, b) = pair();
        for (field, id) in [("tags", "c_b"), ("nickname", "c_b"), ("phone", "c_x")] {
            let fields = BTreeMap::from([(field.to_string(), id.to_string())]);
            let refused = merged_contact(&a, std::slice::from_ref(&b), &fields, String::new());
            assert!(refused.is_err(), "{field} from {id}");
        }
    }

    #[test]
    fn claims_move_to_the_merged_contact_keeping_other_holders() {
        let (_, b) = pair();
        let read = BTreeMap::from([
            (
                (Identifier::Phone, PB.to_string()),
                vec!["c_b".to_string(), "c_z".to_string()],
            ),
            (
                (Identifier::Email, "ana@x.co".to_string()),
                vec!["c_b".to_string()],
            ),
        ]);
        let changes = merge_claims("c_a", &[b], &read);
        let holders = |value: &str| {
            changes
                .iter()
                .find(|c| c.value == value)
                .map(|c| c.holders.clone())
                .unwrap()
        };
        assert_eq!(changes.len(), 2);
        assert_eq!(holders(PB), ["c_a", "c_z"]);
        assert_eq!(holders("ana@x.co"), ["c_a"]);
    }

    fn record(fields: &[(&str, &str)]) -> MergeRecord {
        let (a, b) = pair();
        MergeRecord {
            id: "mrg_1".into(),
            contact: "c_a".into(),
            merged: vec!["c_b".into()],
            status: crate::records::MergeStatus::Merged,
            before: vec![a, b],
            after: merged(fields),
            created_at: "2026-12-01T00:00:00Z".into(),
            created_by: None,
            undone_at: None,
            undone_by: None,
            not_restored: Vec::new(),
            undoable_until: "2027-03-01T00:00:00Z".into(),
        }
    }

    fn held_by_a(values: &[(Identifier, &str)]) -> BTreeMap<(Identifier, String), Vec<String>> {
        values
            .iter()
            .map(|(i, v)| ((*i, v.to_string()), vec!["c_a".to_string()]))
            .collect()
    }

    fn stamp(_: &str) -> String {
        "2026-12-02T00:00:00Z".into()
    }

    #[test]
    fn an_undo_right_after_the_merge_gives_every_contact_back_as_it_was() {
        let record = record(&[("phone", "c_b")]);
        let read = held_by_a(&[(Identifier::Phone, PB), (Identifier::Email, "ana@x.co")]);
        let undo = restoration(&record, &record.after, &read, stamp);
        let (a, b) = pair();
        assert_eq!(
            undo.survivor,
            Contact {
                updated_at: stamp(""),
                ..a
            }
        );
        assert_eq!(
            undo.brought_back,
            [Contact {
                updated_at: stamp(""),
                ..b
            }]
        );
        assert!(undo.not_restored.is_empty());
        let moved: Vec<(&str, &[String])> = undo
            .claims
            .iter()
            .map(|c| (c.value.as_str(), c.holders.as_slice()))
            .collect();
        assert_eq!(
            moved,
            [
                (PB, &["c_b".to_string()][..]),
                ("ana@x.co", &["c_b".to_string()][..])
            ]
        );
    }

    #[test]
    fn changes_made_since_stay_on_the_merged_contact_and_what_cannot_go_back_is_said() {
        let record = record(&[]);
        let mut current = record.after.clone();
        current.last_name = Some("Silva".into());
        current.tags.push("nuevo".into());
        // The merged email was replaced since, and another contact took it.
        current.email = Some("otra@x.co".into());
        let read = BTreeMap::from([
            ((Identifier::Phone, PB.to_string()), vec!["c_a".to_string()]),
            (
                (Identifier::Email, "ana@x.co".to_string()),
                vec!["c_q".to_string()],
            ),
        ]);
        let undo = restoration(&record, &current, &read, stamp);
        assert_eq!(undo.survivor.first_name.as_deref(), Some("Ana"));
        assert_eq!(undo.survivor.last_name.as_deref(), Some("Silva"), "kept");
        assert_eq!(undo.survivor.tags, ["vip", "nuevo"]);
        assert_eq!(undo.survivor.email.as_deref(), Some("otra@x.co"));
        assert_eq!(undo.survivor.held(Identifier::Phone), [PA]);
        let b = &undo.brought_back[0];
        assert_eq!(b.phone.as_deref(), Some(PB));
        assert_eq!(b.email, None, "held by another contact now");
        assert_eq!(
            undo.not_restored,
            ["c_b's email ana@x.co is held by contact c_q now"]
        );
    }
}
