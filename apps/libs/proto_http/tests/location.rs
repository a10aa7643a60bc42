// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! `Location` of the redirect from a directory URL without its slash.

use proto_http::{directory_location, directory_location_len, normalize};

fn location(raw: &str, query: Option<&str>) -> Option<String> {
    let mut path_buf = [0u8; 256];
    let path = normalize(raw.as_bytes(), &mut path_buf).unwrap();
    let mut out = vec![0u8; directory_location_len(path.as_str().len(), query.map_or(0, str::len))];
    directory_location(&path, query.map(str::as_bytes), &mut out).map(str::to_string)
}

#[test]
fn appends_the_slash_and_keeps_the_query() {
    assert_eq!(location("/docs", None).as_deref(), Some("/docs/"));
    assert_eq!(location("/docs", Some("a=1&b")).as_deref(), Some("/docs/?a=1&b"));
    assert_eq!(location("/docs", Some("")).as_deref(), Some("/docs/?"));
    assert_eq!(location("/docs/", None).as_deref(), Some("/docs/"));
}

#[test]
fn is_built_from_the_normalized_path() {
    // A raw `//host` would be a network-path reference: an open redirect.
    assert_eq!(location("//evil.example/x/..", None).as_deref(), Some("/evil.example/"));
    assert_eq!(location("/a/./b/../c", None).as_deref(), Some("/a/c/"));
}

#[test]
fn encodes_what_a_path_cannot_hold() {
    assert_eq!(location("/My%20Docs%3F%23%25", None).as_deref(), Some("/My%20Docs%3F%23%25/"));
    assert_eq!(location("/caf%C3%A9", None).as_deref(), Some("/caf%C3%A9/"));
    assert_eq!(location("/a:b@c!$&'()*+,;=-._~", None).as_deref(), Some("/a:b@c!$&'()*+,;=-._~/"));
}

#[test]
fn round_trips_through_normalize() {
    for raw in ["/My%20Docs", "/caf%C3%A9/x", "/%25", "/a%3Fb"] {
        let loc = location(raw, None).unwrap();
        let mut a = [0u8; 256];
        let mut b = [0u8; 256];
        let original = normalize(raw.as_bytes(), &mut a).unwrap();
        let again = normalize(loc.as_bytes(), &mut b).unwrap();
        assert_eq!(again.as_str().trim_end_matches('/'), original.as_str().trim_end_matches('/'));
    }
}

#[test]
fn refuses_what_cannot_be_sent() {
    assert_eq!(location("/docs", Some("a b")), None);
    assert_eq!(location("/docs", Some("a\r\nSet-Cookie: x")), None);
    let mut path_buf = [0u8; 64];
    let path = normalize(b"/docs", &mut path_buf).unwrap();
    let mut small = [0u8; 5];
    assert_eq!(directory_location(&path, None, &mut small), None);
}
