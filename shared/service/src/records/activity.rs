//! A contact's history: one entry per write that changed it, saying what
//! made the change (an import's row, an API call, a merge or its undo) and
//! which fields changed, with their values before. An import's entry for a
//! row keeps the values the row replaced, which is what undoing an import
//! stands on.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use contact_engine::fields::ContactField;
use contact_engine::normalize;

pub use super::actors::{Actor, Source};
use super::contacts::Contact;

/// What happened to the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Created,
    /// Fields changed (tags may have changed beside them).
    Updated,
    /// Only tags were added or removed.
    Tagged,
    Blocked,
    Unblocked,
    /// Other contacts were merged into this one (`contacts`, `merge`).
    Merged,
    /// This contact was merged into another (`contacts` holds it).
    MergedInto,
    /// A merge into this contact was undone.
    Unmerged,
    /// Brought back by undoing the merge that had merged it away.
    Restored,
}

/// One field's value before and after a change (`null`: empty). Custom
/// fields are named `custom:<key>`, as everywhere they stand beside the
/// contact's own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    /// The value before: a string, a number, a boolean, a list of tags or
    /// groups, or `null`.
    pub before: Value,
    /// The value after, as `before`.
    pub after: Value,
}

/// One entry of a contact's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Activity {
    /// RFC 3339.
    pub at: String,
    pub kind: ActivityKind,
    pub by: Actor,
    /// The fields that changed, with their values before and after (the
    /// contact's own, `groups`, `blocked` and `custom:<key>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags_added: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags_removed: Vec<String>,
    /// The other contacts of a merge or its undo.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    /// The merge, for `merged`, `merged_into`, `unmerged` and `restored`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge: Option<String>,
}

fn text(value: &Option<String>) -> Value {
    value
        .as_ref()
        .map_or(Value::Null, |v| Value::String(v.clone()))
}

fn list(values: &[String]) -> Value {
    Value::Array(values.iter().cloned().map(Value::String).collect())
}

/// The fields that differ between `before` and `after`, tags aside.
pub fn field_changes(before: &Contact, after: &Contact) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let mut push = |field: String, before: Value, after: Value| {
        if before != after {
            changes.push(FieldChange {
                field,
                before,
                after,
            });
        }
    };
    for field in ContactField::own_values() {
        let (Some(b), Some(a)) = (before.field(field), after.field(field)) else {
            continue;
        };
        push(field.key().to_string(), text(b), text(a));
    }
    push("groups".into(), list(&before.groups), list(&after.groups));
    push(
        "blocked".into(),
        Value::Bool(before.blocked),
        Value::Bool(after.blocked),
    );
    let keys: std::collections::BTreeSet<&String> = before
        .custom_fields
        .keys()
        .chain(after.custom_fields.keys())
        .collect();
    for key in keys {
        let value = |c: &Contact| c.custom_fields.get(key).cloned().unwrap_or(Value::Null);
        push(format!("custom:{key}"), value(before), value(after));
    }
    changes
}

/// The tags in `to` that `from` lacks, compared case-insensitively.
fn tags_gained(from: &[String], to: &[String]) -> Vec<String> {
    to.iter()
        .filter(|t| !normalize::has_tag(from, t))
        .cloned()
        .collect()
}

impl Activity {
    /// The entry for a write from `before` to `after`; `None` when nothing
    /// a person sees changed.
    pub fn of_write(before: &Contact, after: &Contact, by: Actor) -> Option<Self> {
        let at = after.updated_at.clone();
        let changes = field_changes(before, after);
        let tags_added = tags_gained(&before.tags, &after.tags);
        let tags_removed = tags_gained(&after.tags, &before.tags);
        let blocking = changes
            .iter()
            .find(|c| c.field == "blocked")
            .map(|c| c.after == Value::Bool(true));
        let kind = match blocking {
            Some(true) => ActivityKind::Blocked,
            Some(false) => ActivityKind::Unblocked,
            None if !changes.is_empty() => ActivityKind::Updated,
            None if !tags_added.is_empty() || !tags_removed.is_empty() => ActivityKind::Tagged,
            None => return None,
        };
        Some(Self {
            changes,
            tags_added,
            tags_removed,
            ..Self::new(kind, at, by)
        })
    }

