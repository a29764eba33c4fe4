//! The contacts' search index: for every contact, one entry per thing it
//! can be found by — its creation, its name, its surname, its country, its
//! language, each tag, each group, its assignee, blocked, each custom
//! field's value. Each entry sits in a partition that is a facet's value in
//! one of 16 shards (by contact id), so a large import's writes spread out;
//! within it entries sort by creation (`{created_at}#{id}`) or by name
//! (`{first words} {last words}#{id}`).
//!
//! Entries cost what DynamoDB bills for them, so as many as possible ride
//! on the contact's own item, as keys of global secondary indexes
//! (`ix_{index}_pk`, and `ix_name_sk`, `ix_surname_sk` or, for every index
//! sorted by creation, the one `ix_created_sk`; projecting the id only):
//! DynamoDB keeps an index
//! entry beside the item at one write unit, in no transaction, where an
//! item of its own written in the contact's transaction costs two. A
//! contact has one value of each of the first five facets: each has an
//! index (`created`, which is also the contacts' listing, `name`, `surname`,
//! `country`, `language`). Of the others, which may have many values, the
//! first two in facet order ride on the item too, in the indexes `value_1`
//! and `value_2`; the rest are items of their own in the table, moved with
//! the contact in the same transaction as its write, as its claims are. So
//! a facet of many values is read in three places per shard: the table and
//! the two value indexes.
//!
//! Either way a search never misses an entry its contact holds, once the
//! indexes have caught up (global indexes follow within a second), and
//! checks every filter on the contacts it reads, so an entry its contact no
//! longer holds costs a read, never a wrong answer. A query reads one
//! partition per shard and place from a bound, a page at a time: what a
//! page reads is bounded by the page, never by the workspace.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::TransactWriteItem;

use super::error::StoreError;
use super::keys;
use super::table::{Item, Table, key, s, text};
use crate::records::Contact;

/// Characters of a name kept in a sort key (the contact, read in full,
/// decides whether it matches).
const NAME_KEY_CHARS: usize = 60;
/// Characters of a facet value kept in a partition key.
const VALUE_KEY_CHARS: usize = 200;

/// The global indexes that each carry one more entry of a contact's
/// many-valued facets (its first ones, in facet order).
pub const VALUE_INDEXES: [&str; 2] = ["value_1", "value_2"];

/// The contact item's attribute that every index sorted by creation takes
/// as its sort key: one attribute for all of them, as their sort keys are
/// all the contact's [`created_sort`] (an item's size is what a write
/// costs).
pub const CREATED_SORT: &str = "ix_created_sk";

/// The key attributes (partition, sort) of a place a facet's entries are
/// in: the table's own (`None`), or an index's on the contact's item.
pub fn key_attributes(index: Option<&str>) -> (String, String) {
    let Some(name) = index else {
        return ("pk".into(), "sk".into());
    };
    // An index sorted by name is one a facet sorted by name has to itself.
    let by_name = Facet::WITH_INDEX
        .iter()
        .any(|facet| facet.by_name() && facet.global_index() == Some(name));
    let sort = if by_name {
        format!("ix_{name}_sk")
    } else {
        CREATED_SORT.into()
    };
    (format!("ix_{name}_pk"), sort)
}

/// What a contact can be found by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Facet {
    /// Every contact, by creation.
    Created,
    /// Every contact, by first then last name.
    Name,
    /// Contacts with a last name, by last then first name.
    Surname,
    Tag(String),
    Group(String),
    Country(String),
    Language(String),
    Assignee(String),
    /// Blocked contacts only.
    Blocked,
    /// A custom field's value: (key, value).
    Custom(String, String),
}

/// The words of a name as the index keeps them: each folded (case, accents
/// and punctuation aside), one space between.
pub fn name_words(text: &str) -> String {
    text.split_whitespace()
        .map(contact_engine::normalize::fold)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A facet value as the index keeps it: lower-cased, trimmed, cut short.
pub fn value_key(value: &str) -> String {
    value
        .trim()
        .to_lowercase()
        .chars()
        .take(VALUE_KEY_CHARS)
        .collect()
}

/// A custom field's value as text, as the index keeps it.
pub fn custom_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) if s.trim().is_empty() => None,
        serde_json::Value::String(s) => Some(value_key(s)),
        other => Some(value_key(&other.to_string())),
    }
}

impl Facet {
    /// A facet of each kind whose entries have a global index of their own
    /// ([`Facet::global_index`]).
    const WITH_INDEX: [Facet; 5] = [
        Facet::Created,
        Facet::Name,
        Facet::Surname,
        Facet::Country(String::new()),
        Facet::Language(String::new()),
    ];

