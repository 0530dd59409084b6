//! The update plan: from the ranges the kernel holds and the ranges wanted,
//! what to delete and add, cut into bounded transactions. Pure.
//!
//! A changed range is a delete of the old interval and an add of the new
//! one, and the two overlap; if they went into different transactions an
//! address could be unblocked in between, or the add could be refused for
//! overlapping. So the plan groups overlapping or adjacent deletes and adds
//! into *clusters* and never splits a cluster across transactions: every
//! address flips from its old verdict to its new one in exactly one
//! commit. Within a transaction deletes go first, so the kernel's overlap
//! check sees the old interval gone before the new one arrives.

use std::borrow::Cow;
use std::ops::Range;

/// Inclusive ranges, sorted and disjoint.
pub type Ranges<K> = Vec<(K, K)>;

/// Deletes and adds that turn `installed` into `wanted` (both sorted,
/// disjoint, inclusive). Ranges present in both are left alone.
pub fn diff<K: Ord + Copy>(installed: &[(K, K)], wanted: &[(K, K)]) -> (Ranges<K>, Ranges<K>) {
    let (mut del, mut add) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < installed.len() && j < wanted.len() {
        let (a, b) = (installed[i], wanted[j]);
        if a == b {
            i += 1;
            j += 1;
        } else if a < b {
            del.push(a);
            i += 1;
        } else {
            add.push(b);
            j += 1;
        }
    }
    del.extend_from_slice(&installed[i..]);
    add.extend_from_slice(&wanted[j..]);
    (del, add)
}

/// One transaction of a plan: index ranges into the delete and add lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Txn {
    /// Deletes, as a range of indices into the delete list.
    pub del: Range<usize>,
    /// Adds, as a range of indices into the add list.
    pub add: Range<usize>,
}

/// Cuts `del`/`add` (each sorted and disjoint) into transactions of about
/// `max_ranges` ranges, never splitting a cluster of overlapping or
/// adjacent ranges. `succ` is `k + 1` (None at the top of the space).
pub fn plan<K: Ord + Copy>(
    del: &[(K, K)],
    add: &[(K, K)],
    max_ranges: usize,
    succ: impl Fn(K) -> Option<K>,
) -> Vec<Txn> {
    let max_ranges = max_ranges.max(1);
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    let (mut ti, mut tj) = (0, 0);
    // The highest end of the current cluster; a range starting beyond
    // its successor begins a new cluster.
    let mut reach: Option<K> = None;
    while i < del.len() || j < add.len() {
        let take_del = match (del.get(i), add.get(j)) {
            (Some(d), Some(a)) => d.0 <= a.0,
            (Some(_), None) => true,
            _ => false,
        };
        let r = if take_del { del[i] } else { add[j] };
        let new_cluster = match reach {
            None => true,
            Some(e) => match succ(e) {
                Some(next) => r.0 > next,
                None => false,
            },
        };
        if new_cluster && (i - ti) + (j - tj) >= max_ranges {
            out.push(Txn {
                del: ti..i,
                add: tj..j,
            });
            (ti, tj) = (i, j);
        }
        reach = Some(match reach {
            Some(e) if !new_cluster => e.max(r.1),
            _ => r.1,
        });
        if take_del {
            i += 1;
        } else {
            j += 1;
        }
    }
    if i > ti || j > tj {
        out.push(Txn {
            del: ti..i,
            add: tj..j,
        });
    }
    out
}

/// The host-set side of an update where single addresses live in a hash
/// set and real ranges in an interval set. An address may move between
/// the two; to keep it blocked throughout, the hash set changes in two
/// steps around the interval-set update:
/// - `add` and `del_before`: new hosts, and removed hosts that no new
///   range covers — applied before the interval set changes;
/// - `del_after`: removed hosts that a new range now covers — applied after
///   the interval set holds that range.
///
/// (A range that turns into hosts is safe by order alone: its hosts are
/// added before the interval set drops the range.)
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostSteps<K> {
    /// Hosts to add first.
    pub add: Vec<(K, K)>,
    /// Hosts to delete first.
    pub del_before: Vec<(K, K)>,
    /// Hosts to delete after the interval set was updated.
    pub del_after: Vec<(K, K)>,
}

