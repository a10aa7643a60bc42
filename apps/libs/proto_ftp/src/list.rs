//! Directory-listing lines for LIST (`ls -l`), NLST (names) and MLSD/MLST (RFC 3659 facts).

use crate::cursor::{is_control, Cursor, FormatError};
use crate::glob::Glob;
use crate::reply::put_time_val;
use crate::time::DateTime;
use crate::MAX_NAME;

/// Longest line any formatter here produces for a [`MAX_NAME`]-byte name
/// (an NLST name after a glob prefix is checked against the buffer);
/// a data-connection chunk of this size always holds at least one entry.
pub const MAX_LIST_LINE: usize = MAX_NAME + 96;

/// Files older than this (or in the future) show the year instead of the time,
/// like `ls -l`: half of an average Gregorian year.
pub const RECENT_SECS: u64 = 31_556_952 / 2;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// File or directory; FAT has nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
}

/// What the storage service reports about one file or directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// File or directory.
    pub kind: Kind,
    /// Size in bytes (ignored for directories).
    pub size: u64,
    /// Last modification, UTC.
    pub modified: DateTime,
}

/// One directory entry to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The entry's own name (one component, no `/`).
    pub name: &'a str,
    /// Its metadata.
    pub meta: Metadata,
}

/// RFC 3659 facts we can report, selectable with `OPTS MLST`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Facts(u8);

/// Fact names in the order we print them.
const FACT_NAMES: [(Facts, &str); 4] =
    [(Facts::TYPE, "type"), (Facts::SIZE, "size"), (Facts::MODIFY, "modify"), (Facts::PERM, "perm")];

impl Facts {
    /// No facts.
    pub const NONE: Facts = Facts(0);
    /// `type=file|dir`.
    pub const TYPE: Facts = Facts(1);
    /// `size=N` (files only).
    pub const SIZE: Facts = Facts(2);
    /// `modify=YYYYMMDDHHMMSS`.
    pub const MODIFY: Facts = Facts(4);
    /// `perm=...`.
    pub const PERM: Facts = Facts(8);
    /// Every supported fact; the default selection.
    pub const ALL: Facts = Facts(15);

    /// True if every fact of `other` is selected.
    pub const fn contains(self, other: Facts) -> bool {
        self.0 & other.0 == other.0
    }

    /// Union of two selections.
    pub const fn union(self, other: Facts) -> Facts {
        Facts(self.0 | other.0)
    }

    /// Parses an `OPTS MLST` list such as `type;size;`; unknown facts are
    /// ignored and names are case-insensitive (RFC 3659 §7.9).
    pub fn parse(list: &str) -> Facts {
        list.split(';').fold(Facts::NONE, |acc, name| {
            FACT_NAMES.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map_or(acc, |(f, _)| acc.union(*f))
        })
    }
}

impl Default for Facts {
    fn default() -> Self {
        Facts::ALL
    }
}

/// Writes the fact names of `facts` as `type;size;`, with `*` after each when
/// `star` (the FEAT form) marking them as selected out of `ALL`.
pub(crate) fn put_fact_names(c: &mut Cursor<'_>, facts: Facts, feat: bool) -> Result<(), FormatError> {
    for (fact, name) in FACT_NAMES {
        if feat || facts.contains(fact) {
            c.str(name)?;
            if feat && facts.contains(fact) {
                c.byte(b'*')?;
            }
            c.byte(b';')?;
        }
    }
    Ok(())
}

/// Which listing a transfer produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    /// LIST: `ls -l` lines, see [`format_long`].
    Long,
    /// NLST: bare names, see [`format_name`].
    Names,
    /// MLSD: RFC 3659 fact lines with the session's fact selection.
    Facts(Facts),
}

