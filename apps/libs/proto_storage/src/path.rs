//! Normalised absolute paths: the only form the server and the policy ever see.
//!
//! No percent-decoding happens here: `/www/%2e%2e` is a file literally named
//! `%2e%2e`. Decoding URLs is the HTTP app's job, before it asks for a path.

use core::fmt;

use crate::{Error, MAX_NAME, MAX_PATH};

/// Why a path was refused (all become [`Error::BadPath`] on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    /// Empty, or does not start with `/`.
    NotAbsolute,
    /// A `..` would climb above `/`: a traversal attempt, never clamped.
    AboveRoot,
    /// NUL, another control character, or `\` (a separator to Windows clients).
    InvalidChar,
    /// A component is longer than [`MAX_NAME`] bytes.
    NameTooLong,
    /// The normalised path (or a step on the way) exceeds [`MAX_PATH`] bytes.
    PathTooLong,
}

impl From<PathError> for Error {
    fn from(_: PathError) -> Error {
        Error::BadPath
    }
}

/// A normalised absolute path in a fixed buffer.
///
/// Invariant: starts with `/`; no empty, `.` or `..` components; no trailing
/// `/` except for the root itself; no control characters or `\`; every
/// component at most [`MAX_NAME`] bytes, the whole at most [`MAX_PATH`].
#[derive(Clone)]
pub struct NormPath {
    bytes: [u8; MAX_PATH],
    len: u8,
}

impl NormPath {
    /// The root directory `/`, as a constant.
    pub const ROOT: NormPath = NormPath::root();

    /// The root directory `/`.
    pub const fn root() -> NormPath {
        let mut bytes = [0u8; MAX_PATH];
        bytes[0] = b'/';
        NormPath { bytes, len: 1 }
    }

    /// Normalises an absolute path: collapses `//` and `.`, applies `..`.
    pub fn new(raw: &str) -> Result<NormPath, PathError> {
        normalize(raw)
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        // Only whole `&str` components and `/` are ever appended.
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("/")
    }

    /// True for `/`.
    pub fn is_root(&self) -> bool {
        self.len == 1
    }

    /// The last component, or `""` for the root.
    pub fn file_name(&self) -> &str {
        let s = self.as_str();
        s.rfind('/').map_or("", |i| &s[i + 1..])
    }

    /// The parent directory; the root is its own parent.
    pub fn parent(&self) -> NormPath {
        let mut p = self.clone();
        p.pop();
        p
    }

    /// The components from the root down (none for `/`).
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.as_str().split('/').filter(|c| !c.is_empty())
    }

    /// True if this path is `dir` or lies below it (byte comparison).
    pub fn is_within(&self, dir: &str) -> bool {
        let s = self.as_str();
        if dir == "/" {
            return true;
        }
        match s.strip_prefix(dir) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    }

    /// Removes the last component; false if already at the root.
    fn pop(&mut self) -> bool {
        if self.is_root() {
            return false;
        }
        let len = usize::from(self.len);
        let cut = self.bytes[..len].iter().rposition(|&b| b == b'/').unwrap_or(0);
        // Keep the leading '/' when the parent is the root.
        self.len = cut.max(1) as u8;
        true
    }

    /// Appends one already validated component.
    fn push(&mut self, name: &str) -> Result<(), PathError> {
        let len = usize::from(self.len);
        let sep = usize::from(!self.is_root());
        let end = len + sep + name.len();
        if end > MAX_PATH {
            return Err(PathError::PathTooLong);
        }
        if sep == 1 {
            self.bytes[len] = b'/';
        }
        self.bytes[len + sep..end].copy_from_slice(name.as_bytes());
        // end <= MAX_PATH = 255 fits a u8.
        self.len = end as u8;
        Ok(())
    }
}

