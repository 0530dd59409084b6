//! Spamhaus DROP in its JSON form: one JSON object per line,
//! `{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}`, closed by
//! a metadata line `{"type":"metadata",…}`.
//!
//! Each line is parsed on its own, so one broken line costs one rejection
//! (with serde_json's column) instead of the whole list. Objects without
//! `cidr` (the metadata line, future record types) carry no indicator.

use crate::feed::text::lines;
use crate::feed::Sink;
use serde::Deserialize;

/// The fields iocguard reads from one line; the rest is ignored.
#[derive(Deserialize)]
struct Row {
    cidr: Option<serde_json::Value>,
}

/// Parses newline-delimited Spamhaus JSON into `sink`.
pub fn parse(text: &str, sink: &mut Sink) {
    for (n, line) in lines(text) {
        match serde_json::from_str::<Row>(line) {
            Ok(Row { cidr: None }) => sink.skip(),
            Ok(Row {
                cidr: Some(serde_json::Value::String(cidr)),
            }) => sink.value(n, &cidr),
            Ok(Row { cidr: Some(_) }) => sink.reject(n, line, "\"cidr\" is not a string"),
            Err(e) => sink.reject(n, line, format!("not a JSON object: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::feed::format::Format;
    use crate::feed::testutil::parse_str;

    #[test]
    fn rows_and_metadata() {
        let r = parse_str(
            Format::SpamhausJson,
            "{\"cidr\":\"1.10.16.0/20\",\"sblid\":\"SBL256894\",\"rir\":\"apnic\"}\n\
             {\"cidr\":\"2a12:a800:7::/48\",\"sblid\":\"SBL1\",\"rir\":\"ripencc\"}\n\
             {\"type\":\"metadata\",\"timestamp\":1724227200,\"size\":2,\"records\":2}\n",
        );
        assert_eq!(
            (r.counts.v4, r.counts.v6, r.counts.skipped, r.counts.rejected),
            (1, 1, 1, 0)
        );
    }

    #[test]
    fn broken_lines_cost_one_rejection_each() {
        let r = parse_str(
            Format::SpamhausJson,
            "{\"cidr\":\"1.10.16.0/20\"}\n{\"cidr\":\"1.19.0.0/16\"}\n{\"cidr\":\"1.32.128.0/18\"}\n\
             {\"cidr\":\"1.2.3.0/24\"\n{\"cidr\":5}\n",
        );
        assert_eq!((r.counts.v4, r.counts.rejected), (3, 2));
        assert_eq!(r.rejected[0].line, 4);
        assert!(
            r.rejected[0].reason.contains("column"),
            "{}",
            r.rejected[0].reason
        );
    }
}