/// Formats `entry` in `format` into `out`, CRLF included; returns the length.
///
/// Fails with [`FormatError::InvalidText`] for an empty name or one containing
/// `/` or control bytes (skip such entries), and with
/// [`FormatError::BufferTooSmall`] if `out` is shorter than the line
/// ([`MAX_LIST_LINE`] is always enough).
pub fn format_entry(
    entry: &Entry<'_>,
    format: ListFormat,
    now: &DateTime,
    out: &mut [u8],
) -> Result<usize, FormatError> {
    match format {
        ListFormat::Long => format_long(entry, now, out),
        ListFormat::Names => format_name(entry, out),
        ListFormat::Facts(facts) => format_facts(entry, facts, out),
    }
}

/// [`format_entry`] behind a LIST/NLST filter: `Ok(None)` for a name
/// `glob` does not match; NLST names start with the glob's prefix (the
/// directory as the client typed it), LIST lines show the bare name.
pub fn format_listed(
    entry: &Entry<'_>,
    format: ListFormat,
    glob: Option<&Glob<'_>>,
    now: &DateTime,
    out: &mut [u8],
) -> Result<Option<usize>, FormatError> {
    let Some(glob) = glob else {
        return format_entry(entry, format, now, out).map(Some);
    };
    if !glob.matches(entry.name) {
        return Ok(None);
    }
    if format != ListFormat::Names || glob.prefix().is_empty() {
        return format_entry(entry, format, now, out).map(Some);
    }
    check_entry_name(entry.name)?;
    let mut c = Cursor::new(out);
    c.text(glob.prefix())?;
    c.str(entry.name)?;
    c.bytes(b"\r\n")?;
    Ok(Some(c.len()))
}

/// `ls -l` style: `drwxr-xr-x 1 ftp ftp 0 Jan  2 03:04 name`.
///
/// Entries modified within [`RECENT_SECS`] before `now` show `HH:MM`, older or
/// future ones show the year, as `ls` does. Owner and group are fixed (`ftp`)
/// because FAT has none; permissions are nominal.
pub fn format_long(entry: &Entry<'_>, now: &DateTime, out: &mut [u8]) -> Result<usize, FormatError> {
    check_entry_name(entry.name)?;
    let m = &entry.meta;
    let mut c = Cursor::new(out);
    c.str(match m.kind {
        Kind::Dir => "drwxr-xr-x 1 ftp ftp ",
        Kind::File => "-rw-r--r-- 1 ftp ftp ",
    })?;
    let size = match m.kind {
        Kind::Dir => 0,
        Kind::File => m.size,
    };
    c.dec_pad(size, 12, b' ')?;
    c.byte(b' ')?;
    let t = &m.modified;
    c.str(MONTHS[usize::from(t.month() - 1) % 12])?;
    c.byte(b' ')?;
    c.dec_pad(t.day().into(), 2, b' ')?;
    c.byte(b' ')?;
    let (then, now) = (t.to_unix(), now.to_unix());
    if then <= now && now - then < RECENT_SECS {
        c.dec_pad(t.hour().into(), 2, b'0')?;
        c.byte(b':')?;
        c.dec_pad(t.minute().into(), 2, b'0')?;
    } else {
        c.dec_pad(t.year().into(), 5, b' ')?;
    }
    c.byte(b' ')?;
    c.str(entry.name)?;
    c.bytes(b"\r\n")?;
    Ok(c.len())
}

/// NLST: the bare name.
pub fn format_name(entry: &Entry<'_>, out: &mut [u8]) -> Result<usize, FormatError> {
    check_entry_name(entry.name)?;
    let mut c = Cursor::new(out);
    c.str(entry.name)?;
    c.bytes(b"\r\n")?;
    Ok(c.len())
}

/// MLSD: `type=file;size=N;modify=YYYYMMDDHHMMSS;perm=adfrw; name`.
pub fn format_facts(entry: &Entry<'_>, facts: Facts, out: &mut [u8]) -> Result<usize, FormatError> {
    check_entry_name(entry.name)?;
    let mut c = Cursor::new(out);
    put_facts(&mut c, &entry.meta, facts)?;
    c.byte(b' ')?;
    c.str(entry.name)?;
    c.bytes(b"\r\n")?;
    Ok(c.len())
}

