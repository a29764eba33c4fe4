//! A workspace's groups: listed with their sizes, created, renamed and
//! deleted. A contact names its groups; a group record gives the name an
//! id and keeps it unique (case aside). Renaming or deleting a group moves
//! its members in the background, as a bulk action over the filter
//! `group = the old name` (see `bulk`): the group record changes at once,
//! the members follow a page at a time, and a delete leaves the contacts
//! in place. Members are added and removed with the bulk actions
//! (`add_to_group`, `remove_from_group`), and listed by the search
//! (`GET /v1/contacts?group=`).

use futures_util::future::try_join_all;
use serde::Deserialize;
use utoipa::ToSchema;

use super::bulk::BulkActions;
use super::caller::Caller;
use super::error::{AtStep, ListedAt, ServiceError};
use crate::records::ids::{is_safe_id, new_id};
use crate::records::time::now;
use crate::records::{BulkAction, BulkJob, ContactFilter, Group, JobRecord};
use crate::store::{GroupWrite, Page, Store};
use contact_engine::limits::MAX_TEXT_CHARS;

/// Groups per page unless `limit` says otherwise, and at most.
pub const GROUPS_PAGE: (i32, i32) = (50, 100);

/// Groups whose sizes a listing counts at once (each 16 index counts).
const GROUPS_COUNTED_AT_ONCE: usize = 4;

/// `POST /v1/groups` and `PATCH /v1/groups/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupName {
    /// 1 to 255 characters, trimmed; unique in the workspace, case aside.
    pub name: String,
}

/// A group changed, and the job that moves its members.
#[derive(Debug, Clone)]
pub struct GroupChange {
    pub group: Group,
    pub size: u64,
    pub members_job: JobRecord,
}

