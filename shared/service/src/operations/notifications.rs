//! The workspace's notifications, with fresh links to the files they
//! announce.

use std::collections::{BTreeSet, HashMap};

use super::caller::Caller;
use super::error::{AtStep, ServiceError};
use super::jobs::Jobs;
use crate::records::ids::is_safe_id;
use crate::records::{JobStatus, Notification};

#[derive(Debug, Clone)]
pub struct Notifications {
    jobs: Jobs,
}

impl Notifications {
    pub(crate) fn new(jobs: Jobs) -> Self {
        Self { jobs }
    }

    /// The workspace's newest notifications (at most 100), each with a
    /// fresh presigned link to the export it announces while it is kept.
    pub async fn list(
        &self,
        caller: &Caller,
    ) -> Result<Vec<(Notification, Option<String>)>, ServiceError> {
        let ws = &caller.workspace;
        let store = &self.jobs.store;
        let notes = store
            .workspaces
            .notifications(ws)
            .await
            .at("reading the notifications")?;
        // The jobs the notes announce, read together for their links.
        let job_ids: Vec<String> = notes
            .iter()
            .filter_map(|n| n.job.clone())
            .filter(|id| is_safe_id(id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let jobs = store
            .jobs
            .jobs(ws, &job_ids)
            .await
            .at("reading the jobs announced")?;
        let mut links = HashMap::new();
        for record in jobs {
            if record.status != JobStatus::Failed {
                links.insert(record.id.clone(), self.jobs.file_link(&record).await?);
            }
        }
        Ok(notes
            .into_iter()
            .map(|note| {
                let link = note
                    .job
                    .as_ref()
                    .and_then(|id| links.get(id).cloned().flatten());
                (note, link)
            })
            .collect())
    }
}
