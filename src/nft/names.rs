//! The names of iocguard's sets in its table: the ruleset, the loader,
//! `status` and `flush` all refer to them by these constants.

/// Blocked IPv4 networks and ranges (interval set).
pub const SET_V4: &str = "v4";
/// Blocked IPv6 networks and ranges (interval set).
pub const SET_V6: &str = "v6";
/// Blocked single IPv4 addresses (hash set: most indicators are hosts,
/// and a hash set loads ~4× cheaper than an interval set).
pub const SET_V4H: &str = "v4h";
/// Blocked single IPv6 addresses (hash set).
pub const SET_V6H: &str = "v6h";
/// Known DNS-over-HTTPS resolvers, IPv4.
pub const SET_DOH4: &str = "doh4";
/// Known DNS-over-HTTPS resolvers, IPv6.
pub const SET_DOH6: &str = "doh6";
/// Never-blocked destinations, IPv4.
pub const SET_ALLOW4: &str = "allow4";
/// Never-blocked destinations, IPv6.
pub const SET_ALLOW6: &str = "allow6";
/// LAN networks, IPv4.
pub const SET_LAN4: &str = "lan4";
/// LAN networks, IPv6.
pub const SET_LAN6: &str = "lan6";
/// LAN hosts whose user is due the notice page, IPv4 (elements time out:
/// a daemon that died stops redirecting by itself).
pub const SET_NOTICE4: &str = "notice4";
/// LAN hosts due the notice page, IPv6.
pub const SET_NOTICE6: &str = "notice6";
