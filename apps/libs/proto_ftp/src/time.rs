//! UTC calendar date-times and Unix-seconds conversion (proleptic Gregorian, no leap seconds).

/// First year representable; Unix time starts here and FAT (1980) is later.
pub const MIN_YEAR: u16 = 1970;
/// Last year representable; `YYYYMMDDHHMMSS` (RFC 3659 time-val) has four year digits.
pub const MAX_YEAR: u16 = 9999;

const SECS_PER_DAY: u64 = 86_400;
/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
const EPOCH_FROM_MARCH_0: u64 = 719_468;
const DAYS_PER_400Y: u64 = 146_097;
const DAYS_PER_100Y: u64 = 36_524;
const DAYS_PER_4Y: u64 = 1_461;
/// Day of a March-based year on which each month starts (Mar = 0 ... Feb = 11).
const MONTH_START_FROM_MARCH: [u16; 12] = [0, 31, 61, 92, 122, 153, 184, 214, 245, 275, 306, 337];

/// A validated UTC date and time with one-second resolution.
///
/// Fields are private so every value is a real calendar instant within
/// [`MIN_YEAR`]..=[`MAX_YEAR`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

impl DateTime {
    /// 1970-01-01 00:00:00.
    pub const EPOCH: DateTime = DateTime { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0 };

    /// Builds a date-time, or `None` if any field is out of range
    /// (month 1-12, day valid for that month, hour < 24, minute/second < 60).
    pub const fn new(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Self> {
        if year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 {
            return None;
        }
        if day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        Some(DateTime { year, month, day, hour, minute, second })
    }

    /// Converts seconds since 1970-01-01T00:00:00Z; `None` past [`MAX_YEAR`].
    pub const fn from_unix(secs: u64) -> Option<Self> {
        let days = secs / SECS_PER_DAY;
        let rem = secs % SECS_PER_DAY;
        let (year, month, day) = civil_from_days(days);
        if year > MAX_YEAR as u64 {
            return None;
        }
        Some(DateTime {
            year: year as u16,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem / 60 % 60) as u8,
            second: (rem % 60) as u8,
        })
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub const fn to_unix(&self) -> u64 {
        let days = days_from_civil(self.year, self.month, self.day);
        days * SECS_PER_DAY + self.hour as u64 * 3600 + self.minute as u64 * 60 + self.second as u64
    }

    /// Calendar year.
    pub const fn year(&self) -> u16 {
        self.year
    }
    /// Month, 1 = January.
    pub const fn month(&self) -> u8 {
        self.month
    }
    /// Day of the month, from 1.
    pub const fn day(&self) -> u8 {
        self.day
    }
    /// Hour, 0-23.
    pub const fn hour(&self) -> u8 {
        self.hour
    }
    /// Minute, 0-59.
    pub const fn minute(&self) -> u8 {
        self.minute
    }
    /// Second, 0-59.
    pub const fn second(&self) -> u8 {
        self.second
    }
}

/// Gregorian leap year rule.
pub const fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Length of `month` (1-12) in `year`; 0 for an invalid month.
pub const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Converts days since 1970-01-01 into `(year, month, day)`.
///
/// Counts from 0000-03-01 so the leap day is the last day of a "year"; then
/// peels off 400-, 100-, 4- and 1-year cycles (the last cycle of each kind is
/// one day longer, hence the clamping to 3).
pub const fn civil_from_days(days: u64) -> (u64, u8, u8) {
    let z = days.saturating_add(EPOCH_FROM_MARCH_0);
    let era = z / DAYS_PER_400Y;
    let mut rem = z % DAYS_PER_400Y;
    let centuries = min3(rem / DAYS_PER_100Y);
    rem -= centuries * DAYS_PER_100Y;
    let quads = rem / DAYS_PER_4Y;
    rem %= DAYS_PER_4Y;
    let years = min3(rem / 365);
    rem -= years * 365;
    let march_year = era * 400 + centuries * 100 + quads * 4 + years;

    let mut m = 11;
    while MONTH_START_FROM_MARCH[m] as u64 > rem {
        m -= 1;
    }
    let day = (rem - MONTH_START_FROM_MARCH[m] as u64 + 1) as u8;
    // March-based months 10 and 11 are January and February of the next year.
    if m >= 10 {
        (march_year + 1, (m - 9) as u8, day)
    } else {
        (march_year, (m + 3) as u8, day)
    }
}

/// Converts a valid date into days since 1970-01-01 (the inverse of [`civil_from_days`]).
///
/// The date must be valid and not before 1970-01-01 (as every [`DateTime`] is);
/// earlier dates saturate to 0.
pub const fn days_from_civil(year: u16, month: u8, day: u8) -> u64 {
    let (y, m) = if month <= 2 {
        ((year as u64).saturating_sub(1), month as usize + 9)
    } else {
        (year as u64, month as usize - 3)
    };
    let m = if m > 11 { 11 } else { m };
    let days = (y * 365 + y / 4 - y / 100 + y / 400 + MONTH_START_FROM_MARCH[m] as u64 + day as u64).saturating_sub(1);
    days.saturating_sub(EPOCH_FROM_MARCH_0)
}

const fn min3(n: u64) -> u64 {
    if n > 3 {
        3
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> DateTime {
        DateTime::new(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn epoch_edges() {
        assert_eq!(DateTime::from_unix(0), Some(DateTime::EPOCH));
        assert_eq!(DateTime::EPOCH.to_unix(), 0);
        assert_eq!(DateTime::from_unix(86_399), Some(dt(1970, 1, 1, 23, 59, 59)));
        assert_eq!(DateTime::from_unix(86_400), Some(dt(1970, 1, 2, 0, 0, 0)));
        // Last second of the representable range, and one past it.
        assert_eq!(DateTime::from_unix(253_402_300_799), Some(dt(9999, 12, 31, 23, 59, 59)));
        assert_eq!(DateTime::from_unix(253_402_300_800), None);
        assert_eq!(DateTime::from_unix(u64::MAX), None);
        // 32-bit rollover and a FAT epoch.
        assert_eq!(DateTime::from_unix(2_147_483_647), Some(dt(2038, 1, 19, 3, 14, 7)));
        assert_eq!(DateTime::from_unix(315_532_800), Some(dt(1980, 1, 1, 0, 0, 0)));
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2000));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2100));
        assert!(is_leap_year(2024));
        assert!(!is_leap_year(2023));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(DateTime::new(2023, 2, 29, 0, 0, 0), None);
        assert_eq!(DateTime::new(1900 + 200, 2, 29, 0, 0, 0), None);
        // 2000-02-29 and the day after.
        assert_eq!(DateTime::from_unix(951_782_400), Some(dt(2000, 2, 29, 0, 0, 0)));
        assert_eq!(DateTime::from_unix(951_868_800), Some(dt(2000, 3, 1, 0, 0, 0)));
        // 2024-02-29 12:00:00 and 2024-12-31 (day 366 of a leap year).
        assert_eq!(DateTime::from_unix(1_709_208_000), Some(dt(2024, 2, 29, 12, 0, 0)));
        assert_eq!(DateTime::from_unix(1_735_603_200), Some(dt(2024, 12, 31, 0, 0, 0)));
        // 2100 is not leap: Feb 28 is followed by Mar 1.
        let feb28 = dt(2100, 2, 28, 0, 0, 0).to_unix();
        assert_eq!(DateTime::from_unix(feb28 + 86_400), Some(dt(2100, 3, 1, 0, 0, 0)));
    }

