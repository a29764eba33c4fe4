//! Searching a workspace's contacts: the filters of `GET /v1/contacts`
//! turned into reads of the search index (`store::index`), a page at a
//! time, with a bound on what one page reads.
//!
//! One facet drives the search: the sort's own index (by name, or by
//! creation) narrowed to the most selective filter that keeps that order
//! (a tag, a group, a custom field's value, an assignee, blocked, a
//! language, a country; by name, the name's prefix). Its partitions, one
//! per shard, are read side by side from where the last page stopped and
//! merged into one order; every filter is then checked on the contacts
//! themselves. A page ends full, or after [`MAX_ROUNDS`] reads, shorter,
//! with a cursor: no page reads more than `MAX_ROUNDS` × 16 × 3 (the
//! places a facet of many values is in) × [`WANT_MAX`] index entries and
//! as many contacts as it keeps, whatever the workspace holds.
//!
//! A name search reads two indexes in turn: contacts whose first name
//! begins with the text (by name), then those whose last name does and
//! whose first name does not (by last name).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use contact_engine::limits::{DEFAULT_PAGE, MAX_CURSOR_CHARS, MAX_PAGE};
use contact_engine::normalize;

use super::checker::Checker;
use super::requests::{ContactPage, ContactQuery};
use crate::operations::error::{AtStep, ServiceError};
use crate::records::ids::is_safe_id;
use crate::records::time::{parse_rfc3339, rfc3339};
use crate::records::{Contact, ContactFilter};
use crate::store::{Bounds, Facet, KEY_END, Store, custom_text, name_words, value_key};

/// Most rounds of reading one page takes.
pub const MAX_ROUNDS: usize = 6;
/// Most entries one round reads of one partition.
pub const WANT_MAX: i32 = 50;

/// The order of a search's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Name,
    Created,
}

/// What a page read, for the benchmarks and the logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageReads {
    /// Index entries read.
    pub entries: usize,
    /// Contacts read.
    pub contacts: usize,
    /// Queries sent (one per partition and round).
    pub queries: usize,
    pub rounds: usize,
}

/// Where a search goes on: the phase (0, or 1 for a name search's last
/// names) and the last sort key given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cursor {
    p: u8,
    k: String,
}

fn invalid_cursor() -> ServiceError {
    ServiceError::bad_request(
        "invalid_cursor",
        "the cursor is not one this listing gave; list again without it",
    )
}

impl Cursor {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("a cursor serialises"))
    }

    fn decode(text: &str) -> Result<Self, ServiceError> {
        if text.is_empty() || text.len() > MAX_CURSOR_CHARS {
            return Err(invalid_cursor());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid_cursor())?;
        let cursor: Self = serde_json::from_slice(&bytes).map_err(|_| invalid_cursor())?;
        let id_ok = cursor
            .k
            .rsplit_once('#')
            .is_some_and(|(_, id)| is_safe_id(id));
        if cursor.p > 1 || !id_ok {
            return Err(invalid_cursor());
        }
        Ok(cursor)
    }
}

fn bad(message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request("invalid_query", message)
}

fn time_bound(name: &str, raw: &Option<String>) -> Result<Option<String>, ServiceError> {
    raw.as_deref()
        .map(|t| {
            parse_rfc3339(t.trim()).map(rfc3339).ok_or_else(|| {
                bad(format!(
                    "{name} is a time as RFC 3339 writes it, such as 2026-12-01T00:00:00Z"
                ))
            })
        })
        .transpose()
}

