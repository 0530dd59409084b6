//! A feed's name as the host table keeps it: a shared, immutable string.
//!
//! Why: every indicator a host hit keeps the names of the feeds that list
//! it, and a unit has a handful of feeds, so 4096 hosts × 4 indicators
//! held ~16k copies of the same few names, one heap allocation each.
//! [`FeedName::new`] hands out one shared `Arc<str>` per distinct name
//! through a small process-wide interner, so a name costs a pointer and a
//! reference count per use.
//!
//! Bounds: the interner keeps at most [`INTERNED_MAX`] names of at most
//! [`INTERNED_LEN_MAX`] bytes, and never forgets one; a name beyond
//! either bound is allocated on its own, as a `String` was. Feed names
//! come from events and from the snapshot on flash, so a hostile or
//! corrupt source cannot grow the interner past ~20 KB; it only loses the
//! sharing.
//!
//! It reads and writes as a plain JSON string: the snapshot format does
//! not change.

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};
use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Distinct names the interner keeps. A unit configures a few feeds; a
/// table restored from an older configuration may name some more.
pub const INTERNED_MAX: usize = 256;
/// Longest name (bytes) the interner keeps: the table cuts feed names to
/// 48 bytes, so a longer one is uncleaned input that `Host::check` is
/// about to replace.
pub const INTERNED_LEN_MAX: usize = 64;

/// A feed's name. Compares, hashes and orders as its text.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeedName(Arc<str>);

impl FeedName {
    /// The name `s`, shared with every other `FeedName` of the same text
    /// while the interner has room.
    pub fn new(s: &str) -> FeedName {
        FeedName(intern(s))
    }

    /// The name's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn intern(s: &str) -> Arc<str> {
    static NAMES: OnceLock<Mutex<HashSet<Arc<str>>>> = OnceLock::new();
    intern_in(NAMES.get_or_init(Mutex::default), s)
}

/// [`intern`] on a given set: the tests use their own, because the
/// process-wide one is shared by every test thread.
fn intern_in(names: &Mutex<HashSet<Arc<str>>>, s: &str) -> Arc<str> {
    if s.len() > INTERNED_LEN_MAX {
        return Arc::from(s);
    }
    // A poisoned lock means another thread panicked while holding it; the
    // set is still a valid set (insert does not leave it half-done), so
    // keep using it rather than spread the panic.
    let mut names = names.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(n) = names.get(s) {
        return Arc::clone(n);
    }
    let n: Arc<str> = Arc::from(s);
    if names.len() < INTERNED_MAX {
        names.insert(Arc::clone(&n));
    }
    n
}

impl Deref for FeedName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for FeedName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Consistent with `Eq`/`Hash` (both are the text's), so `join` and
/// set lookups by `&str` work.
impl Borrow<str> for FeedName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FeedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // pad, not write_str: column widths in renderers apply.
        f.pad(&self.0)
    }
}

/// As the text, so test failures and `{:?}` read as they did for `String`.
impl fmt::Debug for FeedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl PartialEq<str> for FeedName {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for FeedName {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl From<&str> for FeedName {
    fn from(s: &str) -> FeedName {
        FeedName::new(s)
    }
}

impl From<String> for FeedName {
    fn from(s: String) -> FeedName {
        FeedName::new(&s)
    }
}

impl Serialize for FeedName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for FeedName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FeedName, D::Error> {
        // A visitor on `&str`, not `String::deserialize`: an interned name
        // is read without a temporary allocation.
        struct V;
        impl Visitor<'_> for V {
            type Value = FeedName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a feed name")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<FeedName, E> {
                Ok(FeedName::new(s))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_shares_one_allocation() {
        let set = Mutex::default();
        let a = intern_in(&set, "campaign");
        let b = intern_in(&set, &String::from("campaign"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(set.lock().unwrap().len(), 1);
    }

    #[test]
    fn the_interner_is_bounded() {
        // More distinct names than it keeps: all still come back right,
        // the set stops growing, and once it is full a new name is its
        // own allocation every time.
        let set = Mutex::default();
        for i in 0..INTERNED_MAX + 10 {
            assert_eq!(&*intern_in(&set, &format!("f{i}")), format!("f{i}"));
        }
        assert_eq!(set.lock().unwrap().len(), INTERNED_MAX);
        let (a, b) = (intern_in(&set, "late"), intern_in(&set, "late"));
        assert_eq!(a, b);
        assert!(!Arc::ptr_eq(&a, &b));
        // Names known before it filled up are still shared.
        assert!(Arc::ptr_eq(&intern_in(&set, "f0"), &intern_in(&set, "f0")));
        let long = "x".repeat(INTERNED_LEN_MAX + 1);
        let set = Mutex::default();
        assert!(!Arc::ptr_eq(&intern_in(&set, &long), &intern_in(&set, &long)));
        assert!(set.lock().unwrap().is_empty());
    }

    #[test]
    fn reads_as_its_text() {
        let a = FeedName::from(String::from("campaign"));
        assert_eq!(a, FeedName::new("campaign"));
        assert_eq!(a, "campaign");
        assert_eq!(a.len(), 8);
        assert_eq!(format!("[{a:>10}]"), "[  campaign]");
        assert_eq!(format!("{a:?}"), "\"campaign\"");
        assert_eq!([a.clone(), "x".into()].join(","), "campaign,x");
    }

    #[test]
    fn json_is_a_plain_string() {
        let v: Vec<FeedName> = serde_json::from_str(r#"["a","b\u0007"]"#).unwrap();
        assert_eq!(v, ["a", "b\u{7}"]);
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"["a","b\u0007"]"#);
        assert!(serde_json::from_str::<FeedName>("1").is_err());
    }
}
