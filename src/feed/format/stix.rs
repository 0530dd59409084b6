//! STIX 2.0 / 2.1 JSON: the network values inside indicator patterns, and
//! STIX 2.1 cyber-observable objects.
//!
//! Accepted shapes: a bundle (`{"type":"bundle","objects":[…]}`), a TAXII
//! envelope (`{"objects":[…]}`), a bare array of objects, or one object.
//! Only the fields iocguard reads are kept while deserialising, so a large
//! bundle costs its indicators, not a JSON tree. serde_json's nesting
//! limit bounds the stack.
//!
//! From an `indicator`'s `pattern`, every comparison `PATH = 'v'`,
//! `PATH IN ('a', 'b')` and, for addresses, `PATH ISSUBSET 'cidr'` is
//! taken, where PATH is `ipv4-addr:value`, `ipv6-addr:value`,
//! `domain-name:value`, `url:value` or `network-traffic:dst_ref.value`
//! (never `dst_ref.type`, which names a type, not an address). `AND`/`OR`,
//! brackets and qualifiers do not matter: each value is an indicator on
//! its own. Negated (`NOT`, `!=`) and fuzzy (`LIKE`, `MATCHES`)
//! comparisons are not blocks. Indicators with no such comparison (file
//! hashes), other pattern languages, revoked indicators and
//! `observed-data` (MISP writes `to_ids=0` attributes as observations) are
//! skipped. Top-level `ipv4-addr`, `ipv6-addr`, `domain-name` and `url`
//! objects give their `value`.
//!
//! Line numbers are the 1-based position of the object in `objects`.
//! A body that is not JSON at all is [`FeedError::Malformed`], with
//! serde_json's line and column.

use crate::feed::{FeedError, Format, Sink};
use serde::Deserialize;
use serde_json::Value;

/// Paths whose compared values are indicators.
const PATHS: &[&str] = &[
    "ipv4-addr:value",
    "ipv6-addr:value",
    "domain-name:value",
    "url:value",
    "network-traffic:dst_ref.value",
];

/// The top level: a bundle or envelope (with `objects`) or one object.
#[derive(Deserialize)]
struct Top {
    objects: Option<Vec<Object>>,
    #[serde(flatten)]
    object: Object,
}

/// The fields of one STIX object that matter here. `Value` where a
/// producer might put an unexpected type, so one odd object cannot refuse
/// the bundle.
#[derive(Deserialize, Default)]
struct Object {
    #[serde(rename = "type")]
    kind: Option<Value>,
    pattern: Option<Value>,
    pattern_type: Option<Value>,
    value: Option<Value>,
    revoked: Option<Value>,
}

/// Parses a STIX bundle into `sink`.
pub fn parse(text: &str, sink: &mut Sink) -> Result<(), FeedError> {
    let malformed = |e: serde_json::Error| FeedError::Malformed {
        format: Format::Stix,
        detail: e.to_string(),
    };
    let objects = if text.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<Object>>(text).map_err(malformed)?
    } else {
        let top: Top = serde_json::from_str(text).map_err(malformed)?;
        match (top.objects, &top.object.kind) {
            (Some(objects), _) => objects,
            (None, Some(_)) => vec![top.object],
            // `{"error": "…"}` from an API: say so instead of "0 entries".
            (None, None) => {
                return Err(FeedError::Malformed {
                    format: Format::Stix,
                    detail: "a JSON object with neither \"objects\" nor \"type\"".into(),
                })
            }
        }
    };
    for (i, obj) in objects.iter().enumerate() {
        let n = (i + 1).min(u32::MAX as usize) as u32;
        object(n, obj, sink);
    }
    Ok(())
}

