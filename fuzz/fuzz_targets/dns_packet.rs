//! Fuzzes the DNS packet path of the sinkhole: any bytes from the network
//! must parse to a query or an error, never a panic or a hang; every answer
//! built from a parsed query must fit the fixed response buffer and parse
//! back to the same question.
#![no_main]

use iocguard::dns::wire::{self, rcode, Blocked, MAX_OWN_RESPONSE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut out = [0u8; MAX_OWN_RESPONSE];
    match wire::parse_query(data) {
        Ok(q) => {
            // Every label start of the name is a possible listed suffix.
            let text = q.name.text().unwrap_or("");
            let starts = std::iter::once(0).chain(text.match_indices('.').map(|(i, _)| i + 1));
            for (i, at) in starts.enumerate() {
                let answer = match i % 3 {
                    0 => Blocked::NxDomain,
                    1 => Blocked::Zero,
                    _ => Blocked::Sinkhole("2001:db8::1".parse().unwrap()),
                };
                let n = wire::write_blocked(&q, at, answer, 5, &mut out).expect("fits");
                let (name, _) = wire::parse_name(&out[..n], wire::HEADER_LEN).expect("own answer parses");
                assert_eq!(name.wire(), q.name.wire());
            }
            for rc in [rcode::REFUSED, rcode::SERVFAIL] {
                let n = wire::write_error(&q, rc, &mut out).expect("fits");
                // Our own answer to an uncompressed question matches it.
                if q.question_end == wire::HEADER_LEN + q.name.wire().len() + 4 {
                    assert!(wire::reply_matches(&out[..n], data, q.question_end));
                }
            }
        }
        Err(e) => {
            if let Some(n) = wire::write_unparsable(data, e, &mut out) {
                assert_eq!(n, wire::HEADER_LEN);
            }
        }
    }
});
