//! Normalised absolute paths and resolution of client path arguments against the cwd.

use crate::cursor::is_control;
use crate::{MAX_NAME, MAX_PATH};

/// Why a client path argument was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    /// A `..` would climb above `/`: a traversal attempt, never clamped.
    AboveRoot,
    /// A component contains NUL, another control byte or `\`.
    InvalidChar,
    /// A component is longer than [`MAX_NAME`] bytes.
    NameTooLong,
    /// The normalised path (or an intermediate step) exceeds [`MAX_PATH`] bytes.
    PathTooLong,
}

/// A normalised absolute path in a fixed buffer.
///
/// Invariant: starts with `/`, has no empty, `.` or `..` components, no trailing
/// `/` (except the root itself), only valid components, and is valid UTF-8.
#[derive(Clone, PartialEq, Eq)]
pub struct AbsPath {
    bytes: [u8; MAX_PATH],
    len: usize,
}

impl AbsPath {
    /// The root directory `/`.
    pub const fn root() -> Self {
        let mut bytes = [0u8; MAX_PATH];
        bytes[0] = b'/';
        AbsPath { bytes, len: 1 }
    }

    /// Normalises `path` relative to the root (so `a/b` and `/a/b` are equal).
    pub fn parse(path: &str) -> Result<Self, PathError> {
        let mut out = AbsPath::root();
        resolve(&AbsPath::root(), path, &mut out)?;
        Ok(out)
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        // Only whole `&str` components and `/` are ever appended.
        core::str::from_utf8(self.as_bytes()).unwrap_or("/")
    }

