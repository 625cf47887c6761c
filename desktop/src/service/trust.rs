//! A connection's signature settings and schema drift (docs/design.md §12–13), as the CLI, the window
//! and `--json` see them. The signing secret is shown like the Authorization value: in full, to
//! the user who asks for the connection, and nowhere else (never in the request log).

use super::connections::{load, view, ConnectionView};
use super::{Result, ServiceError, Services};
use crate::signature::{new_secret, Encoding, Scheme, Verifier};
use crate::store::queries::drift::{self as dq, DriftRecord};
use crate::store::queries::trust::{self as q, TrustRow};
use crate::store::{now, Tx};
use serde::{Deserialize, Serialize};

/// Changes to the signature and drift settings; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TrustPatch {
    /// `none`, `standard-webhooks`, `segment` or `hmac-sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "Scheme | \"none\""))]
    pub verify: Option<String>,
    /// A secret to use (pasted from the sender).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
    /// A new secret from the OS CSPRNG; the old one stops working at once.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rotate_signing_secret: bool,
    /// The header an `hmac-sha256` (or `segment`) signature comes in; empty for the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_header: Option<String>,
    /// `hex` or `base64` (`hmac-sha256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(as = "Option<crate::signature::Encoding>"))]
    pub signature_encoding: Option<String>,
    /// Text before the signature, e.g. `sha256=` (`hmac-sha256`); empty for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_prefix: Option<String>,
    /// `warn` or `refuse`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "\"warn\" | \"refuse\""))]
    pub on_drift: Option<String>,
}

impl TrustPatch {
    pub fn is_empty(&self) -> bool {
        *self == TrustPatch::default()
    }
}

/// The signature a connection requires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignatureView {
    #[cfg_attr(feature = "ts", ts(as = "crate::signature::Scheme"))]
    pub scheme: String,
    pub secret: String,
    /// The header the signature is read from.
    pub header: String,
    /// `hex` or `base64` (`hmac-sha256` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(as = "Option<crate::signature::Encoding>"))]
    pub encoding: Option<String>,
    /// `hmac-sha256` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// What `connections show` and the window add to a connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TrustView {
    /// `null` when no signature is required.
    #[serde(default)]
    pub signature: Option<SignatureView>,
    /// `warn` or `refuse`.
    #[serde(default = "warn")]
    #[cfg_attr(feature = "ts", ts(type = "\"warn\" | \"refuse\""))]
    pub on_drift: String,
    /// Drift not yet acknowledged, per kind and field.
    #[serde(default)]
    pub drift: Vec<DriftRecord>,
}

fn warn() -> String {
    "warn".into()
}

pub(crate) fn trust_view(c: Tx, connection_id: &str) -> Result<TrustView> {
    let t = q::get(c, connection_id)?;
    let signature = t.as_ref().and_then(|t| {
        let scheme = Scheme::parse(&t.verify)?;
        let secret = t.signing_secret.clone()?;
        let v = Verifier::new(
            scheme,
            &secret,
            t.signature_header.as_deref(),
            Encoding::parse(&t.signature_encoding).unwrap_or_default(),
            t.signature_prefix.as_deref(),
        )
        .ok()?;
        let hmac = scheme == Scheme::HmacSha256;
        Some(SignatureView {
            scheme: scheme.as_str().into(),
            secret,
            header: v.signature_header().to_string(),
            encoding: hmac.then(|| v.encoding.as_str().to_string()),
            prefix: hmac.then(|| v.prefix.clone()),
        })
    });
    Ok(TrustView {
        signature,
        on_drift: t.map_or_else(warn, |t| t.on_drift),
        drift: dq::records(c, connection_id)?,
    })
}

fn invalid(msg: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(msg.into())
}

fn generated(scheme: Scheme) -> Result<String> {
    new_secret(scheme).map_err(|e| invalid(format!("the OS gave no randomness for a secret: {e}")))
}

