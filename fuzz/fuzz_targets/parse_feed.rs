//! Fuzzes the whole feed path: text decoding, whole-body refusal, format
//! detection and every format parser, over arbitrary bytes.
#![no_main]

use iocguard::feed::{parse_feed, Format};
use iocguard::indicator::KindFilter;
use iocguard::indicator::{Gate, SetBuilder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let gate = Gate::default();
    let formats = std::iter::once(None).chain(Format::all().map(Some));
    for format in formats {
        let mut b = SetBuilder::new();
        let id = b.add_feed("fuzz");
        let before = b.len();
        match parse_feed(data, format, KindFilter::Auto, &mut b, id, &gate) {
            Ok(r) => assert_eq!(b.len() - before, r.counts.accepted()),
            // A refused body leaves nothing behind.
            Err(_) => assert_eq!(b.len(), before),
        }
    }
});
