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
    /// Files are kept in memory only if changes are announced to us.
    pub caching: bool,
}

impl<'e> Site<'e> {
    pub fn new(storage: Storage<'e>, caching: bool) -> Self {
        Site {
            storage: Box::new(storage),
            cache: FileCache::default(),
            scratch: Box::new([0; proto_storage::MAX_MESSAGE]),
            caching,
        }
    }

    /// Drops the cache if the volume may have changed (see `cache`).
    pub fn check_changes(&mut self) {
        if self.storage.transport().poll_changes(&mut self.scratch[..]) {
            self.cache.clear();
        }
    }
}
