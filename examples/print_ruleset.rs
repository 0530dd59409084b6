//! Prints the structural ruleset for a sample configuration (handy to
//! eyeball or to feed to `nft -c -f -`).

use iocguard::indicator::parse_indicator;
use iocguard::indicator::Indicator;
use iocguard::nft::{ruleset, EnforceConfig};

fn main() {
    let mut cfg = EnforceConfig::default();
    for a in std::env::args().skip(1) {
        match parse_indicator(&a) {
            Ok(Indicator::V4(p)) => cfg.lan_v4.push(p),
            Ok(Indicator::V6(p)) => cfg.lan_v6.push(p),
            _ if a == "inbound" => cfg.inbound = true,
            _ if a == "drop" => cfg.action = iocguard::nft::Action::Drop,
            _ => cfg.lan_ifs.push(a),
        }
    }
    print!("{}", ruleset::ruleset(&cfg));
}
