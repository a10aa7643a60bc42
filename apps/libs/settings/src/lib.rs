// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Settings files on the volume (`/config/*.cfg`), shared by every app that
//! has one.
//!
//! A file is `key = value` lines; blank lines and lines starting with `#`
//! are ignored (a `#` later in a line is part of the value: passwords may
//! contain it). [`read`] fetches a file through the storage service into a
//! caller buffer, [`lines`] splits it; each app interprets its own keys and
//! reports what it did not understand.

#![no_std]
#![forbid(unsafe_code)]

use proto_storage::{ClientError, Error, OpenMode, StorageClient, Transport};

/// What [`read`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum File {
    /// The first `len` bytes of the buffer hold the file; `truncated` if it
    /// was longer than the buffer (the rest is ignored).
    Read { len: usize, truncated: bool },
    /// No such file.
    Missing,
    /// The storage service could not be asked, or the read failed.
    Unavailable(ClientError),
}

impl File {
    /// Whether asking again later may help (the service was not there).
    pub fn retry_later(&self) -> bool {
        matches!(self, File::Unavailable(ClientError::Transport(_)))
    }
}

/// Reads `path` through the storage service, at most `buf.len()` bytes; the
/// handle is closed on every path.
pub fn read<T: Transport>(storage: &mut StorageClient<T>, path: &str, buf: &mut [u8]) -> File {
    let handle = match storage.open(path, OpenMode::Read) {
        Ok(h) => h,
        Err(ClientError::Storage(Error::NotFound)) => return File::Missing,
        Err(e) => return File::Unavailable(e),
    };
    let mut len = 0;
    let mut failed = None;
    while len < buf.len() {
        match storage.read(handle, &mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    let mut more = [0u8; 1];
    let truncated = failed.is_none() && len == buf.len() && storage.read(handle, &mut more).unwrap_or(0) > 0;
    let _ = storage.close(handle);
    match failed {
        Some(e) => File::Unavailable(e),
        None => File::Read { len, truncated },
    }
}

/// One meaningful line of a settings file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number, for messages.
    pub number: usize,
    /// The key and the value (both trimmed), or why the line is not one.
    pub entry: Result<(&'a str, &'a str), &'static str>,
}

/// The `key = value` lines of `text`, skipping blanks and comments.
pub fn lines(text: &[u8]) -> impl Iterator<Item = Line<'_>> {
    text.split(|&b| b == b'\n').enumerate().filter_map(|(i, raw)| {
        let number = i + 1;
        let Ok(line) = core::str::from_utf8(raw) else {
            return Some(Line { number, entry: Err("not UTF-8") });
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let entry = match line.split_once('=') {
            Some((key, value)) => Ok((key.trim(), value.trim())),
            None => Err("expected `key = value`"),
        };
        Some(Line { number, entry })
    })
}

/// A whole number of seconds in `range`.
pub fn seconds(value: &str, range: core::ops::RangeInclusive<u32>) -> Option<u32> {
    value.parse::<u32>().ok().filter(|s| range.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_skip_comments_and_blanks_and_keep_hashes_in_values() {
        let text = b"# comment\n\nuser = a\r\npass=p#ss \n  # indented comment\nbroken line\n\xff\n";
        let got: [Line; 4] = {
            let mut it = lines(text);
            core::array::from_fn(|_| it.next().unwrap())
        };
        assert_eq!(got[0], Line { number: 3, entry: Ok(("user", "a")) });
        assert_eq!(got[1], Line { number: 4, entry: Ok(("pass", "p#ss")) });
        assert_eq!(got[2], Line { number: 6, entry: Err("expected `key = value`") });
        assert_eq!(got[3], Line { number: 7, entry: Err("not UTF-8") });
        assert_eq!(lines(text).count(), 4);
    }

    #[test]
    fn seconds_are_bounded() {
        assert_eq!(seconds("30", 1..=60), Some(30));
        assert_eq!(seconds("0", 1..=60), None);
        assert_eq!(seconds("61", 1..=60), None);
        assert_eq!(seconds("x", 1..=60), None);
    }
}
