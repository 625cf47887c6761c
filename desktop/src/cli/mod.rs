//! `inlet`'s commands: each parses its flags, calls one service function, and prints the result.

/// `println!`, except that a reader who stopped reading (`inlet … | head`) ends the command
/// quietly instead of a panic (`output::line`).
macro_rules! outln {
    () => {
        $crate::cli::output::line(format_args!(""))
    };
    ($($t:tt)*) => {
        $crate::cli::output::line(format_args!($($t)*))
    };
}

pub mod args;
mod output;
mod payload;
mod plan_table;
mod serve;

use anyhow::{bail, Context, Result};
use args::*;
use inlet_core::preview::PreviewOutput;
use inlet_core::{Behavior, Kind};
use inlet_desktop::ingest::LoggedSummary;
use inlet_desktop::service::{
    self, connections, export, mappings, payloads, records, replay, requests, settings, Services,
};
use output::{compact, json, opt, table};
use payload::Payload;
use std::path::Path;

fn kind(k: KindArg) -> Kind {
    match k {
        KindArg::Accounts => Kind::Accounts,
        KindArg::Contacts => Kind::Contacts,
        KindArg::Events => Kind::Events,
    }
}

fn behavior(b: BehaviorArg) -> Behavior {
    match b {
        BehaviorArg::Upsert => Behavior::Upsert,
        BehaviorArg::Update => Behavior::Update,
    }
}

fn open(db: &Path) -> Result<Services> {
    Services::open(db).with_context(|| format!("opening {}", inlet_desktop::store::shown(db)))
}

fn read_file(p: &Path) -> Result<String> {
    std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
}

pub fn run(cli: Cli) -> Result<()> {
    let db = inlet_desktop::paths::resolve_db(cli.db.clone());
    let as_json = cli.json;
    let Some(command) = cli.command else {
        return serve::app(&db);
    };
    match command {
        Command::Serve(a) => serve::serve(&db, a),
        Command::Connections(c) => connections_cmd(&open(&db)?, c, as_json),
        Command::Mapping(m) => mapping_cmd(&open(&db)?, m, as_json),
        Command::Preview(p) => preview_cmd(&db, p, as_json),
        Command::Records(r) => records_cmd(&open(&db)?, r, as_json),
        Command::Export(e) => export_cmd(&open(&db)?, e, as_json),
        Command::Requests(r) => requests_cmd(&open(&db)?, r, as_json),
        Command::Request { id } => request_cmd(&open(&db)?, &id, as_json),
        Command::Replay(r) => replay_cmd(&open(&db)?, r, as_json),
        Command::Settings(s) => settings_cmd(&open(&db)?, s, as_json),
    }
}

fn print_connection(c: &connections::ConnectionView, as_json: bool) -> Result<()> {
    if as_json {
        return json(c);
    }
    outln!("id             {}", c.id);
    outln!("name           {}", c.name);
    outln!("kind           {}", c.kind.as_str());
    outln!("behavior       {}", c.behavior.as_str());
    outln!("enabled        {}", c.enabled);
    outln!("webhook URL    {}", c.webhook_url);
    outln!("authorization  {}", c.authorization);
    outln!("enforce auth   {}", c.enforce_auth);
    outln!(
        "mapping        {}",
        if c.has_mapping { "set" } else { "not set" }
    );
    outln!(
        "requests       {} (last: {}, status {})",
        c.requests,
        opt(&c.last_request_at),
        opt(&c.last_status)
    );
    let r = &c.retention;
    outln!(
        "log keeps      {}, {}, {}; always the latest payload",
        r.keep_requests
            .map_or("every request".into(), |n| format!("the last {n} requests")),
        r.keep_days
            .map_or("of any age".into(), |n| format!("of the last {n} days")),
        r.keep_bytes
            .map_or("bodies of any total size".into(), |n| format!(
                "bodies up to {} in all",
                service::requests::size_text(n)
            ))
    );
    match &c.trust.signature {
        None => outln!("signature      none"),
        Some(sig) => {
            outln!("signature      {} (header {})", sig.scheme, sig.header);
            if let (Some(enc), Some(pre)) = (&sig.encoding, &sig.prefix) {
                outln!("               {enc}, prefix {pre:?}");
            }
            outln!("signing secret {}", sig.secret);
        }
    }
    outln!("on drift       {}", c.trust.on_drift);
    print_drift(c);
    if let Some(t) = &c.tunnel {
        outln!("tunnel         {}", tunnel_line(t));
    }
    for w in [&c.loopback_warning, &c.unprotected_warning]
        .into_iter()
        .flatten()
    {
        outln!("warning        {w}");
    }
    if let Some(m) = &c.mapping {
        outln!("{}", serde_json::to_string_pretty(m)?);
    }
    Ok(())
}

