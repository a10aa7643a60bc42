//! Where the site's files come from: the storage service, and the copies
//! kept in memory.

use alloc::boxed::Box;

use proto_http::Status;

use crate::cache::FileCache;
use crate::Storage;
use proto_storage::stream::Share;

/// A buffer of one IPC message being drained.
pub type Scratch = [u8; proto_storage::MAX_MESSAGE];

/// Responses started since boot, by status class (1xx to 5xx).
#[derive(Default, Clone, Copy)]
pub struct ResponseCounts {
    by_class: [u64; 5],
}

impl ResponseCounts {
    pub fn count(&mut self, status: Status) {
        let class = usize::from(status.class()).checked_sub(1);
        if let Some(n) = class.and_then(|i| self.by_class.get_mut(i)) {
            *n += 1;
        }
    }

    /// Counts for 1xx, 2xx, ... 5xx.
    pub fn by_class(&self) -> [u64; 5] {
        self.by_class
    }
}

pub struct Site<'e> {
    pub storage: Box<Storage<'e>>,
    pub cache: FileCache,
    pub scratch: Box<Scratch>,
    pub responses: ResponseCounts,
    /// File reads in flight, shared between the connections.
    pub reads: Share,
}

impl<'e> Site<'e> {
    /// Files are kept in memory only if changes are announced to us
    /// (`follows_changes`).
    pub fn new(storage: Storage<'e>, follows_changes: bool) -> Self {
        Site {
            storage: Box::new(storage),
            cache: FileCache::new(follows_changes),
            scratch: Box::new([0; proto_storage::MAX_MESSAGE]),
            responses: ResponseCounts::default(),
            reads: Share::default(),
        }
    }

    /// Drops the cache if the volume may have changed (see `cache`).
    pub fn check_changes(&mut self) {
        if self.storage.transport().poll_changes(&mut self.scratch[..]) {
            self.cache.clear();
        }
    }
}
