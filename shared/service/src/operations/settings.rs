//! A workspace's settings: read with their defaults and their version,
//! replaced whole (`PUT`) or changed member by member (`PATCH`, JSON Merge
//! Patch) after every value is checked, so imports never meet a setting
//! they cannot use; each change is stored only over the version it changed,
//! so no change is lost to another made at the same time. The mapping the
//! workspace remembers from its imports. And the workspace as validation
//! sees it.

use super::reads::read_settings;
use std::collections::HashSet;

use contact_engine::fields::{ContactField, CustomType};
use contact_engine::normalize;
use contact_engine::options::{self, RememberedColumn, Workspace};
use contact_engine::remembered;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::caller::Caller;
use super::error::{AtStep, ServiceError};
use super::plan::open_now_with;
use super::wording::json_error_words;
use crate::records::{ImportRecord, Settings};
use crate::store::retry::Retry;
use crate::store::{Store, StoreError};

pub use contact_engine::limits::{
    MAX_CUSTOM_FIELD_KEY_CHARS as MAX_KEY_CHARS, MAX_CUSTOM_FIELD_LABEL_CHARS as MAX_LABEL_CHARS,
    MAX_CUSTOM_FIELDS, MAX_LIST_OPTIONS,
};

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request("invalid_settings", message)
}

/// Checks settings and answers them normalised (trimmed, country upper
/// case).
pub fn checked(mut settings: Settings) -> Result<Settings, ServiceError> {
    if let Some(code) = settings.default_country.take() {
        let code = code.trim();
        let known = options::default_country_code(code).ok_or_else(|| {
            invalid(format!(
                "default_country \"{code}\" {}",
                options::UNKNOWN_COUNTRY_WORDS
            ))
        })?;
        settings.default_country = Some(known.to_string());
    }
    if let Some(name) = settings.time_zone.take() {
        let name = name.trim();
        let zone: chrono_tz::Tz = name.parse().map_err(|_| {
            invalid(format!(
                "time_zone \"{}\" is not an IANA time zone name; write one such as America/Guayaquil or Europe/Madrid",
                name.chars().take(64).collect::<String>()
            ))
        })?;
        settings.time_zone = Some(zone.name().to_string());
    }
    let tag = settings.monthly_reset.tag.trim();
    if tag.is_empty() || tag.chars().count() > normalize::MAX_TAG_CHARS {
        return Err(invalid(format!(
            "monthly_reset.tag must hold 1 to {} characters",
            normalize::MAX_TAG_CHARS
        )));
    }
    settings.monthly_reset.tag = tag.to_string();
    if settings.custom_fields.len() > MAX_CUSTOM_FIELDS {
        return Err(invalid(format!(
            "a workspace defines at most {MAX_CUSTOM_FIELDS} custom fields"
        )));
    }
    let mut keys = HashSet::new();
    for field in &mut settings.custom_fields {
        let key = field.key.as_str();
        let well_formed = (1..=MAX_KEY_CHARS).contains(&key.len())
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !well_formed {
            return Err(invalid(format!(
                "custom field key \"{key}\" must be 1 to {MAX_KEY_CHARS} lower-case letters, digits or _, starting with a letter"
            )));
        }
        if ContactField::ALL.iter().any(|f| f.key() == key) {
            return Err(invalid(format!(
                "custom field key \"{key}\" is the name of a contact field"
            )));
        }
        if !keys.insert(key.to_string()) {
            return Err(invalid(format!(
                "custom field key \"{key}\" is defined twice"
            )));
        }
        let label = field.label.trim();
        if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
            return Err(invalid(format!(
                "custom field \"{key}\" needs a label of 1 to {MAX_LABEL_CHARS} characters"
            )));
        }
        field.label = label.to_string();
        if let CustomType::List { options } = &mut field.kind {
            let mut seen = HashSet::new();
            for option in options.iter_mut() {
                *option = option.trim().to_string();
                if option.is_empty() || option.chars().count() > normalize::MAX_TEXT_CHARS {
                    return Err(invalid(format!(
                        "list field \"{key}\" has an empty or over-long option"
                    )));
                }
                if !seen.insert(option.to_lowercase()) {
                    return Err(invalid(format!(
                        "list field \"{key}\" offers \"{option}\" twice"
                    )));
                }
            }
            if options.is_empty() || options.len() > MAX_LIST_OPTIONS {
                return Err(invalid(format!(
                    "list field \"{key}\" needs 1 to {MAX_LIST_OPTIONS} options"
                )));
            }
        }
    }
    if let Some(users) = &mut settings.users {
        for user in users.iter_mut() {
            *user = user.trim().to_string();
            if user.is_empty() || user.chars().count() > normalize::MAX_TEXT_CHARS {
                return Err(invalid("users holds an empty or over-long entry"));
            }
        }
    }
    // Each value within its limit can still add up past what one stored
    // item holds.
    let stored = serde_json::to_vec(&settings).map_or(usize::MAX, |json| json.len());
    if stored > contact_engine::limits::MAX_SETTINGS_BYTES {
        return Err(invalid(format!(
            "the settings take {} KiB; at most {} KiB: define fewer or shorter custom fields, list options or users",
            stored.div_ceil(1024),
            contact_engine::limits::MAX_SETTINGS_BYTES / 1024
        )));
    }
    Ok(settings)
}