fn print_drift(c: &connections::ConnectionView) {
    if c.trust.drift.is_empty() {
        outln!("drift          none");
        return;
    }
    outln!(
        "drift          {} (acknowledge: inlet connections drift ack {})",
        c.trust.drift.len(),
        c.id
    );
    for d in &c.trust.drift {
        outln!(
            "  {} {}: {} — {} request(s), {} row(s), {} → {}, e.g. request {}",
            d.kind,
            d.field,
            d.message,
            d.requests,
            d.rows,
            d.first_seen,
            d.last_seen,
            d.example_request_id
        );
    }
}

/// `connections show`: the connection and what last arrived on it (docs/design.md §14), so that a headless
/// user sees the payload to map without opening the window.
fn show_connection(
    c: &connections::ConnectionView,
    latest: Option<&payloads::PayloadView>,
    as_json: bool,
) -> Result<()> {
    if as_json {
        #[derive(serde::Serialize)]
        struct Shown<'a> {
            #[serde(flatten)]
            connection: &'a connections::ConnectionView,
            latest_payload: Option<&'a payloads::PayloadView>,
        }
        return json(&Shown {
            connection: c,
            latest_payload: latest,
        });
    }
    print_connection(c, false)?;
    let Some(p) = latest else {
        outln!("latest payload none yet: post to the webhook URL and it appears here");
        return Ok(());
    };
    outln!(
        "latest payload received {}, status {}, {}, {} bytes (request {})",
        p.received_at,
        p.status,
        p.content_type.as_deref().unwrap_or("no content type"),
        p.size,
        p.request_id
    );
    if let Some(detail) = p.error.as_ref().map(|e| &e.detail) {
        outln!("               {detail}");
    }
    // JSON is shown pretty (keys in the order they arrived); anything else exactly as received.
    let text = match &p.json {
        Some(v) if !p.content_type.as_deref().is_some_and(is_form) => {
            serde_json::to_string_pretty(v)?
        }
        _ => p.body.clone(),
    };
    // A terminal is no place for a 10 MiB batch: the start of it, and where the rest is.
    if text.len() > SHOWN_BODY_BYTES {
        let mut end = SHOWN_BODY_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        outln!("{}", &text[..end]);
        outln!(
            "… (the first {} KiB shown; `inlet request {}` or `--json` prints all of it)",
            SHOWN_BODY_BYTES / 1024,
            p.request_id
        );
    } else {
        outln!("{text}");
    }
    Ok(())
}

fn tunnel_line(t: &inlet_desktop::tunnel::TunnelState) -> String {
    use inlet_desktop::tunnel::Status;
    match t.status {
        Status::Starting => format!("{} starting", t.tunnel),
        Status::Up => format!("{} up at {}", t.tunnel, t.url.as_deref().unwrap_or("?")),
        Status::Down => format!(
            "{} down: {}",
            t.tunnel,
            t.error.as_deref().unwrap_or("stopped")
        ),
    }
}

/// `connections check ID`: HEAD the public webhook URL; it must come back to a running listener.
fn check_cmd(s: &Services, id: &str, as_json: bool) -> Result<()> {
    let c = connections::show(s, id)?;
    let live = settings::listeners(s)?;
    if live.is_empty() {
        bail!(
            "no listener is running for this data file: start one (`inlet serve` or the app) first"
        );
    }
    let expected = inlet_desktop::tunnel::expected_listeners(&live);
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(inlet_desktop::tunnel::check(&c.webhook_url, &expected));
    if as_json {
        json(&report)?;
    } else {
        outln!("HEAD {}", report.url);
        outln!("{}", report.message);
    }
    if !report.ok {
        bail!("check from outside failed: {}", report.message);
    }
    Ok(())
}

/// How much of the latest payload `connections show` prints without `--json`.
const SHOWN_BODY_BYTES: usize = 64 * 1024;

