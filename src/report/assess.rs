//! The assessment ("Đánh giá kết quả thực hiện chiến dịch") drafted from
//! the figures, in plain sentences: how many machines were found, how many
//! were cleaned, how many came back, what was blocked. The admin replaces
//! it with `option assessment` or `--assessment` when they have more to
//! say.

use super::model::{Figures, Lang};

/// The drafted assessment of `f` in `lang`.
pub fn draft(f: &Figures, lang: Lang) -> String {
    let d = &f.devices;
    let open = d.detected.saturating_sub(d.handled + d.reinfected);
    let conn = f.blocked.connections;
    match lang {
        Lang::Vi => {
            let mut s = if d.detected == 0 {
                "Trong kỳ báo cáo, không phát hiện thiết bị nào kết nối tới địa chỉ độc hại.".to_string()
            } else {
                format!(
                    "Trong kỳ báo cáo, đã phát hiện {} thiết bị kết nối tới địa chỉ độc hại \
                     ({} qua địa chỉ IP, {} qua tên miền, {} qua cả hai). \
                     Đã xử lý {} thiết bị; {} thiết bị bị lây nhiễm lại sau khi xử lý; \
                     {} thiết bị chưa được xử lý.",
                    d.detected, d.by_ip, d.by_dns, d.by_both, d.handled, d.reinfected, open
                )
            };
            match conn {
                Some(c) => s += &format!(
                    " Hệ thống đã chặn {c} lượt kết nối và {} truy vấn DNS tới các địa chỉ, tên miền độc hại.",
                    f.blocked.dns_queries
                ),
                None => s += &format!(
                    " Hệ thống đã chặn {} truy vấn DNS tới các tên miền độc hại.",
                    f.blocked.dns_queries
                ),
            }
            s
        }
        Lang::En => {
            let mut s = if d.detected == 0 {
                "In the reporting period, no device was found connecting to malicious addresses.".to_string()
            } else {
                format!(
                    "In the reporting period, {} devices were found connecting to malicious addresses \
                     ({} by IP address, {} by domain name, {} by both). \
                     {} devices were cleaned; {} were re-infected after cleaning; \
                     {} have not been handled yet.",
                    d.detected, d.by_ip, d.by_dns, d.by_both, d.handled, d.reinfected, open
                )
            };
            match conn {
                Some(c) => s += &format!(
                    " {c} connection attempts and {} DNS queries to malicious addresses and domains were blocked.",
                    f.blocked.dns_queries
                ),
                None => s += &format!(
                    " {} DNS queries to malicious domains were blocked.",
                    f.blocked.dns_queries
                ),
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Blocked, Devices};

    fn figures(detected: u64) -> Figures {
        Figures {
            orgs_informed: None,
            orgs_deployed: 1,
            devices: Devices {
                detected,
                by_ip: 1,
                by_dns: 0,
                by_both: detected.saturating_sub(1),
                handled: 1,
                reinfected: 0,
                notified: 0,
            },
            blocked: Blocked {
                connections: Some(12),
                dns_queries: 3,
            },
        }
    }

    #[test]
    fn drafts_in_both_languages() {
        assert_eq!(
            draft(&figures(2), Lang::Vi),
            "Trong kỳ báo cáo, đã phát hiện 2 thiết bị kết nối tới địa chỉ độc hại (1 qua địa chỉ IP, \
             0 qua tên miền, 1 qua cả hai). Đã xử lý 1 thiết bị; 0 thiết bị bị lây nhiễm lại sau khi xử lý; \
             1 thiết bị chưa được xử lý. Hệ thống đã chặn 12 lượt kết nối và 3 truy vấn DNS tới các địa chỉ, \
             tên miền độc hại."
        );
        assert!(draft(&figures(2), Lang::En).starts_with("In the reporting period, 2 devices were found"));
        let mut none = figures(0);
        none.blocked.connections = None;
        assert_eq!(
            draft(&none, Lang::Vi),
            "Trong kỳ báo cáo, không phát hiện thiết bị nào kết nối tới địa chỉ độc hại. \
             Hệ thống đã chặn 3 truy vấn DNS tới các tên miền độc hại."
        );
    }
}
