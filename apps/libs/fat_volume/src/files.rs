//! The open-file table: bounded, keyed by (client, handle).

use alloc::string::String;
use alloc::vec::Vec;

use proto_storage::{Handle, OpenMode};

use crate::device::BlockDevice;
use crate::fs::FatFile;

/// Most files open at once, over all clients.
///
/// Each open file pins a fatfs `File` (~100 bytes plus its path key) and every
/// request scans the table. The board's clients: the HTTP server streams a
/// file on each of its 16 connections at once, the FTP server one transfer
/// per session (2), and a few more for listings.
pub const MAX_OPEN_FILES: usize = 24;

/// Most files one client may hold (the HTTP server's 16 connections plus
/// two), so a client leaking handles cannot lock the others out.
pub const MAX_OPEN_PER_CLIENT: usize = 18;

pub(crate) struct OpenFile<'a, B: BlockDevice, C> {
    pub(crate) client: u32,
    pub(crate) handle: Handle,
    pub(crate) mode: OpenMode,
    /// Canonical path, upper-cased as FAT compares names: one key per file.
    pub(crate) key: String,
    pub(crate) file: FatFile<'a, B, C>,
}

pub(crate) struct OpenFiles<'a, B: BlockDevice, C> {
    files: Vec<OpenFile<'a, B, C>>,
}

impl<B: BlockDevice, C> Default for OpenFiles<'_, B, C> {
    fn default() -> Self {
        OpenFiles { files: Vec::new() }
    }
}

impl<'a, B: BlockDevice, C> OpenFiles<'a, B, C> {
    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }

    pub(crate) fn count_for(&self, client: u32) -> usize {
        self.files.iter().filter(|f| f.client == client).count()
    }

    pub(crate) fn is_full_for(&self, client: u32) -> bool {
        self.len() >= MAX_OPEN_FILES || self.count_for(client) >= MAX_OPEN_PER_CLIENT
    }

    pub(crate) fn handle_in_use(&self, handle: Handle) -> bool {
        self.files.iter().any(|f| f.handle == handle)
    }

    pub(crate) fn get_mut(&mut self, client: u32, handle: Handle) -> Option<&mut OpenFile<'a, B, C>> {
        self.files.iter_mut().find(|f| f.client == client && f.handle == handle)
    }

    pub(crate) fn find_key(&self, key: &str) -> Option<&OpenFile<'a, B, C>> {
        self.files.iter().find(|f| f.key == key)
    }

    /// Whether opening `key` with `mode` clashes: one writer, or any number of readers.
    pub(crate) fn conflicts(&self, key: &str, mode: OpenMode) -> bool {
        self.files.iter().any(|f| f.key == key && (mode.writes() || f.mode.writes()))
    }

    /// Whether `key` or anything below it is open.
    pub(crate) fn any_at_or_under(&self, key: &str) -> bool {
        self.files.iter().any(|f| f.key.strip_prefix(key).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
    }

    pub(crate) fn insert(&mut self, file: OpenFile<'a, B, C>) {
        self.files.push(file);
    }

    pub(crate) fn remove(&mut self, client: u32, handle: Handle) -> Option<OpenFile<'a, B, C>> {
        let i = self.files.iter().position(|f| f.client == client && f.handle == handle)?;
        Some(self.files.swap_remove(i))
    }

    /// Removes and returns every file of `client`.
    pub(crate) fn remove_client(&mut self, client: u32) -> Vec<OpenFile<'a, B, C>> {
        let (gone, kept) = core::mem::take(&mut self.files).into_iter().partition(|f| f.client == client);
        self.files = kept;
        gone
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut OpenFile<'a, B, C>> {
        self.files.iter_mut()
    }
}