    /// The global index a facet's entries are keys of (the contact item's
    /// own attributes, [`key_attributes`]); `None` for a facet
    /// whose entries are items of their own.
    pub fn global_index(&self) -> Option<&'static str> {
        match self {
            Facet::Created => Some("created"),
            Facet::Name => Some("name"),
            Facet::Surname => Some("surname"),
            Facet::Country(_) => Some("country"),
            Facet::Language(_) => Some("language"),
            _ => None,
        }
    }

    /// Where the facet's entries are: its own global index, or the
    /// table's items (`None`) and each value index.
    pub fn places(&self) -> Vec<Option<&'static str>> {
        match self.global_index() {
            Some(index) => vec![Some(index)],
            None => std::iter::once(None)
                .chain(VALUE_INDEXES.iter().copied().map(Some))
                .collect(),
        }
    }

    /// Whether the facet's items sort by name (else by creation).
    pub fn by_name(&self) -> bool {
        matches!(self, Facet::Name | Facet::Surname)
    }

    /// The facet's partition in `shard`.
    pub fn partition(&self, ws: &str, shard: u32) -> String {
        let (facet, value): (&str, Option<&str>) = match self {
            Facet::Created => ("created", None),
            Facet::Name => ("name", None),
            Facet::Surname => ("surname", None),
            Facet::Tag(v) => ("tag", Some(v)),
            Facet::Group(v) => ("group", Some(v)),
            Facet::Country(v) => ("country", Some(v)),
            Facet::Language(v) => ("language", Some(v)),
            Facet::Assignee(v) => ("assignee", Some(v)),
            Facet::Blocked => ("blocked", None),
            Facet::Custom(k, v) => {
                return format!("W#{ws}#IX#custom.{k}#{v}#{shard:02}");
            }
        };
        match value {
            Some(v) => format!("W#{ws}#IX#{facet}#{v}#{shard:02}"),
            None => format!("W#{ws}#IX#{facet}#{shard:02}"),
        }
    }
}

/// A contact's place in a creation-ordered partition.
pub fn created_sort(contact: &Contact) -> String {
    format!("{}#{}", contact.created_at, contact.id)
}

fn name_sort(first: &Option<String>, last: &Option<String>, id: &str) -> String {
    let words = |t: &Option<String>| t.as_deref().map(name_words).unwrap_or_default();
    let both = format!("{} {}", words(first), words(last));
    let cut: String = both.trim().chars().take(NAME_KEY_CHARS).collect();
    format!("{cut}#{id}")
}

/// Every (facet, sort key) a contact is found by.
pub fn entries(contact: &Contact) -> Vec<(Facet, String)> {
    let by_creation = created_sort(contact);
    let mut out = vec![
        (Facet::Created, by_creation.clone()),
        (
            Facet::Name,
            name_sort(&contact.first_name, &contact.last_name, &contact.id),
        ),
    ];
    if contact
        .last_name
        .as_deref()
        .is_some_and(|l| !name_words(l).is_empty())
    {
        out.push((
            Facet::Surname,
            name_sort(&contact.last_name, &contact.first_name, &contact.id),
        ));
    }
    let mut values: BTreeSet<Facet> = BTreeSet::new();
    values.extend(contact.tags.iter().map(|t| Facet::Tag(value_key(t))));
    values.extend(contact.groups.iter().map(|g| Facet::Group(value_key(g))));
    values.extend(contact.country.iter().map(|c| Facet::Country(value_key(c))));
    values.extend(
        contact
            .language
            .iter()
            .map(|l| Facet::Language(value_key(l))),
    );
    values.extend(
        contact
            .assignee
            .iter()
            .map(|a| Facet::Assignee(value_key(a))),
    );
    if contact.blocked {
        values.insert(Facet::Blocked);
    }
    for (k, v) in &contact.custom_fields {
        if let Some(text) = custom_text(v) {
            values.insert(Facet::Custom(k.clone(), text));
        }
    }
    out.extend(values.into_iter().map(|f| (f, by_creation.clone())));
    out
}

/// The entries of the facets without an index of their own, in facet
/// order: the first [`VALUE_INDEXES`] ride on the contact's item, the rest
/// are items.
fn valued(contact: &Contact) -> impl Iterator<Item = (Facet, String)> {
    entries(contact)
        .into_iter()
        .filter(|(facet, _)| facet.global_index().is_none())
}

/// The entries that are items of their own, by key (`pk`, `sk`).
pub fn own_items(ws: &str, contact: &Contact) -> BTreeSet<(String, String)> {
    let shard = keys::contact_shard(&contact.id);
    valued(contact)
        .skip(VALUE_INDEXES.len())
        .map(|(facet, sort)| (facet.partition(ws, shard), sort))
        .collect()
}

