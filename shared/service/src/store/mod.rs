//! The store: the only code that speaks DynamoDB, S3 and SQS. It speaks the
//! domain's language to the operations above it: records in and records
//! out, and what happened in plain terms (a contact created or its phone
//! taken, a confirm refused because the workspace is locked, a chunk
//! counted once). No AWS type, key or reason code leaves it.
//!
//! Underneath, `table`, `bucket` and `queue` are the plumbing of each
//! service; `keys` holds every key and object path; `claims`, `counters`,
//! `lock` and `notifications` build the items several stores write inside
//! their transactions (`counters` also reads and opens the plan's months); `retry` is the one policy every loop that tries
//! again follows.

mod activity;
mod bucket;
mod chunks;
mod claims;
pub mod clients;
mod contacts;
mod counters;
mod error;
mod files;
mod groups;
mod imports;
mod index;
mod jobs;
pub mod keys;
mod lock;
mod merges;
mod notifications;
mod queue;
mod queues;
pub mod retry;
mod table;
mod workspaces;

pub use activity::{ACTIVITY_DAYS, ActivityEntry, ActivityStore};
pub use bucket::{MAX_URL_LIFETIME, Presigned};
pub use chunks::{ChunkState, ChunkStore};
pub use clients::Clients;
pub use contacts::{ContactShardRead, ContactStore, Creation, Edit, RowWrite};
pub use counters::{MonthCount, PlanStore};
pub use error::{BoxError, StoreError};
pub use files::FileStore;
pub use groups::{GroupStore, GroupWrite};
pub use imports::{ConfirmError, ImportStore};
pub use index::{
    Bounds, Facet, IndexRead, KEY_END, SearchStore, created_sort, custom_text, name_words,
    own_items, value_key,
};
pub use jobs::{JobStore, StartResetError};
pub use keys::CONTACT_SHARDS;
pub use merges::{ClaimChange, MergeEnd, MergeStore, MergeWrite, MergedAway, UndoWrite};
pub use queues::Queues;
pub use table::Page;
pub use workspaces::WorkspaceStore;

use queue::Queue;
use table::Table;

/// Where the service's resources are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    pub table: String,
    pub bucket: String,
    pub uploads_queue_url: String,
    pub rows_queue_url: String,
    pub jobs_queue_url: String,
}

impl Resources {
    /// From the environment Lambda sets (see infra/template.yaml).
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        Ok(Self {
            table: var("TABLE_NAME")?,
            bucket: var("BUCKET_NAME")?,
            uploads_queue_url: var("UPLOADS_QUEUE_URL")?,
            rows_queue_url: var("ROWS_QUEUE_URL")?,
            jobs_queue_url: var("JOBS_QUEUE_URL")?,
        })
    }
}

/// Every store, over one table, one bucket and three queues.
#[derive(Debug, Clone)]
pub struct Store {
    pub imports: ImportStore,
    pub chunks: ChunkStore,
    pub contacts: ContactStore,
    pub activity: ActivityStore,
    pub merges: MergeStore,
    pub search: SearchStore,
    pub workspaces: WorkspaceStore,
    pub plan: PlanStore,
    pub jobs: JobStore,
    pub files: FileStore,
    pub groups: GroupStore,
    pub queues: Queues,
    table: Table,
}

impl Store {
    pub fn new(clients: &Clients, resources: &Resources) -> Self {
        let table = Table::new(clients.dynamodb.clone(), &resources.table);
        let queue = |url: &str| Queue::new(clients.sqs.clone(), url);
        Self {
            imports: ImportStore::new(table.clone()),
            chunks: ChunkStore::new(table.clone()),
            contacts: ContactStore::new(table.clone()),
            activity: ActivityStore::new(table.clone()),
            merges: MergeStore::new(table.clone(), ContactStore::new(table.clone())),
            search: SearchStore::new(table.clone()),
            workspaces: WorkspaceStore::new(table.clone()),
            plan: PlanStore::new(table.clone()),
            groups: GroupStore::new(table.clone()),
            jobs: JobStore::new(table.clone()),
            files: FileStore::new(bucket::Bucket::new(clients.s3.clone(), &resources.bucket)),
            queues: Queues::new(
                queue(&resources.uploads_queue_url),
                queue(&resources.rows_queue_url),
                queue(&resources.jobs_queue_url),
            ),
            table,
        }
    }

    /// Whether the table, the bucket and the queues answer.
    pub async fn reachable(&self) -> Result<(), StoreError> {
        self.table.reachable().await?;
        self.files.reachable().await?;
        self.queues.reachable().await
    }

    /// The table's name (tests read its items with their own client).
    pub fn table_name(&self) -> &str {
        self.table.name()
    }
}