impl ContactFilter {
    /// A search's filters read from its query and checked, by the rules of
    /// the workspace's custom fields.
    pub(super) fn read(query: &ContactQuery, checker: &Checker) -> Result<Self, ServiceError> {
        let name = match query.name.as_deref().map(name_words) {
            Some(words) if words.is_empty() => {
                return Err(bad("name= holds no letters or digits"));
            }
            other => other,
        };
        let custom = match query.custom.as_deref() {
            None => None,
            Some(raw) => {
                let (key, value) = raw
                    .split_once(':')
                    .ok_or_else(|| bad("custom= is key:value, such as plan:pro"))?;
                let stored = checker.custom_value(key.trim(), value)?;
                let text = custom_text(&stored)
                    .ok_or_else(|| bad("custom= needs a value after the key"))?;
                Some((key.trim().to_string(), text))
            }
        };
        let country = query
            .country
            .as_deref()
            .map(|c| normalize::country(c.trim()).map_err(|e| bad(format!("country= {e}"))))
            .transpose()?
            .map(str::to_string);
        let language = query
            .language
            .as_deref()
            .map(|l| normalize::language(l.trim()).map_err(|e| bad(format!("language= {e}"))))
            .transpose()?
            .map(str::to_string);
        let empty = |v: &Option<String>| v.as_deref().is_some_and(|v| v.trim().is_empty());
        if empty(&query.group) || empty(&query.assignee) {
            return Err(bad("group= and assignee= need a value"));
        }
        let filters = Self {
            name,
            tags: query.tags.clone(),
            all_tags: query.all_tags,
            group: query.group.as_deref().map(|g| g.trim().to_string()),
            custom,
            country,
            language,
            assignee: query.assignee.as_deref().map(|a| a.trim().to_string()),
            blocked: query.blocked,
            after: time_bound("created_after", &query.created_after)?,
            before: time_bound("created_before", &query.created_before)?,
        };
        if let (Some(a), Some(b)) = (&filters.after, &filters.before)
            && a > b
        {
            return Err(bad("created_after is after created_before"));
        }
        Ok(filters)
    }

    /// Whether a contact passes every filter, its first or its last name
    /// matching the name's (what a bulk action by filter chooses).
    pub(crate) fn matches(&self, c: &Contact) -> bool {
        self.keep(c, 0) || self.keep(c, 1)
    }

    /// Whether a contact passes every filter (`phase` 1 of a name search
    /// keeps the last names whose first name did not match).
    fn keep(&self, c: &Contact, phase: u8) -> bool {
        let same = |a: &Option<String>, b: &Option<String>| match b {
            None => true,
            Some(b) => a.as_deref().is_some_and(|a| value_key(a) == value_key(b)),
        };
        let words = |t: &Option<String>| t.as_deref().map(name_words).unwrap_or_default();
        let name_ok = match &self.name {
            None => true,
            Some(q) => {
                let first = words(&c.first_name).starts_with(q.as_str())
                    || format!("{} {}", words(&c.first_name), words(&c.last_name))
                        .starts_with(q.as_str());
                let last = words(&c.last_name).starts_with(q.as_str())
                    || format!("{} {}", words(&c.last_name), words(&c.first_name))
                        .starts_with(q.as_str());
                if phase == 0 { first } else { last && !first }
            }
        };
        let tags_ok = self.tags.is_empty()
            || if self.all_tags {
                self.tags.iter().all(|t| normalize::has_tag(&c.tags, t))
            } else {
                self.tags.iter().any(|t| normalize::has_tag(&c.tags, t))
            };
        let group_ok = self
            .group
            .as_ref()
            .is_none_or(|g| normalize::has_tag(&c.groups, g));
        let custom_ok = self
            .custom
            .as_ref()
            .is_none_or(|(k, v)| c.custom_fields.get(k).and_then(custom_text).as_ref() == Some(v));
        let created_ok = self.after.as_ref().is_none_or(|a| c.created_at >= *a)
            && self.before.as_ref().is_none_or(|b| c.created_at <= *b);
        name_ok
            && tags_ok
            && group_ok
            && custom_ok
            && created_ok
            && same(&c.country, &self.country)
            && same(&c.language, &self.language)
            && same(&c.assignee, &self.assignee)
            && self.blocked.is_none_or(|b| c.blocked == b)
    }

    /// The facets whose partitions drive the search in `order` (several:
    /// their union, as for any of several tags).
    fn driver(&self, order: Order, phase: u8) -> Vec<Facet> {
        if order == Order::Name {
            return vec![if phase == 0 {
                Facet::Name
            } else {
                Facet::Surname
            }];
        }
        if !self.tags.is_empty() {
            // Any of several tags: their union. All of them: the first
            // named drives (naming the rarest first reads least).
            let tags: Vec<Facet> = self.tags.iter().map(|t| Facet::Tag(value_key(t))).collect();
            return if self.all_tags {
                tags[..1].to_vec()
            } else {
                tags
            };
        }
        let one = if let Some(g) = &self.group {
            Facet::Group(value_key(g))
        } else if let Some((k, v)) = &self.custom {
            Facet::Custom(k.clone(), v.clone())
        } else if let Some(a) = &self.assignee {
            Facet::Assignee(value_key(a))
        } else if self.blocked == Some(true) {
            Facet::Blocked
        } else if let Some(l) = &self.language {
            Facet::Language(value_key(l))
        } else if let Some(c) = &self.country {
            Facet::Country(value_key(c))
        } else {
            Facet::Created
        };
        vec![one]
    }

