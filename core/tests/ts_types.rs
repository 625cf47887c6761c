//! `ui/src/lib/types.ts` is generated from the Rust types that cross the WebAssembly boundary
//! (ts-rs, feature `ts`). This test writes the file afresh and fails when the checked-in one
//! differs, so a change to a Rust type cannot leave the UI reading a stale shape.
//! `INLET_BLESS=1` writes the new file in place.
#![cfg(feature = "ts")]

use inlet_core::drift::{Drift, DriftKind};
use inlet_core::inventory::{Field, Inspection};
use inlet_core::liquid::{Column, Template};
use inlet_core::mapping::{
    AccountLink, Behavior, CustomMatch, EventSpec, EventType, Kind, Mapping, MatchSpec, OnRemoved,
    PropertiesSpec,
};
use inlet_core::plan::{By, Key, Link, NewAccount, Outcome, Plan, RowPlan, Summary, Target, Write};
use inlet_core::preview::{PreviewOutput, Problem};
use ts_rs::{Config, TS};

fn decl<T: TS>(cfg: &Config) -> String {
    let docs = T::docs().unwrap_or_default();
    format!("{docs}export {}\n", T::decl(cfg))
}

fn generated() -> String {
    let cfg = Config::new();
    let decls = [
        // The mapping document (docs/design.md §4).
        decl::<Kind>(&cfg),
        decl::<Behavior>(&cfg),
        decl::<OnRemoved>(&cfg),
        decl::<MatchSpec>(&cfg),
        decl::<CustomMatch>(&cfg),
        decl::<AccountLink>(&cfg),
        decl::<EventType>(&cfg),
        decl::<EventSpec>(&cfg),
        decl::<PropertiesSpec>(&cfg),
        decl::<Mapping>(&cfg),
        // The plan and the preview's answer (docs/design.md §5).
        decl::<Target>(&cfg),
        decl::<By>(&cfg),
        decl::<Key>(&cfg),
        decl::<NewAccount>(&cfg),
        decl::<Link>(&cfg),
        decl::<Write>(&cfg),
        decl::<Outcome>(&cfg),
        decl::<RowPlan>(&cfg),
        decl::<Summary>(&cfg),
        decl::<Plan>(&cfg),
        decl::<Problem>(&cfg),
        decl::<PreviewOutput>(&cfg),
        // The field picker and the Hightouch template.
        decl::<Field>(&cfg),
        decl::<Inspection>(&cfg),
        decl::<Column>(&cfg),
        decl::<Template>(&cfg),
        // Schema drift (docs/design.md §13), for the playground's comparison.
        decl::<DriftKind>(&cfg),
        decl::<Drift>(&cfg),
    ];
    format!(
        "// Generated from the Rust types of inlet-core by `cargo test -p inlet-core --features ts \
         --test ts_types`\n// (INLET_BLESS=1 rewrites it). Do not edit: change the Rust type.\n\n{}",
        decls.join("\n")
    )
}

#[test]
fn the_checked_in_typescript_types_are_generated_from_the_rust_types() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/types.ts");
    let fresh = generated();
    if std::env::var("INLET_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "ui/src/lib/types.ts is stale: regenerate it with INLET_BLESS=1 cargo test -p inlet-core \
         --features ts --test ts_types"
    );
}