/// The `fact=value;...` part shared by MLSD lines and the MLST reply.
///
/// `perm` claims full rights (RFC 3659 §7.5.5): the FTP user owns the volume;
/// the storage service still refuses what it must.
pub(crate) fn put_facts(c: &mut Cursor<'_>, m: &Metadata, facts: Facts) -> Result<(), FormatError> {
    if facts.contains(Facts::TYPE) {
        c.str(match m.kind {
            Kind::Dir => "type=dir;",
            Kind::File => "type=file;",
        })?;
    }
    if facts.contains(Facts::SIZE) && m.kind == Kind::File {
        c.str("size=")?;
        c.dec(m.size)?;
        c.byte(b';')?;
    }
    if facts.contains(Facts::MODIFY) {
        c.str("modify=")?;
        put_time_val(c, &m.modified)?;
        c.byte(b';')?;
    }
    if facts.contains(Facts::PERM) {
        c.str(match m.kind {
            Kind::Dir => "perm=cdeflmp;",
            Kind::File => "perm=adfrw;",
        })?;
    }
    Ok(())
}

/// A listed name must be one non-empty component that cannot break a line.
fn check_entry_name(name: &str) -> Result<(), FormatError> {
    if name.is_empty() || name.bytes().any(|b| is_control(b) || b == b'/') {
        return Err(FormatError::InvalidText);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> DateTime {
        DateTime::new(y, mo, d, h, mi, s).unwrap()
    }

    fn now() -> DateTime {
        dt(2024, 6, 15, 12, 0, 0)
    }

    fn file(name: &str, size: u64, modified: DateTime) -> Entry<'_> {
        Entry { name, meta: Metadata { kind: Kind::File, size, modified } }
    }

    fn dir(name: &str, modified: DateTime) -> Entry<'_> {
        Entry { name, meta: Metadata { kind: Kind::Dir, size: 4096, modified } }
    }

    fn fmt(e: &Entry<'_>, f: ListFormat) -> String {
        let mut buf = [0u8; MAX_LIST_LINE];
        let n = format_entry(e, f, &now(), &mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn long_recent_and_old() {
        let recent = file("notes.txt", 1234, dt(2024, 6, 1, 9, 5, 0));
        assert_eq!(fmt(&recent, ListFormat::Long), "-rw-r--r-- 1 ftp ftp         1234 Jun  1 09:05 notes.txt\r\n");
        let old = file("old file.bin", 0, dt(2023, 12, 10, 23, 59, 59));
        assert_eq!(fmt(&old, ListFormat::Long), "-rw-r--r-- 1 ftp ftp            0 Dec 10  2023 old file.bin\r\n");
        let d = dir("sub", dt(2024, 6, 15, 12, 0, 0));
        assert_eq!(fmt(&d, ListFormat::Long), "drwxr-xr-x 1 ftp ftp            0 Jun 15 12:00 sub\r\n");
        // Modified one second in the future: shown with the year.
        let future = file("f", 1, dt(2024, 6, 15, 12, 0, 1));
        assert_eq!(fmt(&future, ListFormat::Long), "-rw-r--r-- 1 ftp ftp            1 Jun 15  2024 f\r\n");
        let big = file("big", u64::MAX, dt(1980, 1, 1, 0, 0, 0));
        assert_eq!(fmt(&big, ListFormat::Long), "-rw-r--r-- 1 ftp ftp 18446744073709551615 Jan  1  1980 big\r\n");
    }

    #[test]
    fn long_six_month_boundary() {
        let n = now().to_unix();
        let just_recent = DateTime::from_unix(n - RECENT_SECS + 1).unwrap();
        let just_old = DateTime::from_unix(n - RECENT_SECS).unwrap();
        assert!(fmt(&file("a", 1, just_recent), ListFormat::Long).contains(':'));
        assert!(!fmt(&file("a", 1, just_old), ListFormat::Long).contains(':'));
    }

    #[test]
    fn names_and_unicode() {
        assert_eq!(fmt(&file("日本 語.txt", 1, now()), ListFormat::Names), "日本 語.txt\r\n");
        assert_eq!(fmt(&dir("d", now()), ListFormat::Names), "d\r\n");
    }

    #[test]
    fn mlsd_facts() {
        let f = file("a b.txt", 42, dt(2024, 2, 29, 1, 2, 3));
        assert_eq!(
            fmt(&f, ListFormat::Facts(Facts::ALL)),
            "type=file;size=42;modify=20240229010203;perm=adfrw; a b.txt\r\n"
        );
        let d = dir("sub", dt(1999, 12, 31, 23, 59, 59));
        assert_eq!(fmt(&d, ListFormat::Facts(Facts::ALL)), "type=dir;modify=19991231235959;perm=cdeflmp; sub\r\n");
        let sel = Facts::TYPE.union(Facts::SIZE);
        assert_eq!(fmt(&f, ListFormat::Facts(sel)), "type=file;size=42; a b.txt\r\n");
        assert_eq!(fmt(&f, ListFormat::Facts(Facts::NONE)), " a b.txt\r\n");
    }

    #[test]
    fn bad_names_and_small_buffers() {
        let mut buf = [0u8; MAX_LIST_LINE];
        for name in ["", "a/b", "a\r\nb", "nul\0"] {
            let e = file(name, 1, now());
            for f in [ListFormat::Long, ListFormat::Names, ListFormat::Facts(Facts::ALL)] {
                assert_eq!(format_entry(&e, f, &now(), &mut buf), Err(FormatError::InvalidText));
            }
        }
        let mut small = [0u8; 10];
        let e = file("name", 1, now());
        assert_eq!(format_long(&e, &now(), &mut small), Err(FormatError::BufferTooSmall));
        // The documented maximum holds a maximal name with maximal numbers.
        let name = "n".repeat(MAX_NAME);
        let e = file(&name, u64::MAX, now());
        for f in [ListFormat::Long, ListFormat::Names, ListFormat::Facts(Facts::ALL)] {
            assert!(format_entry(&e, f, &now(), &mut buf).is_ok());
        }
    }

    #[test]
    fn filtered_listings() {
        let mut buf = [0u8; MAX_LIST_LINE];
        let e = file("Notes.TXT", 3, now());
        let line = |g: &Glob<'_>, f, buf: &mut [u8]| {
            format_listed(&e, f, Some(g), &now(), buf).unwrap().map(|n| String::from_utf8(buf[..n].to_vec()).unwrap())
        };
        let g = Glob::new("*.txt", "sub/");
        assert_eq!(line(&g, ListFormat::Names, &mut buf).as_deref(), Some("sub/Notes.TXT\r\n"));
        assert!(line(&g, ListFormat::Long, &mut buf).unwrap().ends_with(" Notes.TXT\r\n"));
        assert_eq!(line(&Glob::new("*.bin", ""), ListFormat::Names, &mut buf), None);
        assert_eq!(line(&Glob::new("N*", ""), ListFormat::Names, &mut buf).as_deref(), Some("Notes.TXT\r\n"));
        assert_eq!(format_listed(&e, ListFormat::Names, None, &now(), &mut buf), Ok(Some(11)));
        let bad = Glob::new("*", "a\r\n");
        assert_eq!(format_listed(&e, ListFormat::Names, Some(&bad), &now(), &mut buf), Err(FormatError::InvalidText));
    }

    #[test]
    fn facts_parse() {
        assert_eq!(Facts::parse("type;size;"), Facts::TYPE.union(Facts::SIZE));
        assert_eq!(Facts::parse("TYPE;Modify;unknown;perm"), Facts(1 | 4 | 8));
        assert_eq!(Facts::parse(""), Facts::NONE);
        assert_eq!(Facts::default(), Facts::ALL);
        let mut buf = [0u8; 64];
        let mut c = Cursor::new(&mut buf);
        put_fact_names(&mut c, Facts::TYPE.union(Facts::MODIFY), true).unwrap();
        c.byte(b'|').unwrap();
        put_fact_names(&mut c, Facts::TYPE.union(Facts::MODIFY), false).unwrap();
        let n = c.len();
        assert_eq!(&buf[..n], b"type*;size;modify*;perm;|type;modify;");
    }
}