    /// The range of sort keys the driving partitions are read in.
    fn range(&self, order: Order) -> (Option<String>, Option<String>) {
        match order {
            Order::Name => match &self.name {
                Some(q) => (Some(q.clone()), Some(format!("{q}{KEY_END}"))),
                None => (None, None),
            },
            Order::Created => (
                self.after.clone(),
                self.before.as_ref().map(|b| format!("{b}#{KEY_END}")),
            ),
        }
    }
}

/// Reads `?sort=`: `name`, `created`, `-name` or `-created` (descending);
/// by default by name when searching a name, else newest first.
fn order_of(sort: Option<&str>, name: bool) -> Result<(Order, bool), ServiceError> {
    match sort {
        None if name => Ok((Order::Name, false)),
        None => Ok((Order::Created, true)),
        Some("name") => Ok((Order::Name, false)),
        Some("-name") => Ok((Order::Name, true)),
        Some("created") => Ok((Order::Created, false)),
        Some("-created") => Ok((Order::Created, true)),
        Some(_) => Err(bad("sort is name, -name, created or -created")),
    }
}

/// Moves a name search on to its second phase (last names) once the first
/// is read to its end; answers whether there is one to go on to.
fn second_phase(
    order: Order,
    filters: &ContactFilter,
    phase: &mut u8,
    position: &mut Option<String>,
) -> bool {
    if *phase == 0 && order == Order::Name && filters.name.is_some() {
        *phase = 1;
        *position = None;
        return true;
    }
    false
}

