//! Fuzzes the UCI parser and the configuration checks behind it: any
//! text (the bytes read lossily as UTF-8, as a corrupted file would be)
//! gives sections or a syntax/validation error with a line, never a panic.
#![no_main]

use iocguard::config::{uci, Config};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(sections) = uci::parse(&text) {
        for s in &sections {
            // The accessors the config layer uses on every section.
            let _ = s.option("enabled");
            let _ = s.list("url");
        }
    }
    let _ = Config::parse(Path::new("/etc/config/iocguard"), &text);
});
