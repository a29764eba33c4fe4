//! Bulk actions: add or remove tags, add to or remove from a group, block,
//! unblock or delete — for a list of ids (a page at most), answered at
//! once, or for every contact a search's filters keep, as a job run in the
//! background (see `jobs`), with progress and a notification.
//!
//! A job by filter reads the workspace's contacts a page at a time, shard
//! by shard, and acts on those the filters keep, each over the version it
//! read. A delete by filter first writes the backup a month-end reset
//! writes (the chosen contacts, as a CSV file kept seven days), then
//! deletes exactly those, each only while unchanged since: a contact edited
//! between the two is kept, and counted so. Only owners and managers
//! delete.

use super::reads::read_settings;
use std::collections::HashMap;

use serde::Deserialize;
use utoipa::ToSchema;

use super::caller::Caller;
use super::contacts::{
    BulkResult, ContactActions, ContactQuery, Contacts, FilterNames, MAX_BULK_IDS, bulk_action,
};
use super::error::{AtStep, ServiceError};
use super::jobs::{Jobs, all_columns};
use crate::records::ids::{is_safe_id, new_id};
use crate::records::time::now;
use crate::records::{BulkAction, BulkActionName, BulkJob, JobKind, JobRecord, Phase};
use crate::store::Page;

/// Bulk jobs per page unless `limit` says otherwise, and at most.
pub const BULK_PAGE: (i32, i32) = (20, 100);

/// The contacts a bulk action reaches by filter: a search's filters, named
/// as `GET /v1/contacts` names them (`tags` a list); none keeps every
/// contact.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BulkFilter {
    /// A prefix of the first or the last name (case and accents aside).
    pub name: Option<String>,
    /// Contacts carrying any of these tags (all, with `tag_match: all`).
    #[schema(max_items = 10)]
    pub tags: Vec<String>,
    /// `any` (the default) or `all`.
    pub tag_match: Option<String>,
    pub group: Option<String>,
    /// `key:value` of a custom field.
    pub custom: Option<String>,
    pub country: Option<String>,
    pub language: Option<String>,
    pub assignee: Option<String>,
    pub blocked: Option<bool>,
    /// RFC 3339, inclusive.
    pub created_after: Option<String>,
    /// RFC 3339, inclusive.
    pub created_before: Option<String>,
}

/// A bulk action's filter, named as its JSON body writes it.
const BODY_NAMES: FilterNames = FilterNames {
    label: |name| match name {
        "tag" => "filter.tags".to_string(),
        other => format!("filter.{other}"),
    },
    tag_list: "a list",
};

impl BulkFilter {
    /// The same filters as a search's query string, read by the search's
    /// own rules (so both refuse the same values), its messages naming the
    /// body's members.
    fn query(&self) -> Result<ContactQuery, ServiceError> {
        let mut params = HashMap::new();
        let mut put = |name: &str, value: &Option<String>| {
            if let Some(value) = value {
                params.insert(name.to_string(), value.clone());
            }
        };
        put("name", &self.name);
        put("tag_match", &self.tag_match);
        put("group", &self.group);
        put("custom", &self.custom);
        put("country", &self.country);
        put("language", &self.language);
        put("assignee", &self.assignee);
        put("created_after", &self.created_after);
        put("created_before", &self.created_before);
        put("blocked", &self.blocked.map(|b| b.to_string()));
        if !self.tags.is_empty() {
            if self.tags.iter().any(|t| t.contains(',')) {
                return Err(ServiceError::bad_request(
                    "invalid_query",
                    "a tag of filter.tags holds no comma",
                ));
            }
            params.insert("tag".to_string(), self.tags.join(","));
        }
        ContactQuery::from_named(params, BODY_NAMES)
    }
}

/// `POST /v1/bulk-actions`: an action and the contacts it reaches, either
/// `ids` or `filter`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    pub action: BulkActionName,
    /// For `add_tags` and `remove_tags`.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub tags: Option<Vec<String>>,
    /// For `add_to_group` and `remove_from_group`: the group's name.
    #[serde(default)]
    pub group: Option<String>,
    /// The contacts, by id (1 to 100, none twice): done at once.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 100)]
    pub ids: Option<Vec<String>>,
    /// Every contact these filters keep: done in the background.
    #[serde(default)]
    pub filter: Option<BulkFilter>,
}

/// What a bulk request started or did.
#[derive(Debug, Clone)]
pub enum BulkAnswer {
    /// Over ids: each one's outcome.
    Done(BulkResult),
    /// Over a filter: the job, running.
    Started(Box<JobRecord>),
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request("invalid_bulk_action", message)
}

#[derive(Debug, Clone)]
pub struct BulkActions {
    jobs: Jobs,
    contacts: Contacts,
    actions: ContactActions,
}

impl BulkActions {
    pub(crate) fn new(jobs: Jobs, contacts: Contacts) -> Self {
        let actions = ContactActions::new(jobs.store.clone());
        Self {
            jobs,
            contacts,
            actions,
        }
    }

