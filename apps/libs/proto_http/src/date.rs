// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! `HTTP-date` (RFC 9110 §5.6.7): IMF-fixdate out, all three formats in.

/// Length of an IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`.
pub const IMF_FIXDATE_LEN: usize = 29;

const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
const LONG_DAYS: [&[u8]; 7] = [b"Thursday", b"Friday", b"Saturday", b"Sunday", b"Monday", b"Tuesday", b"Wednesday"];
const MONTHS: [&[u8; 3]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
/// Seconds of 9999-12-31T23:59:59Z, the last instant a four-digit year can name.
const MAX_SECS: u64 = 253_402_300_799;

/// An instant with one-second resolution, as HTTP dates carry it (seconds since 1970, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HttpDate {
    secs: u64,
}

impl HttpDate {
    /// The instant `secs` after 1970-01-01T00:00:00Z; `None` past year 9999.
    pub const fn from_unix(secs: u64) -> Option<HttpDate> {
        if secs > MAX_SECS {
            None
        } else {
            Some(HttpDate { secs })
        }
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub const fn unix(self) -> u64 {
        self.secs
    }

    /// Formats as IMF-fixdate, the only format a sender may generate.
    pub fn imf_fixdate(self) -> [u8; IMF_FIXDATE_LEN] {
        let days = self.secs / 86_400;
        let rem = self.secs % 86_400;
        let (year, month, day) = civil_from_days(days);
        let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
        out[..3].copy_from_slice(DAYS[(days % 7) as usize]);
        put2(&mut out[5..7], day);
        out[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
        put2(&mut out[12..14], year / 100);
        put2(&mut out[14..16], year % 100);
        put2(&mut out[17..19], (rem / 3600) as u32);
        put2(&mut out[20..22], (rem / 60 % 60) as u32);
        put2(&mut out[23..25], (rem % 60) as u32);
        out
    }

    /// Parses an IMF-fixdate, or the obsolete rfc850-date or asctime-date that
    /// recipients must still accept. Case-sensitive, whitespace exactly as the
    /// grammar has it, dates before 1970 refused. The day name must be a day
    /// name but is not checked against the date (it is redundant).
    pub fn parse(value: &[u8]) -> Option<HttpDate> {
        parse_imf_fixdate(value).or_else(|| parse_rfc850(value)).or_else(|| parse_asctime(value))
    }
}

/// `day-name "," SP date1 SP time-of-day SP GMT`, date1 = `day SP month SP year`.
fn parse_imf_fixdate(v: &[u8]) -> Option<HttpDate> {
    if v.len() != IMF_FIXDATE_LEN || v[3..5] != *b", " || &v[25..] != b" GMT" {
        return None;
    }
    DAYS.iter().position(|d| v[..3] == d[..])?;
    if v[7] != b' ' || v[11] != b' ' || v[16] != b' ' {
        return None;
    }
    let day = digits(&v[5..7])?;
    let month = month(&v[8..11])?;
    let year = digits(&v[12..16])?;
    build(year, month, day, &v[17..25])
}

/// `day-name-l "," SP day "-" month "-" 2DIGIT SP time-of-day SP GMT`.
fn parse_rfc850(v: &[u8]) -> Option<HttpDate> {
    let comma = v.iter().position(|&b| b == b',')?;
    LONG_DAYS.iter().position(|d| v[..comma] == **d)?;
    let rest = &v[comma + 1..];
    if rest.len() != 23 || rest[0] != b' ' || rest[3] != b'-' || rest[7] != b'-' {
        return None;
    }
    if rest[10] != b' ' || &rest[19..] != b" GMT" {
        return None;
    }
    let day = digits(&rest[1..3])?;
    let month = month(&rest[4..7])?;
    // No trusted clock for RFC 9110's "more than 50 years in the future" rule:
    // the POSIX pivot (69 and below are 20xx) agrees with it until 2019 + 50.
    let yy = digits(&rest[8..10])?;
    let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
    build(year, month, day, &rest[11..19])
}

/// `day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year`.
fn parse_asctime(v: &[u8]) -> Option<HttpDate> {
    if v.len() != 24 || v[3] != b' ' || v[7] != b' ' || v[10] != b' ' || v[19] != b' ' {
        return None;
    }
    DAYS.iter().position(|d| v[..3] == d[..])?;
    let month = month(&v[4..7])?;
    let day = match v[8] {
        b' ' => digits(&v[9..10])?,
        _ => digits(&v[8..10])?,
    };
    let year = digits(&v[20..24])?;
    build(year, month, day, &v[11..19])
}

/// Checks the fields and `HH:MM:SS`, and counts the seconds since 1970.
fn build(year: u32, month: u32, day: u32, time: &[u8]) -> Option<HttpDate> {
    if time.len() != 8 || time[2] != b':' || time[5] != b':' {
        return None;
    }
    let (h, m, s) = (digits(&time[..2])?, digits(&time[3..5])?, digits(&time[6..8])?);
    // Second 60 is a leap second (RFC 9110 §5.6.7); it counts as the next minute's first.
    if year < 1970 || day == 0 || day > days_in_month(year, month) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + u64::from(h * 3600 + m * 60 + s);
    HttpDate::from_unix(secs)
}

fn month(name: &[u8]) -> Option<u32> {
    MONTHS.iter().position(|m| name == &m[..]).map(|i| i as u32 + 1)
}

/// Parses exactly `s.len()` ASCII digits (at most 4).
fn digits(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0u32, |acc, &b| {
        let d = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        Some(acc * 10 + u32::from(d))
    })
}

fn put2(out: &mut [u8], n: u32) {
    out[0] = b'0' + (n / 10 % 10) as u8;
    out[1] = b'0' + (n % 10) as u8;
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date from 1970 on (Howard Hinnant's algorithm).
fn days_from_civil(year: u32, month: u32, day: u32) -> u64 {
    let y = u64::from(if month <= 2 { year - 1 } else { year });
    let era = y / 400;
    let yoe = y - era * 400;
    let m = u64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + u64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: u64) -> (u32, u32, u32) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400) as u32 + u32::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(secs: u64) -> [u8; IMF_FIXDATE_LEN] {
        HttpDate::from_unix(secs).unwrap().imf_fixdate()
    }

    #[test]
    fn formats_imf_fixdate() {
        assert_eq!(&fmt(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(&fmt(784_111_777), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(&fmt(951_782_400), b"Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(&fmt(u64::from(u32::MAX)), b"Sun, 07 Feb 2106 06:28:15 GMT");
        assert_eq!(&fmt(MAX_SECS), b"Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(HttpDate::from_unix(MAX_SECS + 1), None);
    }

    #[test]
    fn civil_round_trip_every_day_of_four_centuries() {
        for days in 0..146_097 * 2 {
            let (y, m, d) = civil_from_days(days);
            assert!((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m));
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
