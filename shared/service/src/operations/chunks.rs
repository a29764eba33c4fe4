//! How a confirmed import is cut into chunk messages: one per chunk of the
//! stage plan, in file order, each with its share of the contacts the
//! workspace may still create this month.

use contact_engine::validation::ChunkSpan;

use crate::records::{ChunkJob, ImportRecord, StagePlan};

/// One message per chunk of a confirmed import, in file order; each carries
/// its share of the quota left at confirm.
pub fn chunk_jobs(record: &ImportRecord, plan: &StagePlan) -> Vec<ChunkJob> {
    allowances(&plan.chunks, record.allowance)
        .into_iter()
        .zip(&plan.chunks)
        .map(|(allowance, chunk)| ChunkJob {
            workspace: record.workspace.clone(),
            import: record.id.clone(),
            generation: record.generation,
            chunk: *chunk,
            allowance,
        })
        .collect()
}

/// Shares the quota left at confirm among chunks in file order: each takes
/// what the review predicts it creates, while any is left.
pub fn allowances(chunks: &[ChunkSpan], quota: Option<u64>) -> Vec<Option<u64>> {
    let Some(mut left) = quota else {
        return vec![None; chunks.len()];
    };
    chunks
        .iter()
        .map(|c| {
            let take = u64::from(c.adds).min(left);
            left -= take;
            Some(take)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(adds: u32) -> ChunkSpan {
        ChunkSpan {
            index: 0,
            first_row: 2,
            rows: 10,
            start: 0,
            end: 1,
            adds,
        }
    }

    #[test]
    fn the_quota_goes_to_the_first_chunks() {
        let chunks = [chunk(4), chunk(0), chunk(5), chunk(3)];
        assert_eq!(allowances(&chunks, None), vec![None; 4]);
        assert_eq!(
            allowances(&chunks, Some(7)),
            vec![Some(4), Some(0), Some(3), Some(0)]
        );
    }
}
