//! Record ids and the random parts of object keys.

/// A new record id, `{prefix}_{ulid}` in lower case: 48 bits of time (ids
/// sort by creation) and 80 random bits (no id can be guessed from
/// another).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// Random bits in every object key besides the ids that are already random
/// (imports and exports are ULIDs: 80 random bits each).
pub const RANDOM_BITS: u32 = 80;

/// A fresh random token of [`RANDOM_BITS`] bits, 20 hex digits, for object
/// keys: drawn from the operating system's seeded generator that ULIDs use.
pub fn random_token() -> String {
    format!("{:020x}", ulid::Ulid::new().random())
}

/// Whether an id (a workspace from a token, an import, contact or job from
/// a path or a message) is safe inside keys and paths.
pub fn is_safe_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The id of the contact a row of an import creates: the same on every run
/// of the row, which is what makes a re-run find its own earlier write.
pub fn created_contact_id(import: &str, row: u64) -> String {
    let import = import.strip_prefix("imp_").unwrap_or(import);
    format!("c_{import}{row:06}")
}

/// The id of a workspace's month-end reset: one a month.
pub fn reset_id(month: &str) -> String {
    format!("rst_{month}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_workspace_ids_are_refused() {
        assert!(is_safe_id("acme-01_x"));
        for bad in ["", "a#b", "a/b", "é", &"x".repeat(65)] {
            assert!(!is_safe_id(bad), "{bad}");
        }
    }
}
