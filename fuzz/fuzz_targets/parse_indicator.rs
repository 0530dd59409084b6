//! Fuzzes the single-value classifier every format parser feeds: any string
//! must give an indicator or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(ind) = iocguard::indicator::parse_indicator(s) {
            // The canonical form must itself parse back to the same thing.
            let again = iocguard::indicator::parse_indicator(&ind.to_string());
            assert_eq!(again.as_ref(), Ok(&ind), "round trip of {s:?} -> {ind}");
        }
    }
});