// By content: bytes past `len` are leftovers of popped components.
impl PartialEq for NormPath {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for NormPath {}

impl core::hash::Hash for NormPath {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Default for NormPath {
    fn default() -> Self {
        NormPath::root()
    }
}

impl fmt::Debug for NormPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for NormPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Normalises an absolute client path.
///
/// `//` and `.` collapse, `..` removes the previous component and is an error
/// ([`PathError::AboveRoot`]) at `/`. Control characters and `\` are refused
/// anywhere; FAT-specific name rules (`*?:"<>|`, trailing dots) are the
/// volume's business, which answers `BadPath` for them too.
pub fn normalize(raw: &str) -> Result<NormPath, PathError> {
    if !raw.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    let mut out = NormPath::root();
    for comp in raw.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                if !out.pop() {
                    return Err(PathError::AboveRoot);
                }
            }
            name => {
                if name.chars().any(|c| c.is_control() || c == '\\') {
                    return Err(PathError::InvalidChar);
                }
                if name.len() > MAX_NAME {
                    return Err(PathError::NameTooLong);
                }
                out.push(name)?;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_table() {
        // With the leading `/`, the longest name a path can hold is MAX_PATH - 1.
        let long_name = "n".repeat(MAX_PATH - 1);
        let full_name = format!("/{}", "n".repeat(MAX_NAME));
        let too_long_name = "n".repeat(MAX_NAME + 1);
        let long_ok = format!("/{}", "a".repeat(MAX_PATH - 1));
        let long_bad = format!("/{}", "a".repeat(MAX_PATH));
        let deep_bad = "/abcdefghi".repeat(26); // 260 bytes
        let climb_back = format!("/{}/../x", "b".repeat(MAX_PATH - 1));
        // Limits hold at every step, not only for the result.
        let climb_too_far = format!("/{}/../x", "b".repeat(MAX_NAME));
        let one_name = format!("/{long_name}");
        let cases: &[(&str, Result<&str, PathError>)] = &[
            ("/", Ok("/")),
            ("//", Ok("/")),
            ("/.", Ok("/")),
            ("/a/b", Ok("/a/b")),
            ("/a//b/", Ok("/a/b")),
            ("/a/./b/.", Ok("/a/b")),
            ("///a///b///", Ok("/a/b")),
            ("/www/../etc", Ok("/etc")),
            ("/www/./../www/index.html", Ok("/www/index.html")),
            ("/a/b/..", Ok("/a")),
            ("/a/..", Ok("/")),
            // No percent-decoding: these are literal names.
            ("/www/%2e%2e", Ok("/www/%2e%2e")),
            ("/www/%2e%2e/etc", Ok("/www/%2e%2e/etc")),
            ("/...", Ok("/...")),
            ("/a b/ünïcode ✓.txt", Ok("/a b/ünïcode ✓.txt")),
            ("/..", Err(PathError::AboveRoot)),
            ("/../etc/passwd", Err(PathError::AboveRoot)),
            ("/www/../../etc", Err(PathError::AboveRoot)),
            ("/a/./../..", Err(PathError::AboveRoot)),
            ("", Err(PathError::NotAbsolute)),
            ("a/b", Err(PathError::NotAbsolute)),
            ("./a", Err(PathError::NotAbsolute)),
            ("\\a", Err(PathError::NotAbsolute)),
            ("/a\\..\\b", Err(PathError::InvalidChar)),
            ("/a\0b", Err(PathError::InvalidChar)),
            ("/a\nb", Err(PathError::InvalidChar)),
            ("/a\x7fb", Err(PathError::InvalidChar)),
            ("/a\u{85}b", Err(PathError::InvalidChar)),
            (&one_name, Ok(&one_name)),
            (&long_ok, Ok(&long_ok)),
            (&long_bad, Err(PathError::PathTooLong)),
            (&full_name, Err(PathError::PathTooLong)),
            (&deep_bad, Err(PathError::PathTooLong)),
            (&climb_back, Ok("/x")),
            (&climb_too_far, Err(PathError::PathTooLong)),
        ];
        for (raw, want) in cases {
            let got = normalize(raw);
            match (got, want) {
                (Ok(p), Ok(w)) => assert_eq!(p.as_str(), *w, "{raw:?}"),
                (Err(e), Err(w)) => assert_eq!(e, *w, "{raw:?}"),
                (g, w) => panic!("{raw:?}: got {g:?}, want {w:?}"),
            }
        }
        let too_long = format!("/{too_long_name}");
        assert_eq!(normalize(&too_long), Err(PathError::NameTooLong));
    }

    #[test]
    fn equality_ignores_leftovers_of_popped_components() {
        // Found by the fuzzer: `/` reached by popping kept old bytes in the buffer.
        assert_eq!(normalize("/abc/..").unwrap(), NormPath::root());
        assert_eq!(normalize("/a/bcd/../x").unwrap(), normalize("/a/x").unwrap());
    }

    #[test]
    fn normalized_paths_are_fixed_points() {
        for raw in ["/", "/a", "/a/b/c", "/www/%2e%2e", "/x y/z"] {
            let p = normalize(raw).unwrap();
            assert_eq!(normalize(p.as_str()).unwrap(), p);
        }
    }

    #[test]
    fn accessors() {
        let p = normalize("/www/img/logo.png").unwrap();
        assert_eq!(p.file_name(), "logo.png");
        assert_eq!(p.parent().as_str(), "/www/img");
        assert_eq!(p.parent().parent().parent().as_str(), "/");
        assert!(p.parent().parent().parent().is_root());
        assert_eq!(p.components().collect::<Vec<_>>(), ["www", "img", "logo.png"]);
        assert_eq!(NormPath::root().components().count(), 0);
        assert_eq!(NormPath::root().file_name(), "");
        assert!(p.is_within("/www"));
        assert!(p.is_within("/"));
        assert!(p.is_within("/www/img/logo.png"));
        assert!(!p.is_within("/ww"));
        assert!(!normalize("/wwwroot/a").unwrap().is_within("/www"));
        assert!(normalize("/www").unwrap().is_within("/www"));
        assert_eq!(Error::from(PathError::AboveRoot), Error::BadPath);
    }
}