/// Splits the host-set diff (`installed` → `wanted`, each a sorted list
/// of `(a, a)`) into [`HostSteps`] given the wanted interval ranges.
pub fn host_steps<K: Ord + Copy>(installed: &[(K, K)], wanted: &[(K, K)], ranges: &[(K, K)]) -> HostSteps<K> {
    let (del, add) = diff(installed, wanted);
    let (mut del_before, mut del_after) = (Vec::new(), Vec::new());
    for h in del {
        let i = ranges.partition_point(|r| r.0 <= h.0);
        if i > 0 && ranges[i - 1].1 >= h.0 {
            del_after.push(h);
        } else {
            del_before.push(h);
        }
    }
    HostSteps {
        add,
        del_before,
        del_after,
    }
}

/// The changes to one set: delete `del`, then add `add` (each sorted and
/// disjoint; [`plan`] cuts them into transactions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes<'a, K: Clone> {
    /// Ranges to delete.
    pub del: Cow<'a, [(K, K)]>,
    /// Ranges to add.
    pub add: Cow<'a, [(K, K)]>,
}

impl<'a, K: Ord + Copy> Changes<'a, K> {
    /// What turns `installed` into `wanted`. A first load (nothing
    /// installed) adds `wanted` as it is: no copy of a million ranges.
    pub fn between(installed: &[(K, K)], wanted: &'a [(K, K)]) -> Self {
        if installed.is_empty() {
            return Changes {
                del: Cow::Owned(Vec::new()),
                add: Cow::Borrowed(wanted),
            };
        }
        let (del, add) = diff(installed, wanted);
        Changes {
            del: Cow::Owned(del),
            add: Cow::Owned(add),
        }
    }
}

/// A family's update when single addresses live in a hash set and real
/// ranges in an interval set, as three steps applied in order (see
/// [`HostSteps`]): the host set's adds and early deletes, the interval
/// set, then the host deletes that a new range now covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitChanges<'a, K: Clone> {
    /// Host set, first step.
    pub hosts: Changes<'a, K>,
    /// Interval set, second step.
    pub nets: Changes<'a, K>,
    /// Host set, last step: deletes only.
    pub hosts_after: Ranges<K>,
}

