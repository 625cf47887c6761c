//! Reading the public URL out of each tunnel program's own output, one line at a time.
//!
//! Each program prints its URL in a documented, human-readable line; the lines these parsers
//! accept are quoted in the tests below with where they come from.

use super::Program;

/// The line without terminal colour codes (`ESC [ … letter`): bore's log lines carry them even
/// when its output is a pipe.
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The public base URL in one line of the program's output, if the line announces it.
pub fn public_url(program: Program, line: &str) -> Option<String> {
    let line = strip_ansi(line);
    match program {
        Program::Cloudflared => cloudflared(&line),
        Program::Ngrok => ngrok(&line),
        Program::Bore => bore(&line),
    }
}

/// cloudflared's quick tunnel prints its hostname inside an ASCII box, one `|  https://….trycloudflare.com  |`
/// line of its log. Other `https://` links in its log (the terms of use, the docs) are not it.
fn cloudflared(line: &str) -> Option<String> {
    let start = line.find("https://")?;
    let url: String = line[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '|')
        .collect();
    let host = url.strip_prefix("https://")?;
    let host = host.trim_end_matches('/');
    if host.ends_with(".trycloudflare.com") && host != "api.trycloudflare.com" {
        Some(format!("https://{host}"))
    } else {
        None
    }
}

/// ngrok with `--log stdout --log-format logfmt` logs `msg="started tunnel" … url=https://…`.
fn ngrok(line: &str) -> Option<String> {
    if !line.contains("msg=\"started tunnel\"") {
        return None;
    }
    let at = line.find(" url=")?;
    let url: String = line[at + 5..]
        .trim_start_matches('"')
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"')
        .collect();
    (url.starts_with("https://") || url.starts_with("http://"))
        .then(|| url.trim_end_matches('/').to_string())
}

/// bore logs `listening at HOST:PORT` once the relay has given it a port; it forwards TCP, so
/// the URL is plain `http://` on that port.
fn bore(line: &str) -> Option<String> {
    let at = line.find("listening at ")?;
    let addr = line[at + "listening at ".len()..].trim();
    let (host, port) = addr.rsplit_once(':')?;
    if host.is_empty() || port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("http://{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cloudflared tunnel --url http://localhost:3000`, as quoted in the pull request
    /// Shopify/shopify-app-template-node#1164 (README "Using cloudflare tunnel"); the box itself
    /// is printed by `RunQuickTunnel` in cloudflared's cmd/cloudflared/tunnel/quick_tunnel.go.
    const CLOUDFLARED: &[&str] = &[
        "2022-11-11T19:57:55Z INF Requesting new quick Tunnel on trycloudflare.com...",
        "2022-11-11T19:57:58Z INF +--------------------------------------------------------------------------------------------+",
        "2022-11-11T19:57:58Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |",
        "2022-11-11T19:57:58Z INF |  https://four-dashed-word-url.trycloudflare.com                                     |",
    ];

    /// cloudflared 2022.1.3 without network, quoted in cloudflare/cloudflared#555: the quick
    /// tunnel API's own address and the terms-of-use link are not a tunnel URL.
    const CLOUDFLARED_FAILED: &[&str] = &[
        "2022-01-29T09:49:15Z INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out. However, be aware that these account-less Tunnels have no uptime guarantee. If you intend to use Tunnels in production you should use a pre-created named tunnel by following: https://developers.cloudflare.com/cloudflare-one/connections/connect-apps",
        "failed to request quick Tunnel: Post \"https://api.trycloudflare.com/tunnel\": dial tcp: lookup api.trycloudflare.com on 127.0.0.11:53: no such host",
    ];

    /// ngrok's logfmt log (`--log stdout --log-format logfmt`, the flags named in
    /// inconshreveable/ngrok#634): the tunnel line as quoted in Ajuna
    /// Network's Dot4G bot README (2022, `.ngrok.io`) and in Ocrolus' widget-quickstart README
    /// (ngrok 3, 2023, `.ngrok-free.app`).
    const NGROK: &[&str] = &[
        "t=2022-07-06T11:42:08+0000 lvl=info msg=\"started tunnel\" obj=tunnels name=command_line addr=https://localhost:2000 url=https://4f20-84-75-48-249.ngrok.io",
        "t=2023-06-22T17:07:21+0000 lvl=info msg=\"started tunnel\" obj=tunnels name=command_line addr=http://node:8000 url=https://5264-104-28-236-176.ngrok-free.app",
    ];

    /// bore-cli 0.6.0 (src/client.rs: `info!("listening at {to}:{remote_port}")`), captured from
    /// `bore local 9 --local-host 127.0.0.1 --to 127.0.0.1` with its output a pipe: the colour
    /// codes of tracing-subscriber's default format are there all the same.
    const BORE: &str = "\u{1b}[2m2026-12-01T21:24:01.129101Z\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m \u{1b}[2mbore_cli::client\u{1b}[0m\u{1b}[2m:\u{1b}[0m listening at 127.0.0.1:33375";

    fn found(program: Program, lines: &[&str]) -> Vec<String> {
        lines
            .iter()
            .filter_map(|l| public_url(program, l))
            .collect()
    }

    #[test]
    fn cloudflared_s_url_is_the_one_in_its_box() {
        assert_eq!(
            found(Program::Cloudflared, CLOUDFLARED),
            ["https://four-dashed-word-url.trycloudflare.com"]
        );
        assert!(found(Program::Cloudflared, CLOUDFLARED_FAILED).is_empty());
    }

    #[test]
    fn ngrok_s_url_is_the_started_tunnel_s_url() {
        assert_eq!(
            found(Program::Ngrok, NGROK),
            [
                "https://4f20-84-75-48-249.ngrok.io",
                "https://5264-104-28-236-176.ngrok-free.app"
            ]
        );
        assert!(found(Program::Ngrok, CLOUDFLARED).is_empty());
    }

    #[test]
    fn bore_s_url_is_the_relay_and_port_it_was_given() {
        assert_eq!(
            public_url(Program::Bore, BORE).as_deref(),
            Some("http://127.0.0.1:33375")
        );
        assert_eq!(
            public_url(Program::Bore, "\u{1b}[2m2026-12-01T21:24:01.129072Z\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m \u{1b}[2mbore_cli::client\u{1b}[0m\u{1b}[2m:\u{1b}[0m connected to server \u{1b}[3mremote_port\u{1b}[0m\u{1b}[2m=\u{1b}[0m33375"),
            None
        );
    }

    #[test]
    fn colour_codes_are_removed() {
        assert_eq!(strip_ansi("\u{1b}[32m INFO\u{1b}[0m x"), " INFO x");
    }
}
