//! MikroTik RouterOS scripts (`.rsc`): the `address=` of every `add` in
//! `/ip firewall address-list` or `/ipv6 firewall address-list`.
//!
//! A menu path may stand on its own line (and then applies to the lines
//! that follow) or precede the command on the same line; RouterOS 7 also
//! writes it with slashes (`/ip/firewall/address-list`). Other commands
//! (`remove [find …]`, `set`) and `add` in other menus are valid script and
//! carry no indicator. A line ending in `\` continues on the next line.
//! `disabled=yes` entries are skipped: the router would not enforce them.
//! Values may be quoted; ranges (`a-b`) become the prefixes covering them.

use crate::feed::text::lines;
use crate::feed::Sink;

/// Longest continued command kept, so one runaway `\` chain stays small.
const MAX_JOINED: usize = 4096;

/// Parses a RouterOS script into `sink`.
pub fn parse(text: &str, sink: &mut Sink) {
    let mut menu = String::new();
    let mut pending: Option<(u32, String)> = None;
    for (n, line) in lines(text) {
        if let Some(body) = line.strip_suffix('\\') {
            let (_, buf) = pending.get_or_insert_with(|| (n, String::new()));
            if buf.len() + body.len() <= MAX_JOINED {
                buf.push_str(body);
                buf.push(' ');
            }
            continue;
        }
        match pending.take() {
            Some((start, mut buf)) => {
                if buf.len() + line.len() <= MAX_JOINED {
                    buf.push_str(line);
                }
                command(start, &buf, &mut menu, sink);
            }
            None => command(n, line, &mut menu, sink),
        }
    }
    if let Some((start, buf)) = pending {
        command(start, &buf, &mut menu, sink);
    }
}

/// One (joined) command line.
fn command(n: u32, line: &str, menu: &mut String, sink: &mut Sink) {
    if line.starts_with('#') {
        return;
    }
    let words = split_words(line);
    let mut rest = &words[..];
    if line.starts_with('/') {
        // The path runs until the first command word.
        let path_len = rest.iter().position(|w| is_command(w)).unwrap_or(rest.len());
        let (path, after) = rest.split_at(path_len);
        *menu = path
            .join(" ")
            .replace('/', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        rest = after;
    }
    let Some((cmd, args)) = rest.split_first() else {
        return;
    };
    let in_list = menu == "ip firewall address-list" || menu == "ipv6 firewall address-list";
    if *cmd != "add" || !in_list {
        sink.skip();
        return;
    }
    let arg = |key: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
            .map(|v| v.trim_matches('"'))
    };
    if arg("disabled").is_some_and(|d| d == "yes" || d == "true") {
        sink.skip();
        return;
    }
    match arg("address") {
        Some(value) => sink.value_or_range(n, value),
        None => sink.reject(n, line, "address-list `add` without address="),
    }
}

/// RouterOS commands that end a menu path.
fn is_command(w: &str) -> bool {
    matches!(
        w,
        "add" | "remove" | "set" | "print" | "find" | "export" | "enable" | "disable" | "unset" | "comment"
    )
}

/// Splits on whitespace, keeping `key="a b"` and `[find …]` together.
fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut depth, mut escaped) = (false, 0u32, false);
    for c in line.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => depth = depth.saturating_add(1),
            ']' if !quoted => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c.is_whitespace() && !quoted && depth == 0 {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
        } else if c != '\\' || !quoted {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use crate::feed::format::Format;
    use crate::feed::testutil::parse_str;

    #[test]
    fn one_line_and_menu_context_forms() {
        let r = parse_str(
            Format::Mikrotik,
            "/ip firewall address-list remove [find list=bl]\n\
             /ip firewall address-list add list=bl address=1.2.3.0/24\n\
             /ipv6 firewall address-list\nadd list=bl address=2a12:a800:7::/48 comment=\"a b\"\n\
             /ip/firewall/address-list add address=\"evil.com\" list=bl\n\
             # comment\n/ip firewall filter add chain=forward action=drop\n",
        );
        assert_eq!((r.counts.v4, r.counts.v6, r.counts.domains), (1, 1, 1));
        assert_eq!((r.counts.rejected, r.counts.skipped), (0, 2));
    }

    #[test]
    fn continuation_ranges_and_disabled() {
        let r = parse_str(
            Format::Mikrotik,
            "/ip firewall address-list\nadd list=bl \\\n    address=5.6.7.8\n\
             add list=bl address=1.2.3.4-1.2.3.7\nadd list=bl address=9.9.9.9 disabled=yes\n",
        );
        assert_eq!((r.counts.v4, r.counts.skipped, r.counts.rejected), (2, 1, 0));
    }

    #[test]
    fn add_without_address_is_rejected() {
        let r = parse_str(
            Format::Mikrotik,
            "/ip firewall address-list\nadd list=bl address=1.1.1.0/24\nadd list=bl address=2.2.2.0/24\n\
             add list=bl address=3.3.3.0/24\nadd list=bl\n",
        );
        assert_eq!(r.counts.rejected, 1);
        assert_eq!(r.rejected[0].line, 5);
    }
}