fn object(n: u32, obj: &Object, sink: &mut Sink) {
    let kind = obj.kind.as_ref().and_then(Value::as_str).unwrap_or("");
    match kind {
        "indicator" => {
            let pattern_type = obj
                .pattern_type
                .as_ref()
                .and_then(Value::as_str)
                .unwrap_or("stix");
            let revoked = obj.revoked.as_ref().and_then(Value::as_bool).unwrap_or(false);
            let Some(pattern) = obj.pattern.as_ref().and_then(Value::as_str) else {
                return sink.reject(n, kind, "indicator without a pattern");
            };
            if revoked || pattern_type != "stix" {
                return sink.skip();
            }
            match pattern_values(pattern) {
                Ok(values) if values.is_empty() => sink.skip(),
                Ok(values) => values.iter().for_each(|v| sink.value(n, v)),
                Err(why) => sink.reject(n, pattern, why),
            }
        }
        "ipv4-addr" | "ipv6-addr" | "domain-name" | "url" => match obj.value.as_ref().and_then(Value::as_str)
        {
            Some(v) => sink.value(n, v),
            None => sink.reject(n, kind, format!("{kind} object without a string value")),
        },
        "observed-data" => sink.skip(),
        _ => {}
    }
}

/// A token of the STIX patterning language, as far as it matters here.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    Word(&'a str),
    Str(String),
    Open,
    Close,
    Comma,
    Op(&'a str),
}

