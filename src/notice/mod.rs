//! Tell the user: a notice page for the people behind infected hosts.
//!
//! The router knows which machine beacons to a listed server; this module
//! tells that machine's user, in the browser, the way ISPs' bot-notice
//! walled gardens do. The daemon keeps the addresses of hosts due the
//! notice in the ruleset's notice sets (`nft::write_notice_sets`); their
//! plain HTTP (port 80 only: HTTPS is never touched) is redirected to
//! this server, which answers any other site with a redirect to the page
//! (so the operating system's captive-portal check pops it up), shows the
//! page to the device that asks, and records "I understand" from that
//! device only (a per-host token).
//!
//! Files: `request.rs` (HTTP requests from untrusted bytes, bounded;
//! fuzzed), `respond.rs` (what to answer, pure, behind the [`Board`]
//! trait that the daemon implements over the host table), `page.rs` (the
//! HTML, escaped, with its Content-Security-Policy), `lang.rs`
//! (Vietnamese and English), `token.rs` (per-host tokens), `server.rs`
//! (the one-thread epoll server, bounded).

pub mod lang;
pub mod page;
pub mod request;
pub mod respond;
pub mod server;
pub mod token;

pub use page::{Contact, HostView};
pub use respond::{Board, Site};
pub use server::{Server, Stats};
pub use token::Tokens;