/// The [`SplitChanges`] from the installed hosts and ranges to the wanted
/// ones.
pub fn split_changes<'a, K: Ord + Copy>(
    installed_hosts: &[(K, K)],
    installed_nets: &[(K, K)],
    hosts: &'a [(K, K)],
    nets: &'a [(K, K)],
) -> SplitChanges<'a, K> {
    let nets_changes = Changes::between(installed_nets, nets);
    if installed_hosts.is_empty() {
        return SplitChanges {
            hosts: Changes::between(installed_hosts, hosts),
            nets: nets_changes,
            hosts_after: Vec::new(),
        };
    }
    let s = host_steps(installed_hosts, hosts, nets);
    SplitChanges {
        hosts: Changes {
            del: Cow::Owned(s.del_before),
            add: Cow::Owned(s.add),
        },
        nets: nets_changes,
        hosts_after: s.del_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn succ(k: u32) -> Option<u32> {
        k.checked_add(1)
    }

    #[test]
    fn unchanged_ranges_are_not_touched() {
        let (d, a) = diff(
            &[(1u32, 5), (10, 20), (30, 30)],
            &[(1, 5), (10, 25), (30, 30), (40, 41)],
        );
        assert_eq!(d, vec![(10, 20)]);
        assert_eq!(a, vec![(10, 25), (40, 41)]);
        assert_eq!(diff::<u32>(&[], &[]), (vec![], vec![]));
    }

    #[test]
    fn a_changed_range_stays_in_one_transaction() {
        // (10,20)→(10,25) and (22,30)… all overlap: one cluster.
        let del = [(10u32, 20), (22, 30)];
        let add = [(10u32, 25), (26, 40)];
        let p = plan(&del, &add, 1, succ);
        assert_eq!(p, vec![Txn { del: 0..2, add: 0..2 }]);
    }

    #[test]
    fn independent_ranges_split_at_the_bound() {
        let add: Vec<(u32, u32)> = (0..10).map(|i| (i * 10, i * 10 + 1)).collect();
        let p = plan(&[], &add, 4, succ);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].add, 0..4);
        assert_eq!(p[2].add, 8..10);
    }

    #[test]
    fn adjacent_ranges_share_a_transaction() {
        let p = plan(&[(0u32, 9)], &[(10u32, 20)], 1, succ);
        assert_eq!(p.len(), 1);
        let top = plan(&[(u32::MAX - 5, u32::MAX)], &[(0u32, 1)], 1, succ);
        assert_eq!(top.len(), 2);
    }

    #[test]
    fn hosts_moving_into_a_range_are_deleted_last() {
        let installed = [(5u32, 5), (7, 7), (50, 50)];
        let wanted = [(7u32, 7), (9, 9)];
        let ranges = [(0u32, 10)];
        let s = host_steps(&installed, &wanted, &ranges);
        assert_eq!(s.add, vec![(9, 9)]);
        assert_eq!(s.del_before, vec![(50, 50)]);
        assert_eq!(s.del_after, vec![(5, 5)]);
    }

    #[test]
    fn a_first_load_adds_the_wanted_list_itself() {
        let wanted = [(1u32, 1), (5, 9)];
        let c = Changes::between(&[], &wanted);
        assert!(matches!(c.add, Cow::Borrowed(w) if std::ptr::eq(w, &wanted[..])));
        assert!(c.del.is_empty());
        let c = Changes::between(&[(1u32, 1), (4, 9)], &wanted);
        assert_eq!(c.del.as_ref(), &[(4, 9)]);
        assert_eq!(c.add.as_ref(), &[(5, 9)]);
    }

    #[test]
    fn split_changes_order_hosts_around_the_interval_set() {
        // 5 moves into the new range 0-10; 50 goes; 9 is new; 7 stays;
        // the range 20-30 turns into the host 25.
        let c = split_changes(
            &[(5u32, 5), (7, 7), (50, 50)],
            &[(20u32, 30)],
            &[(7, 7), (9, 9), (25, 25)],
            &[(0, 10)],
        );
        assert_eq!(c.hosts.add.as_ref(), &[(9, 9), (25, 25)]);
        assert_eq!(c.hosts.del.as_ref(), &[(50, 50)]);
        assert_eq!(c.nets.del.as_ref(), &[(20, 30)]);
        assert_eq!(c.nets.add.as_ref(), &[(0, 10)]);
        assert_eq!(c.hosts_after, vec![(5, 5)]);
        // First load of the hosts: no late deletes, the list as it is.
        let c = split_changes(&[], &[], &[(7u32, 7)], &[(0, 10)]);
        assert_eq!((c.hosts.del.len(), c.hosts.add.as_ref()), (0, &[(7u32, 7)][..]));
        assert_eq!(c.nets.add.as_ref(), &[(0, 10)]);
        assert!(c.hosts_after.is_empty());
    }

    fn ranges() -> impl Strategy<Value = Vec<(u32, u32)>> {
        proptest::collection::btree_set(0u32..2000, 0..60).prop_map(|s| {
            // Pair up sorted points into disjoint, non-adjacent ranges.
            let v: Vec<u32> = s.into_iter().collect();
            let mut out: Vec<(u32, u32)> = Vec::new();
            for c in v.chunks(2) {
                let r = (c[0], *c.get(1).unwrap_or(&c[0]));
                if out.last().is_none_or(|l| l.1 + 1 < r.0) {
                    out.push(r);
                }
            }
            out
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Applying the plan transaction by transaction never leaves an
        /// address that is blocked before and after unblocked in between,
        /// and ends exactly at `wanted`.
        #[test]
        fn plan_has_no_window(old in ranges(), new in ranges(), max in 1usize..6) {
            let (del, add) = diff(&old, &new);
            let txns = plan(&del, &add, max, succ);
            let covered: usize = txns.iter().map(|t| t.del.len() + t.add.len()).sum();
            prop_assert_eq!(covered, del.len() + add.len());
            let mut state: std::collections::BTreeSet<(u32, u32)> = old.iter().copied().collect();
            let must: Vec<u32> = (0..2001u32).filter(|&a| range_in(&old, a) && range_in(&new, a)).collect();
            for t in &txns {
                for r in &del[t.del.clone()] { prop_assert!(state.remove(r)); }
                for r in &add[t.add.clone()] { state.insert(*r); }
                // Installed ranges never overlap or touch (the kernel would refuse).
                let v: Vec<_> = state.iter().copied().collect();
                for w in v.windows(2) { prop_assert!(w[0].1 + 1 < w[1].0); }
                for &a in &must {
                    prop_assert!(v.iter().any(|r| r.0 <= a && a <= r.1), "{} unblocked mid-update", a);
                }
            }
            prop_assert_eq!(state.into_iter().collect::<Vec<_>>(), new);
        }
    }

    fn range_in(r: &[(u32, u32)], a: u32) -> bool {
        r.iter().any(|x| x.0 <= a && a <= x.1)
    }
}
