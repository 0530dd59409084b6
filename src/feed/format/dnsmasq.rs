//! dnsmasq configuration: `address=/d/…`, `server=/d/…`, `local=/d/`.
//!
//! Every `/`-delimited name of those directives is an indicator
//! (`address=/a.com/b.com/0.0.0.0` names two); the part after the last
//! `/` is the answer (sink address, empty for NXDOMAIN, or an upstream)
//! and is not. `server=/d/#` sends `d` to the normal upstreams, which is
//! an exception, so it is skipped. `/#/` (every domain) is rejected: no
//! feed may block the whole DNS. Other directives (`bogus-priv`,
//! `conf-file=…`) are valid and carry no indicator.

use crate::feed::text::{lines, strip_comment};
use crate::feed::Sink;

/// Parses dnsmasq directives into `sink`.
pub fn parse(text: &str, sink: &mut Sink) {
    for (n, line) in lines(text) {
        let line = strip_comment(line, &['#']);
        if line.is_empty() {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        let key = key.trim();
        if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') || key.is_empty() {
            sink.reject(n, line, "not a dnsmasq directive");
            continue;
        }
        if !matches!(key, "address" | "server" | "local") {
            sink.skip();
            continue;
        }
        let Some(rest) = value.trim().strip_prefix('/') else {
            // `server=1.1.1.1`: an upstream for every domain, no indicator.
            sink.skip();
            continue;
        };
        let Some((names, answer)) = rest.rsplit_once('/') else {
            sink.reject(n, line, format!("{key}= needs /domain/ between slashes"));
            continue;
        };
        if key == "server" && answer.trim() == "#" {
            sink.skip();
            continue;
        }
        for name in names.split('/') {
            match name {
                "#" => sink.reject(n, line, "/#/ matches every domain"),
                _ => sink.value(n, name),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::feed::format::Format;
    use crate::feed::testutil::parse_str;

    #[test]
    fn directives_and_several_names() {
        let r = parse_str(
            Format::Dnsmasq,
            "# header\naddress=/a.com/0.0.0.0\naddress=/b.com/c.com/0.0.0.0\nserver=/d.com/\n\
             local=/e.com/\naddress=/f.com/\nserver=/ok.com/#\nbogus-priv\nconf-file=/etc/x\n",
        );
        assert_eq!((r.counts.domains, r.counts.rejected, r.counts.skipped), (6, 0, 3));
    }

    #[test]
    fn every_domain_and_garbage_are_rejected() {
        let r = parse_str(
            Format::Dnsmasq,
            "address=/a.com/::\naddress=/b.com/::\naddress=/c.com/::\naddress=/#/0.0.0.0\n\
             local=/x.com\n<p>oops</p>\n",
        );
        assert_eq!(r.counts.rejected, 3);
        assert!(r.rejected[0].reason.contains("every domain"));
    }
}
