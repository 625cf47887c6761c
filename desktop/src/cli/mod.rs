//! `inlet`'s commands: each parses its flags, calls one service function, and prints the result.

pub mod args;
mod output;
mod serve;

use anyhow::{bail, Context, Result};
use args::*;
use inlet_core::{Behavior, Kind};
use inlet_desktop::service::{
    self, connections, mappings, payloads, records, replay, requests, settings, Services,
};
use output::{compact, json, opt, table};
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
    Services::open(db).with_context(|| format!("opening {}", db.display()))
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
    println!("id             {}", c.id);
    println!("name           {}", c.name);
    println!("kind           {}", c.kind.as_str());
    println!("behavior       {}", c.behavior.as_str());
    println!("enabled        {}", c.enabled);
    println!("webhook URL    {}", c.webhook_url);
    println!("authorization  {}", c.authorization);
    println!("enforce auth   {}", c.enforce_auth);
    println!(
        "mapping        {}",
        if c.has_mapping { "set" } else { "not set" }
    );
    println!(
        "requests       {} (last: {}, status {})",
        c.requests,
        opt(&c.last_request_at),
        opt(&c.last_status)
    );
    match &c.trust.signature {
        None => println!("signature      none"),
        Some(sig) => {
            println!("signature      {} (header {})", sig.scheme, sig.header);
            if let (Some(enc), Some(pre)) = (&sig.encoding, &sig.prefix) {
                println!("               {enc}, prefix {pre:?}");
            }
            println!("signing secret {}", sig.secret);
        }
    }
    println!("on drift       {}", c.trust.on_drift);
    print_drift(c);
    if let Some(t) = &c.tunnel {
        println!("tunnel         {}", tunnel_line(t));
    }
    for w in [&c.loopback_warning, &c.unprotected_warning]
        .into_iter()
        .flatten()
    {
        println!("warning        {w}");
    }
    if let Some(m) = &c.mapping {
        println!("{}", serde_json::to_string_pretty(m)?);
    }
    Ok(())
}

