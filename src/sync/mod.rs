//! `iocguard sync`: fetch every feed, verify, parse, guard, keep the last
//! good copy, and build the set that enforcement installs.
//!
//! The rule is "never worse than before": a feed that fails to download,
//! fails its signature, does not parse, or trips a sanity guard (empty
//! when it was not, shrunk by more than `max_shrink` %, outside its
//! min/max entries) keeps its last accepted copy, and the reason is logged
//! and recorded for `status`. Only accepted copies reach the set.

use crate::config::{Config, FeedConfig};
use crate::exit::Exit;
use crate::feed::{parse_feed, FeedError, Tally};
use crate::fetch::Fetched;
use crate::indicator::{FeedId, Gate, IndicatorSet, Keep, SetBuilder};
use crate::state::{CacheMeta, FeedCache, StateError, Stored};
use serde::{Deserialize, Serialize};
pub use summary::{feed_summaries, FeedSummary};
use verify::verify;

pub mod backwards;
pub mod install;
pub mod source;
pub mod stream;
pub mod summary;
pub mod verify;

/// What a source returned for one feed: the fetch result and, for a new
/// body of a feed with a public key, the `.minisig` next to it.
pub struct Download {
    /// Not modified, or a new body with its validators.
    pub fetched: Fetched,
    /// The detached signature, fetched only for a new body.
    pub signature: Option<Vec<u8>>,
}

/// Why a sanity guard refused a new copy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// Nothing usable, where there was something before.
    #[error("holds no entries but held {prev} before; keeping the previous copy")]
    Emptied {
        /// Entries of the previous copy.
        prev: u64,
    },
    /// Shrank by more than the allowed share.
    #[error("shrank from {prev} to {now} entries (more than max_shrink {max}%); run `iocguard sync --force` to accept")]
    Shrunk {
        /// Entries before.
        prev: u64,
        /// Entries now.
        now: u64,
        /// The configured maximum shrink in percent.
        max: u8,
    },
    /// Fewer than `min_entries`.
    #[error("holds {now} entries, fewer than min_entries {min}")]
    TooFew {
        /// Entries now.
        now: u64,
        /// The configured minimum.
        min: u64,
    },
    /// More than `max_entries`.
    #[error("holds {now} entries, more than max_entries {max}")]
    TooMany {
        /// Entries now.
        now: u64,
        /// The configured maximum.
        max: u64,
    },
}

/// Decides whether a new copy with `now` entries may replace the previous.
pub fn guard(
    prev: Option<&CacheMeta>,
    now: u64,
    feed: &FeedConfig,
    max_shrink: u8,
    force: bool,
) -> Result<(), GuardError> {
    if now > feed.max_entries {
        return Err(GuardError::TooMany {
            now,
            max: feed.max_entries,
        });
    }
    if now < feed.min_entries {
        return Err(GuardError::TooFew {
            now,
            min: feed.min_entries,
        });
    }
    let prev = prev.map_or(0, |m| m.entries);
    if now == 0 && prev > 0 {
        return Err(GuardError::Emptied { prev });
    }
    // now < prev * (100 - max) / 100, in integers without overflow.
    if !force && prev > 0 && (now as u128) * 100 < (prev as u128) * (100 - max_shrink.min(100) as u128) {
        return Err(GuardError::Shrunk {
            prev,
            now,
            max: max_shrink,
        });
    }
    Ok(())
}

/// Outcome of one feed in one sync.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// A new copy was accepted.
    Updated,
    /// The download equals the cached copy (or the server said 304).
    Unchanged,
    /// The feed failed; the previous copy (if any) is in use.
    Failed,
    /// A guard refused the new copy (shrank too much, emptied, out of
    /// its entry limits); the previous copy is in use.
    Refused,
    /// `enabled 0`.
    Disabled,
}

impl Outcome {
    /// The word shown to the admin.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Failed => "failed",
            Outcome::Refused => "refused",
            Outcome::Disabled => "disabled",
        }
    }
}

