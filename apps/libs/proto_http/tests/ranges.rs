// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! `Range` parsing and resolution (RFC 9110 §14.1-14.2).

use proto_http::{ByteRange, ByteRangeSpec, RangeSet, Resolution};

fn parse(s: &str) -> RangeSet {
    RangeSet::parse(s.as_bytes())
}

fn single(s: &str) -> ByteRangeSpec {
    match parse(s) {
        RangeSet::Single(spec) => spec,
        other => panic!("{s:?} gave {other:?}"),
    }
}

fn part(start: u64, len: u64) -> Resolution {
    Resolution::Partial(ByteRange { start, len })
}

#[test]
fn the_three_forms() {
    assert_eq!(single("bytes=100-199"), ByteRangeSpec::FromTo { first: 100, last: 199 });
    assert_eq!(single("bytes=100-"), ByteRangeSpec::From(100));
    assert_eq!(single("bytes=-500"), ByteRangeSpec::Suffix(500));
    assert_eq!(single("BYTES=0-0"), ByteRangeSpec::FromTo { first: 0, last: 0 });
    assert_eq!(single(" bytes= 5- , "), ByteRangeSpec::From(5));
    assert_eq!(single("bytes=,,7-8"), ByteRangeSpec::FromTo { first: 7, last: 8 });
}

#[test]
fn several_ranges_are_multiple() {
    assert_eq!(parse("bytes=0-1,5-6"), RangeSet::Multiple);
    assert_eq!(parse("bytes=0-1, -5"), RangeSet::Multiple);
    assert_eq!(parse("bytes=0-,0-"), RangeSet::Multiple);
}

#[test]
fn invalid_sets_are_ignored() {
    for bad in [
        "",
        "bytes",
        "bytes=",
        "bytes=,",
        "bytes=-",
        "bytes=5-2",
        "bytes=a-b",
        "bytes=1-2-3",
        "bytes=+1-2",
        "bytes=1 -2",
        "bytes=1- 2",
        "bytes = 1-2",
        "bytes=0-1,junk",
        "bytes=0x10-",
        "items=0-5",
        "bytes 0-5",
        "bytesx=0-5",
    ] {
        assert_eq!(parse(bad), RangeSet::Invalid, "{bad:?}");
    }
}

#[test]
fn huge_positions_saturate() {
    assert_eq!(single("bytes=99999999999999999999999-"), ByteRangeSpec::From(u64::MAX));
    assert_eq!(single("bytes=0-99999999999999999999999").resolve(10), part(0, 10));
    assert_eq!(single("bytes=-99999999999999999999999").resolve(10), part(0, 10));
}

#[test]
fn resolution_against_a_length() {
    let len = 1000;
    assert_eq!(single("bytes=100-199").resolve(len), part(100, 100));
    assert_eq!(single("bytes=100-").resolve(len), part(100, 900));
    assert_eq!(single("bytes=-500").resolve(len), part(500, 500));
    assert_eq!(single("bytes=-5000").resolve(len), part(0, 1000));
    assert_eq!(single("bytes=990-5000").resolve(len), part(990, 10));
    assert_eq!(single("bytes=999-999").resolve(len), part(999, 1));
    assert_eq!(single("bytes=0-").resolve(len), part(0, 1000));
    assert_eq!(single("bytes=1000-").resolve(len), Resolution::Unsatisfiable);
    assert_eq!(single("bytes=1000-1001").resolve(len), Resolution::Unsatisfiable);
    assert_eq!(single("bytes=-0").resolve(len), Resolution::Unsatisfiable);
}

#[test]
fn an_empty_representation() {
    assert_eq!(single("bytes=0-").resolve(0), Resolution::Unsatisfiable);
    assert_eq!(single("bytes=0-10").resolve(0), Resolution::Unsatisfiable);
    assert_eq!(single("bytes=-10").resolve(0), Resolution::Whole);
    assert_eq!(single("bytes=-0").resolve(0), Resolution::Unsatisfiable);
}

#[test]
fn last_byte_is_inclusive() {
    let r = ByteRange { start: 100, len: 100 };
    assert_eq!(r.last(), 199);
}
