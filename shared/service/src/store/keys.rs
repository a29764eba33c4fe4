//! Every key and object path the service writes, in one place. Each begins
//! with the workspace, which comes from the verified token only.

use contact_engine::classify::Status;
use contact_engine::options::Identifier;

use crate::records::ids;

pub const SK_IMPORT: &str = "IMPORT";
pub const SK_REVIEW: &str = "REVIEW";
pub const SK_CONTACT: &str = "CONTACT";
pub const SK_CLAIM: &str = "ID";
pub const SK_LOCK: &str = "IMPORT_LOCK";
pub const SK_SETTINGS: &str = "SETTINGS";
/// The headers a workspace remembers, and how it mapped them.
pub const SK_REMEMBERED: &str = "REMEMBERED_MAPPING";
pub const SK_JOB: &str = "JOB";
/// Beside a contact merged away: the merge, and the contact it went into.
pub const SK_MERGED_INTO: &str = "MERGED_INTO";
pub const SK_MERGE: &str = "MERGE";
/// A contact's history entries, in its own partition.
pub const ACTIVITY_PREFIX: &str = "ACT#";

/// The table's one global secondary index: imports newest first, contacts
/// by shard, and the resets index.
pub const GSI: &str = "gsi1";

/// The index partition listing the workspaces whose monthly reset is on.
/// The only key that does not begin with a workspace: it holds nothing but
/// workspace ids, for the month-end schedule.
pub const RESETS_INDEX: &str = "RESETS";

/// Contacts are listed through this many GSI partitions per workspace, so a
/// large import's writes never pile onto one partition key.
pub const CONTACT_SHARDS: u32 = 16;

pub fn workspace(ws: &str) -> String {
    format!("W#{ws}")
}

pub fn import(ws: &str, import: &str) -> String {
    format!("W#{ws}#IMPORT#{import}")
}

pub fn chunk_sk(index: u32) -> String {
    format!("CHUNK#{index:05}")
}

/// A chunk's grant of new contacts under the workspace's limit.
pub const GRANT_PREFIX: &str = "GRANT#";

pub fn grant_sk(index: u32) -> String {
    format!("{GRANT_PREFIX}{index:05}")
}

/// A month's count, in the workspace's partition.
pub const COUNTERS_PREFIX: &str = "COUNTERS#";

pub fn counters_sk(month: &str) -> String {
    format!("{COUNTERS_PREFIX}{month}")
}

/// The GSI partition that lists a workspace's imports, newest first.
pub fn imports_index(ws: &str) -> String {
    format!("W#{ws}#IMPORTS")
}

/// The GSI partition that lists a workspace's exports and resets, newest
/// first.
pub fn jobs_index(ws: &str) -> String {
    format!("W#{ws}#JOBS")
}

/// The partition of a workspace's groups: each group (`G#{id}`) and the
/// claim on its name (`N#{name, case aside}`).
pub fn groups(ws: &str) -> String {
    format!("W#{ws}#GROUPS")
}

pub fn group_sk(id: &str) -> String {
    format!("G#{id}")
}

pub fn group_name_sk(name_key: &str) -> String {
    format!("N#{name_key}")
}

/// The listing of a workspace's bulk actions, apart from its exports.
pub fn bulk_index(ws: &str) -> String {
    format!("W#{ws}#BULK")
}

/// A record's place in a listing by creation: by creation, then id.
pub fn creation_sk(created_at: i64, id: &str) -> String {
    format!("{created_at:012}#{id}")
}

/// The cursor of a listing by creation (imports, exports): where the last
/// page stopped, `{created_at:012}.{id}` — characters a URL carries as
/// they are, so a cursor pasted into a query string needs no encoding.
pub fn creation_cursor(index_sk: &str) -> Option<String> {
    let (at, id) = index_sk.split_once('#')?;
    Some(format!("{at}.{id}"))
}

/// Reads a listing cursor back into (index sort key, id); only the shape
/// [`creation_cursor`] writes (any other start key, an empty part say,
/// DynamoDB refuses).
pub fn parse_creation_cursor(cursor: &str) -> Option<(String, &str)> {
    let (at, id) = cursor.split_once('.')?;
    let well_formed =
        at.len() == 12 && at.bytes().all(|b| b.is_ascii_digit()) && ids::is_safe_id(id);
    well_formed.then(|| (format!("{at}#{id}"), id))
}

pub fn contact(ws: &str, id: &str) -> String {
    format!("W#{ws}#C#{id}")
}

/// The shard of a contact, in the listing and in every search partition.
pub fn contact_shard(id: &str) -> u32 {
    id.bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % CONTACT_SHARDS
}