/// The workspace facts validation needs: settings and the quota left this
/// month.
pub async fn workspace_facts(store: &Store, ws: &str) -> Result<Workspace, ServiceError> {
    // The remembered mapping is read beside the settings, not after them.
    let (settings, remembered) = tokio::join!(
        store.workspaces.settings(ws),
        store.workspaces.remembered(ws)
    );
    let settings = settings.at("reading the settings")?;
    let remembered = remembered.at("reading the remembered mapping")?;
    let remaining_quota = match settings.contact_limit {
        Some(quota) => {
            let (_, count) = open_now_with(store, ws, &settings).await?;
            Some(quota.saturating_sub(count.count))
        }
        None => None,
    };
    Ok(settings.workspace(remaining_quota, remembered))
}

/// The headers a workspace remembers and how it mapped them
/// ([`contact_engine::remembered`]), newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RememberedMapping {
    pub columns: Vec<RememberedColumn>,
}

/// Remembers how a confirmed import mapped its columns, for the
/// workspace's next files with those headers. A convenience, not part of
/// the import: when it cannot be stored the import goes on, and the
/// failure is logged.
pub(crate) async fn remember_mapping(store: &Store, record: &ImportRecord, workspace: &Workspace) {
    let (Some(headers), Some(mapping)) = (&record.headers, &record.mapping) else {
        return;
    };
    let memory = remembered::after_confirming(headers, mapping, workspace);
    if memory == workspace.remembered {
        return;
    }
    if let Err(e) = store
        .workspaces
        .put_remembered(&record.workspace, &memory)
        .await
    {
        tracing::warn!(workspace = %record.workspace, import = %record.id, error = %e,
            "the mapping could not be remembered");
    }
}

/// What a change of the settings expects to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Whatever is stored now (no `If-Match`, or `*`).
    Anything,
    /// The settings at this version, the one the caller read.
    Version(u64),
}

/// The settings and their version, which the API gives as an `ETag`.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned {
    pub settings: Settings,
    pub version: u64,
}

#[derive(Debug, Clone)]
pub struct WorkspaceSettings {
    store: Store,
}

impl WorkspaceSettings {
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    pub async fn get(&self, caller: &Caller) -> Result<Versioned, ServiceError> {
        let (settings, version) = self
            .store
            .workspaces
            .versioned_settings(&caller.workspace)
            .await
            .at("reading the settings")?;
        Ok(Versioned { settings, version })
    }

    /// Replaces the settings whole; owners and managers only.
    pub async fn put(
        &self,
        caller: &Caller,
        settings: Settings,
        expected: Expected,
    ) -> Result<Versioned, ServiceError> {
        caller.may_manage()?;
        let settings = checked(settings)?;
        self.change(caller, expected, |_| Ok(settings.clone()))
            .await
    }

    /// Changes the members `patch` names (JSON Merge Patch: `null` puts a
    /// member back to its default, objects merge, lists are replaced);
    /// owners and managers only. Two changes at once both land, each on
    /// the other's result, unless the caller said which version it changes.
    pub async fn patch(
        &self,
        caller: &Caller,
        patch: serde_json::Map<String, serde_json::Value>,
        expected: Expected,
    ) -> Result<Versioned, ServiceError> {
        caller.may_manage()?;
        let patch = serde_json::Value::Object(patch);
        self.change(caller, expected, |current| {
            let merged = merged(current, &patch).map_err(invalid)?;
            checked(merged)
        })
        .await
    }

    /// The headers the workspace remembers; every role may read them.
    pub async fn remembered(&self, caller: &Caller) -> Result<RememberedMapping, ServiceError> {
        let columns = self
            .store
            .workspaces
            .remembered(&caller.workspace)
            .await
            .at("reading the remembered mapping")?;
        Ok(RememberedMapping { columns })
    }

