//! A contact as the table keeps it and the API shows it.

use std::collections::BTreeMap;

use contact_engine::contact_fields;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
        /// RFC 3339.
        pub created_at: String,
        /// RFC 3339.
        pub updated_at: String,
    }
}
