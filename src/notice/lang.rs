//! The page's language: Vietnamese unless the user asks for English (a
//! `lang` link on the page, or a browser that prefers English), and the
//! page's sentences in both.

/// A language of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Vietnamese (the campaign's language).
    #[default]
    Vi,
    /// English.
    En,
}

impl Lang {
    /// The `lang` parameter value and the HTML `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The other language (for the switch link).
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// `vi` or `en`; anything else is not a language of the page.
    pub fn from_code(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The explicit choice when given, else the browser's preference
    /// between the two (`Accept-Language`, by q-value, the first listed
    /// winning a tie), else Vietnamese.
    pub fn choose(param: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(l) = param.and_then(Lang::from_code) {
            return l;
        }
        let mut best: Option<(u16, Lang)> = None;
        for item in accept_language.unwrap_or("").split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            let Some(lang) = Lang::from_code(&primary.to_ascii_lowercase()) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), quality)
                .unwrap_or(0);
            if q > 0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Vi, |(_, l)| l)
    }
}

/// A q-value in thousandths (`0.8` → 800); `None` when malformed.
fn quality(s: &str) -> Option<u16> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let mut f: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        f += u16::from(b - b'0') * [100, 10, 1][i];
    }
    (whole + f <= 1000).then_some(whole + f)
}

/// The page's sentences in one language, one field per place on the page
/// (the field names say where). Placeholders in braces are filled by the
/// page with escaped values.
#[allow(missing_docs)]
pub struct Text {
    pub title: &'static str,
    pub lead: &'static str,
    pub device: &'static str,
    pub unnamed: &'static str,
    pub detected: &'static str,
    pub names: &'static str,
    pub blocked: &'static str,
    pub risk_title: &'static str,
    pub risk: &'static str,
    pub todo_title: &'static str,
    pub todo_tool: &'static str,
    pub todo_remove: &'static str,
    pub todo_passwords: &'static str,
    pub todo_contact: &'static str,
    pub contact_title: &'static str,
    pub confirm: &'static str,
    pub confirm_note: &'static str,
    pub thanks: &'static str,
    pub continue_to: &'static str,
    pub confirmed_at: &'static str,
    pub no_notice: &'static str,
    pub site_blocked: &'static str,
    pub other_lang: &'static str,
    pub footer: &'static str,
}

/// The sentences of `lang`.
pub fn text(lang: Lang) -> &'static Text {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

const VI: Text = Text {
    title: "Cảnh báo: thiết bị của bạn có dấu hiệu nhiễm mã độc",
    lead: "Bộ định tuyến của đơn vị đã phát hiện thiết bị này cố kết nối tới máy chủ điều khiển mã độc (botnet) \
           trong danh sách do cơ quan chức năng công bố. Các kết nối đó đã bị chặn, nhưng mã độc vẫn còn trên máy.",
    device: "Thiết bị",
    unnamed: "(không có tên)",
    detected: "Từ {since} đến {last}: {hits} lần kết nối bị chặn.",
    names: "Địa chỉ độc hại đã liên lạc",
    blocked: "Trang bạn vừa mở ({site}) nằm trong danh sách máy chủ độc hại và đã bị chặn.",
    risk_title: "Vì sao điều này nguy hiểm",
    risk: "Mã độc thường lây qua phần mềm bẻ khoá (crack), phần mềm không bản quyền và tệp tải từ nguồn không rõ. \
           Máy bị nhiễm có thể bị đánh cắp mật khẩu, tài liệu, tài khoản ngân hàng, và bị dùng để tấn công người khác.",
    todo_title: "Bạn cần làm gì",
    todo_tool: "Tải và chạy công cụ diệt mã độc miễn phí:",
    todo_remove: "Gỡ bỏ phần mềm bẻ khoá, phần mềm không bản quyền và chương trình lạ.",
    todo_passwords: "Sau khi làm sạch, đổi mật khẩu quan trọng (thư điện tử, ngân hàng) từ một máy an toàn.",
    todo_contact: "Nếu cần hỗ trợ, hãy liên hệ bộ phận công nghệ thông tin của đơn vị.",
    contact_title: "Liên hệ hỗ trợ",
    confirm: "Tôi đã hiểu",
    confirm_note: "Bấm nút để xác nhận bạn đã đọc cảnh báo. Cảnh báo sẽ tạm dừng {hours} giờ; nếu thiết bị vẫn tiếp tục \
                   kết nối tới máy chủ độc hại sau đó, cảnh báo sẽ hiện lại.",
    thanks: "Cảm ơn bạn đã xác nhận. Hãy làm sạch thiết bị càng sớm càng tốt.",
    continue_to: "Tiếp tục tới",
    confirmed_at: "Bạn đã xác nhận cảnh báo lúc {time}.",
    no_notice: "Không có cảnh báo nào cho thiết bị này.",
    site_blocked: "Trang đã bị chặn",
    other_lang: "English",
    footer: "Trang này do bộ định tuyến của đơn vị hiển thị; nó không yêu cầu mật khẩu và không cài đặt gì lên máy của bạn.",
};