/// One feed's line in the sync report and in `status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeedStatus {
    /// Feed name (the UCI section).
    pub name: String,
    /// What happened this time.
    pub outcome: Outcome,
    /// Why it failed, one sentence.
    pub error: Option<String>,
    /// Entries of the copy in use.
    pub entries: u64,
    /// Unix time the copy in use was accepted.
    pub accepted_at: Option<u64>,
    /// Lines of the copy in use that were rejected.
    pub rejected_lines: usize,
    /// Of those, well-formed indicators that the safety gate or the `kind`
    /// filter refused, by reason: dropped one by one, the rest installed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<Tally>,
}

/// The result of a sync run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncReport {
    /// Unix time of the run.
    pub time: u64,
    /// Per feed.
    pub feeds: Vec<FeedStatus>,
    /// Distinct IPv4 prefixes listed.
    pub v4_entries: usize,
    /// Distinct IPv6 prefixes listed.
    pub v6_entries: usize,
    /// Domains listed.
    pub domains: usize,
    /// Whether the set was installed (None: nothing to install with).
    pub applied: Option<bool>,
    /// Why installing failed.
    pub apply_error: Option<String>,
}

impl SyncReport {
    /// The cron exit code.
    pub fn exit(&self) -> Exit {
        if self.applied == Some(false) {
            Exit::System
        } else if self.feeds.iter().any(|f| f.outcome == Outcome::Refused) {
            Exit::KeptPrevious
        } else if self.feeds.iter().any(|f| f.outcome == Outcome::Failed) {
            Exit::Partial
        } else {
            Exit::Ok
        }
    }
}

/// Options of one run.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Accept a shrink beyond `max_shrink`.
    pub force: bool,
}

/// Fetches, verifies and guards every enabled feed, updates the cache, and
/// builds the set from the accepted copies. `fetch` performs the download
/// of one feed given its cached metadata (the real one is
/// [`source::fetch_feed`]); `now` is the Unix time.
pub fn run(
    cfg: &Config,
    opts: &SyncOptions,
    now: u64,
    mut fetch: impl FnMut(&FeedConfig, Option<&CacheMeta>) -> Result<Download, String>,
) -> Result<(SyncReport, IndicatorSet), StateError> {
    let gate = Gate::new(&cfg.gate);
    let cache = FeedCache::new(&cfg.main.state_dir);
    // What sync installs needs no attribution (the daemon builds its
    // own from the cache), so the listed IPs are only counted, and the
    // domains are fingerprints unless a dnsmasq file needs their names.
    let keep = if cfg.dns.enabled && cfg.dns.mode == "dnsmasq-file" {
        Keep::Names
    } else {
        Keep::Hashes
    };
    // Built as the feeds are decided, in the order `build_cached` uses:
    // an accepted download goes in as it is parsed, anything else as its
    // last good copy.
    // No fingerprint table sized ahead (as the daemon has): a big body is
    // parsed while it is still partly held, and a table's pages are all
    // touched by its first few thousand names. The list (10 bytes a
    // name) grows as the body shrinks and becomes the table at the end.
    let mut builder = SetBuilder::keeping(keep);
    let mut statuses = Vec::new();
    for feed in &cfg.feeds {
        if !feed.enabled {
            statuses.push(FeedStatus {
                name: feed.name.clone(),
                outcome: Outcome::Disabled,
                error: None,
                entries: 0,
                accepted_at: None,
                rejected_lines: 0,
                refused: Vec::new(),
            });
            continue;
        }
        // Only one sync runs at a time (the lock): a staged copy is a
        // killed one's.
        cache.drop_stale_stage(&feed.name);
        // Validators are worth sending only while the copy they describe is
        // intact; otherwise a 304 would leave the feed with nothing.
        let limit = usize::try_from(feed.max_bytes).unwrap_or(usize::MAX);
        let prev = cache.meta(&feed.name).filter(|_| cache.intact(&feed.name, limit));
        let id = (!feed.doh).then(|| builder.add_feed(&feed.name));
        let mark = builder.mark();
        let result = fetch(feed, prev.as_ref())
            .map_err(|e| (Outcome::Failed, e))
            .and_then(|f| {
                let into = id.map(|id| (&mut builder, id));
                accept(cfg, &cache, &gate, feed, prev.as_ref(), f, opts, now, into)
            });
        if !matches!(result, Ok(Accepted { parsed: true, .. })) {
            builder.rollback(mark);
            if let Some(id) = id {
                // A big download read back in pieces committed them.
                builder.forget_fingerprints(id);
                if let Err(e) = stream::parse_cached(&cache, feed, &mut builder, id, &gate) {
                    log::warn!("feed {}: {e}", feed.name);
                }
            }
        }
        let status = match result {
            Ok(Accepted {
                outcome,
                meta,
                rejected_lines,
                refused,
                ..
            }) => {
                if !refused.is_empty() {
                    log::info!(
                        "feed {}: {} entries installed; dropped as refused by policy: {}",
                        feed.name,
                        meta.entries,
                        crate::feed::tallies(&refused)
                    );
                }
                FeedStatus {
                    name: feed.name.clone(),
                    outcome,
                    error: None,
                    entries: meta.entries,
                    accepted_at: Some(meta.accepted_at),
                    rejected_lines,
                    refused,
                }
            }
            Err((outcome, e)) => {
                log::warn!("feed {}: {e}", feed.name);
                FeedStatus {
                    name: feed.name.clone(),
                    outcome,
                    error: Some(e),
                    entries: prev.as_ref().map_or(0, |m| m.entries),
                    accepted_at: prev.as_ref().map(|m| m.accepted_at),
                    rejected_lines: 0,
                    refused: Vec::new(),
                }
            }
        };
        statuses.push(status);
    }
    let set = builder.build(&gate);
    let report = SyncReport {
        time: now,
        feeds: statuses,
        v4_entries: set.v4_entries(),
        v6_entries: set.v6_entries(),
        domains: set.domain_count(),
        applied: None,
        apply_error: None,
    };
    Ok((report, set))
}

