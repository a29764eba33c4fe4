//! A contact as the table keeps it and the API shows it.

use std::collections::BTreeMap;

use contact_engine::contact_fields;
use contact_engine::options::Identifier;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::actors::Actor;

contact_fields! {
    /// A contact as stored and as the API shows it.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct Contact {
        pub id: String,
        .. Option<String>, first_name { }, others { };
        #[serde(default)]
        pub tags: Vec<String>,
        #[serde(default)]
        pub groups: Vec<String>,
        #[serde(default)]
        #[schema(value_type = Object)]
        pub custom_fields: BTreeMap<String, serde_json::Value>,
        #[serde(default)]
        pub blocked: bool,
        /// The phones of contacts merged into this one: a look-up or an
        /// import by any of them finds it. Left out when none.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub other_phones: Vec<String>,
        /// The emails of contacts merged into this one, as `other_phones`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub other_emails: Vec<String>,
        /// Who or what created the contact: the first line of its history,
        /// kept on the contact itself so that a creation writes no history
        /// item of its own. Absent on contacts stored before it was kept
        /// (their history holds a `created` entry instead).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub created_by: Option<Actor>,
        /// RFC 3339.
        pub created_at: String,
        /// RFC 3339.
        pub updated_at: String,
    }
}

impl Contact {
    /// Every value of `identifier` the contact holds a claim on: its own
    /// and those of the contacts merged into it, the main one first.
    pub fn held(&self, identifier: Identifier) -> Vec<&str> {
        let (main, others) = match identifier {
            Identifier::Phone => (&self.phone, &self.other_phones),
            Identifier::Email => (&self.email, &self.other_emails),
            Identifier::ContactId => return Vec::new(),
        };
        let mut held: Vec<&str> = main.iter().map(String::as_str).collect();
        for other in others {
            if !held.contains(&other.as_str()) {
                held.push(other);
            }
        }
        held
    }

    /// Keeps the identifiers a merge gave this contact through an edit from
    /// `before`: when the new phone (email) is one of the merged ones, the
    /// one it replaces joins the others instead of being released, so the
    /// contact still holds every number it held. Any other change releases
    /// the old value, as an edit of an unmerged contact does.
    pub fn keep_merged(&mut self, before: &Contact) {
        fn swap(
            main: &Option<String>,
            others: &mut Vec<String>,
            before_main: &Option<String>,
            before_others: &[String],
        ) {
            let Some(new) = main else { return };
            if before_main.as_ref() == Some(new) || !before_others.contains(new) {
                others.retain(|o| o != new);
                return;
            }
            others.retain(|o| o != new);
            if let Some(old) = before_main
                && !others.contains(old)
            {
                others.insert(0, old.clone());
            }
        }
        swap(
            &self.phone,
            &mut self.other_phones,
            &before.phone,
            &before.other_phones,
        );
        swap(
            &self.email,
            &mut self.other_emails,
            &before.email,
            &before.other_emails,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged() -> Contact {
        Contact {
            id: "c_a".into(),
            phone: Some("+593991111111".into()),
            other_phones: vec!["+593992222222".into()],
            ..Contact::default()
        }
    }

    #[test]
    fn a_merged_contact_holds_its_own_and_its_merged_identifiers() {
        assert_eq!(
            merged().held(Identifier::Phone),
            ["+593991111111", "+593992222222"]
        );
        assert!(merged().held(Identifier::Email).is_empty());
    }

    #[test]
    fn making_a_merged_phone_the_main_one_keeps_the_old_among_the_others() {
        let before = merged();
        let mut after = before.clone();
        after.phone = Some("+593992222222".into());
        after.keep_merged(&before);
        assert_eq!(after.other_phones, ["+593991111111"]);
        assert_eq!(
            after.held(Identifier::Phone),
            ["+593992222222", "+593991111111"]
        );
        // A new number replaces the main one and keeps the merged ones.
        let mut after = before.clone();
        after.phone = Some("+593993333333".into());
        after.keep_merged(&before);
        assert_eq!(
            after.held(Identifier::Phone),
            ["+593993333333", "+593992222222"]
        );
    }
}