fn is_form(content_type: &str) -> bool {
    content_type
        .trim()
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
}

fn connections_cmd(s: &Services, c: ConnectionsCmd, as_json: bool) -> Result<()> {
    match c {
        ConnectionsCmd::Create {
            name,
            kind: k,
            behavior: b,
        } => {
            let v = connections::create(
                s,
                connections::NewConnection {
                    name,
                    kind: kind(k),
                    behavior: b.map(behavior),
                },
            )?;
            print_connection(&v, as_json)
        }
        ConnectionsCmd::List => {
            let l = connections::list(s)?;
            if as_json {
                return json(&l);
            }
            let rows = l
                .iter()
                .map(|c| {
                    vec![
                        c.id.clone(),
                        c.name.clone(),
                        c.kind.as_str().into(),
                        c.behavior.as_str().into(),
                        c.enabled.to_string(),
                        c.requests.to_string(),
                        opt(&c.last_request_at),
                        if c.unprotected { "OPEN TO ANYONE" } else { "" }.into(),
                    ]
                })
                .collect();
            table(
                &[
                    "ID",
                    "NAME",
                    "KIND",
                    "BEHAVIOR",
                    "ENABLED",
                    "REQUESTS",
                    "LAST REQUEST",
                    "",
                ],
                rows,
            );
            if let Some(c) = l.first() {
                outln!(
                    "webhook URLs: {}",
                    c.webhook_url.rsplit_once("/hooks/").map_or("", |(b, _)| b)
                );
                if let Some(w) = &c.loopback_warning {
                    outln!("warning: {w}");
                }
            }
            if l.iter().any(|c| c.unprotected) {
                outln!("warning: connections marked OPEN TO ANYONE neither enforce authorization nor check a signature, and their webhook URL is public");
            }
            Ok(())
        }
        ConnectionsCmd::Show { id } => {
            let c = connections::show(s, &id)?;
            let latest = payloads::latest(s, &id)?;
            show_connection(&c, latest.as_ref(), as_json)
        }
        ConnectionsCmd::Update {
            id,
            name,
            behavior: b,
            enabled,
            enforce_auth,
            rotate_auth,
            public_url,
            keep_requests,
            keep_days,
            keep_bytes,
            trust,
        } => {
            let patch = connections::ConnectionPatch {
                name,
                behavior: b.map(behavior),
                enabled,
                enforce_auth,
                rotate_auth,
                public_url,
                retention: requests::RetentionPatch {
                    keep_requests,
                    keep_days,
                    keep_bytes,
                },
                trust: service::trust::TrustPatch {
                    verify: trust.verify,
                    signing_secret: trust.signing_secret,
                    rotate_signing_secret: trust.rotate_signing_secret,
                    signature_header: trust.signature_header,
                    signature_encoding: trust.signature_encoding,
                    signature_prefix: trust.signature_prefix,
                    on_drift: trust.on_drift,
                },
            };
            print_connection(&connections::update(s, &id, patch)?, as_json)
        }
        ConnectionsCmd::Drift(DriftCmd::Show { id }) => {
            let c = connections::show(s, &id)?;
            if as_json {
                return json(&c.trust.drift);
            }
            print_drift(&c);
            Ok(())
        }
        ConnectionsCmd::Drift(DriftCmd::Ack { id }) => {
            let c = service::trust::acknowledge_drift(s, &id)?;
            if as_json {
                return json(&c);
            }
            outln!(
                "drift acknowledged; the current shape of connection {} is its baseline",
                c.id
            );
            Ok(())
        }
        ConnectionsCmd::Check { id } => check_cmd(s, &id, as_json),
        ConnectionsCmd::Delete { id } => {
            let d = connections::delete(s, &id)?;
            if as_json {
                return json(&d);
            }
            outln!("deleted connection {}", d.id);
            Ok(())
        }
    }
}