const EN: Text = Text {
    title: "Warning: your device shows signs of a malware infection",
    lead: "Your unit's router saw this device try to contact malware command-and-control (botnet) servers on the list \
           published by the national authorities. Those connections were blocked, but the malware is still on the device.",
    device: "Device",
    unnamed: "(no name)",
    detected: "From {since} to {last}, blocked connection attempts: {hits}.",
    names: "Malicious addresses it contacted",
    blocked: "The site you opened ({site}) is on the list of malicious servers and was blocked.",
    risk_title: "Why this is dangerous",
    risk: "Malware usually comes with cracked or unlicensed software and with files from unknown sources. An infected \
           device can have its passwords, documents and bank accounts stolen, and be used to attack others.",
    todo_title: "What to do",
    todo_tool: "Download and run the free malware-removal tool:",
    todo_remove: "Remove cracked and unlicensed software and programs you do not know.",
    todo_passwords: "Once clean, change important passwords (email, bank) from a safe device.",
    todo_contact: "If you need help, contact your unit's IT staff.",
    contact_title: "Contact for help",
    confirm: "I understand",
    confirm_note: "Press the button to confirm you have read this warning. It pauses for {hours} hours; if the device \
                   keeps contacting malicious servers after that, the warning comes back.",
    thanks: "Thank you for confirming. Please clean the device as soon as you can.",
    continue_to: "Continue to",
    confirmed_at: "You confirmed this warning at {time}.",
    no_notice: "There is no warning for this device.",
    site_blocked: "Site blocked",
    other_lang: "Tiếng Việt",
    footer: "This page is shown by your unit's router; it asks for no password and installs nothing on your device.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_unless_english_is_asked_for_or_preferred() {
        assert_eq!(Lang::choose(None, None), Lang::Vi);
        assert_eq!(Lang::choose(Some("en"), Some("vi")), Lang::En);
        assert_eq!(Lang::choose(Some("xx"), Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::choose(None, Some("fr-FR, en;q=0.5, vi;q=0.4")), Lang::En);
        assert_eq!(
            Lang::choose(None, Some("vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7")),
            Lang::Vi
        );
        assert_eq!(Lang::choose(None, Some("fr, de")), Lang::Vi);
        assert_eq!(
            Lang::choose(None, Some("en;q=0")),
            Lang::Vi,
            "q=0 means not acceptable"
        );
        assert_eq!(
            Lang::choose(None, Some("en;q=2, vi;q=0.1")),
            Lang::Vi,
            "a bad q counts as 0"
        );
        assert_eq!(Lang::choose(None, Some("EN-gb")), Lang::En);
    }

    #[test]
    fn q_values_are_read_to_the_thousandth() {
        assert_eq!(quality("0.8"), Some(800));
        assert_eq!(quality("1"), Some(1000));
        assert_eq!(quality("1.000"), Some(1000));
        assert_eq!(quality("1.5"), None);
        assert_eq!(quality("0.1234"), None);
        assert_eq!(quality("x"), None);
    }
}
