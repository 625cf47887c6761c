//! Where Inlet keeps its files: the database (default `$XDG_DATA_HOME/inlet/inlet.db`, else
//! `~/.local/share/inlet/inlet.db`) and a small config file that can name another database.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

fn xdg(var: &str, fallback: &str) -> Option<PathBuf> {
    match std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
    {
        Some(p) if p.is_absolute() => Some(p),
        _ => home().map(|h| h.join(fallback)),
    }
}

/// `$XDG_CONFIG_HOME/inlet/config.json` (else `~/.config/inlet/config.json`).
pub fn config_file() -> Option<PathBuf> {
    xdg("XDG_CONFIG_HOME", ".config").map(|d| d.join("inlet").join("config.json"))
}

/// The database when neither `--db` nor `INLET_DB` is given and the config names none.
pub fn default_db() -> PathBuf {
    xdg("XDG_DATA_HOME", ".local/share")
        .map(|d| d.join("inlet").join("inlet.db"))
        .unwrap_or_else(|| PathBuf::from("inlet.db"))
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_file: Option<PathBuf>,
}

pub fn read_config() -> Config {
    config_file()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

pub fn write_config(c: &Config) -> std::io::Result<PathBuf> {
    let path =
        config_file().ok_or_else(|| std::io::Error::other("no HOME to keep the config in"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(c).map_err(std::io::Error::other)?;
    std::fs::write(&path, text + "\n")?;
    Ok(path)
}

/// The database to open: the one given (`--db` / `INLET_DB`), else the config's, else the default.
pub fn resolve_db(given: Option<PathBuf>) -> PathBuf {
    given
        .or_else(|| read_config().data_file)
        .unwrap_or_else(default_db)
}
