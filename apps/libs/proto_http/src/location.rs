// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! `Location` values for redirects, built from a normalized path.

use crate::path::NormalizedPath;
use crate::writer::Writer;

/// Bytes [`directory_location`] needs at most for a path and query of these lengths.
pub const fn directory_location_len(path_len: usize, query_len: usize) -> usize {
    3 * path_len + 2 + query_len
}

/// Writes the `Location` of the directory `path` named without its trailing
/// slash: the path percent-encoded, `/`, and `?query` as it was received.
///
/// Built from the normalized path, so it always starts with exactly one `/`
/// (a raw `//host` could otherwise redirect off the site). `None` if `out` is
/// too small or `query` holds bytes a request line cannot carry.
pub fn directory_location<'o>(path: &NormalizedPath<'_>, query: Option<&[u8]>, out: &'o mut [u8]) -> Option<&'o str> {
    if query.is_some_and(|q| q.iter().any(|&b| !(0x21..0x7f).contains(&b) || b == b'#')) {
        return None;
    }
    let mut w = Writer::new(out);
    for &b in path.as_bytes() {
        if is_path_char(b) {
            w.bytes(&[b]).ok()?;
        } else {
            let hex = b"0123456789ABCDEF";
            w.bytes(&[b'%', hex[usize::from(b >> 4)], hex[usize::from(b & 15)]]).ok()?;
        }
    }
    if !path.is_dir() {
        w.str("/").ok()?;
    }
    if let Some(q) = query {
        w.str("?").ok()?;
        w.bytes(q).ok()?;
    }
    let len = w.len();
    // Only ASCII was written.
    core::str::from_utf8(&out[..len]).ok()
}

/// `pchar` without `%` (RFC 3986 §3.3), plus the `/` separator.
const fn is_path_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
        )
}
