//! The plan's count of a month, one item a workspace and month
//! (`COUNTERS#{yyyy-mm}`, the month in the workspace's time zone):
//! `month_count`, the contacts carried over into the month plus every
//! contact created in it, and `carried`. Deleting a contact takes nothing
//! off. The atomic check every creation (API, import, merge undo) passes
//! against the plan's limit is a condition on `month_count`.
//!
//! A month is *opened* once, by whatever first creates or deletes in it:
//! `month_count = carried =` the contacts the workspace holds at that
//! moment. Creations wait for the opening (their condition needs the
//! attribute), and every deletion path opens the month before it deletes,
//! so what is held at the opening is what was held when the month turned.
//! The month-end reset's last step *settles* the month it ends in:
//! `month_count = carried =` what remains.
//!
//! Items written before months were opened hold `contacts_created` alone;
//! opening such a month counts the contacts held instead, so a contact
//! created before the change is counted once, as held, never twice.

use aws_sdk_dynamodb::types::TransactWriteItem;
use futures_util::future::try_join_all;

use super::error::StoreError;
use super::keys;
use super::table::{Item, Table, key, n};

/// A month's count as the plan reads it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthCount {
    /// Carried over plus created this month.
    pub count: u64,
    /// Held when the month was opened (or the reset settled it).
    pub carried: u64,
}

impl MonthCount {
    /// The contacts created since the month was opened or settled.
    pub fn created(&self) -> u64 {
        self.count.saturating_sub(self.carried)
    }
}

pub(super) fn month_key(ws: &str, month: &str) -> Item {
    key(keys::workspace(ws), &keys::counters_sk(month))
}

/// A month's count as its item holds it, `None` while the month is not
/// opened (no item, or one from before months were opened).
pub(super) fn count_of(item: &Item) -> Option<MonthCount> {
    let number = |name: &str| -> Option<u64> { item.get(name)?.as_n().ok()?.parse().ok() };
    number("month_count").map(|count| MonthCount {
        count,
        carried: number("carried").unwrap_or(0),
    })
}

/// `month`'s count, `None` while the month is not opened.
pub(crate) async fn month_count(
    table: &Table,
    ws: &str,
    month: &str,
) -> Result<Option<MonthCount>, StoreError> {
    let item = table.get(month_key(ws, month)).await?;
    Ok(item.as_ref().and_then(count_of))
}

/// Adds `count` new contacts to opened `month`, and with a `limit` only
/// while the total stays within it. `None` when `count` alone exceeds the
/// limit.
pub(crate) fn take(
    table: &Table,
    ws: &str,
    month: &str,
    count: u64,
    limit: Option<u64>,
) -> Option<TransactWriteItem> {
    let update = table
        .update(month_key(ws, month), "ADD month_count :n")
        .value(":n", n(count));
    Some(
        match limit {
            Some(limit) => update
                .condition("attribute_exists(month_count) AND month_count <= :max")
                .value(":max", n(limit.checked_sub(count)?)),
            None => update.condition("attribute_exists(month_count)"),
        }
        .item(),
    )
}

/// Adds `change` (negative: gives back) to `month`'s count, which the
/// caller opened or took from before, unchecked.
pub(crate) fn add(table: &Table, ws: &str, month: &str, change: i64) -> TransactWriteItem {
    table
        .update(month_key(ws, month), "ADD month_count :n")
        .value(":n", n(change))
        .item()
}

/// Reads and opens the plan's months.
#[derive(Debug, Clone)]
pub struct PlanStore {
    table: Table,
}

impl PlanStore {
    pub(crate) fn new(table: Table) -> Self {
        Self { table }
    }

    /// `month`'s count, `None` while the month is not opened.
    pub async fn month(&self, ws: &str, month: &str) -> Result<Option<MonthCount>, StoreError> {
        month_count(&self.table, ws, month).await
    }

    /// The contacts the workspace holds now: a count over its 16 listing
    /// shards, side by side. It reads every contact once (a month's opening
    /// and a reset's end, not a request's path).
    pub async fn held(&self, ws: &str) -> Result<u64, StoreError> {
        let shards = (0..keys::CONTACT_SHARDS).map(|shard| self.held_in(ws, shard));
        Ok(try_join_all(shards).await?.into_iter().sum())
    }

    async fn held_in(&self, ws: &str, shard: u32) -> Result<u64, StoreError> {
        let listing = self.table.contacts_listing(ws, shard);
        self.table.count(listing).await
    }

    /// Opens `month` with the `held` contacts carried over. Answers false
    /// when it was opened already (by a concurrent first creation, say),
    /// which changes nothing.
    pub async fn open(&self, ws: &str, month: &str, held: u64) -> Result<bool, StoreError> {
        let opened = self
            .table
            .update(
                month_key(ws, month),
                "SET month_count = :held, carried = :held, opened_at = :now",
            )
            .value(":held", n(held))
            .value(":now", n(crate::records::time::now()))
            .condition("attribute_not_exists(month_count)")
            .send_alone(self.table.client())
            .await;
        match opened {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Sets `month`'s count to the `remaining` contacts (the reset's last
    /// step), if the count is still `seen` (`None`: not opened): a creation
    /// meanwhile makes it false, and the caller counts again.
    pub async fn settle(
        &self,
        ws: &str,
        month: &str,
        remaining: u64,
        seen: Option<u64>,
    ) -> Result<bool, StoreError> {
        let update = self
            .table
            .update(
                month_key(ws, month),
                "SET month_count = :remaining, carried = :remaining",
            )
            .value(":remaining", n(remaining));
        let update = match seen {
            Some(seen) => update
                .condition("month_count = :seen")
                .value(":seen", n(seen)),
            None => update.condition("attribute_not_exists(month_count)"),
        };
        match update.send_alone(self.table.client()).await {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
