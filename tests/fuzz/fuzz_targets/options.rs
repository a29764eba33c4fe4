//! Arbitrary options and bytes: the first bytes choose the purpose,
//! identifier, dialect, country, quota, tags and a hand-made mapping over the
//! file's own headers; a workspace with custom fields of every type answers
//! lookups from each identifier's hash, so every outcome is reachable.

#![no_main]

use contact_import_fuzz::{HashedHolders, case_from, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let (options, workspace, data) = case_from(input);
    run(data, &options, &workspace, &HashedHolders);
});
