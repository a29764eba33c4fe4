//! What a worker reads before a chunk's rows: the import, the chunk's
//! marks, the workspace's settings and whether its month's count is opened,
//! all in one batched read (docs/PIPELINE.md); the month is opened (the
//! contacts held counted, one query per listing shard) only by the chunk
//! that finds it is not.

use std::collections::BTreeMap;

use contacts::stack::local::Stack;

use super::*;

/// Imports `bytes` with the rows queue held, takes the one chunk message
/// off the queue and runs it through the worker with the calls counted:
/// answers the DynamoDB calls by operation.
async fn chunk_calls(stack: &Stack, api: &ApiClient, bytes: &[u8]) -> BTreeMap<String, u64> {
    let import = reviewed(api, "chunk.csv", bytes, None).await;
    ok(api.confirm(&id_of(&import)).await);
    let jobs = stack
        .take_held_chunks(1, PIPELINE_TIMEOUT)
        .await
        .expect("the rows queue answers");
    let job = jobs.first().expect("the chunk is sent");
    stack.calls.reset();
    stack
        .service
        .worker
        .run_chunk(job)
        .await
        .expect("the chunk runs");
    stack
        .calls
        .counts()
        .into_iter()
        .filter(|((service, _), _)| service == "DynamoDB")
        .map(|((_, operation), n)| (operation, n))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_reads_what_it_needs_in_one_call_and_only_the_first_of_a_month_opens_it() {
    let stack = own_stack(StackOptions::default()).await;
    stack.hold_rows(true);
    let api = client(&stack.api_url, &stack.auth, "ws-chunk-reads", Role::Owner);

    // The workspace's first chunk finds its month not opened, and opens
    // it: the contacts held, counted over the 16 listing shards, then the
    // count read back.
    let first = chunk_calls(&stack, &api, &generated_file(0, 20)).await;
    println!("the month's first chunk: {first:?}");
    assert_eq!(first.get("Query"), Some(&16), "{first:?}");
    // The next chunk learns the month is opened from its one batched
    // read: no query, and two reads of the count fewer.
    let next = chunk_calls(&stack, &api, &generated_file(20, 20)).await;
    println!("a later chunk: {next:?}");
    assert_eq!(next.get("Query"), None, "{next:?}");
    let gets = |calls: &BTreeMap<String, u64>| calls.get("GetItem").copied().unwrap_or(0);
    assert_eq!(gets(&next) + 2, gets(&first), "{first:?} {next:?}");
    assert_eq!(next.get("BatchGetItem"), first.get("BatchGetItem"));
    stack.stop().await;
}
