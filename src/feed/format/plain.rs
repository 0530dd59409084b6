//! One value per line. The value is the first whitespace-separated token;
//! the rest of the line (ipsum scores, Spamhaus `; SBL…` references,
//! trailing spaces) is ignored. `#` and `;` start comments.

use crate::feed::text::{first_field, lines, strip_comment};
use crate::feed::Sink;

pub fn parse(text: &str, sink: &mut Sink) {
    for (n, line) in lines(text) {
        let line = strip_comment(line, &['#', ';']);
        if let Some(value) = first_field(line) {
            sink.value(n, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::feed::format::Format;
    use crate::feed::testutil::parse_str;

    #[test]
    fn extra_columns_and_comments_are_ignored() {
        let r = parse_str(
            Format::Plain,
            "# header\n1.2.3.4\t7\n5.6.7.0/24 ; SBL1\nevil.com # c2\n\n",
        );
        assert_eq!((r.counts.v4, r.counts.domains, r.counts.rejected), (2, 1, 0));
    }

    #[test]
    fn bad_values_are_reported_with_line_numbers() {
        let r = parse_str(Format::Plain, "1.2.3.4\nnot a domain!\n5.6.7.8\n");
        assert_eq!(r.counts.rejected, 1);
        assert_eq!(r.rejected[0].line, 2);
        assert_eq!(r.rejected[0].text, "not");
    }
}
