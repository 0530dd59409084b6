//! A connection with a read buffer: lines with a byte budget, the
//! response head, exact-length reads, each armed with the attempt's
//! timeouts.
//!
//! Bounds: the buffer is fixed (two lines' worth), no line is longer than
//! [`MAX_LINE`], and the status line plus headers draw from one
//! [`MAX_HEAD_BYTES`] budget; a server that sends more gets an error, not
//! more memory. Interim `1xx` responses are skipped within the same
//! budget. A TLS close without `close_notify` is recorded, not hidden.

use super::head::{parse_head, Head};
use super::transport::{arm, io_error, Stream};
use crate::fetch::{FetchError, FetchOptions, MAX_HEAD_BYTES};
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

/// Longest single line (status line, header, chunk size) accepted.
pub(super) const MAX_LINE: usize = 16 * 1024;

/// A connection with a read buffer, timeouts and the deadline.
pub(super) struct Conn<'a> {
    stream: Stream,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// The peer closed TLS without `close_notify`.
    pub(super) unclean_eof: bool,
    deadline: Instant,
    pub(super) opts: &'a FetchOptions,
    pub(super) url: &'a str,
}

impl<'a> Conn<'a> {
    /// A connection over `stream` with an empty buffer.
    pub(super) fn new(stream: Stream, deadline: Instant, opts: &'a FetchOptions, url: &'a str) -> Self {
        Conn {
            stream,
            buf: vec![0; MAX_LINE * 2].into_boxed_slice(),
            start: 0,
            end: 0,
            unclean_eof: false,
            deadline,
            opts,
            url,
        }
    }

    /// The URL as given, for errors.
    pub(super) fn url(&self) -> String {
        self.url.to_string()
    }

    fn arm(&self) -> Result<Duration, FetchError> {
        arm(self.stream.tcp(), self.url, self.opts, self.deadline)
    }

    fn io_error(&self, e: io::Error, timeout: Duration) -> FetchError {
        io_error(self.url, e, timeout)
    }

    /// Writes all of `data` and flushes it.
    pub(super) fn write_all(&mut self, data: &[u8]) -> Result<(), FetchError> {
        let timeout = self.arm()?;
        self.stream
            .write_all(data)
            .and_then(|_| self.stream.flush())
            .map_err(|e| self.io_error(e, timeout))
    }

    /// Reads more into the buffer (after compacting it). `Ok(false)` at EOF.
    fn fill(&mut self) -> Result<bool, FetchError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // Callers bound lines below the buffer size; this is a bug guard.
            return Err(FetchError::BadResponse {
                url: self.url(),
                detail: "line too long".into(),
            });
        }
        loop {
            let timeout = self.arm()?;
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    self.unclean_eof = true;
                    return Ok(false);
                }
                Err(e) => return Err(self.io_error(e, timeout)),
            }
        }
    }

    /// The next line without its `\r\n` (or `\n`); `None` at EOF before any
    /// byte of it. `budget` is the head/trailer allowance it draws from.
    pub(super) fn read_line(&mut self, budget: &mut usize) -> Result<Option<Vec<u8>>, FetchError> {
        let mut scanned = 0;
        loop {
            if let Some(i) = self.buf[self.start + scanned..self.end]
                .iter()
                .position(|&b| b == b'\n')
            {
                let line_end = self.start + scanned + i;
                let used = line_end + 1 - self.start;
                if used > *budget {
                    return Err(self.head_too_large());
                }
                *budget -= used;
                let mut line = self.buf[self.start..line_end].to_vec();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.start = line_end + 1;
                return Ok(Some(line));
            }
            scanned = self.end - self.start;
            if scanned >= MAX_LINE.min(*budget) {
                return Err(self.head_too_large());
            }
            if !self.fill()? {
                return if scanned == 0 {
                    Ok(None)
                } else {
                    Err(FetchError::BadResponse {
                        url: self.url(),
                        detail: "connection closed in the middle of a line".into(),
                    })
                };
            }
        }
    }

    fn head_too_large(&self) -> FetchError {
        FetchError::BadResponse {
            url: self.url(),
            detail: format!("headers larger than {MAX_HEAD_BYTES} bytes or a line longer than {MAX_LINE}"),
        }
    }

    /// Reads the status line and headers, skipping `1xx` interim responses.
    pub(super) fn read_head(&mut self) -> Result<Head, FetchError> {
        let mut budget = MAX_HEAD_BYTES;
        loop {
            let Some(status) = self.read_line(&mut budget)? else {
                return Err(FetchError::Io {
                    url: self.url(),
                    detail: "the server closed the connection without a response".into(),
                });
            };
            let mut lines = Vec::new();
            loop {
                match self.read_line(&mut budget)? {
                    None => {
                        return Err(FetchError::BadResponse {
                            url: self.url(),
                            detail: "connection closed in the headers".into(),
                        })
                    }
                    Some(l) if l.is_empty() => break,
                    Some(l) => lines.push(l),
                }
            }
            let head = parse_head(&status, &lines).map_err(|detail| FetchError::BadResponse {
                url: self.url(),
                detail,
            })?;
            if (100..200).contains(&head.code) {
                continue;
            }
            return Ok(head);
        }
    }

    /// Appends up to `n` bytes to `out`; false when EOF came first.
    pub(super) fn read_exact(&mut self, n: u64, out: &mut Vec<u8>) -> Result<bool, FetchError> {
        let mut left = n;
        loop {
            let avail = (self.end - self.start) as u64;
            let take = avail.min(left) as usize;
            out.extend_from_slice(&self.buf[self.start..self.start + take]);
            self.start += take;
            left -= take as u64;
            if left == 0 {
                return Ok(true);
            }
            if !self.fill()? {
                return Ok(false);
            }
        }
    }
}
