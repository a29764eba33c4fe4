//! How each row ends: IMPORT.md's table, as one pure function.

use serde::{Deserialize, Serialize};

use crate::options::Purpose;

/// A row's outcome. The words are exactly the ones files show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Imported,
    Updated,
    Skipped,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Imported => "Imported",
            Self::Updated => "Updated",
            Self::Skipped => "Skipped",
            Self::Error => "Error",
        }
    }
}

/// Why a row is Skipped or Error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    InvalidValues,
    IdentifierEmpty,
    RepeatedInFile {
        rows: u32,
    },
    SharedByContacts {
        contacts: u32,
    },
    AlreadyExists,
    NotFound,
    NoFirstName,
    QuotaReached,
    /// Removed from the import in the review.
    Dropped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    pub reason: Option<Reason>,
}

impl Verdict {
    fn ok(status: Status) -> Self {
        Self {
            status,
            reason: None,
        }
    }
    /// A row removed in the review: whatever it holds, it ends `Skipped`.
    pub fn dropped() -> Self {
        Self::because(Status::Skipped, Reason::Dropped)
    }
    fn because(status: Status, reason: Reason) -> Self {
        Self {
            status,
            reason: Some(reason),
        }
    }
}

/// What the table looks at for one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowFacts {
    pub invalid_values: bool,
    pub identifier: IdentifierFacts,
    pub has_first_name: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierFacts {
    /// `add_all` identifies no one.
    NotUsed,
    Empty,
    Present {
        /// Rows of the file carrying the same identifier, this one included.
        rows_in_file: u32,
        /// Workspace contacts holding it.
        holders: u32,
    },
}

/// New contacts the workspace may still create; `None` is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota(pub Option<u64>);

impl Quota {
    fn take(&mut self) -> bool {
        match &mut self.0 {
            None => true,
            Some(0) => false,
            Some(n) => {
                *n -= 1;
                true
            }
        }
    }
}

/// Classifies one row. Rows are classified in file order, so the quota goes
/// to the first rows that create contacts.
pub fn classify(purpose: Purpose, facts: RowFacts, quota: &mut Quota) -> Verdict {
    use Status::*;
    if facts.invalid_values {
        return Verdict::because(Error, Reason::InvalidValues);
    }
    match facts.identifier {
        IdentifierFacts::NotUsed => {}
        IdentifierFacts::Empty => return Verdict::because(Error, Reason::IdentifierEmpty),
        IdentifierFacts::Present { rows_in_file, .. } if rows_in_file > 1 => {
            return Verdict::because(Error, Reason::RepeatedInFile { rows: rows_in_file });
        }
        IdentifierFacts::Present { holders, .. } if holders > 1 => {
            return Verdict::because(Error, Reason::SharedByContacts { contacts: holders });
        }
        IdentifierFacts::Present { holders: 1, .. } => {
            return match purpose {
                Purpose::AddNew => Verdict::because(Skipped, Reason::AlreadyExists),
                _ => Verdict::ok(Updated),
            };
        }
        IdentifierFacts::Present { .. } if purpose == Purpose::UpdateExisting => {
            return Verdict::because(Skipped, Reason::NotFound);
        }
        IdentifierFacts::Present { .. } => {}
    }
    if !facts.has_first_name {
        return Verdict::because(Error, Reason::NoFirstName);
    }
    if !quota.take() {
        return Verdict::because(Error, Reason::QuotaReached);
    }
    Verdict::ok(Imported)
}

#[cfg(test)]
mod tests {
    //! One test per row of IMPORT.md's "How each row ends" table, across the
    //! four purposes.
    use super::*;
    use Purpose::*;
    use Status::*;

    const PURPOSES: [Purpose; 4] = [AddNew, UpdateExisting, AddAndUpdate, AddAll];

    fn facts(identifier: IdentifierFacts) -> RowFacts {
        RowFacts {
            invalid_values: false,
            identifier,
            has_first_name: true,
        }
    }

    fn present(rows_in_file: u32, holders: u32) -> IdentifierFacts {
        IdentifierFacts::Present {
            rows_in_file,
            holders,
        }
    }

    /// The identifier facts each purpose sees for a given situation.
    fn for_purpose(p: Purpose, id: IdentifierFacts) -> IdentifierFacts {
        if p == AddAll {
            IdentifierFacts::NotUsed
        } else {
            id
        }
    }

