//! The month-end reset: every hour the schedule gives a reset job to each
//! workspace whose monthly reset is on and whose month has just ended at
//! its own local midnight. The job writes a backup export of the contacts
//! it will delete, deletes exactly those (see `jobs`), sets the new month's
//! count to what remains (`plan::settle`) and notifies the workspace.

use super::error::{AtStep, ServiceError};
use super::jobs::{Jobs, all_columns};
use super::reads::read_settings;
use crate::records::ids::{is_safe_id, reset_id};
use crate::records::time::{local_month, month_just_ended};
use crate::records::{JobKind, JobMessage, JobRecord, JobStatus, Phase, ResetMode, Settings};
use crate::store::{StartResetError, StoreError};

#[derive(Debug, Clone)]
pub struct Resets {
    jobs: Jobs,
}

impl Resets {
    pub(crate) fn new(jobs: Jobs) -> Self {
        Self { jobs }
    }

    /// Every workspace whose monthly reset is on, with its settings (the
    /// resets index, read a page at a time).
    async fn resetting_workspaces(&self) -> Result<Vec<(String, Settings)>, ServiceError> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let (workspaces, next) = self
                .jobs
                .store
                .workspaces
                .reset_workspaces(after.as_deref())
                .await
                .at("listing the workspaces that reset")?;
            all.extend(workspaces);
            match next {
                Some(ws) => after = Some(ws),
                None => return Ok(all),
            }
        }
    }

    /// Where each workspace whose reset is on stands for the month it is in
    /// at `at` (in its zone): its reset's status when one already ran (or
    /// runs) for that month — a workspace resets once a month, so asking
    /// again changes nothing — or `None` when [`Self::start_all`] would
    /// start one.
    pub async fn month_report(
        &self,
        at: i64,
    ) -> Result<Vec<(String, String, Option<JobStatus>)>, ServiceError> {
        let mut report = Vec::new();
        for (ws, settings) in self.resetting_workspaces().await? {
            let month = local_month(at, settings.zone());
            let existing = self
                .jobs
                .store
                .jobs
                .job(&ws, &reset_id(&month))
                .await
                .at("reading the reset")?;
            report.push((ws, month, existing.map(|r| r.status)));
        }
        Ok(report)
    }

    /// The hourly schedule at `at` (Unix seconds): a reset message for each
    /// workspace whose reset is on and whose month ended at its last local
    /// midnight, within the hour (`month_just_ended`). Answers how many
    /// were asked to reset.
    pub async fn start_due(&self, at: i64) -> Result<usize, ServiceError> {
        let due = self
            .resetting_workspaces()
            .await?
            .into_iter()
            .filter_map(|(workspace, settings)| {
                let month = month_just_ended(at, settings.zone())?;
                Some(JobMessage::StartReset { workspace, month })
            })
            .collect();
        self.send(due).await
    }

    /// Ends every resetting workspace's month now, whatever the hour (the
    /// local stack's `contacts reset`): a reset message for the month each
    /// is in at `at`. Answers how many were asked to reset.
    pub async fn start_all(&self, at: i64) -> Result<usize, ServiceError> {
        let all = self
            .resetting_workspaces()
            .await?
            .into_iter()
            .map(|(workspace, settings)| JobMessage::StartReset {
                month: local_month(at, settings.zone()),
                workspace,
            })
            .collect();
        self.send(all).await
    }

    async fn send(&self, messages: Vec<JobMessage>) -> Result<usize, ServiceError> {
        self.jobs
            .store
            .queues
            .jobs(&messages)
            .await
            .at("asking the workspaces to reset")?;
        Ok(messages.len())
    }

    /// Starts (or, on a repeated message, resumes) one workspace's reset for
    /// `month`. While an import is importing the reset waits: the message
    /// comes back after the queue's visibility timeout.
    pub async fn start(&self, ws: &str, month: &str) -> Result<(), ServiceError> {
        if !is_safe_id(ws) {
            return Err(ServiceError::BadMessage("unsafe workspace id".into()));
        }
        let store = &self.jobs.store;
        let id = reset_id(month);
        let existing = store.jobs.job(ws, &id).await.at("reading the reset")?;
        if let Some(record) = existing {
            return self.jobs.resume(&record).await;
        }
        let settings = read_settings(store, ws).await?;
        let tag = match settings.monthly_reset.mode {
            ResetMode::Off => return Ok(()),
            ResetMode::All => None,
            ResetMode::Tagged => Some(settings.monthly_reset.tag.clone()),
        };
        let record = JobRecord {
            month: Some(month.to_string()),
            ..JobRecord::started(id, ws, JobKind::Reset, all_columns(&settings), tag)
        };
        match store.jobs.start_reset(&record).await {
            Ok(()) => self.jobs.send_first_steps(&record, Phase::Select).await,
            Err(StartResetError::Exists) => {
                let existing = store.jobs.job(ws, &record.id).await;
                match existing.at("reading the reset")? {
                    Some(record) => self.jobs.resume(&record).await,
                    None => Ok(()),
                }
            }
            Err(StartResetError::Locked) => Err(ServiceError::store(
                "starting the reset",
                StoreError::unavailable("an import is importing; the reset waits for it"),
            )),
            Err(StartResetError::Store(e)) => Err(e).at("starting the reset"),
        }
    }
}
