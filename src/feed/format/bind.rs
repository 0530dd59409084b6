//! BIND `named.conf` zone statements, as sinkhole lists publish them:
//! `zone "bad.example" { type master; notify no; file "null.zone.file"; };`
//! one per line, with `#`, `//` and `/* … */` comments.
//!
//! Each zone statement makes the server answer for that name itself, so
//! its name is the indicator. Zones that hand the name on instead
//! (`type forward`, `hint`, `stub`, `secondary`/`slave`, `mirror`) do not
//! sinkhole anything and are skipped with a reason. Other statements
//! (`options { … };`, `acl`, `include`) are valid configuration without
//! an indicator: skipped. Statements may span lines; a statement's line
//! number is that of its first token.

use crate::feed::Sink;

/// Most tokens kept for one statement, so an unclosed `{` stays small.
const MAX_TOKENS: usize = 64;

/// Parses `named.conf` zone statements into `sink`.
pub fn parse(text: &str, sink: &mut Sink) {
    let mut st = Statement::default();
    let mut lex = Lexer::new(text);
    while let Some(tok) = lex.next_token() {
        match tok {
            Token::Error(line, what) => {
                sink.reject(line, lex.line_text(line), what);
                st = Statement::default();
            }
            Token::Punct(_, ';') if st.depth == 0 => {
                if !st.tokens.is_empty() {
                    st.finish(sink);
                }
                st = Statement::default();
            }
            Token::Punct(line, c) => {
                st.push(line, Tok::Punct(c));
                match c {
                    '{' => st.depth = st.depth.saturating_add(1),
                    '}' if st.depth == 0 => {
                        sink.reject(line, lex.line_text(line), "`}` without a matching `{`");
                        st = Statement::default();
                    }
                    '}' => st.depth -= 1,
                    _ => {}
                }
            }
            Token::Word(line, w) => st.push(line, Tok::Word(w)),
        }
    }
    if !st.tokens.is_empty() {
        let what = if st.depth > 0 {
            "statement not closed (missing `};`)"
        } else {
            "statement not ended by `;`"
        };
        sink.reject(st.line, lex.line_text(st.line), what);
    }
}

/// A token of a statement: a word or quoted string, or punctuation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Word(&'a str),
    Punct(char),
}

/// One statement being gathered.
#[derive(Default)]
struct Statement<'a> {
    line: u32,
    tokens: Vec<Tok<'a>>,
    depth: u32,
}

impl<'a> Statement<'a> {
    fn push(&mut self, line: u32, t: Tok<'a>) {
        if self.tokens.is_empty() {
            self.line = line;
        }
        if self.tokens.len() < MAX_TOKENS {
            self.tokens.push(t);
        }
    }

    /// A complete statement: a zone is a block unless its type hands
    /// the name on; anything else is configuration.
    fn finish(&self, sink: &mut Sink) {
        let n = self.line;
        match self.tokens.as_slice() {
            [Tok::Word(kw), rest @ ..] if kw.eq_ignore_ascii_case("zone") => {
                let Some(Tok::Word(name)) = rest.first() else {
                    return sink.reject(n, "zone", "zone statement without a name");
                };
                let kind = rest
                    .windows(2)
                    .find_map(|w| match w {
                        [Tok::Word(k), Tok::Word(v)] if k.eq_ignore_ascii_case("type") => Some(*v),
                        _ => None,
                    })
                    .map(str::to_ascii_lowercase);
                match kind.as_deref() {
                    Some(
                        "forward" | "hint" | "stub" | "secondary" | "slave" | "mirror" | "delegation-only",
                    ) => sink.skip_because("zones that forward or delegate instead of answering"),
                    _ => sink.value(n, name),
                }
            }
            _ => sink.skip(),
        }
    }
}

