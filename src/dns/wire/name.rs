//! Domain names on the wire: reading a (possibly compressed) name into a
//! fixed-size [`Name`], and skipping one.
//!
//! Bounds: a name is at most [`MAX_NAME_WIRE`] bytes on the wire (longer
//! is [`WireError::NameTooLong`]), compression pointers must point strictly
//! below every position read so far (a chain cannot loop) and at most
//! [`MAX_POINTERS`] are followed. Names live in stack arrays; nothing here
//! allocates or panics on any input.

use super::consts::{MAX_NAME_TEXT, MAX_NAME_WIRE, MAX_POINTERS};
use super::error::WireError;

/// A query name: the labels as sent (uncompressed wire form, original
/// case, so answers echo it byte for byte) and the lowercase dotted text
/// the blocklist is asked about.
#[derive(Clone)]
pub struct Name {
    wire: [u8; MAX_NAME_WIRE],
    wire_len: u8,
    text: [u8; MAX_NAME_TEXT],
    text_len: u8,
    matchable: bool,
}

impl Name {
    /// The name in uncompressed wire form, root label included.
    pub fn wire(&self) -> &[u8] {
        &self.wire[..self.wire_len as usize]
    }

    /// Lowercase dotted text without the trailing dot (`""` for the root),
    /// or `None` when a label holds bytes no listed domain can contain (a
    /// dot, a space, non-ASCII): such a name is never blocked, only
    /// forwarded.
    pub fn text(&self) -> Option<&str> {
        if !self.matchable {
            return None;
        }
        std::str::from_utf8(&self.text[..self.text_len as usize]).ok()
    }

    /// The dotted text for display even when not matchable (bytes outside
    /// printable ASCII shown as `?`).
    pub fn display(&self) -> &[u8] {
        &self.text[..self.text_len as usize]
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Name({:?})", String::from_utf8_lossy(self.display()))
    }
}

/// Reads a (possibly compressed) name at `start`; returns it and the
/// position after it in the message.
pub fn parse_name(msg: &[u8], start: usize) -> Result<(Name, usize), WireError> {
    let mut name = Name {
        wire: [0; MAX_NAME_WIRE],
        wire_len: 0,
        text: [0; MAX_NAME_TEXT],
        text_len: 0,
        matchable: true,
    };
    let (mut wl, mut tl) = (0usize, 0usize);
    let mut pos = start;
    let mut end = None;
    let mut pointers = 0;
    // Pointers must go strictly below the lowest position read so far:
    // a chain of them can therefore never revisit a byte.
    let mut floor = start;
    loop {
        let len = *msg.get(pos).ok_or(WireError::Truncated)? as usize;
        match len & 0xc0 {
            0x00 if len == 0 => {
                if wl + 1 > MAX_NAME_WIRE {
                    return Err(WireError::NameTooLong);
                }
                name.wire[wl] = 0;
                wl += 1;
                end.get_or_insert(pos + 1);
                break;
            }
            0x00 => {
                let label = msg.get(pos + 1..pos + 1 + len).ok_or(WireError::Truncated)?;
                // len + 1 for this label, + 1 for the root still to come.
                if wl + len + 2 > MAX_NAME_WIRE {
                    return Err(WireError::NameTooLong);
                }
                name.wire[wl] = len as u8;
                name.wire[wl + 1..wl + 1 + len].copy_from_slice(label);
                wl += len + 1;
                if tl > 0 {
                    name.text[tl] = b'.';
                    tl += 1;
                }
                for &b in label {
                    let c = b.to_ascii_lowercase();
                    let ok = c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'*';
                    name.matchable &= ok;
                    // The wire length bound above keeps tl within 253.
                    if tl < MAX_NAME_TEXT {
                        name.text[tl] = if c.is_ascii_graphic() { c } else { b'?' };
                        tl += 1;
                    }
                }
                pos += len + 1;
            }
            0xc0 => {
                let lo = *msg.get(pos + 1).ok_or(WireError::Truncated)? as usize;
                let target = ((len & 0x3f) << 8) | lo;
                pointers += 1;
                if target >= floor || pointers > MAX_POINTERS {
                    return Err(WireError::BadPointer);
                }
                end.get_or_insert(pos + 2);
                floor = target;
                pos = target;
            }
            _ => return Err(WireError::BadLabel),
        }
    }
    name.wire_len = wl as u8;
    name.text_len = tl as u8;
    Ok((name, end.unwrap_or(pos)))
}

/// Skips a name without decoding it; returns the position after it.
pub(super) fn skip_name(msg: &[u8], mut pos: usize) -> Result<usize, WireError> {
    let mut total = 0;
    loop {
        let len = *msg.get(pos).ok_or(WireError::Truncated)? as usize;
        match len & 0xc0 {
            0x00 if len == 0 => return Ok(pos + 1),
            0x00 => {
                total += len + 1;
                if total > MAX_NAME_WIRE {
                    return Err(WireError::NameTooLong);
                }
                pos += len + 1;
            }
            // The pointer ends the name here; its target is not followed.
            0xc0 if pos + 2 <= msg.len() => return Ok(pos + 2),
            0xc0 => return Err(WireError::Truncated),
            _ => return Err(WireError::BadLabel),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::wire::parse_query;

    #[test]
    fn backward_pointers_are_followed_and_loops_refused() {
        // "a." at 0, then "b" + pointer to 0 at 3: "b.a".
        let m = [1, b'a', 0, 1, b'B', 0xc0, 0];
        let (n, end) = parse_name(&m, 3).unwrap();
        assert_eq!(n.text(), Some("b.a"));
        assert_eq!(n.wire(), &[1, b'B', 1, b'a', 0]);
        assert_eq!(end, 7);
        // "b" + pointer back to itself.
        let mut m = vec![0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&[1, b'b', 0xc0, 12, 0, 1, 0, 1]);
        assert_eq!(parse_query(&m).unwrap_err(), WireError::BadPointer);
    }

    #[test]
    fn unmatchable_names_are_flagged() {
        // One label "evil.example": not the name evil.example.
        let mut m = vec![0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 12];
        m.extend_from_slice(b"evil.example");
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        let q = parse_query(&m).unwrap();
        assert_eq!(q.name.text(), None);
        assert_eq!(q.name.display(), b"evil.example");
    }
}
