//! `ui/src/desktop/ipc-types.ts` is generated from the Rust types that cross the window's IPC
//! (ts-rs, feature `ts`): what the commands take and answer, and their error. This test writes
//! the file afresh and fails when the checked-in one differs, so a change to a Rust type cannot
//! leave the window reading a stale shape. `INLET_BLESS=1` writes the new file in place.
//!
//! The core's own types (`Kind`, `Mapping`, `PreviewOutput`, …) are generated into
//! `ui/src/lib/types.ts` by inlet-core's `ts_types` test; this file imports them from there.
#![cfg(feature = "ts")]

use inlet_desktop::ingest::Activity;
use inlet_desktop::ipc::{
    CommandError, ErrorCode, ExportDone, LoggedCounts, LoggedError, ShellSettings,
};
use inlet_desktop::service::connections::{ConnectionPatch, ConnectionView, Deleted};
use inlet_desktop::service::export::Format;
use inlet_desktop::service::payloads::PayloadView;
use inlet_desktop::service::records::{AccountPage, ContactPage, Page};
use inlet_desktop::service::replay::{LoggedAnswer, ReplayItem, ReplayReport, RowChange};
use inlet_desktop::service::requests::{
    RequestDetail, RequestPage, RequestQuery, RequestSummary, RetentionPatch, RetentionView,
};
use inlet_desktop::service::settings::{ListenerRecord, Settings, SettingsPatch};
use inlet_desktop::service::trust::{SignatureView, TrustPatch, TrustView};
use inlet_desktop::signature::{Encoding, Scheme};
use inlet_desktop::store::queries::accounts::AccountRecord;
use inlet_desktop::store::queries::contacts::{AccountRef, ContactRecord};
use inlet_desktop::store::queries::drift::DriftRecord;
use inlet_desktop::store::queries::event_types::EventTypeRecord;
use inlet_desktop::store::queries::events::{ContactRef, EventRecord};
use inlet_desktop::store::queries::RecordFilter;
use inlet_desktop::tunnel::{CheckReport, Install, Installed, Program, Status, TunnelState};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use ts_rs::{Config, TS};

const OUT: &str = "../ui/src/desktop/ipc-types.ts";
const CORE_TYPES: &str = "../ui/src/lib/types.ts";

fn cfg() -> Config {
    // Counts and ids stay well under 2^53; the window reads them as JSON numbers.
    Config::new().with_large_int("number")
}

struct Decls {
    text: Vec<String>,
    names: BTreeSet<String>,
    deps: BTreeSet<String>,
}

impl Decls {
    fn add<T: TS + 'static>(&mut self) -> &mut Self {
        let cfg = cfg();
        let docs = T::docs().unwrap_or_default();
        self.text.push(format!("{docs}export {}\n", T::decl(&cfg)));
        self.names.insert(T::ident(&cfg));
        self.deps
            .extend(T::dependencies(&cfg).into_iter().map(|d| d.ts_name));
        self
    }
}

fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The names `ui/src/lib/types.ts` exports.
fn core_names() -> BTreeSet<String> {
    let text = std::fs::read_to_string(path(CORE_TYPES)).expect("ui/src/lib/types.ts");
    text.lines()
        .filter_map(|l| l.strip_prefix("export type "))
        .filter_map(|l| l.split([' ', '<', '=']).next())
        .map(str::to_string)
        .collect()
}

/// The text outside `/** … */` comments, where a type's name means a use of it.
fn code_only(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/**") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    out
}

fn generated() -> String {
    let mut d = Decls {
        text: vec![],
        names: BTreeSet::new(),
        deps: BTreeSet::new(),
    };
    d
        // Every command's error.
        .add::<ErrorCode>()
        .add::<CommandError>()
        // Connections, their signature, drift and retention (docs/design.md §2, §12–14).
        .add::<Scheme>()
        .add::<Encoding>()
        .add::<SignatureView>()
        .add::<DriftRecord>()
        .add::<TrustView>()
        .add::<RetentionView>()
        .add::<ConnectionView>()
        .add::<RetentionPatch>()
        .add::<TrustPatch>()
        .add::<ConnectionPatch>()
        .add::<Deleted>()
        .add::<PayloadView>()
        // The request log and replay.
        .add::<LoggedCounts>()
        .add::<LoggedError>()
        .add::<RequestSummary>()
        .add::<RequestDetail>()
        .add::<RequestQuery>()
        .add::<RequestPage>()
        .add::<LoggedAnswer>()
        .add::<RowChange>()
        .add::<ReplayItem>()
        .add::<ReplayReport>()
        // Records (the Data screen) and the export.
        .add::<RecordFilter>()
        .add::<Page<AccountRecord>>()
        .add::<AccountRef>()
        .add::<ContactRef>()
        .add::<AccountRecord>()
        .add::<ContactRecord>()
        .add::<EventRecord>()
        .add::<AccountPage>()
        .add::<ContactPage>()
        .add::<EventTypeRecord>()
        .add::<Format>()
        .add::<ExportDone>()
        // Settings, listeners and tunnels.
        .add::<Program>()
        .add::<Status>()
        .add::<TunnelState>()
        .add::<Install>()
        .add::<Installed>()
        .add::<CheckReport>()
        .add::<ListenerRecord>()
        .add::<Settings>()
        .add::<SettingsPatch>()
        .add::<ShellSettings>()
        // The `inlet://activity` event: a request was logged.
        .add::<Activity>();

    let core = core_names();
    let missing: Vec<_> = d
        .deps
        .iter()
        .filter(|n| !d.names.contains(*n) && !core.contains(*n))
        .collect();
    assert!(
        missing.is_empty(),
        "types the IPC types use but neither file declares (add them to the list above): {missing:?}"
    );
    let body = d.text.join("\n");
    let code = code_only(&body);
    let used: Vec<&str> = core
        .iter()
        .filter(|n| !d.names.contains(*n))
        .filter(|n| {
            code.match_indices(n.as_str()).any(|(i, _)| {
                let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
                let before = code[..i].chars().next_back().is_none_or(|c| !word(c));
                let after = code[i + n.len()..].chars().next().is_none_or(|c| !word(c));
                before && after
            })
        })
        .map(String::as_str)
        .collect();
    format!(
        "// Generated from the Rust types of inlet-desktop by `cargo test -p inlet-desktop --features ts \
         --test ipc_types`\n// (INLET_BLESS=1 rewrites it). Do not edit: change the Rust type.\n\n\
         import type {{ {} }} from '../lib/types';\n\n{}",
        used.join(", "),
        body
    )
}

#[test]
fn the_checked_in_ipc_types_are_generated_from_the_rust_types() {
    let out = path(OUT);
    let fresh = generated();
    if std::env::var("INLET_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&out, &fresh).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "ui/src/desktop/ipc-types.ts is stale: regenerate it with INLET_BLESS=1 cargo test -p \
         inlet-desktop --features ts --test ipc_types"
    );
}