    /// Replaces what the workspace remembers (empty: forgets it all);
    /// owners and managers only. A custom field must be one the settings
    /// define.
    pub async fn put_remembered(
        &self,
        caller: &Caller,
        mapping: RememberedMapping,
    ) -> Result<RememberedMapping, ServiceError> {
        caller.may_manage()?;
        let settings = read_settings(&self.store, &caller.workspace).await?;
        let workspace = settings.workspace(None, Vec::new());
        let columns = remembered::checked(mapping.columns, &workspace)
            .map_err(|m| ServiceError::bad_request("invalid_mapping", m))?;
        self.store
            .workspaces
            .put_remembered(&caller.workspace, &columns)
            .await
            .at("storing the remembered mapping")?;
        Ok(RememberedMapping { columns })
    }

    /// Stores what `change` makes of the settings stored now, on condition
    /// that they are still the ones it changed: a change that comes in
    /// between answers 412 when the caller expected a version, and is
    /// otherwise read again and changed again.
    async fn change(
        &self,
        caller: &Caller,
        expected: Expected,
        change: impl Fn(&Settings) -> Result<Settings, ServiceError>,
    ) -> Result<Versioned, ServiceError> {
        let ws = &caller.workspace;
        let mut tried = 0;
        loop {
            tried += 1;
            let (current, version) = self
                .store
                .workspaces
                .versioned_settings(ws)
                .await
                .at("reading the settings")?;
            if let Expected::Version(v) = expected
                && v != version
            {
                return Err(stale(v, version));
            }
            let settings = change(&current)?;
            match self
                .store
                .workspaces
                .put_settings(ws, &settings, version)
                .await
            {
                Ok(version) => return Ok(Versioned { settings, version }),
                Err(StoreError::Conflict) => {
                    if let Expected::Version(v) = expected {
                        return Err(stale(v, version + 1));
                    }
                    if !Retry::RACE.wait(tried).await {
                        return Err(ServiceError::store(
                            "storing the settings",
                            StoreError::Busy,
                        ));
                    }
                }
                Err(e) => return Err(e).at("storing the settings"),
            }
        }
    }
}

/// A value changed by a JSON Merge Patch (RFC 7396), read back into its type.
pub(crate) fn merged<T: Serialize + DeserializeOwned>(
    current: &T,
    patch: &serde_json::Value,
) -> Result<T, String> {
    let mut doc = serde_json::to_value(current).map_err(|e| json_error_words(&e))?;
    json_patch::merge(&mut doc, patch);
    serde_json::from_value(doc).map_err(|e| json_error_words(&e))
}

fn stale(expected: u64, now: u64) -> ServiceError {
    ServiceError::Stale {
        code: "settings_changed",
        message: format!(
            "the settings changed since they were read (version \"{expected}\", now \"{now}\"); read them again and make the change on what they are now"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{DEFAULT_RESET_TAG, ResetMode};

    fn parse(json: &str) -> Result<Settings, ServiceError> {
        checked(serde_json::from_str(json).map_err(|e| invalid(e.to_string()))?)
    }

    #[test]
    fn defaults_and_normal_forms() {
        let s = parse("{}").unwrap();
        assert_eq!(s.monthly_reset.mode, ResetMode::Off);
        assert_eq!(s.monthly_reset.tag, DEFAULT_RESET_TAG);
        let s = parse(
            r#"{"default_country":"ec","contact_limit":10,"monthly_reset":{"mode":"tagged"},
                "custom_fields":[{"key":"plan","label":" Plan ","type":"list","options":["a"," b "]}]}"#,
        )
        .unwrap();
        assert_eq!(s.default_country.as_deref(), Some("EC"));
        assert_eq!(s.monthly_reset.mode, ResetMode::Tagged);
        assert_eq!(s.custom_fields[0].label, "Plan");
    }

    #[test]
    fn bad_settings_are_refused() {
        for bad in [
            r#"{"default_country":"Ecuador"}"#,
            r#"{"monthly_reset":{"mode":"tagged","tag":"  "}}"#,
            r#"{"monthly_reset":{"mode":"sometimes"}}"#,
            r#"{"custom_fields":[{"key":"Plan","label":"x","type":"text"}]}"#,
            r#"{"custom_fields":[{"key":"phone","label":"x","type":"text"}]}"#,
            r#"{"custom_fields":[{"key":"a","label":"x","type":"text"},{"key":"a","label":"y","type":"date"}]}"#,
            r#"{"custom_fields":[{"key":"a","label":"","type":"text"}]}"#,
            r#"{"custom_fields":[{"key":"a","label":"x","type":"list","options":[]}]}"#,
            r#"{"custom_fields":[{"key":"a","label":"x","type":"list","options":["x","X"]}]}"#,
            r#"{"custom_fields":[{"key":"a","label":"x","type":"colour"}]}"#,
            r#"{"contact_limit":-1}"#,
            r#"{"colour":"red"}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