/// What the lexer yields.
enum Token<'a> {
    Word(u32, &'a str),
    Punct(u32, char),
    /// An unterminated quote or comment, with its line.
    Error(u32, &'static str),
}

/// Splits `named.conf` text into words, quoted strings and `{ } ;`,
/// dropping comments and counting lines.
struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    line: u32,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// The text of line `n`, for a rejection.
    fn line_text(&self, n: u32) -> &'a str {
        self.text
            .split('\n')
            .nth(n.saturating_sub(1) as usize)
            .unwrap_or("")
            .trim()
    }

    fn bump_lines(&mut self, s: &str) {
        let nl = s.bytes().filter(|&b| b == b'\n').count();
        self.line = self.line.saturating_add(nl.min(u32::MAX as usize) as u32);
    }

    fn next_token(&mut self) -> Option<Token<'a>> {
        loop {
            let rest = &self.text[self.pos..];
            let c = rest.chars().next()?;
            if c == '\n' {
                self.line = self.line.saturating_add(1);
                self.pos += 1;
            } else if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else if c == '#' || rest.starts_with("//") {
                self.pos += rest.find('\n').unwrap_or(rest.len());
            } else if let Some(inner) = rest.strip_prefix("/*") {
                let start = self.line;
                match inner.find("*/") {
                    Some(end) => {
                        self.bump_lines(&rest[..end + 4]);
                        self.pos += end + 4;
                    }
                    None => {
                        self.pos = self.text.len();
                        return Some(Token::Error(start, "comment `/*` never closed"));
                    }
                }
            } else if c == '"' {
                let line = self.line;
                let body = &rest[1..];
                // A quoted string ends at the next quote on the same line:
                // BIND allows no newline inside, and stopping at the line
                // end keeps a stray quote from eating the whole file.
                let stop = body.find(['"', '\n']).unwrap_or(body.len());
                if body[stop..].starts_with('"') {
                    self.pos += stop + 2;
                    return Some(Token::Word(line, &body[..stop]));
                }
                self.pos += 1 + stop;
                return Some(Token::Error(line, "quoted string not closed on its line"));
            } else if matches!(c, '{' | '}' | ';') {
                self.pos += 1;
                return Some(Token::Punct(self.line, c));
            } else {
                let end = rest
                    .find(|c: char| c.is_whitespace() || matches!(c, '{' | '}' | ';' | '"' | '#'))
                    .unwrap_or(rest.len());
                self.pos += end;
                return Some(Token::Word(self.line, &rest[..end]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::feed::format::Format;
    use crate::feed::testutil::parse_str;

    #[test]
    fn one_zone_per_line_with_comments() {
        let r = parse_str(
            Format::Bind,
            "# blocklist\n// generated\n/* multi\n line */\n\
             zone \"bad.example\" { type master; notify no; file \"null.zone.file\"; };\n\
             zone \"evil.example\" {type master;file \"/etc/bind/null.zone.file\";}; # c2\n\
             zone worse.example IN { type primary; file \"db.empty\"; };\n\
             zone \"fwd.example\" { type forward; forwarders { 1.1.1.1; }; };\n\
             options { directory \"/var/cache/bind\"; };\n",
        );
        assert_eq!(
            (r.counts.domains, r.counts.skipped, r.counts.rejected),
            (3, 2, 0),
            "{:?}",
            r.rejected
        );
        assert_eq!(r.skips.len(), 1);
    }

    #[test]
    fn statements_across_lines_keep_their_first_line() {
        let r = parse_str(
            Format::Bind,
            "zone \"a.example\" {\n  type master;\n  file \"null.zone.file\";\n};\nzone \"b.example\" { type master; };\n\
             zone \"com\" { type master; };\nzone { type master; };\nzone \"c.example\" { type master; };\n",
        );
        assert_eq!((r.counts.domains, r.counts.rejected), (3, 2), "{:?}", r.rejected);
        assert_eq!(r.rejected[0].line, 6, "{:?}", r.rejected);
        assert!(r.rejected[0].reason.contains("public suffix"));
        assert_eq!(r.rejected[1].line, 7);
        assert!(r.rejected[1].reason.contains("without a name"));
    }

    #[test]
    fn garbage_and_truncation_are_rejected_not_a_panic() {
        let r = parse_str(
            Format::Bind,
            "zone \"a.example\" { type master; };\nzone \"b.example\" { type master; };\n\
             zone \"c.example\" { type master; };\n}\nzone \"open { type master;\nzone \"d.example\" { type master",
        );
        assert_eq!(r.counts.domains, 3, "{:?}", r.rejected);
        assert!(r.counts.rejected >= 2, "{:?}", r.rejected);
        assert!(r.rejected.iter().any(|x| x.reason.contains("without a matching")));
        assert!(r.rejected.iter().any(|x| x.reason.contains("not closed")));
        for body in [
            "zone \"",
            "/*",
            "zone \"x.example\" {",
            "}};;{{",
            "\"\"\"",
            "zone",
        ] {
            use crate::feed::parse_feed;
            use crate::indicator::{Gate, KindFilter, SetBuilder};
            let mut b = SetBuilder::new();
            let id = b.add_feed("t");
            let _ = parse_feed(
                body.as_bytes(),
                Some(Format::Bind),
                KindFilter::Auto,
                &mut b,
                id,
                &Gate::default(),
            );
        }
    }
}