/// The values compared with [`PATHS`] in `pattern`.
fn pattern_values(pattern: &str) -> Result<Vec<String>, &'static str> {
    let tokens = tokenize(pattern)?;
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(t) = tokens.get(i) {
        i += 1;
        let Token::Word(path) = t else { continue };
        if !PATHS.iter().any(|p| p.eq_ignore_ascii_case(path)) {
            continue;
        }
        match (tokens.get(i), tokens.get(i + 1)) {
            (Some(Token::Op("=")), Some(Token::Str(v))) => out.push(v.clone()),
            (Some(Token::Word(w)), Some(Token::Str(v)))
                if w.eq_ignore_ascii_case("ISSUBSET") && path.contains("-addr:") =>
            {
                out.push(v.clone())
            }
            (Some(Token::Word(w)), Some(Token::Open)) if w.eq_ignore_ascii_case("IN") => {
                let mut j = i + 2;
                while let Some(t) = tokens.get(j) {
                    match t {
                        Token::Str(v) => out.push(v.clone()),
                        Token::Comma => {}
                        _ => break,
                    }
                    j += 1;
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn tokenize(p: &str) -> Result<Vec<Token<'_>>, &'static str> {
    let mut out = Vec::new();
    let mut it = p.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        match c {
            c if c.is_whitespace() => {}
            '[' | '(' => out.push(Token::Open),
            ']' | ')' => out.push(Token::Close),
            ',' => out.push(Token::Comma),
            '\'' => {
                let mut s = String::new();
                loop {
                    match it.next() {
                        None => return Err("unterminated string in STIX pattern"),
                        Some((_, '\\')) => match it.next() {
                            Some((_, e)) => s.push(e),
                            None => return Err("unterminated string in STIX pattern"),
                        },
                        Some((_, '\'')) => break,
                        Some((_, c)) => s.push(c),
                    }
                }
                out.push(Token::Str(s));
            }
            '=' | '!' | '<' | '>' => {
                let end = match it.peek() {
                    Some((j, '=')) => {
                        let j = *j;
                        it.next();
                        j + 1
                    }
                    _ => i + c.len_utf8(),
                };
                out.push(Token::Op(p.get(i..end).unwrap_or("")));
            }
            _ => {
                // A word: path or keyword. `[*]` and `[0]` inside a path
                // (`x:refs[*].value`) stay in the word.
                let mut end = i + c.len_utf8();
                let mut indexed = false;
                while let Some(&(j, d)) = it.peek() {
                    let in_index = d == '[' || d == ']' && indexed;
                    if d.is_whitespace() || "()',=!<>".contains(d) || (d == '[' || d == ']') && !in_index {
                        break;
                    }
                    indexed |= d == '[';
                    end = j + d.len_utf8();
                    it.next();
                }
                out.push(Token::Word(p.get(i..end).unwrap_or("")));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::pattern_values;
    use crate::feed::format::Format;
    use crate::feed::testutil::parse_str;
    use crate::feed::{parse_feed, FeedError};
    use crate::indicator::KindFilter;
    use crate::indicator::{Gate, SetBuilder};

    fn vals(p: &str) -> Vec<String> {
        pattern_values(p).unwrap()
    }

    #[test]
    fn comparisons_are_extracted() {
        assert_eq!(
            vals("[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '212.192.246.164']"),
            ["212.192.246.164"]
        );
        assert_eq!(
            vals("[url:value = 'http://212.192.246.164/bins/phantom.m68k']"),
            ["http://212.192.246.164/bins/phantom.m68k"]
        );
        assert_eq!(
            vals("([ipv4-addr:value = '1.2.3.4'] OR [ipv6-addr:value='2a14:c380:12::1']) AND [domain-name:value IN ('a.example', 'b\\'c.example')]"),
            ["1.2.3.4", "2a14:c380:12::1", "a.example", "b'c.example"]
        );
        assert_eq!(
            vals("[ipv4-addr:value ISSUBSET '45.9.148.0/24']"),
            ["45.9.148.0/24"]
        );
        assert!(vals("[file:hashes.MD5 = 'fd2bdfee0c18b802bb19a844e7445be9']").is_empty());
        assert!(vals("[domain-name:value != 'x.example'] AND [domain-name:value NOT = 'y.example'] AND [domain-name:value LIKE '%.z']").is_empty());
        assert!(vals("[email-message:to_refs[*].value = 'a@b.example']").is_empty());
        assert!(pattern_values("[url:value = 'http://x").is_err());
    }

    #[test]
    fn bundle_with_indicators_observables_and_hashes() {
        let r = parse_str(
            Format::Stix,
            r#"{"type":"bundle","id":"bundle--1","objects":[
              {"type":"identity","name":"x"},
              {"type":"indicator","pattern":"[file:hashes.MD5 = 'fd2bdfee0c18b802bb19a844e7445be9']","pattern_type":"stix"},
              {"type":"indicator","pattern":"[ipv4-addr:value = '45.9.148.108'] OR [ipv6-addr:value = '2a14:c380:12::1']"},
              {"type":"indicator","pattern":"[domain-name:value = 'evil.example']","revoked":true},
              {"type":"indicator","pattern":"alert tcp any any","pattern_type":"snort"},
              {"type":"ipv4-addr","value":"45.9.148.109"},
              {"type":"domain-name","value":"c2.example"},
              {"type":"url","value":"http://dl.example/x.exe"},
              {"type":"observed-data","objects":{"0":{"type":"ipv4-addr","value":"9.9.9.9"}}}
            ]}"#,
        );
        assert_eq!((r.counts.v4, r.counts.v6, r.counts.domains), (2, 1, 2));
        assert_eq!((r.counts.skipped, r.counts.rejected), (4, 0));
    }

    #[test]
    fn line_numbers_are_object_positions() {
        let r = parse_str(
            Format::Stix,
            r#"[{"type":"indicator","pattern":"[ipv4-addr:value = '1.1.1.1']"},
                {"type":"indicator","pattern":"[ipv4-addr:value = '2.2.2.2']"},
                {"type":"indicator","pattern":"[ipv4-addr:value = '3.3.3.3']"},
                {"type":"indicator","pattern":"[ipv4-addr:value = '10.0.0.1']"}]"#,
        );
        assert_eq!(r.rejected[0].line, 4);
    }

    #[test]
    fn invalid_json_is_malformed_with_position() {
        let mut b = SetBuilder::new();
        let id = b.add_feed("t");
        let e = parse_feed(
            b"{\"objects\": [\n  {\"type\": }\n]}",
            Some(Format::Stix),
            KindFilter::Auto,
            &mut b,
            id,
            &Gate::default(),
        )
        .unwrap_err();
        assert!(matches!(e, FeedError::Malformed { .. }));
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn json_that_is_not_stix_is_malformed() {
        let mut b = SetBuilder::new();
        let id = b.add_feed("t");
        let e = parse_feed(
            b"{\"error\": \"rate limited\"}",
            Some(Format::Stix),
            KindFilter::Auto,
            &mut b,
            id,
            &Gate::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("neither"), "{e}");
    }

    #[test]
    fn odd_field_types_do_not_refuse_the_bundle() {
        let r = parse_str(
            Format::Stix,
            r#"{"objects":[{"type":7},{"type":"indicator","pattern":5},{"type":"indicator","pattern":"[url:value = 'http://a.example/']"}]}"#,
        );
        assert_eq!((r.counts.domains, r.counts.rejected), (1, 1));
    }
}
