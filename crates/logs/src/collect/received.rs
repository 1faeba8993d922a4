//! [`Received`]: what the receiver knows that a line may not say.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeDelta, Utc};

/// When a line arrived, and the UTC offset of device clocks that write times without a zone (RFC 3164 syslog,
/// firewall `date=… time=…` without `tz`, CEF `rt` as text). Devices in Viet Nam usually log local time
/// (UTC+7); the default is UTC.
///
/// ```
/// use canhgac_logs::collect::{received::Received, syslog::parse_syslog};
/// use chrono::{FixedOffset, TimeZone, Utc};
/// let at = Utc.with_ymd_and_hms(2024, 3, 1, 4, 0, 0).unwrap();
/// let vietnam = FixedOffset::east_opt(7 * 3600).unwrap();
/// let event = parse_syslog("<13>Mar  1 10:59:00 fw app: hi", Received::at(at).with_local_offset(vietnam)).unwrap();
/// assert_eq!(event.timestamp.unwrap().to_rfc3339(), "2024-03-01T03:59:00+00:00");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// When the line arrived (dates RFC 3164 timestamps, which carry no year).
    pub at: DateTime<Utc>,
    /// The offset of zone-less device times.
    pub local_offset: FixedOffset,
}

impl Received {
    /// Arrived at `at`; zone-less times are UTC.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self {
            at,
            local_offset: Utc.fix(),
        }
    }

    /// Arrived now; zone-less times are UTC.
    pub fn now() -> Self {
        Self::at(Utc::now())
    }

    /// The same, with zone-less times at `offset`.
    pub fn with_local_offset(self, offset: FixedOffset) -> Self {
        Self {
            local_offset: offset,
            ..self
        }
    }

    /// A zone-less device time in UTC.
    pub fn local_to_utc(&self, naive: NaiveDateTime) -> DateTime<Utc> {
        naive.and_utc() - TimeDelta::seconds(i64::from(self.local_offset.local_minus_utc()))
    }
}
