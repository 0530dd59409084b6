//! DNS wire format, the lean subset a sinkhole needs: parse one query
//! (header, question, EDNS OPT record with its options) and build the
//! handful of answers iocguard gives itself (NXDOMAIN with an SOA, A/AAAA,
//! NODATA, REFUSED, SERVFAIL, FORMERR, NOTIMP). Forwarded answers are never
//! parsed beyond the header and question: their bytes are relayed.
//!
//! Why not hickory-proto: it would cost several hundred KiB of a 3 MB
//! binary budget and allocates per message (names as `Vec`s, records in
//! `Vec`s); this module parses into fixed-size buffers on the stack, so the
//! blocked-answer hot path does no allocation at all.
//!
//! Every function takes untrusted bytes and never panics: lengths are
//! checked before every read and write (the writer returns
//! [`WireError::NoRoom`] instead of slicing out of bounds), compression
//! pointers must point strictly backwards (so a pointer chain cannot loop)
//! and at most [`MAX_POINTERS`] are followed, and names longer than 255
//! bytes on the wire are refused.
//!
//! One concern per file: `consts.rs` (sizes and codes), `error.rs` (why a
//! message cannot be used), `header.rs` (IDs and reply matching on raw
//! bytes, for forwarding), `name.rs` (names and compression pointers),
//! `edns.rs` (the OPT record and the client options dnsmasq adds),
//! `query.rs` (one whole query), `emit.rs` (the answers iocguard writes).
//! This file only declares them and re-exports their items at
//! `dns::wire::*`.

mod consts;
mod edns;
mod emit;
mod error;
mod header;
mod name;
mod query;

pub use consts::{opt, rcode, rtype};
pub use consts::{EDNS_UDP_SIZE, HEADER_LEN, MAX_NAME_TEXT, MAX_NAME_WIRE, MAX_OWN_RESPONSE, MAX_POINTERS};
pub use edns::{decode_device_id, Edns};
pub use emit::{write_blocked, write_error, write_unparsable, Blocked};
pub use error::WireError;
pub use header::{client_udp_limit, fit_reply, message_id, reply_matches, set_message_id};
pub use name::{parse_name, Name};
pub use query::{parse_query, Query};

/// Test helpers shared by the files here and by the server's tests.
#[cfg(test)]
pub(crate) mod tests {
    /// A query as `dig` sends it: RD, one question, optionally an OPT
    /// record with `options` (code, data).
    pub fn query(name: &str, qtype: u16, edns: Option<&[(u16, &[u8])]>) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns.is_some() as u8];
        for label in name.split('.').filter(|l| !l.is_empty()) {
            m.push(label.len() as u8);
            m.extend_from_slice(label.as_bytes());
        }
        m.push(0);
        m.extend_from_slice(&qtype.to_be_bytes());
        m.extend_from_slice(&[0, 1]);
        if let Some(opts) = edns {
            let mut rdata = Vec::new();
            for (code, data) in opts {
                rdata.extend_from_slice(&code.to_be_bytes());
                rdata.extend_from_slice(&(data.len() as u16).to_be_bytes());
                rdata.extend_from_slice(data);
            }
            m.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0x80, 0]);
            m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            m.extend_from_slice(&rdata);
        }
        m
    }
}