fn mapping_cmd(s: &Services, m: MappingCmd, as_json: bool) -> Result<()> {
    match m {
        MappingCmd::Set { id, file, no_enable } => {
            let text = read_file(&file)?;
            let document: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
            let v = mappings::set(s, &id, mappings::SetMapping { document, no_enable })?;
            if as_json {
                return json(&v);
            }
            outln!("mapping saved; connection {} is {} ({})", v.connection_id, if v.enabled { "enabled" } else { "disabled" }, v.behavior.as_str());
            Ok(())
        }
        MappingCmd::Show { id } => match mappings::show(s, &id)? {
            Some(v) if as_json => json(&v),
            Some(v) => {
                outln!("{}", serde_json::to_string_pretty(&v.document)?);
                Ok(())
            }
            None => bail!("connection {id} has no mapping; set one with `inlet mapping set {id} --file mapping.json`"),
        },
    }
}

fn preview_cmd(db: &Path, p: PreviewArgs, as_json: bool) -> Result<()> {
    let mapping_text = read_file(&p.mapping)?;
    let mapping: serde_json::Value = serde_json::from_str(&mapping_text)
        .with_context(|| format!("{} is not JSON", p.mapping.display()))?;
    // Bytes, as the listener reads a request: a body that is not UTF-8 gets the listener's answer.
    let payload =
        Payload::open(&p.payload).with_context(|| format!("reading {}", p.payload.display()))?;
    // What a preview touches grows with the file: from a few MB, faulting it in 2 MiB at a time
    // saves more time than the pages cost memory (a 2 MB file: 1 ms of 18, for 3 MB more).
    if payload.len() >= 4 << 20 {
        crate::allow_huge_pages();
    }
    let ct = p.content_type.as_deref();
    if as_json && p.connection.is_none() && !p.against_store {
        // The pure preview streams: each row is read, planned and written in its turn, so a
        // whole export is previewed in little more memory than the file itself.
        use std::io::Write;
        let mut w = chunked_stdout();
        let summary = service::preview::write_pure_file(&mapping, &payload[..], ct, &mut w)??;
        writeln!(w)?;
        w.flush()?;
        note_too_large(summary.map_or(0, |s| s.rows), payload.len());
        return Ok(());
    }
    let out = match (&p.connection, p.against_store) {
        (Some(id), _) => {
            let s = open(db)?;
            let conn = connections::show(&s, id)?;
            let given = mapping.get("behavior").and_then(|b| b.as_str());
            if conn.kind != Kind::Events && given.is_some_and(|b| b != conn.behavior.as_str()) {
                eprintln!(
                    "inlet: note: planned with the connection's behavior ({}); `inlet mapping set` with this file makes it {}",
                    conn.behavior.as_str(),
                    given.unwrap_or_default()
                );
            }
            service::preview::as_connection(&s, id, &mapping, &payload[..], ct)?
        }
        (None, true) => {
            service::preview::against_store_body(&open(db)?, &mapping, &payload[..], ct)?
        }
        (None, false) => service::preview::pure_body(&mapping, &payload[..], ct)?,
    };
    // The plan owns what it prints: the body can go before the answer is written.
    let bytes = payload.len();
    drop(payload);
    let too_many = match &out {
        PreviewOutput::Plan { plan, .. } => note_too_large(plan.summary.rows, bytes),
        _ => false,
    };
    if as_json {
        // The core's own writer, straight to stdout a chunk at a time: no second copy of the
        // answer is built.
        use std::io::Write;
        let mut w = chunked_stdout();
        out.write_ok_last(&mut w)?;
        writeln!(w)?;
        w.flush()?;
        // The process ends here: freeing a large plan row by row would only delay the exit
        // (about a tenth of the command's time for 100,000 rows); the OS takes it back whole.
        std::mem::forget(out);
        return Ok(());
    }
    let plan = match out {
        PreviewOutput::Failed { error: e, .. } => {
            bail!("{} ({}): {}", e.code, e.status, e.detail)
        }
        PreviewOutput::ConnectionTest { .. } => {
            outln!("connection test: nothing would be written (200)");
            return Ok(());
        }
        PreviewOutput::Plan { plan, .. } => plan,
    };
    let lines = plan_table::lines(&plan);
    table(&["ROW", "ACTION", "KEY", "DETAIL"], lines);
    let sum = plan.summary;
    outln!(
        "{} {}: {} create, {} update, {} delete, {} skip, {} duplicate, {} error",
        sum.rows,
        if sum.rows == 1 { "row" } else { "rows" },
        sum.create,
        sum.update,
        sum.delete,
        sum.skip,
        sum.duplicate,
        sum.error
    );
    if sum.error > 0 {
        let pure = p.connection.is_none() && !p.against_store;
        if pure && plan_table::links_unknown(&plan) {
            // Events link to stored records only; a pure preview has none, so every link fails.
            eprintln!(
                "inlet: note: without --against-store the preview plans against no stored records, so every contact and account an event links to is unknown; --against-store (with --connection ID, as that connection would) plans against this store's records"
            );
        }
        bail!("the listener would answer 422 and write nothing");
    }
    if too_many {
        bail!("the listener would answer 413 to this body as one batch and write nothing");
    }
    Ok(())
}

