//! The 24/7 duty roster's arithmetic: coverage gaps over a period, and shifts generated from a repeating daily
//! pattern. Times are milliseconds since the epoch (UTC); patterns are written in Vietnam's wall-clock time (UTC+7,
//! no daylight saving).

use serde::{Deserialize, Serialize};

use crate::{FieldError, Invalid, Millis, UnitId, UserId};

/// Vietnam's offset from UTC.
pub const VIETNAM_OFFSET_MS: Millis = 7 * 3600 * 1000;
const MINUTE: Millis = 60_000;
const DAY: Millis = 24 * 60 * MINUTE;

/// A period not covered by any shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub start: Millis,
    pub end: Millis,
}

/// The parts of `[from, to)` that no shift covers. Shifts may overlap and come in any order.
pub fn gaps(shifts: impl IntoIterator<Item = (Millis, Millis)>, from: Millis, to: Millis) -> Vec<Gap> {
    let mut spans: Vec<(Millis, Millis)> = shifts
        .into_iter()
        .filter(|(s, e)| e > s && *e > from && *s < to)
        .collect();
    spans.sort_unstable();
    let mut out = Vec::new();
    let mut covered_to = from;
    for (s, e) in spans {
        if s > covered_to {
            out.push(Gap {
                start: covered_to,
                end: s.min(to),
            });
        }
        covered_to = covered_to.max(e);
        if covered_to >= to {
            break;
        }
    }
    if covered_to < to {
        out.push(Gap {
            start: covered_to,
            end: to,
        });
    }
    out
}

/// One daily slot of a pattern, in local wall-clock minutes; a slot may run past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub start_minute: u32,
    pub minutes: u32,
}

/// Parses slots written as `07:00-15:00, 15:00-23:00, 23:00-07:00`.
pub fn parse_slots(field: &str, text: &str) -> Result<Vec<Slot>, Invalid> {
    let bad = |part: &str| Invalid(vec![FieldError::new(field, "err.slot_invalid").with_value(part)]);
    let hm = |s: &str| -> Option<u32> {
        let (h, m) = s.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let mut slots = Vec::new();
    for part in text
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (a, b) = part.split_once('-').ok_or_else(|| bad(part))?;
        let (start, end) = (hm(a).ok_or_else(|| bad(part))?, hm(b).ok_or_else(|| bad(part))?);
        let minutes = if end > start {
            end - start
        } else {
            end + 24 * 60 - start
        };
        slots.push(Slot {
            start_minute: start,
            minutes,
        });
    }
    if slots.is_empty() {
        return Err(Invalid(vec![FieldError::new(field, "err.required")]));
    }
    Ok(slots)
}

/// Midnight (Vietnam time) of the local day `date` (`YYYY-MM-DD`), as UTC milliseconds.
pub fn local_midnight(date: &str) -> Option<Millis> {
    let day = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    Some(day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis() - VIETNAM_OFFSET_MS)
}

/// Parses a local date-time `YYYY-MM-DDTHH:MM` (as an HTML `datetime-local` field sends it) into UTC milliseconds.
pub fn parse_local_datetime(text: &str) -> Option<Millis> {
    let (date, time) = text.trim().split_once(['T', ' '])?;
    let (h, m) = time.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.get(..2).unwrap_or(m).parse().ok()?);
    (h < 24 && m < 60).then_some(local_midnight(date)? + (h * 60 + m) * MINUTE)
}

/// Shifts for `days` days from local midnight `first_day`, one per slot per day, people taken in rotation.
pub fn expand<P: Copy>(
    first_day: Millis,
    days: u32,
    slots: &[Slot],
    people: &[P],
) -> Vec<(P, Millis, Millis)> {
    let mut out = Vec::new();
    if people.is_empty() {
        return out;
    }
    let mut turn = 0usize;
    for day in 0..i64::from(days) {
        for slot in slots {
            let start = first_day + day * DAY + i64::from(slot.start_minute) * MINUTE;
            let end = start + i64::from(slot.minutes) * MINUTE;
            out.push((people[turn % people.len()], start, end));
            turn += 1;
        }
    }
    out
}