/// One page of a search, and what it read.
pub(super) async fn search(
    store: &Store,
    ws: &str,
    checker: &Checker,
    query: &ContactQuery,
) -> Result<(ContactPage, PageReads), ServiceError> {
    let filters = ContactFilter::read(query, checker)?;
    let (order, descending) = order_of(query.sort.as_deref(), filters.name.is_some())?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let (mut phase, mut position) = match query.cursor.as_deref() {
        Some(c) => {
            let cursor = Cursor::decode(c)?;
            (cursor.p, Some(cursor.k))
        }
        None => (0, None),
    };
    // Only a name search has a second phase.
    if phase == 1 && !(order == Order::Name && filters.name.is_some()) {
        return Err(invalid_cursor());
    }
    let mut reads = PageReads::default();
    let mut items: Vec<Contact> = Vec::with_capacity(limit);
    let (lo, hi) = filters.range(order);
    loop {
        if reads.rounds == MAX_ROUNDS {
            let cursor = position.map(|k| Cursor { p: phase, k }.encode());
            return Ok((ContactPage { items, cursor }, reads));
        }
        reads.rounds += 1;
        let facets = filters.driver(order, phase);
        let bounds = match (descending, &position) {
            (false, Some(p)) => Bounds {
                from: Some(lo.clone().map_or(p.clone(), |lo| lo.max(p.clone()))),
                to: hi.clone(),
                descending,
            },
            (true, Some(p)) => Bounds {
                from: lo.clone(),
                to: Some(hi.clone().map_or(p.clone(), |hi| hi.min(p.clone()))),
                descending,
            },
            (_, None) => Bounds {
                from: lo.clone(),
                to: hi.clone(),
                descending,
            },
        };
        // A cursor from another search may point past this one's range:
        // nothing is left in it (and DynamoDB refuses a reversed BETWEEN).
        let empty = matches!((&bounds.from, &bounds.to), (Some(from), Some(to)) if from > to);
        if empty {
            if second_phase(order, &filters, &mut phase, &mut position) {
                continue;
            }
            return Ok((
                ContactPage {
                    items,
                    cursor: None,
                },
                reads,
            ));
        }
        let streams = facets.len() * crate::store::CONTACT_SHARDS as usize;
        let want = ((limit * 2 / streams) as i32 + 4).min(WANT_MAX);
        let read = store
            .search
            .reads(ws, &facets, &bounds, want)
            .await
            .at("reading the search index")?;
        reads.queries += read.len();
        reads.entries += read.iter().map(|r| r.entries.len()).sum::<usize>();
        // Every partition that has more stops the merged order at its last
        // entry: nothing beyond it is known to come in order.
        let cut = read
            .iter()
            .filter(|r| r.more)
            .filter_map(|r| r.entries.last().map(|(k, _)| k.clone()))
            .reduce(|a, b| if descending { a.max(b) } else { a.min(b) });
        let mut candidates: Vec<(String, String)> = read
            .into_iter()
            .flat_map(|r| r.entries)
            .filter(|(k, _)| Some(k) != position.as_ref())
            .filter(|(k, _)| match &cut {
                None => true,
                Some(cut) if descending => k >= cut,
                Some(cut) => k <= cut,
            })
            .collect();
        candidates.sort();
        candidates.dedup();
        if descending {
            candidates.reverse();
        }
        if candidates.is_empty() && cut.is_none() {
            // This phase is read to its end.
            if second_phase(order, &filters, &mut phase, &mut position) {
                continue;
            }
            return Ok((
                ContactPage {
                    items,
                    cursor: None,
                },
                reads,
            ));
        }
        // The contacts are read as many at a time as the page still needs:
        // a candidate the filters drop makes the next read, not a wasted
        // one ahead of it.
        let mut candidates = candidates.into_iter().peekable();
        while candidates.peek().is_some() {
            let need = limit - items.len();
            let batch: Vec<(String, String)> = candidates.by_ref().take(need).collect();
            let ids: Vec<String> = batch.iter().map(|(_, id)| id.clone()).collect();
            let contacts = store
                .contacts
                .contacts(ws, &ids)
                .await
                .at("reading the contacts found")?;
            reads.contacts += contacts.len();
            for (sort, id) in batch {
                position = Some(sort);
                let Some(contact) = contacts.iter().find(|c| c.id == id) else {
                    continue;
                };
                if filters.keep(contact, phase) {
                    items.push(contact.clone());
                    if items.len() == limit {
                        let cursor = position.map(|k| Cursor { p: phase, k }.encode());
                        return Ok((ContactPage { items, cursor }, reads));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_nothing_else_does() {
        let cursor = Cursor {
            p: 1,
            k: "silva ana#c_01".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        for bad in [
            "",
            "x",
            // {"shard":1}
            "eyJzaGFyZCI6MX0",
            &Cursor {
                p: 2,
                k: "a#c_1".into(),
            }
            .encode(),
            &Cursor {
                p: 0,
                k: "no id".into(),
            }
            .encode(),
            &Cursor {
                p: 0,
                k: "a#c/../x".into(),
            }
            .encode(),
        ] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_most_selective_filter_drives_a_search_by_creation() {
        let filters = ContactFilter {
            tags: vec!["VIP".into(), "feria".into()],
            country: Some("EC".into()),
            ..ContactFilter::default()
        };
        assert_eq!(
            filters.driver(Order::Created, 0),
            [Facet::Tag("vip".into()), Facet::Tag("feria".into())]
        );
        let all = ContactFilter {
            all_tags: true,
            ..filters.clone()
        };
        assert_eq!(all.driver(Order::Created, 0), [Facet::Tag("vip".into())]);
        let country = ContactFilter {
            tags: Vec::new(),
            ..filters
        };
        assert_eq!(
            country.driver(Order::Created, 0),
            [Facet::Country("ec".into())]
        );
        assert_eq!(country.driver(Order::Name, 1), [Facet::Surname]);
    }

    #[test]
    fn a_name_matches_the_first_name_then_the_last_name_once() {
        let filters = ContactFilter {
            name: Some(name_words("Sil")),
            ..ContactFilter::default()
        };
        let silvia = Contact {
            first_name: Some("Silvia".into()),
            last_name: Some("Silva".into()),
            ..Contact::default()
        };
        let ana = Contact {
            first_name: Some("Ána".into()),
            last_name: Some("Silva Ruiz".into()),
            ..Contact::default()
        };
        assert!(filters.keep(&silvia, 0) && !filters.keep(&silvia, 1));
        assert!(!filters.keep(&ana, 0) && filters.keep(&ana, 1));
        let full = ContactFilter {
            name: Some(name_words("ana SILVA")),
            ..ContactFilter::default()
        };
        assert!(full.keep(&ana, 0));
    }
}
