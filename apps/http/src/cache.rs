//! Files of the site kept in memory once served, so a page many browsers
//! load costs no storage round trips at all.
//!
//! An entry is one representation (identity or gzip) of one request path,
//! with what its response head needs. Bodies live on the heap, that is in
//! PSRAM (the heap grows into PSRAM grants): [`BUDGET`] bytes at most, files
//! up to [`MAX_FILE`], least recently used out first.
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

use proto_http::{ContentCoding, ETag, Mime};

/// Bytes of bodies kept at most: the dashboard with its scripts and their
/// gzip variants, several times over.
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
}

struct Entry {
    path: String,
    gzip: bool,
    repr: Representation,
    body: Rc<Vec<u8>>,
    used: u64,
}

#[derive(Default)]
pub struct FileCache {
    entries: Vec<Entry>,
    bytes: usize,
    clock: u64,
    hits: u32,
}

impl FileCache {
    /// The representation of `path` kept for a client that does (or does
    /// not) accept gzip.
    pub fn get(&mut self, path: &str, gzip: bool) -> Option<(Representation, Rc<Vec<u8>>)> {
        self.clock += 1;
        let clock = self.clock;
        let e = self
            .entries
            .iter_mut()
            .find(|e| e.gzip == gzip && e.path == path)?;
        e.used = clock;
        self.hits = self.hits.wrapping_add(1);
        Some((e.repr, e.body.clone()))
    }

    /// Whether a body of `size` bytes may be kept.
    pub fn admits(size: u64) -> bool {
        size > 0 && size <= MAX_FILE as u64
    }

    /// Keeps `body` for `path`, making room by dropping the least recently
    /// used entries.
    pub fn insert(&mut self, path: &str, gzip: bool, repr: Representation, body: Vec<u8>) {
        if !Self::admits(body.len() as u64) {
            return;
        }
        self.entries.retain(|e| !(e.gzip == gzip && e.path == path));
        self.recount();
        while !self.entries.is_empty()
            && (self.bytes + body.len() > BUDGET || self.entries.len() >= MAX_ENTRIES)
        {
            let oldest = (0..self.entries.len())
                .min_by_key(|&i| self.entries[i].used)
                .unwrap_or(0);
            self.entries.swap_remove(oldest);
            self.recount();
        }
        self.clock += 1;
        self.bytes += body.len();
        self.entries.push(Entry {
            path: String::from(path),
            gzip,
            repr,
            body: Rc::new(body),
            used: self.clock,
        });
    }

    /// Forgets everything (the volume may have changed).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }

    /// Bytes of bodies kept now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Requests answered from memory so far.
    pub fn hits(&self) -> u32 {
        self.hits
    }

    fn recount(&mut self) {
        self.bytes = self.entries.iter().map(|e| e.body.len()).sum();
    }
}
