//! Settings: the listen address, the public base URL (webhook URLs start with it), and which
//! database file the app opens next time.

use super::{Result, ServiceError, Services};
use crate::paths;
use crate::store::queries::settings as q;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8750";
const LISTEN: &str = "listen_address";
const PUBLIC: &str = "public_base_url";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Where the listener binds (`inlet serve` and the app).
    pub listen_address: String,
    /// The base of every webhook URL: the one set, else `http://{listen_address}`.
    pub public_base_url: String,
    /// True when `public_base_url` was set (a tunnel), false when it follows the listen address.
    pub public_base_url_set: bool,
    /// The database this process has open.
    pub data_file: String,
    /// The database the app opens next time without `--db` / `INLET_DB` (None: the default).
    pub configured_data_file: Option<String>,
}

/// Fields to change; absent fields stay. An empty `public_base_url` goes back to the listen address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SettingsPatch {
    #[serde(default)]
    pub listen_address: Option<String>,
    #[serde(default)]
    pub public_base_url: Option<String>,
    #[serde(default)]
    pub data_file: Option<String>,
}

fn trimmed(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

/// The base URL webhook URLs start with, read in the caller's transaction.
pub(crate) fn public_base(c: crate::store::Tx) -> Result<String> {
    if let Some(u) = q::get(c, PUBLIC)? {
        return Ok(u);
    }
    let listen = q::get(c, LISTEN)?.unwrap_or_else(|| DEFAULT_LISTEN.into());
    Ok(format!("http://{listen}"))
}

pub fn get(s: &Services) -> Result<Settings> {
    s.store().read(|tx| {
        let public = q::get(tx, PUBLIC)?;
        Ok(Settings {
            listen_address: q::get(tx, LISTEN)?.unwrap_or_else(|| DEFAULT_LISTEN.into()),
            public_base_url: public_base(tx)?,
            public_base_url_set: public.is_some(),
            data_file: s.db_path().display().to_string(),
            configured_data_file: paths::read_config()
                .data_file
                .map(|p| p.display().to_string()),
        })
    })
}

pub fn validate_listen(addr: &str) -> Result<SocketAddr> {
    addr.trim().parse().map_err(|_| {
        ServiceError::Invalid(format!(
            "listen address {addr:?} is not HOST:PORT with an IP address, e.g. 127.0.0.1:8750"
        ))
    })
}

pub fn validate_public_url(url: &str) -> Result<String> {
    let u = trimmed(url);
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(u),
        _ => Err(ServiceError::Invalid(format!(
            "public URL {url:?} must start with http:// or https:// and name a host"
        ))),
    }
}

pub fn set(s: &Services, patch: SettingsPatch) -> Result<Settings> {
    let listen = patch
        .listen_address
        .as_deref()
        .map(validate_listen)
        .transpose()?;
    let public = match patch.public_base_url.as_deref() {
        None => None,
        Some(u) if u.trim().is_empty() => Some(None),
        Some(u) => Some(Some(validate_public_url(u)?)),
    };
    s.store().write(|tx| {
        if let Some(addr) = listen {
            q::set(tx, LISTEN, &addr.to_string())?;
        }
        match &public {
            Some(Some(u)) => q::set(tx, PUBLIC, u)?,
            Some(None) => q::remove(tx, PUBLIC)?,
            None => {}
        }
        Ok::<_, ServiceError>(())
    })?;
    if let Some(file) = patch.data_file.filter(|f| !f.trim().is_empty()) {
        let mut c = paths::read_config();
        c.data_file = Some(file.trim().into());
        paths::write_config(&c).map_err(|e| ServiceError::File {
            path: "config".into(),
            message: e.to_string(),
        })?;
    }
    get(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::testing::temp_services;

    #[test]
    fn the_public_url_follows_the_listen_address_until_it_is_set() {
        let s = temp_services();
        assert_eq!(get(&s).unwrap().public_base_url, "http://127.0.0.1:8750");
        let patch = SettingsPatch {
            listen_address: Some("127.0.0.1:9000".into()),
            ..Default::default()
        };
        assert_eq!(
            set(&s, patch).unwrap().public_base_url,
            "http://127.0.0.1:9000"
        );
        let patch = SettingsPatch {
            public_base_url: Some("https://abc.tunnel.example/".into()),
            ..Default::default()
        };
        let got = set(&s, patch).unwrap();
        assert_eq!(
            (got.public_base_url.as_str(), got.public_base_url_set),
            ("https://abc.tunnel.example", true)
        );
        let patch = SettingsPatch {
            public_base_url: Some("".into()),
            ..Default::default()
        };
        assert_eq!(
            set(&s, patch).unwrap().public_base_url,
            "http://127.0.0.1:9000"
        );
    }

    #[test]
    fn bad_addresses_and_urls_are_refused() {
        let s = temp_services();
        assert!(set(
            &s,
            SettingsPatch {
                listen_address: Some("localhost".into()),
                ..Default::default()
            }
        )
        .is_err());
        assert!(set(
            &s,
            SettingsPatch {
                public_base_url: Some("ftp://x".into()),
                ..Default::default()
            }
        )
        .is_err());
        assert_eq!(get(&s).unwrap().listen_address, DEFAULT_LISTEN);
    }
}
