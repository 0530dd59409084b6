//! A minimal HTTP/1.1 `GET` client over TCP or rustls, one request per
//! connection (`Connection: close`).
//!
//! Everything the server sends is bounded before it is stored: the status
//! line and headers together ([`MAX_HEAD_BYTES`](super::MAX_HEAD_BYTES),
//! each line at most [`MAX_LINE`](conn::MAX_LINE), at most
//! [`MAX_HEADERS`](head::MAX_HEADERS) headers), the body (`max_bytes`,
//! checked against `Content-Length` before reading and against the running
//! total while reading chunked or connection-delimited bodies), chunk-size
//! lines and trailers. Every read and write is armed with the smaller of
//! the read timeout and what is left of the attempt's deadline.
//!
//! Only `200` carries a body we keep; `304` is "not modified"; redirects
//! are followed (never from `https` to `http`); any other status is an
//! error without reading the body (an error page is of no use to cron).
//!
//! One concern per file, dependencies pointing down the list:
//! [`get`] runs an attempt and follows redirects; [`request`] writes the
//! request head; [`body`] reads a body by its framing; [`conn`] is the
//! buffered, deadline-armed reader (lines, head); [`head`] parses the
//! status line and headers; [`transport`] connects TCP and runs the TLS
//! handshake; [`tls`] loads trust and names TLS errors; [`url`] parses
//! targets and resolves redirects; [`text`] keeps untrusted text safe to
//! echo or log.

mod body;
mod conn;
mod get;
mod head;
mod request;
mod text;
mod tls;
mod transport;
mod url;

pub(super) use get::{fetch, replay};
pub(super) use url::Target;