    /// Checks a request whole before anything is written, then acts on its
    /// ids, or starts its job.
    pub async fn start(
        &self,
        caller: &Caller,
        request: BulkRequest,
    ) -> Result<BulkAnswer, ServiceError> {
        let action = bulk_action(
            request.action,
            request.tags.as_deref(),
            request.group.as_deref(),
        )?;
        if action == BulkAction::Delete {
            caller.may_manage()?;
        }
        let ws = &caller.workspace;
        match (request.ids, request.filter) {
            (Some(ids), None) => {
                if ids.is_empty() || ids.len() > MAX_BULK_IDS {
                    return Err(invalid(format!("ids names 1 to {MAX_BULK_IDS} contacts")));
                }
                for (i, id) in ids.iter().enumerate() {
                    if ids[..i].contains(id) {
                        let id: String = id.chars().take(40).collect();
                        return Err(invalid(format!("\"{id}\" is named twice in ids")));
                    }
                }
                self.ensure_group(ws, &action).await?;
                let result = self.actions.act_on_ids(caller, &action, &ids).await?;
                Ok(BulkAnswer::Done(result))
            }
            (None, Some(filter)) => {
                let query = filter.query()?;
                let filter = self.contacts.filter(ws, &query).await?;
                self.ensure_group(ws, &action).await?;
                let bulk = BulkJob { action, filter };
                let record = self.start_job(ws, caller.user.as_deref(), bulk).await?;
                Ok(BulkAnswer::Started(Box::new(record)))
            }
            _ => Err(invalid(
                "name the contacts with exactly one of ids (a list) or filter (every contact it keeps)",
            )),
        }
    }

    /// A group contacts are added to exists as a group (created if new).
    async fn ensure_group(&self, ws: &str, action: &BulkAction) -> Result<(), ServiceError> {
        if let BulkAction::AddToGroup { group } = action {
            self.jobs
                .store
                .groups
                .ensure(ws, group)
                .await
                .at("creating the group")?;
        }
        Ok(())
    }

    /// Starts a bulk action's job over `bulk.filter`, on behalf of `user`.
    pub(crate) async fn start_job(
        &self,
        ws: &str,
        user: Option<&str>,
        bulk: BulkJob,
    ) -> Result<JobRecord, ServiceError> {
        let store = &self.jobs.store;
        // A delete's backup has every column, as a reset's.
        let columns = if bulk.action == BulkAction::Delete {
            let settings = read_settings(store, ws).await?;
            all_columns(&settings)
        } else {
            Vec::new()
        };
        let record = JobRecord {
            bulk: Some(bulk),
            started_by: user.map(str::to_string),
            ..JobRecord::started(new_id("blk"), ws, JobKind::Bulk, columns, None)
        };
        store
            .jobs
            .create(&record)
            .await
            .at("storing the bulk action")?;
        if let Err(e) = self.jobs.send_first_steps(&record, Phase::Select).await {
            let _ = store
                .jobs
                .fail(
                    &record,
                    "the bulk action could not be started; try again",
                    now(),
                )
                .await;
            return Err(e);
        }
        tracing::info!(workspace = %ws, job = %record.id, "bulk action started");
        Ok(record)
    }

    /// The workspace's bulk actions run in the background, newest first.
    pub async fn list(
        &self,
        caller: &Caller,
        limit: Option<i32>,
        cursor: Option<&str>,
    ) -> Result<Page<(JobRecord, Option<String>)>, ServiceError> {
        let (default, most) = BULK_PAGE;
        let limit = limit.unwrap_or(default).clamp(1, most);
        // A delete's backup link, for those who may read exports.
        self.jobs
            .listed(
                &caller.workspace,
                JobKind::Bulk,
                (limit, cursor),
                caller.may_manage().is_ok(),
                "listing the bulk actions",
            )
            .await
    }

    /// One bulk action run in the background, with its progress.
    pub async fn job(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(JobRecord, Option<String>), ServiceError> {
        if !is_safe_id(id) {
            return Err(ServiceError::NotFound("bulk action"));
        }
        let record = self
            .jobs
            .store
            .jobs
            .job(&caller.workspace, id)
            .await
            .at("reading the bulk action")?
            .filter(|r| r.kind == JobKind::Bulk)
            .ok_or(ServiceError::NotFound("bulk action"))?;
        let url = self.backup_link(caller, &record).await?;
        Ok((record, url))
    }

    /// A delete's backup link, for those who may read exports.
    async fn backup_link(
        &self,
        caller: &Caller,
        record: &JobRecord,
    ) -> Result<Option<String>, ServiceError> {
        if caller.may_manage().is_err() {
            return Ok(None);
        }
        self.jobs.file_link(record).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A filter in a JSON body is refused in the body's words, by the
    /// search's own rules.
    #[test]
    fn a_bad_filter_is_named_as_the_body_writes_it() {
        let refused = |body: serde_json::Value| {
            let filter: BulkFilter = serde_json::from_value(body).unwrap();
            let e = filter.query().unwrap_err();
            assert_eq!(e.code(), "invalid_query");
            e.to_string()
        };
        let words = refused(serde_json::json!({"tags": [""]}));
        assert!(
            words.contains("filter.tags names 1 to 10 tags, a list, none empty"),
            "{words}"
        );
        let words = refused(serde_json::json!({"tag_match": "some"}));
        assert!(words.contains("filter.tag_match is any or all"), "{words}");
        let words = refused(serde_json::json!({"name": "x".repeat(300)}));
        assert!(words.contains("filter.name holds at most"), "{words}");
        assert!(!words.contains('='), "{words}");
        let words = refused(serde_json::json!({"tags": ["a,b"]}));
        assert!(words.contains("filter.tags"), "{words}");
    }
}