    /// The first line of a contact's history, from the creator it keeps
    /// (`None` for a contact stored before it kept one: its history holds
    /// the line as an entry of its own).
    pub fn creation(contact: &Contact) -> Option<Self> {
        let by = contact.created_by.clone()?;
        Some(Self::new(
            ActivityKind::Created,
            contact.created_at.clone(),
            by,
        ))
    }

    /// The entry of a merge or its undo on one of its contacts, with what
    /// changed on it.
    pub fn of_merge(
        kind: ActivityKind,
        before: &Contact,
        after: &Contact,
        others: &[String],
        merge: &str,
        by: Actor,
    ) -> Self {
        Self {
            changes: field_changes(before, after),
            tags_added: tags_gained(&before.tags, &after.tags),
            tags_removed: tags_gained(&after.tags, &before.tags),
            contacts: others.to_vec(),
            merge: Some(merge.to_string()),
            ..Self::new(kind, after.updated_at.clone(), by)
        }
    }

    pub fn new(kind: ActivityKind, at: String, by: Actor) -> Self {
        Self {
            at,
            kind,
            by,
            changes: Vec::new(),
            tags_added: Vec::new(),
            tags_removed: Vec::new(),
            contacts: Vec::new(),
            merge: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ana() -> Contact {
        Contact {
            id: "c_1".into(),
            first_name: Some("Ana".into()),
            phone: Some("+593991234567".into()),
            tags: vec!["vip".into()],
            updated_at: "2026-12-01T10:00:00Z".into(),
            ..Contact::default()
        }
    }

    #[test]
    fn an_edit_names_each_field_it_changed_with_its_value_before() {
        let before = ana();
        let mut after = ana();
        after.last_name = Some("Silva".into());
        after.phone = None;
        after
            .custom_fields
            .insert("plan".into(), Value::String("pro".into()));
        let entry = Activity::of_write(&before, &after, Actor::api(Some("u@x.co"))).unwrap();
        assert_eq!(entry.kind, ActivityKind::Updated);
        let named: Vec<(&str, &Value, &Value)> = entry
            .changes
            .iter()
            .map(|c| (c.field.as_str(), &c.before, &c.after))
            .collect();
        assert_eq!(
            named,
            [
                ("last_name", &Value::Null, &Value::String("Silva".into())),
                (
                    "phone",
                    &Value::String("+593991234567".into()),
                    &Value::Null
                ),
                ("custom:plan", &Value::Null, &Value::String("pro".into())),
            ]
        );
    }

    #[test]
    fn tags_alone_blocking_and_no_change_are_told_apart() {
        let before = ana();
        let mut tagged = ana();
        tagged.tags = vec!["VIP".into(), "feria".into()];
        let entry = Activity::of_write(&before, &tagged, Actor::api(None)).unwrap();
        assert_eq!(entry.kind, ActivityKind::Tagged);
        assert_eq!(entry.tags_added, ["feria"]);
        assert!(entry.tags_removed.is_empty(), "VIP is vip in another case");
        let mut blocked = ana();
        blocked.blocked = true;
        let entry = Activity::of_write(&before, &blocked, Actor::api(None)).unwrap();
        assert_eq!(entry.kind, ActivityKind::Blocked);
        let mut stamped = ana();
        stamped.updated_at = "2026-12-02T00:00:00Z".into();
        assert_eq!(
            Activity::of_write(&before, &stamped, Actor::api(None)),
            None
        );
        assert_eq!(
            Activity::creation(&ana()),
            None,
            "stored before creators were kept"
        );
        let imported = Contact {
            created_by: Some(Actor::import("imp_1", 2, None)),
            created_at: "2026-11-30T08:00:00Z".into(),
            ..ana()
        };
        let created = Activity::creation(&imported).unwrap();
        assert_eq!(created.kind, ActivityKind::Created);
        assert_eq!(created.by.row, Some(2));
        assert_eq!(created.at, "2026-11-30T08:00:00Z");
    }
}
