//! Files of the site kept in memory once served, so a page many browsers
//! load costs no storage round trips at all.
//!
//! An entry is one representation (identity or gzip) of one request path,
//! with what its response head needs. Bodies live in a PSRAM grant of the
//! cache's own ([`BUDGET`] bytes, `heap::Arena`): filling it never starves
//! the server's heap, and its bytes show in the PSRAM accounting. Files up
//! to [`MAX_FILE`]; the least recently used go first when room is needed.
//! A body still being sent when its entry goes stays valid until sent.
//!
//! Staleness: the storage service announces every change readers can see
//! (a file written and closed, renamed, deleted, a format) before it
//! replies to the writer, and the server drops the whole cache when it
//! finds an announcement, or any other message, or a restarted service
//! (`Site::check_changes`), before each lookup. Uploads replace a
//! dashboard rarely; correctness beats keeping unrelated files.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use heap::{Arena, ArenaBytes};
use proto_http::{ContentCoding, ETag, HttpDate, Mime};

/// The cache's PSRAM grant: the dashboard with its scripts and their gzip
/// variants, several times over.
pub const BUDGET: usize = 256 * 1024;
/// Largest file kept.
pub const MAX_FILE: usize = 128 * 1024;
/// Entries kept at most (a lookup scans them all).
pub const MAX_ENTRIES: usize = 32;

/// What a cached response needs besides its body.
#[derive(Clone, Copy)]
pub struct Representation {
    pub etag: ETag,
    pub mime: Mime,
    pub coding: ContentCoding,
    pub last_modified: Option<HttpDate>,
}

/// A file body in the cache's memory.
pub type CachedBody = Rc<ArenaBytes>;

struct Entry {
    path: String,
    gzip: bool,
    repr: Representation,
    body: CachedBody,
    used: u64,
}

/// A file on its way into the cache, filled as it is sent.
pub struct Capture {
    pub path: String,
    pub gzip: bool,
    pub repr: Representation,
    data: ArenaBytes,
    filled: usize,
}

impl Capture {
    /// Appends the next piece of the file; `false` if it overflows.
    pub fn push(&mut self, piece: &[u8]) -> bool {
        let Some(dst) = self.data.get_mut(self.filled..self.filled + piece.len()) else {
            return false;
        };
        dst.copy_from_slice(piece);
        self.filled += piece.len();
        true
    }
}

pub struct FileCache {
    arena: Option<Rc<Arena>>,
    entries: Vec<Entry>,
    clock: u64,
    hits: u32,
}

impl FileCache {
    /// A cache over a PSRAM grant of its own; one that keeps nothing if the
    /// grant is refused or `enabled` is false.
    pub fn new(enabled: bool) -> Self {
        let arena = if enabled { Arena::new(BUDGET) } else { None };
        FileCache { arena, entries: Vec::new(), clock: 0, hits: 0 }
    }

    /// Whether files are kept at all.
    pub fn enabled(&self) -> bool {
        self.arena.is_some()
    }

    /// The representation of `path` kept for a client that does (or does
    /// not) accept gzip.
    pub fn get(&mut self, path: &str, gzip: bool) -> Option<(Representation, CachedBody)> {
        self.clock += 1;
        let clock = self.clock;
        let e = self.entries.iter_mut().find(|e| e.gzip == gzip && e.path == path)?;
        e.used = clock;
        self.hits = self.hits.wrapping_add(1);
        Some((e.repr, e.body.clone()))
    }

    /// Room for a file of `size` bytes, making it by dropping the least
    /// recently used entries; `None` if it cannot be kept.
    pub fn capture(&mut self, path: &str, gzip: bool, repr: Representation, size: u64) -> Option<Capture> {
        if size == 0 || size > MAX_FILE as u64 {
            return None;
        }
        let arena = self.arena.clone()?;
        let data = loop {
            if let Some(d) = arena.alloc(size as usize) {
                break d;
            }
            let oldest = (0..self.entries.len()).min_by_key(|&i| self.entries[i].used)?;
            self.entries.swap_remove(oldest);
        };
        Some(Capture { path: String::from(path), gzip, repr, data, filled: 0 })
    }

    /// Keeps a capture that holds its whole file.
    pub fn insert(&mut self, c: Capture) {
        if c.filled != c.data.len() {
            return;
        }
        self.entries.retain(|e| !(e.gzip == c.gzip && e.path == c.path));
        if self.entries.len() >= MAX_ENTRIES {
            if let Some(oldest) = (0..self.entries.len()).min_by_key(|&i| self.entries[i].used) {
                self.entries.swap_remove(oldest);
            }
        }
        self.clock += 1;
        self.entries.push(Entry { path: c.path, gzip: c.gzip, repr: c.repr, body: Rc::new(c.data), used: self.clock });
    }

    /// Forgets everything (the volume may have changed). Bodies still being
    /// sent stay until they are.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Bytes of the cache's grant in use now.
    pub fn bytes(&self) -> usize {
        self.arena.as_ref().map_or(0, |a| a.used())
    }

    /// Bytes of the cache's grant.
    pub fn budget(&self) -> usize {
        self.arena.as_ref().map_or(0, |a| a.size())
    }

    /// Files kept now.
    pub fn entries(&self) -> usize {
        self.entries.len()
    }

    /// Requests answered from memory so far.
    pub fn hits(&self) -> u32 {
        self.hits
    }
}
