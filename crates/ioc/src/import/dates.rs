//! Dates as lists write them: `dd/mm/yyyy` (Vietnamese, the default), `m/d/yyyy` (abuse.ch's US exports),
//! `yyyy-mm-dd`, each with an optional time, RFC 3339, and spreadsheet serial numbers (a date cell saved
//! without a date format).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

/// Which part of a slashed date comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DateOrder {
    /// `dd/mm/yyyy`, as written in Vietnam.
    #[default]
    DayFirst,
    /// `mm/dd/yyyy`, as written in the United States.
    MonthFirst,
}

impl DateOrder {
    /// The order a column of slashed dates must be in: month first when some value has a second part above 12
    /// and none a first part above 12; day first otherwise.
    pub fn detect<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let (mut first_big, mut second_big) = (false, false);
        for v in values {
            let mut parts = v.trim().split(['/', ' ']);
            let a: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            let b: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            first_big |= a > 12;
            second_big |= b > 12;
        }
        if second_big && !first_big {
            Self::MonthFirst
        } else {
            Self::DayFirst
        }
    }
}

/// Parses a date with an optional time, `None` when it is in no known form.
pub fn parse_date(text: &str, order: DateOrder) -> Option<NaiveDateTime> {
    let t = text.trim();
    // A spreadsheet date cell without a date format arrives as its serial number (days since 1899-12-30).
    if let Ok(serial) = t.parse::<f64>() {
        if (20_000.0..80_000.0).contains(&serial) {
            let base = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_time(NaiveTime::MIN);
            let seconds = (serial * 86_400.0).round() as i64;
            return base.checked_add_signed(chrono::TimeDelta::try_seconds(seconds)?);
        }
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.naive_utc());
    }
    let (date, time) = match t.split_once([' ', 'T']) {
        Some((d, rest)) => (
            d,
            Some(rest.trim().trim_end_matches('Z').trim_end_matches(" UTC")),
        ),
        None => (t, None),
    };
    let date = if date.contains('-') && date.len() >= 8 && date.as_bytes().get(4) == Some(&b'-') {
        NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?
    } else {
        let sep = if date.contains('/') { '/' } else { '.' };
        let mut p = date.split(sep);
        let (a, b, y): (u32, u32, i32) = (
            p.next()?.parse().ok()?,
            p.next()?.parse().ok()?,
            p.next()?.parse().ok()?,
        );
        if p.next().is_some() || !(1900..=2999).contains(&y) {
            return None;
        }
        match order {
            DateOrder::DayFirst => NaiveDate::from_ymd_opt(y, b, a)?,
            DateOrder::MonthFirst => NaiveDate::from_ymd_opt(y, a, b)?,
        }
    };
    let time = match time.filter(|t| !t.is_empty()) {
        None => NaiveTime::MIN,
        Some(t) => ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M"]
            .iter()
            .find_map(|f| NaiveTime::parse_from_str(t, f).ok())?,
    };
    Some(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str, o: DateOrder) -> Option<String> {
        parse_date(s, o).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
    }

    #[test]
    fn forms() {
        let d = DateOrder::DayFirst;
        assert_eq!(p("05/01/2024", d).as_deref(), Some("2024-01-05 00:00:00"));
        assert_eq!(p("5/1/2024 7:03", d).as_deref(), Some("2024-01-05 07:03:00"));
        assert_eq!(
            p("2021-01-17 07:30:05", d).as_deref(),
            Some("2021-01-17 07:30:05")
        );
        assert_eq!(p("2024-04-04", d).as_deref(), Some("2024-04-04 00:00:00"));
        assert_eq!(
            p("2023-12-01T10:00:00Z", d).as_deref(),
            Some("2023-12-01 10:00:00")
        );
        assert_eq!(
            p("12/22/2023 6:58", DateOrder::MonthFirst).as_deref(),
            Some("2023-12-22 06:58:00")
        );
        assert_eq!(p("31.12.2023", d).as_deref(), Some("2023-12-31 00:00:00"));
        assert_eq!(p("12/22/2023", d), None, "no 22nd month");
        assert_eq!(p("yesterday", d), None);
        assert_eq!(
            p("45306", d).as_deref(),
            Some("2024-01-15 00:00:00"),
            "an Excel serial date"
        );
        assert_eq!(p("45306.5", d).as_deref(), Some("2024-01-15 12:00:00"));
        assert_eq!(p("443", d), None, "not a plausible serial date");
    }

    #[test]
    fn order_is_detected_per_column() {
        assert_eq!(
            DateOrder::detect(["12/22/2023 6:58", "1/2/2023"]),
            DateOrder::MonthFirst
        );
        assert_eq!(DateOrder::detect(["22/12/2023", "1/2/2023"]), DateOrder::DayFirst);
        assert_eq!(DateOrder::detect(["01/02/2023"]), DateOrder::DayFirst);
    }
}
