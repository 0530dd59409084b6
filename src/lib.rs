//! iocguard: block botnet command-and-control indicators on a gateway and
//! find the internal hosts that tried to reach them.
//!
//! Data flows one way:
//! feeds → [`feed`] (bytes → indicators) → [`indicator`] (gate, aggregate)
//! → enforcement (nftables, DNS sinkhole) → hits → hosts → report.
//! Pure logic lives in [`indicator`] and [`feed`]; I/O lives at the edges.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod base64;
pub mod check;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod daemon;
pub mod dns;
pub mod exit;
pub mod feed;
pub mod feedtool;
pub mod fetch;
pub mod fsio;
pub mod hosts;
pub mod indicator;
pub mod linelog;
pub mod mem;
pub mod nft;
pub mod notice;
pub mod qtype;
pub mod rate;
pub mod report;
pub mod sign;
pub mod state;
pub mod sync;