    /// The path as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Length in bytes (at least 1).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: the shortest path is `/`.
    pub fn is_empty(&self) -> bool {
        false
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

    /// True if `self` is `dir` or below it (component-wise).
    pub fn is_within(&self, dir: &AbsPath) -> bool {
        let (me, d) = (self.as_bytes(), dir.as_bytes());
        dir.is_root() || (me.starts_with(d) && matches!(me.get(d.len()), None | Some(b'/')))
    }

    /// `self` as seen from inside `root` (`/www/a` inside `/www` is `/a`);
    /// a path outside `root` is shown as it is.
    pub fn relative_to<'a>(&'a self, root: &AbsPath) -> &'a str {
        if root.is_root() || !self.is_within(root) {
            return self.as_str();
        }
        match &self.as_str()[root.len..] {
            "" => "/",
            rest => rest,
        }
    }

    /// The parent directory; the root is its own parent.
    pub fn parent(&self) -> AbsPath {
        let mut p = self.clone();
        p.pop();
        p
    }

    /// Removes the last component; false if already at the root.
    fn pop(&mut self) -> bool {
        if self.is_root() {
            return false;
        }
        let cut = self.as_bytes().iter().rposition(|&b| b == b'/').unwrap_or(0);
        // Keep the leading '/' when the parent is the root.
        self.len = cut.max(1);
        true
    }

    /// Appends one already validated component.
    fn push(&mut self, name: &str) -> Result<(), PathError> {
        let sep = usize::from(!self.is_root());
        let end = self.len + sep + name.len();
        if end > MAX_PATH {
            return Err(PathError::PathTooLong);
        }
        if sep == 1 {
            self.bytes[self.len] = b'/';
        }
        self.bytes[self.len + sep..end].copy_from_slice(name.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Default for AbsPath {
    fn default() -> Self {
        AbsPath::root()
    }
}

impl core::fmt::Debug for AbsPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Resolves a client argument against `cwd` into a normalised absolute path.
///
/// Absolute arguments start from `/`, relative ones from `cwd`; `//` and `.`
/// collapse and `..` pops one component. Climbing above `/` is an error, not a
/// clamp. Every component is checked with [`check_name`]. On error `out` holds
/// an unspecified (but valid) path.
pub fn resolve(cwd: &AbsPath, arg: &str, out: &mut AbsPath) -> Result<(), PathError> {
    resolve_within(&AbsPath::root(), cwd, arg, out)
}

/// [`resolve`] inside `root`, as a chroot: absolute arguments start from
/// `root`, and `..` at `root` is [`PathError::AboveRoot`]. `cwd` must be
/// `root` or below it (the session keeps it so).
pub fn resolve_within(root: &AbsPath, cwd: &AbsPath, arg: &str, out: &mut AbsPath) -> Result<(), PathError> {
    if arg.starts_with('/') || !cwd.is_within(root) {
        out.clone_from(root);
    } else {
        out.clone_from(cwd);
    }
    for name in arg.split('/') {
        match name {
            "" | "." => {}
            ".." => {
                if out.len <= root.len || !out.pop() {
                    return Err(PathError::AboveRoot);
                }
            }
            _ => {
                check_name(name)?;
                out.push(name)?;
            }
        }
    }
    Ok(())
}

/// Checks one path component.
///
/// Control bytes (NUL included) would corrupt listings and replies. `\` is
/// refused because FAT forbids it and Windows clients mean it as a separator,
/// so accepting it would let `..\..` look like a name here and a traversal
/// elsewhere. Other FAT-forbidden characters (`:*?"<>|`) are left to the
/// storage service, which reports them as [`Failure::BadName`](crate::Failure::BadName).
pub fn check_name(name: &str) -> Result<(), PathError> {
    if name.bytes().any(|b| is_control(b) || b == b'\\') {
        return Err(PathError::InvalidChar);
    }
    if name.len() > MAX_NAME {
        return Err(PathError::NameTooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abs(s: &str) -> AbsPath {
        AbsPath::parse(s).unwrap()
    }

    fn res(cwd: &str, arg: &str) -> Result<String, PathError> {
        let mut out = AbsPath::root();
        resolve(&abs(cwd), arg, &mut out).map(|()| out.as_str().to_string())
    }

    #[test]
    fn traversal_table() {
        let cases: &[(&str, &str, Result<&str, PathError>)] = &[
            ("/", "../etc", Err(PathError::AboveRoot)),
            ("/pub", "../etc", Ok("/etc")),
            ("/pub", "../../etc", Err(PathError::AboveRoot)),
            ("/", "/../", Err(PathError::AboveRoot)),
            ("/", "/..", Err(PathError::AboveRoot)),
            ("/", "..", Err(PathError::AboveRoot)),
            ("/", "a/../../b", Err(PathError::AboveRoot)),
            ("/", "a/../b", Ok("/b")),
            ("/", "./././..", Err(PathError::AboveRoot)),
            ("/x", "./././..", Ok("/")),
            ("/", "//x", Ok("/x")),
            ("/", "x//y///z/", Ok("/x/y/z")),
            ("/a/b", ".", Ok("/a/b")),
            ("/a/b", "", Ok("/a/b")),
            ("/a/b", "/", Ok("/")),
            ("/a/b", "c", Ok("/a/b/c")),
            ("/a/b", "/c/./d/..", Ok("/c")),
            ("/a/b", "../..", Ok("/")),
            ("/a/b", "../../..", Err(PathError::AboveRoot)),
            ("/", "my file.txt", Ok("/my file.txt")),
            ("/docs", " lead and trail ", Ok("/docs/ lead and trail ")),
            ("/", "Grüße/日本語.txt", Ok("/Grüße/日本語.txt")),
            ("/", "...", Ok("/...")),
            ("/", "a\\..\\..\\b", Err(PathError::InvalidChar)),
            ("/", "a\0b", Err(PathError::InvalidChar)),
            ("/", "a\nb", Err(PathError::InvalidChar)),
            ("/", "a\rb", Err(PathError::InvalidChar)),
            ("/", "tab\there", Err(PathError::InvalidChar)),
            ("/", "del\x7f", Err(PathError::InvalidChar)),
        ];
        for (cwd, arg, want) in cases {
            let got = res(cwd, arg);
            assert_eq!(got.as_deref().map_err(|e| *e), *want, "cwd={cwd:?} arg={arg:?}");
        }
    }

    #[test]
    fn name_length_limits() {
        let max = "n".repeat(MAX_NAME);
        assert_eq!(res("/", &max).unwrap().len(), MAX_PATH);
        let over = "n".repeat(MAX_NAME + 1);
        assert_eq!(res("/", &over), Err(PathError::NameTooLong));
        // 255 bytes of two-byte UTF-8 is too long even though it is < 255 UTF-16 units.
        let wide = "é".repeat(128);
        assert_eq!(res("/", &wide), Err(PathError::NameTooLong));
        // A short name after a full-length one overflows the whole path.
        assert_eq!(res("/", &format!("{max}/x")), Err(PathError::PathTooLong));
        assert_eq!(res(&format!("/{max}"), "x"), Err(PathError::PathTooLong));
        // Many small components overflow too.
        let deep = "ab/".repeat(90);
        assert_eq!(res("/", &deep), Err(PathError::PathTooLong));
        // ... but `..` back out of a long cwd is fine.
        assert_eq!(res(&format!("/{max}"), "../x"), Ok("/x".into()));
    }

    #[test]
    fn chrooted_resolution() {
        let www = abs("/www");
        let within = |cwd: &str, arg: &str| {
            let mut out = AbsPath::root();
            resolve_within(&www, &abs(cwd), arg, &mut out).map(|()| out.as_str().to_string())
        };
        assert_eq!(within("/www", "/"), Ok("/www".into()));
        assert_eq!(within("/www", "/a/b"), Ok("/www/a/b".into()));
        assert_eq!(within("/www/a", "b"), Ok("/www/a/b".into()));
        assert_eq!(within("/www/a", ".."), Ok("/www".into()));
        assert_eq!(within("/www", ".."), Err(PathError::AboveRoot));
        assert_eq!(within("/www/a", "../.."), Err(PathError::AboveRoot));
        assert_eq!(within("/www", "/../config/ftp.cfg"), Err(PathError::AboveRoot));
        assert_eq!(within("/www", "a/../../x"), Err(PathError::AboveRoot));
        // A cwd outside the root (never kept by the session) starts at the root.
        assert_eq!(within("/config", "x"), Ok("/www/x".into()));
        assert!(abs("/www/x").is_within(&www) && abs("/www").is_within(&www));
        assert!(!abs("/wwwx").is_within(&www) && !abs("/").is_within(&www));
        assert!(abs("/anything").is_within(&AbsPath::root()));
        assert_eq!(abs("/www/a/b").relative_to(&www), "/a/b");
        assert_eq!(abs("/www").relative_to(&www), "/");
        assert_eq!(abs("/other").relative_to(&www), "/other");
        assert_eq!(abs("/x").relative_to(&AbsPath::root()), "/x");
    }

    #[test]
    fn accessors() {
        let p = abs("/a/bc/d.txt");
        assert_eq!(p.file_name(), "d.txt");
        assert_eq!(p.parent().as_str(), "/a/bc");
        assert_eq!(abs("/a").parent().as_str(), "/");
        assert!(AbsPath::root().parent().is_root());
        assert_eq!(AbsPath::root().file_name(), "");
        assert_eq!(p.len(), 11);
        assert!(!p.is_empty());
        assert_eq!(abs("rel/x"), abs("/rel/x"));
        assert_eq!(format!("{:?}", abs("/q\"")), "\"/q\\\"\"");
    }
}
