//! nfnetlink message encoding and decoding for nf_tables set elements,
//! written from the kernel uapi headers (`linux/netlink.h`,
//! `linux/netfilter/nfnetlink.h`, `linux/netfilter/nf_tables.h`).
//!
//! Everything but [`socket`] (the I/O) is pure: it fills byte buffers and
//! reads them back, with every length checked, so a truncated or hostile
//! reply is an error and never a panic.
//!
//! Only what the loader needs is here: batches (`NFNL_MSG_BATCH_BEGIN` …
//! `NFNL_MSG_BATCH_END`) of `NFT_MSG_NEWSETELEM`/`NFT_MSG_DELSETELEM`, the
//! `NFT_MSG_GETSETELEM` dump, and acknowledgements. One element list is
//! one netlink attribute whose length is a `u16`, so a message carries at
//! most [`MAX_LIST_BYTES`] of elements and a transaction is many messages.
//!
//! One concern per file: `uapi.rs` (the kernel's numbers), `attr.rs`
//! (writing headers and attributes), `parse.rs` (reading messages,
//! acknowledgements and attributes back), `elem.rs` (set keys, element
//! sizes, element dumps and ranges), `batch.rs` (element transactions),
//! `object.rs` (table, set and counter queries). This file only declares
//! them and re-exports their items at `nft::netlink::*`.

mod attr;
mod batch;
mod elem;
pub mod nflog;
mod object;
mod parse;
pub mod socket;
mod uapi;

pub use attr::{align4, put_str_attr};
pub use batch::{getsetelem_one, AckRange, Batch, ElemOp};
pub use elem::{
    elems_to_ranges, end_elem_len, getsetelem_dump, parse_setelem_msg, start_elem_len, Key, MAX_LIST_BYTES,
};
pub use object::{getobj_counters_dump, getset, gettable, parse_counter_obj, u64_attr};
pub use parse::{attrs, find_attr, messages, parse_ack, Ack, Msg, ParseError};
pub use uapi::*;