/// Standard output for an answer the core writes in large chunks of its own. Rust's stdout is
/// line-buffered: it searches every chunk for a newline (about 4% of a 100,000-row preview's
/// time). A duplicate of its descriptor writes the chunks as they come.
fn chunked_stdout() -> Box<dyn std::io::Write> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() {
            return Box::new(std::fs::File::from(fd));
        }
    }
    Box::new(std::io::stdout().lock())
}

/// `n` of a plural noun (`rows`, `contacts`), singular for one: "1 row", "2 rows".
fn counted(n: u64, plural: &str) -> String {
    if n == 1 {
        format!("1 {}", plural.strip_suffix('s').unwrap_or(plural))
    } else {
        format!("{n} {plural}")
    }
}

/// A file may be a whole export, planned whatever its size; a sender must post it in batches.
/// Says so when `rows` is more than the listener takes in one request, or `bytes` more than
/// its default body limit.
fn note_too_large(rows: usize, bytes: usize) -> bool {
    let limit = inlet_core::DEFAULT_MAX_ROWS;
    if rows > limit {
        eprintln!(
            "inlet: note: {rows} rows: the listener takes at most {limit} in one request and would answer 413 to this body as one batch; send it in batches of at most that many"
        );
    }
    let body_limit = inlet_desktop::listener::DEFAULT_BODY_LIMIT;
    if bytes > body_limit {
        eprintln!(
            "inlet: note: this body is {:.1} MiB: the listener takes at most {} MiB in one request and would answer 413 (body_too_large) to it; send it in smaller batches",
            bytes as f64 / (1 << 20) as f64,
            body_limit >> 20
        );
    }
    rows > limit || bytes > body_limit
}

fn view_filter(v: ViewArgs) -> records::RecordFilter {
    records::RecordFilter {
        connection: v.connection,
        search: v.search,
        event_type: v.event_type,
        account: v.account,
        contact: v.contact,
        request: v.request,
        ..Default::default()
    }
}

fn account_label(a: &records::AccountRef) -> String {
    a.name
        .clone()
        .or(a.external_id.clone())
        .unwrap_or(a.id.to_string())
}

fn print_accounts(l: &[records::AccountRecord]) {
    let rows = l
        .iter()
        .map(|a| {
            vec![
                a.id.to_string(),
                opt(&a.external_id),
                opt(&a.name),
                compact(&a.properties),
            ]
        })
        .collect();
    table(&["ID", "EXTERNAL ID", "NAME", "PROPERTIES"], rows);
}

fn print_contacts(l: &[records::ContactRecord]) {
    let rows = l
        .iter()
        .map(|c| {
            vec![
                c.id.to_string(),
                opt(&c.external_id),
                opt(&c.email),
                opt(&c.account.as_ref().map(account_label)),
                compact(&c.properties),
            ]
        })
        .collect();
    table(
        &["ID", "EXTERNAL ID", "EMAIL", "ACCOUNT", "PROPERTIES"],
        rows,
    );
}

fn print_events(l: &[records::EventRecord]) {
    let rows = l
        .iter()
        .map(|e| {
            let contact = e.contact.as_ref().map(|c| {
                c.external_id
                    .clone()
                    .or(c.email.clone())
                    .unwrap_or(c.id.to_string())
            });
            vec![
                e.id.to_string(),
                e.event_type.clone(),
                e.timestamp.clone(),
                opt(&contact),
                opt(&e.account.as_ref().map(account_label)),
                compact(&e.properties),
            ]
        })
        .collect();
    table(
        &["ID", "TYPE", "TIME", "CONTACT", "ACCOUNT", "PROPERTIES"],
        rows,
    );
}

