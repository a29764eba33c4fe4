//! DynamoDB's read and write units as AWS would bill the functions' calls,
//! counted by moto's launcher (`infra/local/capacity.py`, which states the
//! rules), and the cap that makes it throttle as DynamoDB does. Read and set
//! over HTTP on moto's port; the counts cover every DynamoDB call made to
//! this stack's moto (the stack's own set-up included, before a reset).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::StackError;

/// Units and calls of one DynamoDB operation.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OperationUnits {
    /// Calls answered (throttled ones not included).
    pub calls: u64,
    pub read: f64,
    pub write: f64,
    /// Calls answered `ProvisionedThroughputExceededException`.
    pub throttled: u64,
}

/// Units one table or index consumed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlaceUnits {
    pub read: f64,
    pub write: f64,
}

/// Units per second each table and each of its indexes may consume; `None`
/// is no cap (moto's own speed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Caps {
    pub read: Option<f64>,
    pub write: Option<f64>,
}

/// What the calls so far consumed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CapacityReport {
    /// By operation: `PutItem`, `TransactWriteItems`, `Query`, …
    pub operations: BTreeMap<String, OperationUnits>,
    /// By table, and by index as `table/index`.
    pub places: BTreeMap<String, PlaceUnits>,
    /// The tables' write units by kind of item: the key's words, such as
    /// `C` (a contact), `PHONE` (a claim), `C ACT` (a contact's activity).
    pub kinds: BTreeMap<String, f64>,
    pub caps: Caps,
}

impl CapacityReport {
    pub fn read_units(&self) -> f64 {
        self.operations.values().map(|o| o.read).sum()
    }

    pub fn write_units(&self) -> f64 {
        self.operations.values().map(|o| o.write).sum()
    }

    /// Write units spent on global secondary indexes (places `table/index`).
    pub fn index_write_units(&self) -> f64 {
        self.places
            .iter()
            .filter(|(place, _)| place.contains('/'))
            .map(|(_, units)| units.write)
            .sum()
    }

    pub fn throttled(&self) -> u64 {
        self.operations.values().map(|o| o.throttled).sum()
    }
}

/// The meter of one moto server.
#[derive(Debug, Clone)]
pub struct CapacityMeter {
    url: String,
    http: reqwest::Client,
}

#[derive(Serialize)]
struct Change {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    reset: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    caps: Option<CapsPerSecond>,
}

#[derive(Serialize)]
struct CapsPerSecond {
    read_per_second: Option<f64>,
    write_per_second: Option<f64>,
}

impl CapacityMeter {
    pub fn new(moto_endpoint: &str) -> Self {
        Self {
            url: format!("{moto_endpoint}/_contacts/capacity"),
            http: reqwest::Client::new(),
        }
    }

    /// The units consumed since the last reset.
    pub async fn report(&self) -> Result<CapacityReport, StackError> {
        self.send(None).await
    }

    /// Starts counting from zero; answers what was counted until now.
    pub async fn reset(&self) -> Result<CapacityReport, StackError> {
        self.send(Some(Change {
            reset: true,
            caps: None,
        }))
        .await
    }

    /// Caps the units per second of every table and index (`None`: no cap).
    pub async fn cap(&self, caps: Caps) -> Result<(), StackError> {
        self.send(Some(Change {
            reset: false,
            caps: Some(CapsPerSecond {
                read_per_second: caps.read,
                write_per_second: caps.write,
            }),
        }))
        .await
        .map(|_| ())
    }

    async fn send(&self, change: Option<Change>) -> Result<CapacityReport, StackError> {
        let request = match change {
            Some(change) => self.http.post(&self.url).json(&change),
            None => self.http.get(&self.url),
        };
        let failed = |e: reqwest::Error| StackError::Moto(format!("capacity meter: {e}"));
        request
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(failed)?
            .json()
            .await
            .map_err(failed)
    }
}