/// Longest single shift accepted, and longest period one pattern or gap check may cover.
pub const MAX_SHIFT_MS: Millis = DAY;
pub const MAX_PERIOD_DAYS: u32 = 92;

/// One person on duty in one unit for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DutyShift {
    pub id: i64,
    pub unit_id: UnitId,
    pub user_id: UserId,
    /// The person's display name, for rosters and dashboards.
    pub user_name: String,
    pub starts_at: Millis,
    pub ends_at: Millis,
    /// What the person leaving hands to the next shift (open alerts, ongoing work).
    pub handover: String,
    pub handover_at: Option<Millis>,
}

impl DutyShift {
    /// Whether the shift covers the instant `t`.
    pub fn covers(&self, t: Millis) -> bool {
        self.starts_at <= t && t < self.ends_at
    }
}

/// Checks one shift's times: ends after it starts, at most [`MAX_SHIFT_MS`] long.
pub fn validate_shift(
    starts_at: Option<Millis>,
    ends_at: Option<Millis>,
) -> Result<(Millis, Millis), Invalid> {
    let mut errs = Vec::new();
    if starts_at.is_none() {
        errs.push(FieldError::new("starts_at", "err.datetime_invalid"));
    }
    if ends_at.is_none() {
        errs.push(FieldError::new("ends_at", "err.datetime_invalid"));
    }
    match (starts_at, ends_at) {
        (Some(s), Some(e)) if e <= s => errs.push(FieldError::new("ends_at", "err.shift_ends_before_start")),
        (Some(s), Some(e)) if e - s > MAX_SHIFT_MS => {
            errs.push(FieldError::new("ends_at", "err.shift_too_long"))
        }
        (Some(s), Some(e)) => return Ok((s, e)),
        _ => {}
    }
    Err(Invalid(errs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Millis = 3600 * 1000;

    #[test]
    fn gaps_of_overlapping_unsorted_shifts() {
        let shifts = [(10 * H, 14 * H), (0, 8 * H), (7 * H, 9 * H), (14 * H, 24 * H)];
        assert_eq!(
            gaps(shifts, 0, 24 * H),
            [Gap {
                start: 9 * H,
                end: 10 * H
            }]
        );
        assert_eq!(gaps([], 0, H), [Gap { start: 0, end: H }]);
        assert_eq!(
            gaps([(0, 2 * H)], H, 3 * H),
            [Gap {
                start: 2 * H,
                end: 3 * H
            }]
        );
        assert!(gaps([(0, 5 * H)], H, 3 * H).is_empty());
    }

    #[test]
    fn three_shifts_a_day_cover_the_week_and_a_removed_slot_is_the_gap() {
        let slots = parse_slots("s", "07:00-15:00, 15:00-23:00, 23:00-07:00").unwrap();
        assert_eq!(
            slots[2],
            Slot {
                start_minute: 23 * 60,
                minutes: 8 * 60
            }
        );
        let monday = local_midnight("2024-02-05").unwrap();
        let shifts = expand(monday, 7, &slots, &["an", "binh", "chi"]);
        assert_eq!(shifts.len(), 21);
        assert_eq!(shifts[3].0, "an", "rotation continues across days");
        let week = (monday + 7 * H, monday + 7 * 24 * H + 7 * H);
        assert!(gaps(shifts.iter().map(|s| (s.1, s.2)), week.0, week.1).is_empty());
    }

    #[test]
    fn local_times_are_vietnam_time() {
        // 2024-02-10 00:00 in Vietnam (the first day of Tet Giap Thin) is 2024-02-09 17:00 UTC.
        assert_eq!(local_midnight("2024-02-10"), Some(1_707_498_000_000));
        assert_eq!(
            parse_local_datetime("2024-02-10T07:30"),
            Some(1_707_498_000_000 + 7 * H + 30 * 60_000)
        );
        assert_eq!(local_midnight("2024-13-01"), None);
        assert!(parse_slots("s", "25:00-01:00").is_err());
    }
}