/// Downloads up to this size are parsed from memory, straight into the
/// set; a bigger one is staged on flash compressed, freed, and parsed back
/// from there in pieces.
const PARSE_ONCE_MAX: usize = 4 << 20;

/// A download that became the copy in use.
struct Accepted {
    outcome: Outcome,
    /// Metadata of the copy in use.
    meta: CacheMeta,
    /// Its rejected lines (0 when the server said 304: not parsed).
    rejected_lines: usize,
    /// Its entries refused by policy, by reason.
    refused: Vec<Tally>,
    /// True when the copy was parsed into the caller's set.
    parsed: bool,
}

/// Parses, guards and stores one download. Returns what is now in use;
/// or why not, as `Failed` (unusable download) or `Refused` (a guard
/// said no).
#[allow(clippy::too_many_arguments)]
fn accept(
    cfg: &Config,
    cache: &FeedCache,
    gate: &Gate,
    feed: &FeedConfig,
    prev: Option<&CacheMeta>,
    download: Download,
    opts: &SyncOptions,
    now: u64,
    into: Option<(&mut SetBuilder, FeedId)>,
) -> Result<Accepted, (Outcome, String)> {
    let failed = |e: String| (Outcome::Failed, e);
    let (body, validators) = match download.fetched {
        Fetched::NotModified => match prev {
            Some(m) => {
                return Ok(Accepted {
                    outcome: Outcome::Unchanged,
                    meta: m.clone(),
                    rejected_lines: 0,
                    refused: Vec::new(),
                    parsed: false,
                })
            }
            // A 304 without a cached copy means the cache was lost:
            // the caller's next run fetches without validators.
            None => {
                return Err(failed(
                    "server answered 304 Not Modified but no cached copy exists".into(),
                ))
            }
        },
        Fetched::Body { bytes, validators } => (bytes, validators),
    };
    let mut body = body;
    // An error page says more about what went wrong than the signature
    // mismatch it also causes, so look at the body's shape first.
    let not_a_list = crate::feed::text::decode(&body)
        .ok()
        .and_then(crate::feed::detect::not_a_list);
    if let Some(what) = not_a_list {
        return Err(failed(format!("{} {}", feed.url, FeedError::NotAList(what))));
    }
    let signed_at = verify(
        feed,
        &body,
        download.signature.as_deref(),
        prev.and_then(|p| p.signed_at),
    )
    .map_err(failed)?;
    // Parsed once, into the set being built when there is one (the
    // caller rolls it back if the copy is not accepted after all); a DoH
    // feed's copy only needs its counts here.
    let mut trial = SetBuilder::keeping(Keep::Nothing);
    let parsed = into.is_some();
    let (builder, id) = match into {
        Some((b, id)) => (b, id),
        None => {
            let id = trial.add_feed(&feed.name);
            (&mut trial, id)
        }
    };
    // A copy of another size differs: no need to inflate it to know.
    let unchanged = prev.is_some_and(|p| p.bytes == body.len() as u64) && cache.holds(&feed.name, &body);
    let bytes = body.len() as u64;
    let mut staged = None;
    let report = if body.len() <= PARSE_ONCE_MAX {
        parse_feed(&body, feed.format, feed.kind, builder, id, gate)
            .map_err(|e: FeedError| failed(format!("{} {e}", feed.url)))?
    } else {
        // A big body is not held next to its indicators (1M domains are
        // 23 MB of text): it is written compressed beside the accepted
        // copy (or is that copy), then parsed from its end as it is
        // freed; a format that must be read in order, or a body refused
        // somewhere, is read back from that copy instead.
        if !unchanged {
            staged = Some(
                cache
                    .stage(&feed.name, &body)
                    .map_err(|e| failed(e.to_string()))?,
            );
        }
        let body = std::mem::take(&mut body);
        let mark = builder.mark();
        let quick = backwards::line_format(&body, feed.format)
            .and_then(|f| backwards::parse_backwards(body, f, feed.kind, builder, id, gate));
        if let Some(r) = quick {
            r
        } else {
            builder.rollback(mark);
            builder.forget_fingerprints(id);
            let copy: &dyn Stored = match &staged {
                Some(s) => s,
                None => &cache.copy(&feed.name),
            };
            stream::parse_stored(copy, feed, builder, id, gate)
                .map_err(|e| match e {
                    stream::CachedError::Feed(e) => failed(format!("{} {e}", feed.url)),
                    e => failed(e.to_string()),
                })?
                .ok_or_else(|| failed(format!("{}: the copy written a moment ago is gone", feed.name)))?
        }
    };
    let entries = report.counts.accepted() as u64;
    guard(prev, entries, feed, cfg.main.max_shrink, opts.force)
        .map_err(|e| (Outcome::Refused, format!("{} {e}", feed.url)))?;
    let meta = CacheMeta {
        etag: validators.etag,
        last_modified: validators.last_modified,
        accepted_at: now,
        entries,
        bytes,
        signed_at,
        domains: Some(report.counts.domains as u64),
    };
    let meta = if unchanged {
        // Keep the original acceptance time: the content is as old as it was.
        CacheMeta {
            accepted_at: prev.map_or(now, |p| p.accepted_at),
            ..meta
        }
    } else {
        meta
    };
    let stored = match staged {
        Some(s) => s.commit(&meta),
        None if unchanged => cache.store_unchanged(&feed.name, &meta).map(|_| ()),
        None => cache.store_new(&feed.name, &body, &meta),
    };
    stored.map_err(|e| failed(e.to_string()))?;
    let outcome = if unchanged {
        Outcome::Unchanged
    } else {
        Outcome::Updated
    };
    Ok(Accepted {
        outcome,
        meta,
        rejected_lines: report.counts.rejected,
        refused: report.refusals,
        parsed,
    })
}

