//! How many calls of each operation the local stack's functions had
//! outstanding at once, at most: what shows a path's round trips run side
//! by side (moto answers at once; on AWS each round trip is latency).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::SharedInterceptor;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// Outstanding and most-at-once calls, by operation (`BatchGetItem`).
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    counts: Arc<Mutex<BTreeMap<String, (u64, u64)>>>,
}

/// Marks a call counted as outstanding, so its end is counted once
/// whatever attempts it took.
#[derive(Debug)]
struct Outstanding(String);

impl Storable for Outstanding {
    type Storer = StoreReplace<Self>;
}

impl InFlight {
    pub fn interceptor(&self) -> SharedInterceptor {
        SharedInterceptor::new(self.clone())
    }

    /// The most calls of `operation` that were outstanding at once.
    pub fn most_at_once(&self, operation: &str) -> u64 {
        self.counts
            .lock()
            .expect("in-flight counts")
            .get(operation)
            .map_or(0, |(_, most)| *most)
    }

    /// Forgets what was seen (a bench measures one stage at a time).
    pub fn reset(&self) {
        self.counts
            .lock()
            .expect("in-flight counts")
            .retain(|_, (now, _)| *now > 0);
    }
}

impl Intercept for InFlight {
    fn name(&self) -> &'static str {
        "local-stack calls in flight"
    }

    fn read_before_transmit(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(operation) = cfg.load::<Metadata>().map(|m| m.name().to_string()) else {
            return Ok(());
        };
        if cfg.load::<Outstanding>().is_some() {
            return Ok(());
        }
        let mut counts = self.counts.lock().expect("in-flight counts");
        let (now, most) = counts.entry(operation.clone()).or_default();
        *now += 1;
        *most = (*most).max(*now);
        cfg.interceptor_state().store_put(Outstanding(operation));
        Ok(())
    }

    fn read_after_execution(
        &self,
        _: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Outstanding(operation)) = cfg.load::<Outstanding>() {
            let mut counts = self.counts.lock().expect("in-flight counts");
            if let Some((now, _)) = counts.get_mut(operation) {
                *now = now.saturating_sub(1);
            }
        }
        Ok(())
    }
}
