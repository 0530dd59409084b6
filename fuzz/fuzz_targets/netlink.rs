//! Fuzzes netlink reply parsing: splitting a datagram into messages,
//! acknowledgements, attribute walking, set-element dumps (IPv4 and IPv6
//! keys) and counter objects. The kernel is trusted, but a reply is still
//! bytes whose lengths are checked, so any datagram must decode or give a
//! `ParseError`, never a panic. Ranges rebuilt from decoded elements must
//! each have start ≤ end.
#![no_main]

use iocguard::nft::netlink::{
    attrs, elems_to_ranges, find_attr, messages, parse_ack, parse_counter_obj, parse_setelem_msg, u64_attr, Key,
};
use libfuzzer_sys::fuzz_target;

fn ranges<K: Key>(payload: &[u8]) {
    let mut elems: Vec<(K, bool)> = Vec::new();
    if parse_setelem_msg::<K>(payload, |k, end| elems.push((k, end))).is_ok() {
        // The loader sorts ends before starts at the same key.
        elems.sort_by_key(|&(k, end)| (k, !end));
        for (s, e) in elems_to_ranges(&elems) {
            assert!(s <= e, "range {s:?}..{e:?} from {elems:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    for m in messages(data) {
        let Ok(m) = m else { continue };
        let _ = parse_ack(m.payload);
        for a in attrs(m.payload) {
            if let Ok((_, nested)) = a {
                for b in attrs(nested) {
                    let _ = b;
                }
            }
        }
        let _ = find_attr(m.payload, 1);
        let _ = u64_attr(m.payload, 1);
        let _ = parse_counter_obj(m.payload);
        ranges::<u32>(m.payload);
        ranges::<u128>(m.payload);
    }
    // Attribute walking on raw bytes too (a nested attribute is any slice).
    for a in attrs(data) {
        let _ = a;
    }
});
