//! Wall-clock time for modification stamps, and FAT's DOS date/time conversion.
//!
//! FAT stores local time without a zone; this volume writes and reads UTC.

use core::fmt;

use fatfs::{Date, DateTime, Time, TimeProvider};

/// Seconds since 1970-01-01 UTC, as the board best knows them.
///
/// The board has no RTC: the app adds its uptime to a configured base.
pub trait Clock {
    /// Now, in Unix seconds; 0 if unknown (stored as 1980-01-01, FAT's epoch).
    fn now(&self) -> u32;
}

/// A clock that does not know the time: every stamp is 1980-01-01 00:00.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoClock;

impl Clock for NoClock {
    fn now(&self) -> u32 {
        0
    }
}

impl<F: Fn() -> u32> Clock for F {
    fn now(&self) -> u32 {
        self()
    }
}

/// Adapts a [`Clock`] to fatfs's `TimeProvider`.
pub(crate) struct FatClock<C>(pub(crate) C);

impl<C> fmt::Debug for FatClock<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FatClock")
    }
}

impl<C: Clock> TimeProvider for FatClock<C> {
    fn get_current_date(&self) -> Date {
        unix_to_dos(self.0.now()).date
    }

    fn get_current_date_time(&self) -> DateTime {
        unix_to_dos(self.0.now())
    }
}

/// 1980-01-01 00:00:00, the first instant FAT can store.
pub const DOS_EPOCH: u32 = 315_532_800;

/// 2107-12-31 23:59:58, the last instant FAT can store (2-second steps).
const DOS_LAST_YEAR: i64 = 2107;

/// Days since 1970-01-01 of a proleptic Gregorian date (`month` 1..=12).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Shift the year to start in March so February's leap day comes last.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` after 1970-01-01: `(year, month, day)`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Unix seconds to a DOS date-time, clamped to FAT's 1980..=2107 range.
pub(crate) fn unix_to_dos(secs: u32) -> DateTime {
    let secs = i64::from(secs.max(DOS_EPOCH));
    let (mut year, mut month, mut day) = civil_from_days(secs.div_euclid(86_400));
    let mut rem = secs.rem_euclid(86_400);
    if year > DOS_LAST_YEAR {
        (year, month, day, rem) = (DOS_LAST_YEAR, 12, 31, 86_399);
    }
    // All fields are in range by construction, so fatfs's asserts cannot fire.
    DateTime::new(
        Date::new(year as u16, month as u16, day as u16),
        Time::new((rem / 3600) as u16, (rem / 60 % 60) as u16, (rem % 60) as u16, 0),
    )
}

/// A DOS date-time read from disk to Unix seconds; 0 if the fields are garbage.
pub(crate) fn dos_to_unix(dt: DateTime) -> u32 {
    let (d, t) = (dt.date, dt.time);
    let valid = (1..=12).contains(&d.month) && (1..=31).contains(&d.day) && t.hour <= 23 && t.min <= 59 && t.sec <= 59;
    if !valid {
        return 0;
    }
    let days = days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day));
    let secs = days * 86_400 + i64::from(t.hour) * 3600 + i64::from(t.min) * 60 + i64::from(t.sec);
    u32::try_from(secs).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        for days in (-1000..60_000).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn dos_conversion() {
        // 2024-02-29 23:59:58 UTC
        let t = 1_709_251_198;
        let dos = unix_to_dos(t);
        assert_eq!((dos.date.year, dos.date.month, dos.date.day), (2024, 2, 29));
        assert_eq!((dos.time.hour, dos.time.min, dos.time.sec), (23, 59, 58));
        assert_eq!(dos_to_unix(dos), t);
        assert_eq!(dos_to_unix(unix_to_dos(0)), DOS_EPOCH);
        assert_eq!(dos_to_unix(unix_to_dos(DOS_EPOCH)), DOS_EPOCH);
        // u32 seconds end in 2106, inside FAT's range.
        let last = unix_to_dos(u32::MAX);
        assert_eq!(last.date.year, 2106);
        assert_eq!(dos_to_unix(last), u32::MAX);
    }

    #[test]
    fn garbage_dos_fields_are_zero() {
        let bad = unix_to_dos(DOS_EPOCH);
        let mut b = bad;
        b.date.month = 0;
        assert_eq!(dos_to_unix(b), 0);
        let mut b = bad;
        b.time.hour = 31;
        assert_eq!(dos_to_unix(b), 0);
        assert_eq!(NoClock.now(), 0);
        assert_eq!((|| 7).now(), 7);
    }
}