    #[test]
    fn round_trip_every_day_for_centuries() {
        // Every day from 1970 to beyond 2400 round-trips and is consecutive.
        let mut prev: Option<DateTime> = None;
        for days in 0..160_000u64 {
            let t = DateTime::from_unix(days * 86_400 + 45_296).unwrap();
            assert_eq!(t.to_unix(), days * 86_400 + 45_296);
            assert_eq!((t.hour(), t.minute(), t.second()), (12, 34, 56));
            if let Some(p) = prev {
                let next_day = if p.day() == days_in_month(p.year(), p.month()) { 1 } else { p.day() + 1 };
                assert_eq!(t.day(), next_day);
            }
            prev = Some(t);
        }
    }

    #[test]
    fn invalid_fields_rejected() {
        assert_eq!(DateTime::new(1969, 12, 31, 23, 59, 59), None);
        assert_eq!(DateTime::new(10_000, 1, 1, 0, 0, 0), None);
        assert_eq!(DateTime::new(2020, 0, 1, 0, 0, 0), None);
        assert_eq!(DateTime::new(2020, 13, 1, 0, 0, 0), None);
        assert_eq!(DateTime::new(2020, 4, 31, 0, 0, 0), None);
        assert_eq!(DateTime::new(2020, 4, 0, 0, 0, 0), None);
        assert_eq!(DateTime::new(2020, 4, 1, 24, 0, 0), None);
        assert_eq!(DateTime::new(2020, 4, 1, 0, 60, 0), None);
        assert_eq!(DateTime::new(2020, 4, 1, 0, 0, 60), None);
        assert!(DateTime::new(2020, 4, 30, 23, 59, 59).is_some());
    }
}