fn name_of(request: &GroupName) -> Result<String, ServiceError> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > MAX_TEXT_CHARS {
        return Err(ServiceError::bad_request(
            "invalid_group",
            format!("a group's name holds 1 to {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(name.to_string())
}

fn name_taken(name: &str) -> ServiceError {
    ServiceError::conflict(
        "group_exists",
        format!("the workspace already has a group named \"{name}\""),
    )
}

#[derive(Debug, Clone)]
pub struct Groups {
    store: Store,
    bulk: BulkActions,
}

impl Groups {
    pub(crate) fn new(store: Store, bulk: BulkActions) -> Self {
        Self { store, bulk }
    }

    async fn size(&self, ws: &str, group: &Group) -> Result<u64, ServiceError> {
        self.store
            .groups
            .size(ws, &group.name)
            .await
            .at("counting the group's contacts")
    }

    /// A page of the workspace's groups, oldest first, each with its size.
    pub async fn list(
        &self,
        caller: &Caller,
        limit: Option<i32>,
        cursor: Option<&str>,
    ) -> Result<Page<(Group, u64)>, ServiceError> {
        let ws = &caller.workspace;
        if cursor.is_some_and(|c| !is_safe_id(c)) {
            return Err(ServiceError::bad_request(
                "invalid_cursor",
                "the cursor is not one this listing gave; list again without it",
            ));
        }
        let (default, most) = GROUPS_PAGE;
        let limit = limit.unwrap_or(default).clamp(1, most);
        let page = self
            .store
            .groups
            .list(ws, limit, cursor)
            .await
            .listed_at("listing the groups")?;
        // Each size is 16 index counts: a few groups counted side by side,
        // the answers in the listing's order.
        let mut sizes = Vec::with_capacity(page.items.len());
        for few in page.items.chunks(GROUPS_COUNTED_AT_ONCE) {
            sizes.extend(try_join_all(few.iter().map(|group| self.size(ws, group))).await?);
        }
        Ok(Page {
            items: page.items.into_iter().zip(sizes).collect(),
            cursor: page.cursor,
        })
    }

    async fn read(&self, ws: &str, id: &str) -> Result<Group, ServiceError> {
        if !is_safe_id(id) {
            return Err(ServiceError::NotFound("group"));
        }
        self.store
            .groups
            .group(ws, id)
            .await
            .at("reading the group")?
            .ok_or(ServiceError::NotFound("group"))
    }

    /// One group, with its size.
    pub async fn group(&self, caller: &Caller, id: &str) -> Result<(Group, u64), ServiceError> {
        let group = self.read(&caller.workspace, id).await?;
        let size = self.size(&caller.workspace, &group).await?;
        Ok((group, size))
    }

    /// `POST /v1/groups`: owners and managers.
    pub async fn create(&self, caller: &Caller, request: GroupName) -> Result<Group, ServiceError> {
        caller.may_manage()?;
        let group = Group {
            id: new_id("grp"),
            name: name_of(&request)?,
            created_at: now(),
        };
        match self
            .store
            .groups
            .create(&caller.workspace, &group)
            .await
            .at("storing the group")?
        {
            GroupWrite::Done => Ok(group),
            _ => Err(name_taken(&group.name)),
        }
    }

    /// The job that moves a group's members from its old name.
    async fn move_members(
        &self,
        caller: &Caller,
        old: &Group,
        action: BulkAction,
    ) -> Result<JobRecord, ServiceError> {
        let filter = ContactFilter {
            group: Some(old.name.clone()),
            ..ContactFilter::default()
        };
        self.bulk
            .start_job(
                &caller.workspace,
                caller.user.as_deref(),
                BulkJob { action, filter },
            )
            .await
    }

    /// `PATCH /v1/groups/{id}`: renamed at once, its members renamed in the
    /// background. Owners and managers.
    pub async fn rename(
        &self,
        caller: &Caller,
        id: &str,
        request: GroupName,
    ) -> Result<GroupChange, ServiceError> {
        caller.may_manage()?;
        let ws = &caller.workspace;
        let old = self.read(ws, id).await?;
        let name = name_of(&request)?;
        match self
            .store
            .groups
            .rename(ws, &old, &name)
            .await
            .at("renaming the group")?
        {
            GroupWrite::Done => {}
            GroupWrite::NameTaken => return Err(name_taken(&name)),
            GroupWrite::Changed => {
                return Err(ServiceError::conflict(
                    "group_changed",
                    "the group changed while this request ran; read it again and retry",
                ));
            }
        }
        let action = BulkAction::RenameGroup {
            from: old.name.clone(),
            to: name.clone(),
        };
        let renamed = Group {
            name: name.clone(),
            ..old.clone()
        };
        let members_job = match self.move_members(caller, &old, action).await {
            Ok(job) => job,
            Err(e) => {
                // Its members would keep the old name under a group that no
                // longer has it: the group takes its name back, and the
                // request fails whole.
                if let Err(undo) = self.store.groups.rename(ws, &renamed, &old.name).await {
                    tracing::error!(workspace = %ws, group = %old.id, error = %undo, "a renamed group whose members could not follow kept its new name");
                }
                return Err(e);
            }
        };
        let size = self.size(ws, &old).await?;
        Ok(GroupChange {
            group: renamed,
            size,
            members_job,
        })
    }

    /// `DELETE /v1/groups/{id}`: the group goes at once, its contacts stay
    /// and leave it in the background. Owners and managers.
    pub async fn delete(&self, caller: &Caller, id: &str) -> Result<GroupChange, ServiceError> {
        caller.may_manage()?;
        let ws = &caller.workspace;
        let group = self.read(ws, id).await?;
        if self
            .store
            .groups
            .delete(ws, &group)
            .await
            .at("deleting the group")?
            != GroupWrite::Done
        {
            return Err(ServiceError::NotFound("group"));
        }
        let action = BulkAction::RemoveFromGroup {
            group: group.name.clone(),
        };
        let members_job = match self.move_members(caller, &group, action).await {
            Ok(job) => job,
            Err(e) => {
                // Its members would stay in a group that no longer exists:
                // the group comes back as it was, and the request fails
                // whole.
                if let Err(undo) = self.store.groups.create(ws, &group).await {
                    tracing::error!(workspace = %ws, group = %group.id, error = %undo, "a deleted group whose members could not leave it stayed deleted");
                }
                return Err(e);
            }
        };
        let size = self.size(ws, &group).await?;
        Ok(GroupChange {
            group,
            size,
            members_job,
        })
    }
}