/// Puts the entries kept on the contact's own item (keys of the global
/// indexes) into it.
pub(crate) fn add_item_keys(item: &mut Item, ws: &str, contact: &Contact) {
    let shard = keys::contact_shard(&contact.id);
    let mut keep = |name: &str, facet: &Facet, sort: String| {
        let (pk, sk) = key_attributes(Some(name));
        item.insert(pk, s(facet.partition(ws, shard)));
        item.insert(sk, s(sort));
    };
    for (facet, sort) in entries(contact) {
        if let Some(name) = facet.global_index() {
            keep(name, &facet, sort);
        }
    }
    for (name, (facet, sort)) in VALUE_INDEXES.iter().zip(valued(contact)) {
        keep(name, &facet, sort);
    }
}

/// The writes that move a contact's entries from `before` to `after` (none:
/// a new contact, or one deleted), each with its key for the caller's
/// "one write per item" rule.
pub(crate) fn moves(
    table: &Table,
    ws: &str,
    before: Option<&Contact>,
    after: Option<&Contact>,
) -> Vec<(String, TransactWriteItem)> {
    let old = before.map(|c| own_items(ws, c)).unwrap_or_default();
    let new = after.map(|c| own_items(ws, c)).unwrap_or_default();
    let mut items = Vec::new();
    for (pk, sk) in old.difference(&new) {
        items.push((
            format!("{pk}|{sk}"),
            table.delete(key(pk.clone(), sk), None).item(),
        ));
    }
    let id = after.map(|c| c.id.as_str()).unwrap_or_default();
    for (pk, sk) in new.difference(&old) {
        let mut item = key(pk.clone(), sk);
        item.insert("id".into(), s(id));
        items.push((format!("{pk}|{sk}"), table.put(item, None)));
    }
    items
}

/// Where one read of a partition starts and stops (inclusive), and which
/// way it goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bounds {
    pub from: Option<String>,
    pub to: Option<String>,
    pub descending: bool,
}

/// One read of a partition: the (sort key, contact id) pairs in order, and
/// whether the partition has more beyond them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexRead {
    pub entries: Vec<(String, String)>,
    pub more: bool,
}

/// The highest character a sort key holds, to close a prefix's range.
pub const KEY_END: char = '\u{10FFFF}';

/// The search index of one table.
#[derive(Debug, Clone)]
pub struct SearchStore {
    table: Table,
}

impl SearchStore {
    pub(crate) fn new(table: Table) -> Self {
        Self { table }
    }

    /// Reads each facet's partition in every shard and place (its index,
    /// or the table and the value indexes) within `bounds`, up to `want`
    /// entries each, all at once; answers one read per (facet, shard,
    /// place), facets in order. The partitions are made from `ws` here: a
    /// search reads the caller's workspace only.
    pub async fn reads(
        &self,
        ws: &str,
        facets: &[Facet],
        bounds: &Bounds,
        want: i32,
    ) -> Result<Vec<IndexRead>, StoreError> {
        let mut running = tokio::task::JoinSet::new();
        let mut at = 0;
        for facet in facets {
            for shard in 0..keys::CONTACT_SHARDS {
                for index in facet.places() {
                    let (table, partition, bounds) = (
                        self.table.clone(),
                        facet.partition(ws, shard),
                        bounds.clone(),
                    );
                    running.spawn(async move {
                        (at, table.index_read(index, &partition, &bounds, want).await)
                    });
                    at += 1;
                }
            }
        }
        let mut reads = vec![IndexRead::default(); at];
        while let Some(done) = running.join_next().await {
            let (i, read) = done.map_err(StoreError::unavailable)?;
            reads[i] = read?;
        }
        Ok(reads)
    }
}

impl Table {
    /// A query of one shard of the listing of a workspace's contacts: its
    /// partition of the `created` index, which holds every contact, by
    /// creation (the listing has no index of its own: one write less per
    /// contact).
    pub(crate) fn contacts_listing(&self, ws: &str, shard: u32) -> QueryFluentBuilder {
        self.client()
            .query()
            .table_name(self.name())
            .index_name("created")
            .key_condition_expression("ix_created_pk = :pk")
            .expression_attribute_values(":pk", s(Facet::Created.partition(ws, shard)))
    }

    /// The entries of one index partition (as [`Table::index_read`]'s
    /// places), counted.
    pub(crate) async fn index_count(
        &self,
        index: Option<&str>,
        partition: &str,
    ) -> Result<u64, StoreError> {
        let (pk, _) = key_attributes(index);
        let query = self
            .client()
            .query()
            .table_name(self.name())
            .set_index_name(index.map(str::to_string))
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", pk)
            .expression_attribute_values(":pk", s(partition));
        self.count(query).await
    }

