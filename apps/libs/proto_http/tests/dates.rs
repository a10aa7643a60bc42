// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! HTTP-date: IMF-fixdate out, the three formats in (RFC 9110 §5.6.7).

use proto_http::HttpDate;

/// RFC 9110's own example instant, Sun, 06 Nov 1994 08:49:37 GMT.
const EXAMPLE: u64 = 784_111_777;

fn parse(s: &str) -> Option<u64> {
    HttpDate::parse(s.as_bytes()).map(HttpDate::unix)
}

#[test]
fn the_three_formats_of_the_rfc_example() {
    assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT"), Some(EXAMPLE));
    assert_eq!(parse("Sunday, 06-Nov-94 08:49:37 GMT"), Some(EXAMPLE));
    assert_eq!(parse("Sun Nov  6 08:49:37 1994"), Some(EXAMPLE));
    assert_eq!(parse("Sun Nov 06 08:49:37 1994"), Some(EXAMPLE));
}

#[test]
fn formats_imf_fixdate_and_reads_it_back() {
    let date = HttpDate::from_unix(EXAMPLE).unwrap();
    assert_eq!(&date.imf_fixdate(), b"Sun, 06 Nov 1994 08:49:37 GMT");
    // Every day of 1970..2110 at a few times of day, including leap days.
    let mut day = 0u64;
    while day < 51_500 {
        for secs in [0, 1, 43_199, 86_399] {
            let t = day * 86_400 + secs;
            let text = HttpDate::from_unix(t).unwrap().imf_fixdate();
            assert_eq!(HttpDate::parse(&text).map(HttpDate::unix), Some(t));
        }
        day += 1;
    }
}

#[test]
fn rfc850_two_digit_years_pivot_at_70() {
    assert_eq!(parse("Thursday, 01-Jan-70 00:00:00 GMT"), Some(0));
    assert_eq!(parse("Friday, 31-Dec-69 23:59:59 GMT"), Some(3_155_759_999), "69 is 2069");
    assert_eq!(parse("Wednesday, 09-Nov-05 08:49:37 GMT"), Some(1_131_526_177));
}

#[test]
fn leap_years_and_leap_seconds() {
    assert_eq!(parse("Tue, 29 Feb 2000 00:00:00 GMT"), Some(951_782_400));
    assert_eq!(parse("Thu, 29 Feb 2024 12:00:00 GMT"), Some(1_709_208_000));
    assert_eq!(parse("Sun, 29 Feb 2100 00:00:00 GMT"), None, "2100 is no leap year");
    assert_eq!(parse("Mon, 29 Feb 1999 00:00:00 GMT"), None);
    // Second 60 counts as the next minute's first.
    assert_eq!(parse("Sat, 31 Dec 2016 23:59:60 GMT"), parse("Sun, 01 Jan 2017 00:00:00 GMT"));
}

#[test]
fn malformed_dates_are_refused() {
    for bad in [
        "",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 gmt",
        "sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun,  06 Nov 1994 08:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1969 08:49:37 GMT",
        " Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT ",
        "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov +994 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sun, 06-Nov-94 08:49:37 GMT",
        "Sunday, 06 Nov 94 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994",
        "Sun Nov  6 08:49:37 94",
        "Sun Nov  6 08:49:37 1994 GMT",
        "1994-11-06T08:49:37Z",
        "784111777",
    ] {
        assert_eq!(parse(bad), None, "{bad:?}");
    }
}

#[test]
fn orders_by_instant() {
    let a = HttpDate::from_unix(10).unwrap();
    let b = HttpDate::from_unix(11).unwrap();
    assert!(a < b);
    assert_eq!(HttpDate::from_unix(253_402_300_800), None);
}
