//! Which workspace contacts hold an identifier, for validation against
//! contacts known in memory (the command line's empty workspace, tests).
//! The service, whose contacts are behind the network, asks its table
//! itself between [`crate::validation::scan`] and
//! [`crate::validation::Scan::classify`].

use std::collections::HashMap;

use crate::options::Identifier;

/// How many identifiers one lookup call carries: DynamoDB's `BatchGetItem`
/// takes at most 100 keys.
pub const LOOKUP_BATCH: usize = 100;

#[derive(Debug, thiserror::Error)]
#[error("looking up the workspace's contacts failed: {0}")]
pub struct LookupError(pub String);

/// Answers, for a batch of normalised identifiers (E.164 phones, lower-case
/// emails, or contact ids), the ids of the workspace contacts holding each,
/// in the order asked.
pub trait ContactLookup {
    fn holders(
        &self,
        identifier: Identifier,
        keys: &[&str],
    ) -> Result<Vec<Vec<String>>, LookupError>;
}

/// A workspace with no contacts, as the offline dry run sees it.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyWorkspace;

impl ContactLookup for EmptyWorkspace {
    fn holders(&self, _: Identifier, keys: &[&str]) -> Result<Vec<Vec<String>>, LookupError> {
        Ok(vec![Vec::new(); keys.len()])
    }
}

/// Contacts held in memory, for tests of pure logic.
#[derive(Debug, Clone, Default)]
pub struct KnownContacts {
    holders: HashMap<(Identifier, String), Vec<String>>,
}

impl KnownContacts {
    /// Records that contact `id` holds `key` (already normalised).
    pub fn add(&mut self, identifier: Identifier, key: &str, id: &str) -> &mut Self {
        self.holders
            .entry((identifier, key.to_string()))
            .or_default()
            .push(id.to_string());
        self
    }
}

impl ContactLookup for KnownContacts {
    fn holders(
        &self,
        identifier: Identifier,
        keys: &[&str],
    ) -> Result<Vec<Vec<String>>, LookupError> {
        assert!(
            keys.len() <= LOOKUP_BATCH,
            "a lookup carries at most {LOOKUP_BATCH} keys"
        );
        Ok(keys
            .iter()
            .map(|k| {
                self.holders
                    .get(&(identifier, (*k).to_string()))
                    .cloned()
                    .unwrap_or_default()
            })
            .collect())
    }
}
