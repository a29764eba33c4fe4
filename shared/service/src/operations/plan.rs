//! The plan's contact count as the product defines it: a month's count is
//! the contacts carried over from the previous month plus every contact
//! created in it; deleting gives no place back; months turn at midnight in
//! the workspace's time zone (`Settings::zone`). The store keeps one count
//! a month (see `store::counters`); here is when a month is opened and
//! settled, and what a workspace reads of it.
//!
//! Invariant: nothing creates or deletes a contact in a month before that
//! month is opened. Creations cannot (their condition needs the opened
//! count); each deletion path calls [`open_now`] first. So the contacts
//! held when a month is opened are those held when it turned, and the
//! count carried over is exact, however long after midnight the first
//! write comes. (A write that began a moment before midnight and ends a
//! moment after counts in the month it began in.)

use super::reads::read_settings;
use serde::Serialize;
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{AtStep, ServiceError};
use crate::records::Settings;
use crate::records::time::{local_month, now};
use crate::store::{MonthCount, Store, StoreError};

/// Opens `month` if nothing has yet: its count starts at the contacts the
/// workspace holds. Answers the month's count as it now stands.
pub(crate) async fn open_month(
    store: &Store,
    ws: &str,
    month: &str,
) -> Result<MonthCount, ServiceError> {
    let read = || async {
        store
            .plan
            .month(ws, month)
            .await
            .at("reading the month's contact count")
    };
    if let Some(count) = read().await? {
        return Ok(count);
    }
    let held = store
        .plan
        .held(ws)
        .await
        .at("counting the contacts carried into the month")?;
    store
        .plan
        .open(ws, month, held)
        .await
        .at("opening the month's contact count")?;
    // Opened by this call or a concurrent one: either way, as it stands.
    read().await?.ok_or_else(|| {
        ServiceError::store(
            "opening the month's contact count",
            StoreError::unavailable("the month's count was opened yet cannot be read"),
        )
    })
}

/// The workspace's current month (in its zone), opened, and its count.
pub(crate) async fn open_now_with(
    store: &Store,
    ws: &str,
    settings: &Settings,
) -> Result<(String, MonthCount), ServiceError> {
    let month = local_month(now(), settings.zone());
    let count = open_month(store, ws, &month).await?;
    Ok((month, count))
}

/// [`open_now_with`] for a caller that has not read the settings: what
/// every deletion path calls before it deletes.
pub(crate) async fn open_now(store: &Store, ws: &str) -> Result<String, ServiceError> {
    let settings = read_settings(store, ws).await?;
    Ok(open_now_with(store, ws, &settings).await?.0)
}

/// The month-end reset's last step: the month it ends in counts what
/// remains, carried over. A creation between the count and the write makes
/// it count again, so none is lost.
pub(crate) async fn settle(store: &Store, ws: &str) -> Result<(), ServiceError> {
    let settings = read_settings(store, ws).await?;
    let month = local_month(now(), settings.zone());
    for _ in 0..SETTLE_TRIES {
        let seen = store
            .plan
            .month(ws, &month)
            .await
            .at("reading the month's contact count")?;
        let remaining = store
            .plan
            .held(ws)
            .await
            .at("counting the contacts the reset left")?;
        let settled = store
            .plan
            .settle(ws, &month, remaining, seen.map(|c| c.count))
            .await
            .at("setting the month's count to what remains")?;
        if settled {
            tracing::info!(workspace = %ws, month = %month, remaining, "month's count settled after the reset");
            return Ok(());
        }
    }
    Err(ServiceError::store(
        "setting the month's count to what remains",
        StoreError::unavailable("contacts kept being created while the reset's count was taken"),
    ))
}

/// Tries of [`settle`] before its step fails (and is delivered again).
const SETTLE_TRIES: usize = 5;

/// `GET /v1/plan`: where the workspace stands this month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PlanView {
    /// The month in the workspace's time zone, `yyyy-mm`.
    #[schema(example = "2026-12")]
    pub month: String,
    /// The zone months turn in: the workspace's `time_zone`, else its
    /// country's, else UTC.
    #[schema(example = "America/Guayaquil")]
    pub time_zone: String,
    /// The plan's contacts a month; `null` is unlimited.
    pub contact_limit: Option<u64>,
    /// Carried over plus created: what the limit is checked against.
    pub count: u64,
    /// Held when the month began (or when the month-end reset ended).
    pub carried: u64,
    /// Created since.
    pub created: u64,
    /// New contacts still allowed this month; `null` is unlimited.
    pub remaining: Option<u64>,
}

/// What a workspace reads of its plan.
#[derive(Debug, Clone)]
pub struct Plan {
    store: Store,
}

impl Plan {
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    /// `GET /v1/plan`.
    pub async fn view(&self, caller: &Caller) -> Result<PlanView, ServiceError> {
        let ws = &caller.workspace;
        let settings = read_settings(&self.store, ws).await?;
        let (month, count) = open_now_with(&self.store, ws, &settings).await?;
        Ok(PlanView {
            month,
            time_zone: settings.zone().name().to_string(),
            contact_limit: settings.contact_limit,
            count: count.count,
            carried: count.carried,
            created: count.created(),
            remaining: settings
                .contact_limit
                .map(|limit| limit.saturating_sub(count.count)),
        })
    }
}