/// Where the next page starts: on stdout with the table, on stderr beside `--json`.
fn print_next(next: &Option<String>, as_json: bool) {
    if let Some(n) = next {
        if as_json {
            eprintln!("next page: --after {n}");
        } else {
            outln!("next page: --after {n}");
        }
    }
}

/// A record's fields, then its properties one per line (nested values as JSON).
fn print_fields(
    title: &str,
    fields: &[(&str, String)],
    props: &serde_json::Map<String, serde_json::Value>,
) {
    outln!("{title}");
    let w = fields
        .iter()
        .map(|(k, _)| k.len())
        .chain(props.keys().map(|k| k.chars().count()))
        .max()
        .unwrap_or(0);
    for (k, v) in fields {
        outln!("  {k:<w$}  {v}");
    }
    if !props.is_empty() {
        outln!("properties");
        for (k, v) in props {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            outln!("  {k:<w$}  {v}");
        }
    }
}

fn written_by(request: &Option<String>, connection: &Option<String>) -> String {
    match (request, connection) {
        (Some(r), Some(c)) => format!("request {r} (connection {c})"),
        (Some(r), None) => format!("request {r}"),
        (None, Some(c)) => format!("connection {c}"),
        (None, None) => "-".into(),
    }
}

fn print_more(what: &str, next: &Option<String>, flag: &str) {
    if let Some(n) = next {
        outln!("more {what}: inlet records {what} {flag} --after {n}");
    }
}

fn record_cmd(s: &Services, kind: RecordKindArg, id: i64, as_json: bool) -> Result<()> {
    match kind {
        RecordKindArg::Accounts => {
            let p = records::account_page(s, id)?;
            if as_json {
                return json(&p);
            }
            let a = &p.account;
            print_fields(
                &format!("account {}", a.id),
                &[
                    ("external id", opt(&a.external_id)),
                    ("name", opt(&a.name)),
                    ("written by", written_by(&a.request_id, &a.connection_id)),
                    ("created", a.created_at.clone()),
                    ("updated", a.updated_at.clone()),
                ],
                &a.properties,
            );
            outln!("\ncontacts");
            print_contacts(&p.contacts.records);
            print_more("contacts", &p.contacts.next, &format!("--account {id}"));
            outln!("\nevents (newest first)");
            print_events(&p.events.records);
            print_more("events", &p.events.next, &format!("--account {id}"));
        }
        RecordKindArg::Contacts => {
            let p = records::contact_page(s, id)?;
            if as_json {
                return json(&p);
            }
            let c = &p.contact;
            let account = p.account.as_ref().map(|a| {
                format!(
                    "{} (id {})",
                    a.name.clone().or(a.external_id.clone()).unwrap_or_default(),
                    a.id
                )
            });
            print_fields(
                &format!("contact {}", c.id),
                &[
                    ("external id", opt(&c.external_id)),
                    ("email", opt(&c.email)),
                    ("account", opt(&account)),
                    ("written by", written_by(&c.request_id, &c.connection_id)),
                    ("created", c.created_at.clone()),
                    ("updated", c.updated_at.clone()),
                ],
                &c.properties,
            );
            outln!("\nevents (newest first)");
            print_events(&p.events.records);
            print_more("events", &p.events.next, &format!("--contact {id}"));
        }
        RecordKindArg::Events => {
            let e = records::event(s, id)?;
            if as_json {
                return json(&e);
            }
            print_fields(
                &format!("event {}", e.id),
                &[
                    ("type", e.event_type.clone()),
                    ("time", e.timestamp.clone()),
                    ("event id", opt(&e.event_id)),
                    (
                        "contact",
                        opt(&e.contact.as_ref().map(|c| {
                            format!(
                                "{} (id {})",
                                c.email
                                    .clone()
                                    .or(c.external_id.clone())
                                    .unwrap_or_default(),
                                c.id
                            )
                        })),
                    ),
                    (
                        "account",
                        opt(&e
                            .account
                            .as_ref()
                            .map(|a| format!("{} (id {})", account_label(a), a.id))),
                    ),
                    ("written by", written_by(&e.request_id, &e.connection_id)),
                    ("received", e.received_at.clone()),
                ],
                &e.properties,
            );
        }
    }
    Ok(())
}

