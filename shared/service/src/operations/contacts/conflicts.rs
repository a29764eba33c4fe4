//! What the contact operations answer when a contact is not there or will
//! not hold still: the one reading that answers 404, and the conflicts a
//! write ends in. Shared by the edits and the merges.

use crate::operations::error::{AtStep, ServiceError};
use crate::records::Contact;
use crate::records::ids::is_safe_id;
use crate::store::Store;

/// Tries of an edit that meets a concurrent write to the same contact: one
/// more on the contact as it then is.
pub(super) const EDIT_TRIES: usize = 2;

/// A contact of the workspace, or 404 (an id that cannot be one included).
pub(super) async fn contact_or_404(
    store: &Store,
    ws: &str,
    id: &str,
) -> Result<Contact, ServiceError> {
    if !is_safe_id(id) {
        return Err(ServiceError::NotFound("contact"));
    }
    store
        .contacts
        .contact(ws, id)
        .await
        .at("reading the contact")?
        .ok_or(ServiceError::NotFound("contact"))
}

pub(super) fn contact_limit_reached(limit: Option<u64>) -> ServiceError {
    let message = match limit {
        Some(limit) => format!(
            "plan contact limit reached: the workspace may add {limit} new contacts a month, and this month's are used up; existing contacts can still be edited"
        ),
        None => "plan contact limit reached".to_string(),
    };
    ServiceError::conflict("contact_limit_reached", message)
}

pub(super) fn contact_changed() -> ServiceError {
    ServiceError::conflict(
        "contact_changed",
        "the contact changed while this request ran; read it again and retry",
    )
}