/// Applies a patch inside the caller's transaction; a patch that cannot verify is refused whole.
pub(crate) fn apply(c: Tx, connection_id: &str, p: &TrustPatch) -> Result<()> {
    if p.is_empty() {
        return Ok(());
    }
    let before = q::get(c, connection_id)?;
    let mut t = before
        .clone()
        .unwrap_or_else(|| TrustRow::default_for(connection_id));
    if let Some(v) = &p.verify {
        let v = v.trim();
        if v != "none" && Scheme::parse(v).is_none() {
            return Err(invalid(format!(
                "--verify {v:?}: use none, standard-webhooks, segment or hmac-sha256"
            )));
        }
        if v != t.verify && p.signature_header.is_none() {
            // Another scheme reads another header by default.
            t.signature_header = None;
            t.signature_prefix = None;
        }
        t.verify = v.to_string();
    }
    if let Some(e) = &p.signature_encoding {
        if Encoding::parse(e.trim()).is_none() {
            return Err(invalid(format!(
                "--signature-encoding {e:?}: use hex or base64"
            )));
        }
        t.signature_encoding = e.trim().to_string();
    }
    if let Some(h) = &p.signature_header {
        t.signature_header = Some(h.trim().to_string()).filter(|h| !h.is_empty());
    }
    if let Some(pre) = &p.signature_prefix {
        t.signature_prefix = Some(pre.clone());
    }
    if let Some(d) = &p.on_drift {
        if d != "warn" && d != "refuse" {
            return Err(invalid(format!("--on-drift {d:?}: use warn or refuse")));
        }
        t.on_drift = d.clone();
    }
    let scheme = Scheme::parse(&t.verify);
    if p.signing_secret.is_some() && p.rotate_signing_secret {
        return Err(invalid(
            "give --signing-secret or --rotate-signing-secret, not both",
        ));
    }
    if let Some(secret) = &p.signing_secret {
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(invalid("the signing secret is empty"));
        }
        t.signing_secret = Some(secret.to_string());
    }
    if let Some(scheme) = scheme {
        let usable = |s: &Option<String>| {
            s.as_deref()
                .is_some_and(|s| Verifier::new(scheme, s, None, Encoding::Hex, None).is_ok())
        };
        // A scheme chosen anew gets a secret of its own form unless one is pasted with it.
        let switched = before.as_ref().map(|b| b.verify.as_str()) != Some(t.verify.as_str());
        if p.rotate_signing_secret
            || (p.signing_secret.is_none() && (switched || !usable(&t.signing_secret)))
        {
            t.signing_secret = Some(generated(scheme)?);
        }
        Verifier::new(
            scheme,
            t.signing_secret.as_deref().unwrap_or(""),
            t.signature_header.as_deref(),
            Encoding::parse(&t.signature_encoding).unwrap_or_default(),
            t.signature_prefix.as_deref(),
        )
        .map_err(|e| invalid(format!("the signature settings are refused: {e}")))?;
    } else if p.rotate_signing_secret {
        return Err(invalid(
            "this connection checks no signature; choose one with --verify first",
        ));
    }
    if before.as_ref() != Some(&t) {
        t.updated_at = now();
        q::put(c, &t)?;
    }
    Ok(())
}

/// The user has seen the drift: the shape the connection receives now becomes its baseline, and
/// the records are cleared.
pub fn acknowledge_drift(s: &Services, connection_id: &str) -> Result<ConnectionView> {
    s.store().write(|tx| {
        let row = load(tx, connection_id)?;
        let mut state = dq::state(tx, &row.id)?;
        state.acknowledge();
        let at = now();
        dq::put_state(tx, &row.id, &state, &at)?;
        dq::clear_records(tx, &row.id)?;
        // Receivers keep the drift state with the connection: a new config version drops it.
        q::touch(tx, &row.id, &at)?;
        view(tx, row, true)
    })
}
