//! Dates and numbers in the reader's language, from the words of each locale file (the month
//! names, the date's word order, the separators): no formatting data is shipped beyond them.

use chrono::{Datelike, NaiveDate};

use crate::i18n::*;

/// The translations' context of the portal's pages.
pub type I18n = leptos_i18n::I18nContext<Locale>;

/// `12 July 2026`, `12 Julai 2026`, `12 juillet 2026`, `12 de julho de 2026`.
pub fn long_date(i18n: I18n, d: NaiveDate) -> String {
    let month = match d.month() {
        1 => t_string!(i18n, months.m1),
        2 => t_string!(i18n, months.m2),
        3 => t_string!(i18n, months.m3),
        4 => t_string!(i18n, months.m4),
        5 => t_string!(i18n, months.m5),
        6 => t_string!(i18n, months.m6),
        7 => t_string!(i18n, months.m7),
        8 => t_string!(i18n, months.m8),
        9 => t_string!(i18n, months.m9),
        10 => t_string!(i18n, months.m10),
        11 => t_string!(i18n, months.m11),
        _ => t_string!(i18n, months.m12),
    };
    t_string!(
        i18n,
        dates.long,
        day = d.day(),
        month = month,
        year = d.year()
    )
    .to_string()
}

/// A number with the locale's separators: `1,200.5`, `1 200,5`, `1.200,5`; at most two
/// decimals.
pub fn number(i18n: I18n, value: f64) -> String {
    group_digits(
        value,
        t_string!(i18n, numbers.group),
        t_string!(i18n, numbers.decimal),
    )
}

/// `value` with `group` between thousands and `decimal` before the fraction.
pub fn group_digits(value: f64, group: &str, decimal: &str) -> String {
    let plain = hospitallink::domain::clinical::record::format_number(value.abs());
    let (whole, fraction) = plain.split_once('.').unwrap_or((&plain, ""));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push_str(group);
        }
        out.push(c);
    }
    if !fraction.is_empty() {
        out.push_str(decimal);
        out.push_str(fraction);
    }
    if value < 0.0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::group_digits;

    #[test]
    fn numbers_take_the_locale_separators() {
        assert_eq!(group_digits(1200.0, ",", "."), "1,200");
        assert_eq!(
            group_digits(1234567.25, "\u{202f}", ","),
            "1\u{202f}234\u{202f}567,25"
        );
        assert_eq!(group_digits(40.0, ".", ","), "40");
        assert_eq!(group_digits(999.5, ".", ","), "999,5");
        assert_eq!(group_digits(-1500.0, ",", "."), "-1,500");
    }
}
