//! Connections (docs/design.md §2): create, list, show, update, delete, rotate the secret.

use super::{settings, Result, ServiceError, Services};
use crate::ids::ConnectionId;
use crate::secret::new_authorization;
use crate::store::queries::{connections as q, mappings, requests};
use crate::store::{now, Tx};
use inlet_core::{Behavior, Kind};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewConnection {
    pub name: String,
    pub kind: Kind,
    #[serde(default)]
    pub behavior: Option<Behavior>,
}

/// Fields to change; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectionPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub behavior: Option<Behavior>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub enforce_auth: Option<bool>,
    /// A new Authorization value; the old one stops working at once.
    #[serde(default)]
    pub rotate_auth: bool,
    /// Sets the public base URL (a setting shared by every connection's webhook URL).
    #[serde(default)]
    pub public_url: Option<String>,
    /// What the request log keeps (docs/design.md §14).
    #[serde(default, flatten)]
    pub retention: super::requests::RetentionPatch,
    /// Signature and drift settings (docs/design.md §12–13).
    #[serde(flatten)]
    pub trust: super::trust::TrustPatch,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectionView {
    pub id: String,
    pub name: String,
    pub kind: Kind,
    pub behavior: Behavior,
    pub enabled: bool,
    pub enforce_auth: bool,
    /// The full header value senders must send, e.g. `Bearer inl_…`.
    pub authorization: String,
    pub webhook_url: String,
    pub has_mapping: bool,
    /// The saved mapping document (`show` only; lists leave it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "Mapping"))]
    pub mapping: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
    /// Requests in the log.
    pub requests: u64,
    pub last_request_at: Option<String>,
    pub last_status: Option<u16>,
    /// `signature`, `on_drift` and `drift` (docs/design.md §12–13).
    #[serde(flatten)]
    pub trust: super::trust::TrustView,
    /// True while the webhook URL reaches only this machine; `loopback_warning` says what to do.
    #[serde(default)]
    pub loopback_only: bool,
    #[serde(default)]
    pub loopback_warning: Option<String>,
    /// True when the webhook URL is reachable from outside and the connection neither enforces
    /// its Authorization header nor checks a signature: anyone who learns the URL can post.
    #[serde(default)]
    pub unprotected: bool,
    #[serde(default)]
    pub unprotected_warning: Option<String>,
    /// The tunnel the webhook URL goes through (its state), while one runs.
    #[serde(default)]
    pub tunnel: Option<crate::tunnel::TunnelState>,
    /// What the request log keeps (`null`: no limit on that measure).
    pub retention: super::requests::RetentionView,
}

pub const LOOPBACK_WARNING: &str = "This webhook URL reaches only this computer: Hightouch, Census and other cloud senders cannot reach it. Start a tunnel in Settings → Public URL (headless: inlet serve --tunnel cloudflared, ngrok or bore=HOST), or set your own public URL (inlet settings --public-url https://…). See docs/tunnel.md.";

pub const UNPROTECTED_WARNING: &str = "Anyone on the internet who learns this URL can post to it: this connection does not enforce its Authorization header and checks no signature. Turn on Enforce authorization header (inlet connections update ID --enforce-auth true).";