fn records_cmd(s: &Services, r: RecordsArgs, as_json: bool) -> Result<()> {
    if let Some(id) = r.id {
        return record_cmd(s, r.kind, id, as_json);
    }
    let f = records::RecordFilter {
        limit: Some(r.limit),
        after: r.after,
        ..view_filter(r.view)
    };
    match r.kind {
        RecordKindArg::Accounts => {
            let p = records::accounts_page(s, &f)?;
            if as_json {
                json(&p.records)?;
            } else {
                print_accounts(&p.records);
            }
            print_next(&p.next, as_json);
        }
        RecordKindArg::Contacts => {
            let p = records::contacts_page(s, &f)?;
            if as_json {
                json(&p.records)?;
            } else {
                print_contacts(&p.records);
            }
            print_next(&p.next, as_json);
        }
        RecordKindArg::Events => {
            let p = records::events_page(s, &f)?;
            if as_json {
                json(&p.records)?;
            } else {
                print_events(&p.records);
            }
            print_next(&p.next, as_json);
        }
    }
    Ok(())
}

fn export_cmd(s: &Services, e: ExportArgs, as_json: bool) -> Result<()> {
    let kind = match e.kind {
        RecordKindArg::Accounts => Kind::Accounts,
        RecordKindArg::Contacts => Kind::Contacts,
        RecordKindArg::Events => Kind::Events,
    };
    let format = match e.format {
        ExportFormatArg::Csv => export::Format::Csv,
        ExportFormatArg::Ndjson => export::Format::Ndjson,
    };
    let f = view_filter(e.view);
    match &e.output {
        Some(path) => {
            let mut file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let done = export::export(s, kind, &f, format, &mut file)?;
            file.sync_all()
                .with_context(|| format!("writing {}", path.display()))?;
            if as_json {
                json(&done)?;
            } else {
                eprintln!(
                    "wrote {} to {}",
                    counted(done.rows as u64, kind.as_str()),
                    path.display()
                );
            }
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            export::export(s, kind, &f, format, &mut lock)?;
        }
    }
    Ok(())
}

fn requests_cmd(s: &Services, r: RequestsArgs, as_json: bool) -> Result<()> {
    let query = requests::RequestQuery {
        search: r.search,
        status: r.status,
        since: r.since,
        until: r.until,
        limit: Some(r.limit),
        before: r.before,
    };
    let page = requests::search(s, &r.id, &query)?;
    if as_json {
        // The stable shape is the list; the next page starts after its last id (--before).
        return json(&page.requests);
    }
    let l = &page.requests;
    let rows = l
        .iter()
        .map(|q| {
            let outcome = match (&q.summary, &q.error) {
                (_, Some(e)) => e.detail.clone(),
                (
                    Some(LoggedSummary {
                        redelivery_of: Some(original),
                        ..
                    }),
                    None,
                ) => {
                    format!("redelivery of {original}: nothing written again")
                }
                (
                    Some(LoggedSummary {
                        counts: Some(c), ..
                    }),
                    None,
                ) => format!(
                    "{}: {} created, {} updated, {} deleted, {} skipped, {} duplicates",
                    counted(c.rows as u64, "rows"),
                    c.created,
                    c.updated,
                    c.deleted,
                    c.skipped,
                    c.duplicates
                ),
                (Some(_), None) => String::new(),
                (None, None) => "connection test".into(),
            };
            // Schema drift (docs/design.md §13): one more line under the request, whatever its status.
            let drift = q
                .summary
                .as_ref()
                .map(|s| &s.drift)
                .filter(|d| !d.is_empty())
                .map(|d| format!("\n  drift: {}", d.join("\n  drift: ")))
                .unwrap_or_default();
            let outcome = outcome + &drift;
            vec![
                q.id.clone(),
                q.received_at.clone(),
                q.status.to_string(),
                q.size.to_string(),
                outcome,
            ]
        })
        .collect();
    table(&["REQUEST", "RECEIVED", "STATUS", "BYTES", "OUTCOME"], rows);
    if l.is_empty() {
        outln!("no requests match");
    }
    if let Some(next) = &page.next_before {
        outln!("older requests match: add --before {next}");
    }
    Ok(())
}