    /// Up to `limit` entries of one index partition within `bounds`: an
    /// item partition of the table (read consistently), or a partition of
    /// a global index.
    pub(crate) async fn index_read(
        &self,
        index: Option<&str>,
        partition: &str,
        bounds: &Bounds,
        limit: i32,
    ) -> Result<IndexRead, StoreError> {
        let (pk, sk) = key_attributes(index);
        let condition = match (&bounds.from, &bounds.to) {
            (Some(_), Some(_)) => "#pk = :pk AND #sk BETWEEN :from AND :to",
            (Some(_), None) => "#pk = :pk AND #sk >= :from",
            (None, Some(_)) => "#pk = :pk AND #sk <= :to",
            (None, None) => "#pk = :pk",
        };
        let mut query = self
            .client()
            .query()
            .table_name(self.name())
            .set_index_name(index.map(str::to_string))
            .key_condition_expression(condition)
            .expression_attribute_names("#pk", &pk)
            .expression_attribute_values(":pk", s(partition))
            .scan_index_forward(!bounds.descending)
            .consistent_read(index.is_none())
            .limit(limit);
        if bounds.from.is_some() || bounds.to.is_some() {
            query = query.expression_attribute_names("#sk", &sk);
        }
        if let Some(from) = &bounds.from {
            query = query.expression_attribute_values(":from", s(from));
        }
        if let Some(to) = &bounds.to {
            query = query.expression_attribute_values(":to", s(to));
        }
        let out = query.send().await?;
        let entries = out
            .items
            .unwrap_or_default()
            .iter()
            .filter_map(|item: &Item| {
                Some((text(item, &sk)?.to_string(), text(item, "id")?.to_string()))
            })
            .collect();
        Ok(IndexRead {
            entries,
            more: out.last_evaluated_key.is_some(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ana() -> Contact {
        Contact {
            id: "c_1".into(),
            first_name: Some("Ana María".into()),
            last_name: Some("Ñúñez".into()),
            country: Some("EC".into()),
            tags: vec!["VIP".into(), "feria".into()],
            created_at: "2026-12-01T10:00:00Z".into(),
            ..Contact::default()
        }
    }

    #[test]
    fn a_contact_is_found_by_its_names_folded_and_by_each_value_it_holds() {
        let found = entries(&ana());
        let sorts: Vec<(&Facet, &str)> = found.iter().map(|(f, s)| (f, s.as_str())).collect();
        assert_eq!(
            sorts,
            [
                (&Facet::Created, "2026-12-01T10:00:00Z#c_1"),
                (&Facet::Name, "ana maria nunez#c_1"),
                (&Facet::Surname, "nunez ana maria#c_1"),
                (&Facet::Tag("feria".into()), "2026-12-01T10:00:00Z#c_1"),
                (&Facet::Tag("vip".into()), "2026-12-01T10:00:00Z#c_1"),
                (&Facet::Country("ec".into()), "2026-12-01T10:00:00Z#c_1"),
            ]
        );
    }

    #[test]
    fn an_edit_moves_only_the_entries_that_change() {
        let table = Table::new(
            aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::Config::builder()
                    .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                    .build(),
            ),
            "t",
        );
        let mut before = ana();
        before.tags = vec!["VIP".into(), "feria".into(), "zeta".into(), "alfa".into()];
        let mut after = ana();
        after.tags = vec!["alfa".into(), "feria".into(), "vip".into(), "omega".into()];
        let moved: Vec<String> = moves(&table, "w", Some(&before), Some(&after))
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let shard = keys::contact_shard("c_1");
        // The first two tags in order (alfa, feria) ride on the item, in
        // the value indexes; the others are items of their own.
        assert_eq!(
            moved,
            [
                format!("W#w#IX#tag#zeta#{shard:02}|2026-12-01T10:00:00Z#c_1"),
                format!("W#w#IX#tag#omega#{shard:02}|2026-12-01T10:00:00Z#c_1"),
            ]
        );
        assert_eq!(moves(&table, "w", Some(&before), None).len(), 2);
        // The creation, the names, the country and the first two tags are
        // keys on the contact's item.
        let mut item = Item::new();
        add_item_keys(&mut item, "w", &before);
        let key_of = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(
            key_of("ix_country_pk"),
            format!("W#w#IX#country#ec#{shard:02}")
        );
        assert_eq!(
            key_of("ix_value_1_pk"),
            format!("W#w#IX#tag#alfa#{shard:02}")
        );
        assert_eq!(
            key_of("ix_value_2_pk"),
            format!("W#w#IX#tag#feria#{shard:02}")
        );
        // Every index sorted by creation sorts by the one attribute; the
        // name indexes each by their own.
        assert_eq!(item.len(), 9, "{item:?}");
        assert_eq!(
            key_attributes(Some("surname")),
            ("ix_surname_pk".into(), "ix_surname_sk".into())
        );
        assert_eq!(
            key_attributes(Some("country")),
            ("ix_country_pk".into(), CREATED_SORT.into())
        );
        assert_eq!(key_attributes(None), ("pk".into(), "sk".into()));
    }
}