/// Whether the connection verifies a sender's signature (docs/design.md §12): then it is protected
/// without the header.
fn checks_signature(trust: &super::trust::TrustView) -> bool {
    trust.signature.is_some()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Deleted {
    pub id: String,
    pub deleted: bool,
}

pub(crate) fn view(c: Tx, row: q::ConnectionRow, with_mapping: bool) -> Result<ConnectionView> {
    let mapping = mappings::get(c, &row.id)?;
    let (requests, last_request_at, last_status) = requests::stats(c, &row.id)?;
    let reach = settings::reach(c)?;
    let loopback_only = crate::tunnel::is_loopback_url(&reach.base);
    let trust = super::trust::trust_view(c, &row.id)?;
    let unprotected = !loopback_only && !row.enforce_auth && !checks_signature(&trust);
    Ok(ConnectionView {
        trust,
        webhook_url: format!("{}/hooks/{}", reach.base, row.id),
        loopback_only,
        loopback_warning: loopback_only.then(|| LOOPBACK_WARNING.to_string()),
        unprotected,
        unprotected_warning: unprotected.then(|| UNPROTECTED_WARNING.to_string()),
        tunnel: reach.tunnel,
        retention: super::requests::retention_view(c, &row.id)?,
        has_mapping: mapping.is_some(),
        mapping: if with_mapping {
            mapping.and_then(|m| serde_json::from_str(&m.document).ok())
        } else {
            None
        },
        id: row.id,
        name: row.name,
        kind: row.kind,
        behavior: row.behavior,
        enabled: row.enabled,
        enforce_auth: row.enforce_auth,
        authorization: row.authorization,
        created_at: row.created_at,
        updated_at: row.updated_at,
        requests,
        last_request_at,
        last_status,
    })
}

fn clean_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(ServiceError::Invalid("a connection needs a name".into()));
    }
    Ok(n.to_string())
}

fn secret() -> Result<String> {
    new_authorization()
        .map_err(|e| ServiceError::Invalid(format!("the OS gave no randomness for a secret: {e}")))
}

pub(crate) fn load(c: Tx, id: &str) -> Result<q::ConnectionRow> {
    let Some(cid) = ConnectionId::parse(id) else {
        return Err(ServiceError::not_found_connection(id));
    };
    q::get(c, cid.as_str())?.ok_or_else(|| ServiceError::not_found_connection(id))
}

/// A new connection: disabled, authorization enforced, with a fresh secret.
pub fn create(s: &Services, input: NewConnection) -> Result<ConnectionView> {
    let name = clean_name(&input.name)?;
    let t = now();
    let row = q::ConnectionRow {
        id: ConnectionId::generate().into_string(),
        name,
        kind: input.kind,
        behavior: input.behavior.unwrap_or_default(),
        enabled: false,
        authorization: secret()?,
        enforce_auth: true,
        created_at: t.clone(),
        updated_at: t,
    };
    s.store().write(|tx| {
        q::insert(tx, &row)?;
        view(tx, row, false)
    })
}

pub fn list(s: &Services) -> Result<Vec<ConnectionView>> {
    s.store().read(|tx| {
        q::list(tx)?
            .into_iter()
            .map(|r| view(tx, r, false))
            .collect()
    })
}

/// One connection with its mapping.
pub fn show(s: &Services, id: &str) -> Result<ConnectionView> {
    s.store().read(|tx| {
        let row = load(tx, id)?;
        view(tx, row, true)
    })
}

pub fn update(s: &Services, id: &str, patch: ConnectionPatch) -> Result<ConnectionView> {
    let name = patch.name.as_deref().map(clean_name).transpose()?;
    let public = patch
        .public_url
        .as_deref()
        .map(settings::validate_public_url)
        .transpose()?;
    let new_secret = if patch.rotate_auth {
        Some(secret()?)
    } else {
        None
    };
    s.store().write(|tx| {
        let mut row = load(tx, id)?;
        if let Some(n) = name {
            row.name = n;
        }
        if let Some(b) = patch.behavior {
            row.behavior = b;
        }
        if let Some(e) = patch.enabled {
            row.enabled = e;
        }
        if let Some(e) = patch.enforce_auth {
            row.enforce_auth = e;
        }
        if let Some(a) = new_secret {
            row.authorization = a;
        }
        row.updated_at = now();
        q::update(tx, &row)?;
        super::requests::set_retention(tx, &row.id, &patch.retention)?;
        super::trust::apply(tx, &row.id, &patch.trust)?;
        if let Some(u) = &public {
            crate::store::queries::settings::set(tx, "public_base_url", u)?;
        }
        view(tx, row, true)
    })
}

