// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! `*` and `?` in the last name of a LIST, NLST or STAT argument: Windows
//! `ftp.exe` sends `NLST *.txt` for `mget *.txt`.
//!
//! FAT forbids both characters in names, so a pattern can never be mistaken
//! for a real name. Matching ignores ASCII case, as FAT's name lookup does;
//! `[` is an ordinary character (FAT allows it in names).

/// A listing filter: names matching `pattern`; NLST shows each after `prefix`
/// (the directory part the client typed, so `mget sub/*.txt` can `RETR`
/// every name it gets back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Glob<'a> {
    pattern: &'a str,
    prefix: &'a str,
}

impl<'a> Glob<'a> {
    /// A filter for `pattern` whose NLST names start with `prefix`.
    pub const fn new(pattern: &'a str, prefix: &'a str) -> Self {
        Glob { pattern, prefix }
    }

    /// The pattern (one path component).
    pub fn pattern(&self) -> &'a str {
        self.pattern
    }

    /// What NLST puts before each matching name (`""`, `"sub/"`, `"/"`).
    pub fn prefix(&self) -> &'a str {
        self.prefix
    }

    /// Whether `name` is listed.
    pub fn matches(&self, name: &str) -> bool {
        matches(self.pattern, name)
    }
}

/// True if `name` holds a wildcard.
pub fn has_wildcard(name: &str) -> bool {
    name.contains(['*', '?'])
}

/// Whether `name` matches `pattern`: `*` is any run of characters, `?` one
/// character, anything else itself ignoring ASCII case. Linear backtracking
/// on the last `*` only, so the cost is at most `pattern.len() * name.len()`.
pub fn matches(pattern: &str, name: &str) -> bool {
    let (mut p, mut n) = (0usize, 0usize);
    // Where to resume after the last `*`: pattern index past it, name index it took up to.
    let mut star: Option<(usize, usize)> = None;
    while let Some((nc, nl)) = next(name, n) {
        match next(pattern, p) {
            Some(('*', pl)) => {
                star = Some((p + pl, n));
                p += pl;
                continue;
            }
            Some((pc, pl)) if pc == '?' || pc.eq_ignore_ascii_case(&nc) => {
                p += pl;
                n += nl;
                continue;
            }
            _ => {}
        }
        let Some((after_star, taken)) = star else {
            return false;
        };
        // Let the `*` take one more character and try again from there.
        let (_, tl) = next(name, taken).unwrap_or(('\0', 1));
        star = Some((after_star, taken + tl));
        p = after_star;
        n = taken + tl;
    }
    pattern[p..].chars().all(|c| c == '*')
}

/// The character at byte `i` of `s` and its length, if any.
fn next(s: &str, i: usize) -> Option<(char, usize)> {
    s.get(i..)?.chars().next().map(|c| (c, c.len_utf8()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        let yes = [
            ("*", ""),
            ("*", "anything.at all"),
            ("*.txt", "a.txt"),
            ("*.txt", ".txt"),
            ("*.TXT", "notes.txt"),
            ("a*b*c", "abc"),
            ("a*b*c", "aXXbYYc"),
            ("?", "é"),
            ("??.bin", "ab.bin"),
            ("*a", "banana"),
            ("**x**", "x"),
            ("日*", "日本語"),
        ];
        for (p, n) in yes {
            assert!(matches(p, n), "{p:?} {n:?}");
        }
        let no = [
            ("*.txt", "a.txt.bak"),
            ("?", ""),
            ("??", "a"),
            ("a*b*c", "aXXbYY"),
            ("abc", "abcd"),
            ("", "a"),
            ("[ab]", "a"),
        ];
        for (p, n) in no {
            assert!(!matches(p, n), "{p:?} {n:?}");
        }
        assert!(matches("[ab]", "[AB]"));
        assert!(has_wildcard("x?") && has_wildcard("*") && !has_wildcard("plain[1]"));
    }

    #[test]
    fn long_names_do_not_blow_up() {
        let name = "a".repeat(255);
        assert!(!matches("*a*a*a*a*a*b", &name));
        assert!(matches("*a*a*a*a*a*", &name));
    }
}
