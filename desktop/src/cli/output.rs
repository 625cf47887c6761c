//! Human output (tables and lines) and `--json` output (pretty JSON of the service structs).

use serde::Serialize;
use std::io::Write;

/// One line to stdout. When the reader has gone (a closed pipe), the command's output is no
/// longer wanted: it exits at once with success, as `head` expects of what it reads from, rather
/// than panicking as `println!` does. Any other write error ends it with a failure.
pub fn line(args: std::fmt::Arguments) {
    if let Err(e) = writeln!(std::io::stdout().lock(), "{args}") {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("inlet: error: writing the output: {e}");
        std::process::exit(1);
    }
}

pub fn json(v: &impl Serialize) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Left-aligned columns.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        outln!("{}", parts.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        line(r);
    }
}

pub fn opt(v: &Option<impl ToString>) -> String {
    v.as_ref()
        .map(|x| x.to_string())
        .unwrap_or_else(|| "-".into())
}

pub fn compact(v: &impl Serialize) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