/// One entry of a contact's history, in the contact's partition, oldest
/// first by `sk`: when, then the entry's own id.
pub fn activity_sk(at: i64, id: &str) -> String {
    format!("{ACTIVITY_PREFIX}{}", creation_sk(at, id))
}

pub fn merge(ws: &str, id: &str) -> String {
    format!("W#{ws}#MERGE#{id}")
}

/// The GSI partition that lists a workspace's merges, newest first.
pub fn merges_index(ws: &str) -> String {
    format!("W#{ws}#MERGES")
}

/// An export or reset job; its shard progress items share the partition.
pub fn job(ws: &str, job: &str) -> String {
    format!("W#{ws}#JOB#{job}")
}

pub fn job_shard_sk(phase: &str, shard: u32) -> String {
    format!("SHARD#{phase}#{shard:02}")
}

/// A job's pages of chosen contacts, one object per step.
pub fn job_part_object(ws: &str, job: &str, phase_shard: u32, part: &str) -> String {
    format!("work/{ws}/{job}/{phase_shard:02}/{part}.jsonl")
}

/// A new name for a page of chosen contacts written at `step`: drawn afresh
/// on every run, so two copies of one step never write over each other's
/// page.
pub fn job_part_name(step: u32) -> String {
    format!("{step:05}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

pub fn job_folder(ws: &str, job: &str) -> String {
    format!("work/{ws}/{job}/")
}

/// The export's CSV; the bucket's lifecycle keeps `exports/` 7 days. The
/// job's random token makes the key unguessable even where the job id is
/// not (a reset's `rst_{month}`).
pub fn export_object(ws: &str, job: &str, token: Option<&str>) -> String {
    match token {
        Some(token) => format!("exports/{ws}/{job}-{token}.csv"),
        None => format!("exports/{ws}/{job}.csv"),
    }
}

/// The claim item that says which contacts hold a phone, email or id.
pub fn claim(ws: &str, identifier: Identifier, key: &str) -> String {
    let kind = match identifier {
        Identifier::Phone => "PHONE",
        Identifier::Email => "EMAIL",
        Identifier::ContactId => "CONTACT_ID",
    };
    format!("W#{ws}#{kind}#{key}")
}

pub fn notifications(ws: &str) -> String {
    format!("W#{ws}#NOTIFICATIONS")
}

/// A notification's place among the workspace's, oldest first: when, then
/// what it concerns (`IMPORT` or `JOB`) and its id.
pub fn notification_sk(created_at: i64, subject: &str, id: &str) -> String {
    format!("{created_at:012}#{}#{id}", subject.to_uppercase())
}

/// Where the client's upload lands; the bucket's notification watches `uploads/`.
pub fn upload_object(ws: &str, import: &str) -> String {
    format!("uploads/{ws}/{import}")
}

/// Reads an upload's object key back into (workspace, import).
pub fn parse_upload_object(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("uploads/")?;
    let (ws, import) = rest.split_once('/')?;
    (!ws.is_empty() && !import.is_empty() && !import.contains('/')).then_some((ws, import))
}

/// Everything an import's validations and chunks leave behind.
pub fn work_prefix(ws: &str, import: &str) -> String {
    format!("work/{ws}/{import}/")
}

/// A validation's files: one folder per generation, so a re-validation never
/// mixes with the files of the one before.
pub fn work_folder(ws: &str, import: &str, generation: u32) -> String {
    format!("work/{ws}/{import}/g{generation}")
}

pub fn errors_object(ws: &str, import: &str, generation: u32) -> String {
    format!("{}/errors.csv", work_folder(ws, import, generation))
}

pub fn stage_object(ws: &str, import: &str, generation: u32) -> String {
    format!("{}/stage.jsonl", work_folder(ws, import, generation))
}

/// The review's rows of one predicted status.
pub fn review_rows_object(ws: &str, import: &str, generation: u32, status: Status) -> String {
    let status = status.as_str().to_ascii_lowercase();
    format!(
        "{}/rows-{status}.jsonl",
        work_folder(ws, import, generation)
    )
}

pub fn plan_object(ws: &str, import: &str, generation: u32) -> String {
    format!("{}/plan.json", work_folder(ws, import, generation))
}

pub fn result_part_object(ws: &str, import: &str, generation: u32, chunk: u32) -> String {
    format!(
        "{}/parts/{chunk:05}.csv",
        work_folder(ws, import, generation)
    )
}

/// The chunks' result parts of one generation.
pub fn result_parts_prefix(ws: &str, import: &str, generation: u32) -> String {
    format!("{}/parts/", work_folder(ws, import, generation))
}

pub fn result_object(ws: &str, import: &str) -> String {
    format!("results/{ws}/{import}.csv")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::ids::{RANDOM_BITS, new_id, random_token};

    #[test]
    fn listing_cursors_read_back_and_nothing_else_does() {
        let sk = creation_sk(1_795_356_300, "imp_01");
        let cursor = creation_cursor(&sk).unwrap();
        assert_eq!(cursor, "001795356300.imp_01");
        assert!(
            cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
            "URL-safe: {cursor}"
        );
        assert_eq!(parse_creation_cursor(&cursor), Some((sk, "imp_01")));
        for bad in [
            "",
            "x.y",
            "001795356300#imp_01",
            "001795356300.imp#01",
            "1795356300.imp_01",
            "001795356300.",
        ] {
            assert_eq!(parse_creation_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn upload_keys_read_back() {
        let key = upload_object("ws_1", "imp_2");
        assert_eq!(parse_upload_object(&key), Some(("ws_1", "imp_2")));
        assert_eq!(parse_upload_object("uploads/ws"), None);
        assert_eq!(parse_upload_object("results/ws/x"), None);
        assert_eq!(parse_upload_object("uploads/ws/a/b"), None);
    }

    #[test]
    fn contacts_spread_over_every_shard() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..1000 {
            seen.insert(contact_shard(&format!("c_{i}")));
        }
        assert_eq!(seen.len(), CONTACT_SHARDS as usize);
    }

    /// The random bits of an id or token as a number: a ULID's 80, or a
    /// token's 80 (20 hex digits).
    fn random_bits(part: &str) -> u128 {
        match part.len() {
            26 => ulid::Ulid::from_string(&part.to_uppercase())
                .unwrap_or_else(|e| panic!("{part}: {e}"))
                .random(),
            20 => u128::from_str_radix(part, 16).unwrap_or_else(|e| panic!("{part}: {e}")),
            _ => panic!("{part} is neither a ULID nor a token"),
        }
    }

    /// Every bit of the random part takes both values across many draws:
    /// none is fixed or derived from something guessable.
    fn assert_all_bits_vary(draws: &[u128], what: &str) {
        let ones = draws.iter().fold(0u128, |acc, d| acc | d);
        let zeros = draws.iter().fold(0u128, |acc, d| acc | !d);
        let mask = (1u128 << RANDOM_BITS) - 1;
        assert_eq!(ones & mask, mask, "{what}: a bit never 1");
        assert_eq!(zeros & mask, mask, "{what}: a bit never 0");
        assert_eq!(ones & !mask, 0, "{what}: more than {RANDOM_BITS} bits");
    }

    #[test]
    fn every_object_key_holds_eighty_random_bits() {
        let ws = "acme";
        let draws = 400;
        let mut seen = std::collections::HashSet::new();
        let mut by_kind: std::collections::BTreeMap<&str, Vec<u128>> = Default::default();
        for _ in 0..draws {
            let import = new_id("imp");
            let export = new_id("exp");
            let random_of_import = random_bits(import.strip_prefix("imp_").unwrap());
            let token = random_token();
            let keys = [
                ("upload", upload_object(ws, &import), random_of_import),
                ("errors", errors_object(ws, &import, 1), random_of_import),
                ("stage", stage_object(ws, &import, 1), random_of_import),
                ("plan", plan_object(ws, &import, 1), random_of_import),
                (
                    "part",
                    result_part_object(ws, &import, 1, 0),
                    random_of_import,
                ),
                ("result", result_object(ws, &import), random_of_import),
                (
                    "export",
                    export_object(ws, &export, Some(&token)),
                    random_bits(export.strip_prefix("exp_").unwrap()),
                ),
                (
                    "reset backup",
                    export_object(ws, "rst_2026-11", Some(&token)),
                    random_bits(&token),
                ),
            ];
            for (kind, key, random) in keys {
                assert!(
                    key.split('/').nth(1) == Some(ws),
                    "{kind}: {key} begins with its workspace"
                );
                assert!(seen.insert(key.clone()), "{kind}: {key} drawn twice");
                by_kind.entry(kind).or_default().push(random);
            }
        }
        for (kind, random) in &by_kind {
            assert_all_bits_vary(random, kind);
        }
        // A reset's id is a month; its file's key is not.
        let a = export_object(ws, "rst_2026-11", Some(&random_token()));
        let b = export_object(ws, "rst_2026-11", Some(&random_token()));
        assert_ne!(a, b);
        let token = a
            .strip_prefix("exports/acme/rst_2026-11-")
            .and_then(|t| t.strip_suffix(".csv"))
            .unwrap();
        assert_eq!(token.len(), 20, "{a}");
    }
}