fn print_drift(c: &connections::ConnectionView) {
    if c.trust.drift.is_empty() {
        println!("drift          none");
        return;
    }
    println!(
        "drift          {} (acknowledge: inlet connections drift ack {})",
        c.trust.drift.len(),
        c.id
    );
    for d in &c.trust.drift {
        println!(
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

/// `connections show`: the connection and what last arrived on it (DESIGN §14), so that a headless
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
        println!("latest payload none yet: post to the webhook URL and it appears here");
        return Ok(());
    };
    println!(
        "latest payload received {}, status {}, {}, {} bytes (request {})",
        p.received_at,
        p.status,
        p.content_type.as_deref().unwrap_or("no content type"),
        p.size,
        p.request_id
    );
    if let Some(detail) = p.error.as_ref().and_then(|e| e["detail"].as_str()) {
        println!("               {detail}");
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
        println!("{}", &text[..end]);
        println!(
            "… (the first {} KiB shown; `inlet request {}` or `--json` prints all of it)",
            SHOWN_BODY_BYTES / 1024,
            p.request_id
        );
    } else {
        println!("{text}");
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
        println!("HEAD {}", report.url);
        println!("{}", report.message);
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
                println!(
                    "webhook URLs: {}",
                    c.webhook_url.rsplit_once("/hooks/").map_or("", |(b, _)| b)
                );
                if let Some(w) = &c.loopback_warning {
                    println!("warning: {w}");
                }
            }
            if l.iter().any(|c| c.unprotected) {
                println!("warning: connections marked OPEN TO ANYONE neither enforce authorization nor check a signature, and their webhook URL is public");
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
            trust,
        } => {
            let patch = connections::ConnectionPatch {
                name,
                behavior: b.map(behavior),
                enabled,
                enforce_auth,
                rotate_auth,
                public_url,
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
            println!(
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
            println!("deleted connection {}", d.id);
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
            println!("mapping saved; connection {} is {} ({})", v.connection_id, if v.enabled { "enabled" } else { "disabled" }, v.behavior.as_str());
            Ok(())
        }
        MappingCmd::Show { id } => match mappings::show(s, &id)? {
            Some(v) if as_json => json(&v),
            Some(v) => {
                println!("{}", serde_json::to_string_pretty(&v.document)?);
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
        std::fs::read(&p.payload).with_context(|| format!("reading {}", p.payload.display()))?;
    let ct = p.content_type.as_deref();
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
            service::preview::as_connection(&s, id, &mapping, &payload, ct)?
        }
        (None, true) => service::preview::against_store_body(&open(db)?, &mapping, &payload, ct)?,
        (None, false) => service::preview::pure_body(&mapping, &payload, ct)?,
    };
    let v = serde_json::to_value(&out)?;
    if as_json {
        return json(&v);
    }
    if let Some(e) = v.get("error") {
        bail!(
            "{} ({}): {}",
            e["code"].as_str().unwrap_or(""),
            e["status"],
            e["detail"].as_str().unwrap_or("")
        );
    }
    if v.get("connection_test").is_some() {
        println!("connection test: nothing would be written (200)");
        return Ok(());
    }
    let rows = v["plan"]["rows"].as_array().cloned().unwrap_or_default();
    let lines = rows
        .iter()
        .map(|r| {
            let detail = match r["action"].as_str() {
                Some("skip") => r["reason"].as_str().unwrap_or("").to_string(),
                Some("error") => format!(
                    "{} (at {})",
                    r["error"].as_str().unwrap_or(""),
                    r["path"].as_str().unwrap_or("-")
                ),
                Some("duplicate") => format!("event {}", r["event_id"]),
                _ => compact(&r["record"]["properties"]),
            };
            let key = r
                .get("key")
                .map(|k| {
                    format!(
                        "{}={}",
                        k["by"].as_str().unwrap_or(""),
                        k["value"].as_str().unwrap_or("")
                    )
                })
                .unwrap_or_default();
            vec![
                r["index"].to_string(),
                r["action"].as_str().unwrap_or("").into(),
                key,
                detail,
            ]
        })
        .collect();
    table(&["ROW", "ACTION", "KEY", "DETAIL"], lines);
    let sum = &v["plan"]["summary"];
    println!(
        "{} {}: {} create, {} update, {} delete, {} skip, {} duplicate, {} error",
        sum["rows"],
        if sum["rows"] == 1 { "row" } else { "rows" },
        sum["create"],
        sum["update"],
        sum["delete"],
        sum["skip"],
        sum["duplicate"],
        sum["error"]
    );
    if sum["error"].as_u64().unwrap_or(0) > 0 {
        bail!("the listener would answer 422 and write nothing");
    }
    Ok(())
}

fn records_cmd(s: &Services, r: RecordsArgs, as_json: bool) -> Result<()> {
    let f = records::RecordFilter {
        connection: r.connection,
        search: r.search,
        limit: Some(r.limit),
    };
    match r.kind {
        RecordKindArg::Accounts => {
            let l = records::accounts(s, &f)?;
            if as_json {
                return json(&l);
            }
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
        RecordKindArg::Contacts => {
            let l = records::contacts(s, &f)?;
            if as_json {
                return json(&l);
            }
            let rows = l
                .iter()
                .map(|c| {
                    let account = c.account.as_ref().map(|a| {
                        a.name
                            .clone()
                            .or(a.external_id.clone())
                            .unwrap_or(a.id.to_string())
                    });
                    vec![
                        c.id.to_string(),
                        opt(&c.external_id),
                        opt(&c.email),
                        opt(&account),
                        compact(&c.properties),
                    ]
                })
                .collect();
            table(
                &["ID", "EXTERNAL ID", "EMAIL", "ACCOUNT", "PROPERTIES"],
                rows,
            );
        }
        RecordKindArg::Events => {
            let l = records::events(s, &f)?;
            if as_json {
                return json(&l);
            }
            let rows = l
                .iter()
                .map(|e| {
                    let contact = e.contact.as_ref().map(|c| {
                        c.external_id
                            .clone()
                            .or(c.email.clone())
                            .unwrap_or(c.id.to_string())
                    });
                    let account = e.account.as_ref().map(|a| {
                        a.name
                            .clone()
                            .or(a.external_id.clone())
                            .unwrap_or(a.id.to_string())
                    });
                    vec![
                        e.id.to_string(),
                        e.event_type.clone(),
                        e.timestamp.clone(),
                        opt(&contact),
                        opt(&account),
                        compact(&e.properties),
                    ]
                })
                .collect();
            table(
                &["ID", "TYPE", "TIME", "CONTACT", "ACCOUNT", "PROPERTIES"],
                rows,
            );
        }
    }
    Ok(())
}

fn requests_cmd(s: &Services, r: RequestsArgs, as_json: bool) -> Result<()> {
    let l = requests::list(s, &r.id, Some(r.limit))?;
    if as_json {
        return json(&l);
    }
    let rows = l
        .iter()
        .map(|q| {
            let outcome = match (&q.summary, &q.error) {
                (_, Some(e)) => e["detail"].as_str().unwrap_or("").to_string(),
                (Some(s), None) if s.get("redelivery_of").is_some() => format!(
                    "redelivery of {}: nothing written again",
                    s["redelivery_of"].as_str().unwrap_or("")
                ),
                (Some(s), None) => format!(
                    "{} rows: {} created, {} updated, {} deleted, {} skipped, {} duplicates",
                    s["rows"],
                    s["created"],
                    s["updated"],
                    s["deleted"],
                    s["skipped"],
                    s["duplicates"]
                ),
                (None, None) => "connection test".into(),
            };
            // Schema drift (DESIGN §13): one more line under the request, whatever its status.
            let drift = q
                .summary
                .as_ref()
                .and_then(|s| s.get("drift"))
                .and_then(|d| d.as_array())
                .filter(|d| !d.is_empty())
                .map(|d| {
                    let lines: Vec<&str> = d.iter().filter_map(|m| m.as_str()).collect();
                    format!("\n  drift: {}", lines.join("\n  drift: "))
                })
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
    Ok(())
}

fn request_cmd(s: &Services, id: &str, as_json: bool) -> Result<()> {
    let d = requests::show(s, id)?;
    if as_json {
        return json(&d);
    }
    println!("request      {}", d.request.id);
    println!("connection   {}", d.request.connection_id);
    println!("received     {}", d.request.received_at);
    println!("status       {}", d.request.status);
    println!("content type {}", opt(&d.request.content_type));
    println!("headers      {}", compact(&d.headers));
    if let Some(e) = &d.request.error {
        println!("error        {}", compact(e));
    }
    println!("body ({} bytes):\n{}", d.request.size, d.body);
    if let Some(o) = &d.outcomes {
        println!("outcomes:\n{}", serde_json::to_string_pretty(o)?);
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
    let rows = report
        .replayed
        .iter()
        .map(|i| {
            let what = match i.response.get("error") {
                Some(e) => e["detail"].as_str().unwrap_or("").to_string(),
                None if i.status == 202 => i.response["reason"].as_str().unwrap_or("").to_string(),
                None => format!(
                    "{} rows: {} created, {} updated, {} skipped, {} duplicates",
                    i.response["rows"],
                    i.response["created"],
                    i.response["updated"],
                    i.response["skipped"],
                    i.response["duplicates"]
                ),
            };
            vec![
                i.request_id.clone(),
                i.replay_id.clone(),
                i.status.to_string(),
                what,
            ]
        })
        .collect();
    table(&["REQUEST", "REPLAY", "STATUS", "OUTCOME"], rows);
    println!(
        "{} replayed: {} written, {} not written",
        report.replayed.len(),
        report.written,
        report.not_written
    );
    Ok(())
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
    println!("listen address   {}", v.listen_address);
    println!(
        "public base URL  {}{}",
        v.public_base_url,
        if v.public_base_url_set {
            ""
        } else {
            " (follows the listen address)"
        }
    );
    if let Some(t) = &v.tunnel {
        println!("tunnel           {}", tunnel_line(t));
    }
    for l in &v.listeners {
        println!(
            "running          {} (pid {}) on {}",
            l.process, l.pid, l.listen
        );
    }
    println!("data file        {}", v.data_file);
    if let Some(c) = &v.configured_data_file {
        println!("next start opens {c}");
    }
    Ok(())
}