/// Builds the set from every enabled feed's last accepted copy — what
/// `sync` installs and what `apply` installs at boot without network.
pub fn build_from_cache(cfg: &Config, gate: &Gate, cache: &FeedCache) -> Result<IndicatorSet, StateError> {
    build_cached(cfg, gate, cache, false, Keep::All)
}

/// [`build_from_cache`] for the daemon: IP attribution, and the domains
/// as fingerprints for the sinkhole (no names: a third of the memory).
pub fn build_for_daemon(cfg: &Config, gate: &Gate, cache: &FeedCache) -> Result<IndicatorSet, StateError> {
    build_cached(cfg, gate, cache, false, Keep::Serve)
}

/// [`build_from_cache`] with only the blocked IP ranges and the counts:
/// what `apply` installs at boot.
pub fn build_ranges_from_cache(
    cfg: &Config,
    gate: &Gate,
    cache: &FeedCache,
) -> Result<IndicatorSet, StateError> {
    build_cached(cfg, gate, cache, false, Keep::IpRanges)
}

/// The DoH resolver set from every enabled `target doh` feed's last
/// accepted copy.
pub fn build_doh_from_cache(
    cfg: &Config,
    gate: &Gate,
    cache: &FeedCache,
) -> Result<IndicatorSet, StateError> {
    build_cached(cfg, gate, cache, true, Keep::IpRanges)
}