pub fn rotate_auth(s: &Services, id: &str) -> Result<ConnectionView> {
    update(
        s,
        id,
        ConnectionPatch {
            rotate_auth: true,
            ..Default::default()
        },
    )
}

/// Deletes the connection, its mapping and its request log. Records it wrote stay.
pub fn delete(s: &Services, id: &str) -> Result<Deleted> {
    s.store().write(|tx| {
        let row = load(tx, id)?;
        q::delete(tx, &row.id)?;
        Ok(Deleted {
            id: row.id,
            deleted: true,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::testing::temp_services;

    fn new(kind: Kind) -> NewConnection {
        NewConnection {
            name: " CRM feed ".into(),
            kind,
            behavior: None,
        }
    }

    #[test]
    fn a_new_connection_is_disabled_enforces_auth_and_has_a_webhook_url() {
        let s = temp_services();
        let c = create(&s, new(Kind::Contacts)).unwrap();
        assert_eq!(
            (c.name.as_str(), c.enabled, c.enforce_auth, c.behavior),
            ("CRM feed", false, true, Behavior::Upsert)
        );
        assert_eq!(
            c.webhook_url,
            format!("http://127.0.0.1:8750/hooks/{}", c.id)
        );
        assert!(c.authorization.starts_with("Bearer inl_"));
        assert_eq!(list(&s).unwrap().len(), 1);
    }

    #[test]
    fn updating_changes_only_what_is_given_and_rotation_replaces_the_secret() {
        let s = temp_services();
        let c = create(&s, new(Kind::Accounts)).unwrap();
        let u = update(
            &s,
            &c.id,
            ConnectionPatch {
                enabled: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            u.enabled && u.enforce_auth && u.name == c.name && u.authorization == c.authorization
        );
        let r = rotate_auth(&s, &c.id).unwrap();
        assert_ne!(r.authorization, c.authorization);
        let p = update(
            &s,
            &c.id,
            ConnectionPatch {
                public_url: Some("https://t.example".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.webhook_url, format!("https://t.example/hooks/{}", c.id));
        assert!(!p.loopback_only && p.loopback_warning.is_none());
    }

    #[test]
    fn a_loopback_url_is_warned_about_and_a_public_one_without_auth_is_flagged() {
        let s = temp_services();
        let c = create(&s, new(Kind::Accounts)).unwrap();
        assert!(c.loopback_only && c.loopback_warning.as_deref().unwrap().contains("tunnel"));
        let open = |enforce: bool| ConnectionPatch {
            enforce_auth: Some(enforce),
            ..Default::default()
        };
        // Off on loopback: only this machine can post, no flag.
        assert!(!update(&s, &c.id, open(false)).unwrap().unprotected);
        let public = ConnectionPatch {
            public_url: Some("https://t.example".into()),
            ..Default::default()
        };
        let u = update(&s, &c.id, public).unwrap();
        assert!(u.unprotected && u.unprotected_warning.is_some());
        assert!(!update(&s, &c.id, open(true)).unwrap().unprotected);
    }

    #[test]
    fn unknown_and_malformed_ids_are_not_found() {
        let s = temp_services();
        assert!(matches!(show(&s, "nope"), Err(ServiceError::NotFound(_))));
        assert!(matches!(
            delete(&s, &ConnectionId::generate().into_string()),
            Err(ServiceError::NotFound(_))
        ));
        assert!(matches!(
            create(
                &s,
                NewConnection {
                    name: " ".into(),
                    kind: Kind::Events,
                    behavior: None
                }
            ),
            Err(ServiceError::Invalid(_))
        ));
    }

    #[test]
    fn deleting_a_connection_removes_it() {
        let s = temp_services();
        let c = create(&s, new(Kind::Events)).unwrap();
        assert!(delete(&s, &c.id).unwrap().deleted);
        assert!(list(&s).unwrap().is_empty());
    }
}