fn request_cmd(s: &Services, id: &str, as_json: bool) -> Result<()> {
    let d = requests::show(s, id)?;
    if as_json {
        return json(&d);
    }
    outln!("request      {}", d.request.id);
    outln!("connection   {}", d.request.connection_id);
    outln!("received     {}", d.request.received_at);
    outln!("status       {}", d.request.status);
    outln!("content type {}", opt(&d.request.content_type));
    outln!("headers      {}", compact(&d.headers));
    if let Some(e) = &d.request.error {
        outln!("error        {}", compact(e));
    }
    outln!("body ({} bytes):\n{}", d.request.size, d.body);
    if let Some(o) = &d.outcomes {
        outln!("outcomes:\n{}", serde_json::to_string_pretty(o)?);
    }
    Ok(())
}

fn replay_cmd(s: &Services, r: ReplayArgs, as_json: bool) -> Result<()> {
    let input = replay::ReplayInput {
        request: r.request,
        all_since: r.all_since,
        include_written: r.include_written,
    };
    let report = replay::replay(s, &r.id, &input)?;
    if as_json {
        return json(&report);
    }
    for i in &report.replayed {
        outln!(
            "request {} (received {}): {} → {}{}",
            i.request_id,
            i.received_at,
            answer_text(&i.before),
            answer_text(&i.after),
            if i.changed { "" } else { "  (unchanged)" }
        );
        const SHOWN: usize = 20;
        for row in i.rows.iter().take(SHOWN) {
            let side = |a: &Option<String>, d: &Option<String>| match (a, d) {
                (None, _) => "-".to_string(),
                (Some(a), None) => a.clone(),
                (Some(a), Some(d)) => format!("{a} ({d})"),
            };
            outln!(
                "  row {:<4} {} → {}",
                row.index,
                side(&row.before, &row.before_detail),
                side(&row.after, &row.after_detail)
            );
        }
        if i.rows.len() > SHOWN {
            outln!(
                "  … and {} more rows (--json lists every row)",
                i.rows.len() - SHOWN
            );
        }
        outln!("  logged as {}", i.replay_id);
    }
    outln!(
        "{} replayed: {} written, {} not written, {} changed",
        report.replayed.len(),
        report.written,
        report.not_written,
        report.changed
    );
    Ok(())
}

/// `200 (2 rows: 1 created, 1 updated)`, `202 not written: the connection is disabled…`.
fn answer_text(a: &replay::LoggedAnswer) -> String {
    if let Some(e) = &a.error {
        return format!("{} {}", a.status, e.detail);
    }
    let Some(s) = &a.summary else {
        return format!("{} connection test", a.status);
    };
    let c = s.counts.unwrap_or_default();
    let mut parts = Vec::new();
    for (n, label) in [
        (c.created, "created"),
        (c.updated, "updated"),
        (c.deleted, "deleted"),
        (c.skipped, "skipped"),
        (c.duplicates, "duplicates"),
        (s.errors.unwrap_or(0), "errors"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    let rows = c.rows;
    let what = if parts.is_empty() {
        "nothing".to_string()
    } else {
        parts.join(", ")
    };
    let noun = if rows == 1 { "row" } else { "rows" };
    format!("{} ({rows} {noun}: {what})", a.status)
}

fn settings_cmd(s: &Services, a: SettingsArgs, as_json: bool) -> Result<()> {
    let v = if a.listen.is_none() && a.public_url.is_none() && a.data_file.is_none() {
        settings::get(s)?
    } else {
        settings::set(
            s,
            settings::SettingsPatch {
                listen_address: a.listen,
                public_base_url: a.public_url,
                data_file: a.data_file,
            },
        )?
    };
    if as_json {
        return json(&v);
    }
    outln!("listen address   {}", v.listen_address);
    outln!(
        "public base URL  {}{}",
        v.public_base_url,
        if v.public_base_url_set {
            ""
        } else {
            " (follows the listen address)"
        }
    );
    if let Some(t) = &v.tunnel {
        outln!("tunnel           {}", tunnel_line(t));
    }
    let here = settings::host_name();
    for l in &v.listeners {
        // The host only when it is another machine's (several receivers on one database).
        let host = match l.host.as_str() {
            h if h == here || h.is_empty() => String::new(),
            h => format!(", host {h}"),
        };
        outln!(
            "running          {} (pid {}{host}) on {}",
            l.process,
            l.pid,
            l.listen
        );
    }
    outln!("data file        {}", v.data_file);
    if let Some(c) = &v.configured_data_file {
        outln!("next start opens {c}");
    }
    Ok(())
}