    fn run(p: Purpose, f: RowFacts) -> Verdict {
        classify(p, f, &mut Quota(None))
    }

    #[test]
    fn invalid_values_are_an_error_for_every_purpose() {
        for p in PURPOSES {
            let f = RowFacts {
                invalid_values: true,
                ..facts(for_purpose(p, present(1, 0)))
            };
            assert_eq!(
                run(p, f),
                Verdict::because(Error, Reason::InvalidValues),
                "{p:?}"
            );
        }
    }

    #[test]
    fn empty_identifier() {
        for p in [AddNew, UpdateExisting, AddAndUpdate] {
            assert_eq!(
                run(p, facts(IdentifierFacts::Empty)).reason,
                Some(Reason::IdentifierEmpty)
            );
        }
        assert_eq!(
            run(AddAll, facts(IdentifierFacts::NotUsed)).status,
            Imported
        );
    }

    #[test]
    fn identifier_repeated_in_the_file_is_an_error_on_every_such_row() {
        for p in [AddNew, UpdateExisting, AddAndUpdate] {
            for holders in [0, 1, 2] {
                let v = run(p, facts(present(2, holders)));
                assert_eq!(
                    v,
                    Verdict::because(Error, Reason::RepeatedInFile { rows: 2 }),
                    "{p:?}"
                );
            }
        }
    }

    #[test]
    fn identifier_shared_by_several_contacts() {
        for p in [AddNew, UpdateExisting, AddAndUpdate] {
            assert_eq!(
                run(p, facts(present(1, 2))),
                Verdict::because(Error, Reason::SharedByContacts { contacts: 2 })
            );
        }
    }

    #[test]
    fn one_contact_has_the_identifier() {
        assert_eq!(
            run(AddNew, facts(present(1, 1))),
            Verdict::because(Skipped, Reason::AlreadyExists)
        );
        assert_eq!(
            run(UpdateExisting, facts(present(1, 1))),
            Verdict::ok(Updated)
        );
        assert_eq!(
            run(AddAndUpdate, facts(present(1, 1))),
            Verdict::ok(Updated)
        );
    }

    #[test]
    fn no_contact_has_the_identifier() {
        assert_eq!(run(AddNew, facts(present(1, 0))), Verdict::ok(Imported));
        assert_eq!(
            run(UpdateExisting, facts(present(1, 0))),
            Verdict::because(Skipped, Reason::NotFound)
        );
        assert_eq!(
            run(AddAndUpdate, facts(present(1, 0))),
            Verdict::ok(Imported)
        );
        assert_eq!(
            run(AddAll, facts(IdentifierFacts::NotUsed)),
            Verdict::ok(Imported)
        );
    }

    #[test]
    fn a_new_contact_needs_a_first_name() {
        for p in [AddNew, AddAndUpdate, AddAll] {
            let f = RowFacts {
                has_first_name: false,
                ..facts(for_purpose(p, present(1, 0)))
            };
            assert_eq!(
                run(p, f),
                Verdict::because(Error, Reason::NoFirstName),
                "{p:?}"
            );
        }
        // Updates and skips need none.
        let f = RowFacts {
            has_first_name: false,
            ..facts(present(1, 1))
        };
        assert_eq!(run(UpdateExisting, f).status, Updated);
        assert_eq!(run(AddAndUpdate, f).status, Updated);
        let f = RowFacts {
            has_first_name: false,
            ..facts(present(1, 0))
        };
        assert_eq!(run(UpdateExisting, f).status, Skipped);
    }

    #[test]
    fn the_quota_goes_to_the_first_new_contacts() {
        for p in [AddNew, AddAndUpdate, AddAll] {
            let mut quota = Quota(Some(2));
            let f = facts(for_purpose(p, present(1, 0)));
            let statuses: Vec<Status> = (0..3).map(|_| classify(p, f, &mut quota).status).collect();
            assert_eq!(statuses, [Imported, Imported, Error], "{p:?}");
            assert_eq!(
                classify(p, f, &mut quota).reason,
                Some(Reason::QuotaReached)
            );
        }
        // Updates never use the quota.
        let mut quota = Quota(Some(0));
        assert_eq!(
            classify(AddAndUpdate, facts(present(1, 1)), &mut quota).status,
            Updated
        );
        assert_eq!(
            classify(UpdateExisting, facts(present(1, 1)), &mut quota).status,
            Updated
        );
    }
}
