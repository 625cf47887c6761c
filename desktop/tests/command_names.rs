//! The window calls its commands by name (`ui/src/desktop/api.ts`, `call('connections_show', {id})`)
//! and Tauri finds them by name in `gui`'s `generate_handler!` list: a renamed command or argument
//! compiles on both sides and fails only when the screen is used. This test reads the three
//! places as text — the handler list (`desktop/src/gui/mod.rs`), the `#[tauri::command]`
//! functions (`desktop/src/gui/commands.rs`) and the window's calls — and holds them to each other:
//! the same command names, and each call's argument keys the command's parameters in the window's
//! camelCase (Tauri's default renaming), the shell's own `State` and handles left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn read(path: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The text after `open` up to its matching `close`, nested pairs included.
fn enclosed(text: &str, open: char, close: char) -> &str {
    let mut depth = 0;
    for (i, ch) in text.char_indices() {
        if ch == open {
            depth += 1;
        } else if ch == close {
            depth -= 1;
            if depth == 0 {
                return &text[1..i];
            }
        }
    }
    panic!("no closing {close:?} in {text:.60}");
}

/// Splits at the commas outside any `<>`, `()`, `[]` or `{}`.
fn top_level_items(text: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0i32);
    for ch in text.chars() {
        match ch {
            '<' | '(' | '[' | '{' => depth += 1,
            '>' | ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// `generate_handler![commands::a, commands::b]` in gui/mod.rs.
fn handler_list() -> BTreeSet<String> {
    let text = read("src/gui/mod.rs");
    let at = text
        .find("generate_handler![")
        .expect("gui/mod.rs registers its commands with generate_handler!");
    let list = enclosed(&text[at + "generate_handler!".len()..], '[', ']');
    top_level_items(list)
        .into_iter()
        .map(|s| s.trim_start_matches("commands::").to_string())
        .collect()
}

/// Each `#[tauri::command]` function of gui/commands.rs and the arguments the window sends it.
fn command_functions() -> BTreeMap<String, BTreeSet<String>> {
    let text = read("src/gui/commands.rs");
    let mut out = BTreeMap::new();
    for (at, _) in text.match_indices("#[tauri::command]") {
        let rest = &text[at..];
        let name_at = rest.find("fn ").expect("a command is a function") + 3;
        let name_end = name_at + rest[name_at..].find(['(', '<']).unwrap();
        let name = rest[name_at..name_end].trim().to_string();
        let params_at = name_at + rest[name_at..].find('(').unwrap();
        let params = top_level_items(enclosed(&rest[params_at..], '(', ')'))
            .into_iter()
            .filter_map(|p| {
                let (name, ty) = p.split_once(':')?;
                let ty = ty.trim();
                let injected = ["State<", "AppHandle", "Window", "Webview"]
                    .iter()
                    .any(|t| ty.starts_with(t) || ty.starts_with(&format!("tauri::{t}")));
                (!injected).then(|| camel(name.trim().trim_start_matches("mut ")))
            })
            .collect();
        out.insert(name, params);
    }
    out
}

/// Every command the window calls (`call<T>('name', {a, b: c})` or `invoke('name', …)`) with the
/// argument keys it sends; the Tauri plugins' own commands (`plugin:…`) left out.
fn window_calls() -> BTreeMap<String, BTreeSet<String>> {
    let text = read("../ui/src/desktop/api.ts");
    let mut out = BTreeMap::new();
    for pattern in ["call<", "call(", "invoke<", "invoke("] {
        for (at, _) in text.match_indices(pattern) {
            let mut rest = &text[at + pattern.len() - 1..];
            if rest.starts_with('<') {
                let generic = enclosed(rest, '<', '>');
                rest = &rest[generic.len() + 2..];
            }
            let Some(args) = rest.strip_prefix("('") else {
                continue; // the declaration or a call with a computed name
            };
            let name = &args[..args.find('\'').unwrap()];
            if name.contains(':') {
                continue;
            }
            let after = args[name.len() + 1..].trim_start();
            let keys: BTreeSet<String> = match after.strip_prefix(',') {
                Some(object) => top_level_items(enclosed(object.trim_start(), '{', '}'))
                    .into_iter()
                    .map(|k| k.split(':').next().unwrap().trim().to_string())
                    .collect(),
                None => BTreeSet::new(),
            };
            let previous = out.insert(name.to_string(), keys.clone());
            assert!(
                previous.is_none_or(|p| p == keys),
                "api.ts calls {name} with different arguments in different places"
            );
        }
    }
    out
}

#[test]
fn the_windows_calls_the_handler_list_and_the_commands_agree() {
    let handlers = handler_list();
    let commands = command_functions();
    let calls = window_calls();
    // A parser that finds nothing would agree with everything.
    assert!(
        handlers.len() >= 20 && commands.len() >= 20 && calls.len() >= 20,
        "read {} handlers, {} commands, {} calls",
        handlers.len(),
        commands.len(),
        calls.len()
    );
    let command_names: BTreeSet<String> = commands.keys().cloned().collect();
    assert_eq!(
        handlers, command_names,
        "generate_handler! and the #[tauri::command] functions differ"
    );
    let called: BTreeSet<String> = calls.keys().cloned().collect();
    let unknown: Vec<_> = called.difference(&handlers).collect();
    assert!(
        unknown.is_empty(),
        "api.ts calls commands gui does not register: {unknown:?}"
    );
    let uncalled: Vec<_> = handlers.difference(&called).collect();
    assert!(
        uncalled.is_empty(),
        "commands the window never calls: {uncalled:?}"
    );
    for (name, keys) in &calls {
        assert_eq!(
            keys, &commands[name],
            "{name}: api.ts sends these arguments, the command takes those (camelCase)"
        );
    }
}

#[test]
fn the_readers_find_what_they_read() {
    assert_eq!(camel("include_written"), "includeWritten");
    assert_eq!(
        top_level_items("id, patch: Map<K, V>, f: (a, b)"),
        ["id", "patch: Map<K, V>", "f: (a, b)"]
    );
    assert_eq!(enclosed("<a<b>>('x')", '<', '>'), "a<b>");
}