/// The domains the last accepted copies held (0 for copies cached before
/// the count was kept: the table then grows as it fills).
fn expected_domains(cfg: &Config, cache: &FeedCache, doh: bool) -> usize {
    cfg.feeds
        .iter()
        .filter(|f| f.enabled && f.doh == doh)
        .filter_map(|f| cache.meta(&f.name)?.domains)
        .sum::<u64>() as usize
}

fn build_cached(
    cfg: &Config,
    gate: &Gate,
    cache: &FeedCache,
    doh: bool,
    keep: Keep,
) -> Result<IndicatorSet, StateError> {
    let mut builder = SetBuilder::keeping(keep);
    builder.expect_domains(expected_domains(cfg, cache, doh));
    for feed in cfg.feeds.iter().filter(|f| f.enabled && f.doh == doh) {
        let id = builder.add_feed(&feed.name);
        match stream::parse_cached(cache, feed, &mut builder, id, gate) {
            Ok(_) => {}
            // A corrupt cache entry loses one feed, not the whole set.
            Err(e) => log::warn!("feed {}: {e}", feed.name),
        }
    }
    Ok(builder.build(gate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::KindFilter;

    fn feed() -> FeedConfig {
        FeedConfig {
            name: "f".into(),
            enabled: true,
            url: "/x".into(),
            format: None,
            kind: KindFilter::Auto,
            doh: false,
            pubkey: None,
            pubkey_file: None,
            max_bytes: 1 << 20,
            max_entries: 1000,
            min_entries: 0,
        }
    }

    fn prev(entries: u64) -> CacheMeta {
        CacheMeta {
            entries,
            ..CacheMeta::default()
        }
    }

    #[test]
    fn guards() {
        let f = feed();
        assert!(
            guard(None, 0, &f, 50, false).is_ok(),
            "a new empty feed is not an error"
        );
        assert_eq!(
            guard(Some(&prev(10)), 0, &f, 50, false),
            Err(GuardError::Emptied { prev: 10 })
        );
        assert_eq!(
            guard(Some(&prev(10)), 0, &f, 50, true),
            Err(GuardError::Emptied { prev: 10 })
        );
        assert!(guard(Some(&prev(100)), 50, &f, 50, false).is_ok());
        assert_eq!(
            guard(Some(&prev(100)), 49, &f, 50, false),
            Err(GuardError::Shrunk {
                prev: 100,
                now: 49,
                max: 50
            })
        );
        assert!(guard(Some(&prev(100)), 49, &f, 50, true).is_ok());
        assert!(matches!(
            guard(None, 1001, &f, 50, false),
            Err(GuardError::TooMany { .. })
        ));
        let f = FeedConfig {
            min_entries: 5,
            ..feed()
        };
        assert!(matches!(
            guard(None, 4, &f, 50, false),
            Err(GuardError::TooFew { .. })
        ));
    }

    #[test]
    fn exit_codes() {
        let mut r = SyncReport {
            time: 0,
            feeds: vec![],
            v4_entries: 0,
            v6_entries: 0,
            domains: 0,
            applied: None,
            apply_error: None,
        };
        assert_eq!(r.exit(), Exit::Ok);
        r.feeds.push(FeedStatus {
            name: "f".into(),
            outcome: Outcome::Failed,
            error: None,
            entries: 0,
            accepted_at: None,
            rejected_lines: 0,
            refused: Vec::new(),
        });
        assert_eq!(r.exit(), Exit::Partial);
        r.feeds[0].outcome = Outcome::Refused;
        assert_eq!(
            r.exit(),
            Exit::KeptPrevious,
            "a guard refusal outranks a failed download"
        );
        r.applied = Some(false);
        assert_eq!(r.exit(), Exit::System);
    }
}
