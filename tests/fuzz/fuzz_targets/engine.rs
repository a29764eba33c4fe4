//! Arbitrary bytes as an uploaded file, with the default options (add and
//! update, by phone, automatic mapping, detected dialect) in an Ecuadorian
//! workspace that holds no contacts: the validator's path.

#![no_main]

use contact_engine::classify::Status;
use contact_engine::lookup::EmptyWorkspace;
use contact_import_fuzz::{Outcome, default_case, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (options, workspace) = default_case();
    if let Outcome::Reviewed(reviewed) = run(data, &options, &workspace, &EmptyWorkspace) {
        // No contact holds any identifier: add_and_update can only import
        // or refuse a row.
        assert!(
            reviewed
                .statuses
                .iter()
                .all(|s| matches!(s, Status::Imported | Status::Error))
        );
    }
});
