//! Where the site's files come from: the storage service, and the copies
//! kept in memory.

use alloc::boxed::Box;

use crate::cache::FileCache;
use crate::Storage;

/// A buffer of one IPC message: a file chunk on its way from the storage
/// service into a socket, or a message being drained.
pub type Scratch = [u8; proto_storage::MAX_MESSAGE];

pub struct Site<'e> {
    pub storage: Box<Storage<'e>>,
    pub cache: FileCache,
    pub scratch: Box<Scratch>,
}

impl<'e> Site<'e> {
    /// Files are kept in memory only if changes are announced to us
    /// (`follows_changes`).
    pub fn new(storage: Storage<'e>, follows_changes: bool) -> Self {
        Site {
            storage: Box::new(storage),
            cache: FileCache::new(follows_changes),
            scratch: Box::new([0; proto_storage::MAX_MESSAGE]),
        }
    }

    /// Drops the cache if the volume may have changed (see `cache`).
    pub fn check_changes(&mut self) {
        if self.storage.transport().poll_changes(&mut self.scratch[..]) {
            self.cache.clear();
        }
    }
}
