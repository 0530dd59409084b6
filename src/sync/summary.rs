//! What `status` shows per feed: the copy in use (flash cache) and the
//! last sync run's outcome (RAM), and how a sync run is told to the admin.

use super::{FeedCache, Outcome, SyncReport};
use crate::config::Config;
use crate::feed::{tallies, Tally};
use serde::Serialize;

/// One feed's line in `iocguard status`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FeedSummary {
    /// Feed name.
    pub name: String,
    /// False for `enabled 0`.
    pub enabled: bool,
    /// Entries of the copy in use (0: none cached).
    pub entries: u64,
    /// Unix time the copy in use was accepted.
    pub accepted_at: Option<u64>,
    /// Seconds since then.
    pub age: Option<u64>,
    /// Unix time of the last sync run that looked at this feed.
    pub last_sync: Option<u64>,
    /// Outcome of that run.
    pub last_outcome: Option<Outcome>,
    /// Why that run failed, when it did.
    pub last_error: Option<String>,
    /// Entries of that run's copy that policy refused, by reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub last_refused: Vec<Tally>,
}

/// Per-feed status from the flash cache and the last run's report (RAM).
pub fn feed_summaries(cfg: &Config, now: u64) -> Vec<FeedSummary> {
    let cache = FeedCache::new(&cfg.main.state_dir);
    let last: Option<SyncReport> = std::fs::read(cfg.main.run_dir.join("sync.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    cfg.feeds
        .iter()
        .map(|f| {
            let meta = cache.meta(&f.name);
            let run = last
                .as_ref()
                .and_then(|r| r.feeds.iter().find(|s| s.name == f.name).map(|s| (r.time, s)));
            FeedSummary {
                name: f.name.clone(),
                enabled: f.enabled,
                entries: meta.as_ref().map_or(0, |m| m.entries),
                accepted_at: meta.as_ref().map(|m| m.accepted_at),
                age: meta.as_ref().map(|m| now.saturating_sub(m.accepted_at)),
                last_sync: run.map(|(t, _)| t),
                last_outcome: run.map(|(_, s)| s.outcome.clone()),
                last_error: run.and_then(|(_, s)| s.error.clone()),
                last_refused: run.map(|(_, s)| s.refused.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

impl FeedSummary {
    /// One line for `status`.
    pub fn render(&self) -> String {
        let age = self.age.map_or("never".to_string(), |a| {
            format!("{}h{:02}m ago", a / 3600, a / 60 % 60)
        });
        format!(
            "feed {}{}: {} entries, accepted {}{}{}",
            self.name,
            if self.enabled { "" } else { " (disabled)" },
            self.entries,
            age,
            match (&self.last_outcome, &self.last_error) {
                (_, Some(e)) => format!(
                    "; last sync {}: {e}",
                    self.last_outcome.as_ref().map_or("failed", Outcome::as_str)
                ),
                (Some(o), None) => format!("; last sync: {}", o.as_str()),
                _ => String::new(),
            },
            refused_note(&self.last_refused)
        )
    }
}

impl SyncReport {
    /// The admin's view of a run: one line per feed, then the set's size.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for f in &self.feeds {
            s += &match &f.error {
                Some(e) => format!(
                    "{}: {}, keeping previous copy ({} entries): {e}\n",
                    f.name,
                    f.outcome.as_str(),
                    f.entries
                ),
                None => format!(
                    "{}: {}, {} entries{}\n",
                    f.name,
                    f.outcome.as_str(),
                    f.entries,
                    refused_note(&f.refused)
                ),
            };
        }
        s += &format!(
            "set: {} IPv4, {} IPv6, {} domains\n",
            self.v4_entries, self.v6_entries, self.domains
        );
        s
    }
}

/// `; 14 refused and dropped (12 inside …, 2 inside loopback)`, or
/// nothing: what the gate kept out of a feed that was otherwise installed.
fn refused_note(t: &[Tally]) -> String {
    if t.is_empty() {
        return String::new();
    }
    let n: usize = t.iter().map(|t| t.count).sum();
    format!("; {n} refused and dropped ({})", tallies(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_says_age_and_last_outcome() {
        let mut f = FeedSummary {
            name: "campaign".into(),
            enabled: true,
            entries: 42,
            accepted_at: Some(0),
            age: Some(3 * 3600 + 5 * 60),
            last_sync: Some(10),
            last_outcome: Some(Outcome::Unchanged),
            last_error: None,
            last_refused: Vec::new(),
        };
        assert_eq!(
            f.render(),
            "feed campaign: 42 entries, accepted 3h05m ago; last sync: unchanged"
        );
        f.last_outcome = Some(Outcome::Refused);
        f.last_error = Some("shrank".into());
        assert_eq!(
            f.render(),
            "feed campaign: 42 entries, accepted 3h05m ago; last sync refused: shrank"
        );
        f.last_outcome = Some(Outcome::Updated);
        f.last_error = None;
        f.last_refused = vec![
            Tally {
                reason: "inside private network (RFC 1918)".into(),
                count: 12,
            },
            Tally {
                reason: "inside loopback".into(),
                count: 2,
            },
        ];
        assert_eq!(
            f.render(),
            "feed campaign: 42 entries, accepted 3h05m ago; last sync: updated; \
             14 refused and dropped (12 inside private network (RFC 1918), 2 inside loopback)"
        );
        f.age = None;
        f.enabled = false;
        assert!(f
            .render()
            .starts_with("feed campaign (disabled): 42 entries, accepted never"));
    }
}
