//! The UCI file format, parsed natively so the same binary reads
//! `/etc/config/iocguard` on OpenWrt and `--config PATH` on a Debian
//! gateway without libuci.
//!
//! Grammar (what `uci import` accepts, minus `package` handling):
//! `config TYPE ['NAME']`, `option NAME VALUE`, `list NAME VALUE`, `#`
//! comments, values single-quoted (literal), double-quoted (backslash
//! escapes) or bare, and adjacent pieces concatenated (`'it'\''s'`). Every
//! error names the line.

use std::fmt;

/// One `option` or `list` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Option name.
    pub name: String,
    /// The value.
    pub value: String,
    /// True for `list`, false for `option`.
    pub is_list: bool,
    /// 1-based line number.
    pub line: u32,
}

/// One `config` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Section type (`iocguard`, `feed`, `allow`, `dns`).
    pub kind: String,
    /// Section name; anonymous sections get `@TYPE[N]` like `uci show`.
    pub name: String,
    /// Line of the `config` keyword.
    pub line: u32,
    /// Entries in file order.
    pub entries: Vec<Entry>,
}

impl Section {
    /// The last `option NAME` value (UCI semantics: later wins).
    pub fn option(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.name == name && !e.is_list)
    }

    /// Every value of `list NAME` (and a lone `option NAME`, which UCI
    /// treats as a one-element list).
    pub fn list(&self, name: &str) -> Vec<&Entry> {
        let lists: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.name == name && e.is_list)
            .collect();
        if lists.is_empty() {
            self.option(name).into_iter().collect()
        } else {
            lists
        }
    }
}

/// A syntax error with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: u32,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Parses a whole UCI file.
pub fn parse(text: &str) -> Result<Vec<Section>, SyntaxError> {
    let mut sections: Vec<Section> = Vec::new();
    let mut anon_counts: Vec<(String, usize)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = (i + 1) as u32;
        let words = split_words(raw).map_err(|message| SyntaxError { line, message })?;
        let Some(keyword) = words.first() else { continue };
        let err = |message: String| SyntaxError { line, message };
        match keyword.as_str() {
            "package" => {}
            "config" => {
                let kind = words
                    .get(1)
                    .ok_or_else(|| err("`config` needs a section type".into()))?;
                if words.len() > 3 {
                    return Err(err(format!("unexpected {:?} after the section name", words[3])));
                }
                let name = match words.get(2) {
                    Some(n) => {
                        if !valid_name(n) {
                            return Err(err(format!(
                                "section name {n:?} may only hold letters, digits and _"
                            )));
                        }
                        n.clone()
                    }
                    None => {
                        let idx = match anon_counts.iter_mut().find(|(k, _)| k == kind) {
                            Some((_, n)) => {
                                *n += 1;
                                *n - 1
                            }
                            None => {
                                anon_counts.push((kind.clone(), 1));
                                0
                            }
                        };
                        format!("@{kind}[{idx}]")
                    }
                };
                sections.push(Section {
                    kind: kind.clone(),
                    name,
                    line,
                    entries: Vec::new(),
                });
            }
            kw @ ("option" | "list") => {
                let section = sections
                    .last_mut()
                    .ok_or_else(|| err(format!("`{kw}` before any `config` section")))?;
                let (Some(name), Some(value)) = (words.get(1), words.get(2)) else {
                    return Err(err(format!("`{kw}` needs a name and a value")));
                };
                if words.len() > 3 {
                    return Err(err(format!(
                        "unexpected {:?} after the value (quote values with spaces)",
                        words[3]
                    )));
                }
                if !valid_name(name) {
                    return Err(err(format!(
                        "option name {name:?} may only hold letters, digits and _"
                    )));
                }
                section.entries.push(Entry {
                    name: name.clone(),
                    value: value.clone(),
                    is_list: kw == "list",
                    line,
                });
            }
            other => {
                return Err(err(format!(
                    "unknown keyword {other:?} (expected config, option or list)"
                )))
            }
        }
    }
    Ok(sections)
}

fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Splits a line into shell-like words; `#` outside quotes ends the line.
fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => cur.push(c),
                            None => return Err("unterminated double quote".into()),
                        },
                        Some(c) => cur.push(c),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    cur.push(c);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_options_lists_and_comments() {
        let s = parse(
            "# top comment\n\
             config iocguard 'main'\n\
             \toption unit 'Trung tâm CNTT'   # trailing comment\n\
             \tlist lan '192.168.1.0/24'\n\
             \tlist lan \"10.0.0.0/8\"\n\
             \n\
             config feed campaign\n\
             \toption url https://x.example/a.txt\n",
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].option("unit").unwrap().value, "Trung tâm CNTT");
        let lan: Vec<_> = s[0].list("lan").iter().map(|e| e.value.as_str()).collect();
        assert_eq!(lan, ["192.168.1.0/24", "10.0.0.0/8"]);
        assert_eq!(s[1].name, "campaign");
        assert_eq!(s[1].option("url").unwrap().line, 8);
    }

    #[test]
    fn quoting_rules() {
        assert_eq!(split_words(r#"option a 'it'\''s'"#).unwrap()[2], "it's");
        assert_eq!(split_words(r#"option a "x\"y""#).unwrap()[2], "x\"y");
        assert_eq!(
            split_words("option a 'x # not a comment'").unwrap()[2],
            "x # not a comment"
        );
        assert_eq!(split_words("option a ''").unwrap()[2], "");
    }

    #[test]
    fn anonymous_sections_are_numbered_per_type() {
        let s = parse("config allow\nconfig feed\nconfig allow\n").unwrap();
        let names: Vec<_> = s.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["@allow[0]", "@feed[0]", "@allow[1]"]);
    }

    #[test]
    fn later_option_wins() {
        let s = parse("config x 'y'\n option a 1\n option a 2\n").unwrap();
        assert_eq!(s[0].option("a").unwrap().value, "2");
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("config x 'y'\n option a 'open\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("unterminated"));
        assert_eq!(parse("option a b\n").unwrap_err().line, 1);
        assert!(parse("config x 'y'\n frob a b\n")
            .unwrap_err()
            .message
            .contains("unknown keyword"));
        assert!(parse("config x 'y'\n option a b c\n")
            .unwrap_err()
            .message
            .contains("quote"));
        assert!(parse("config x 'a-b'\n").is_err());
    }
}
