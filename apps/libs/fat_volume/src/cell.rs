//! The mounted file system and its open files in one value (a self-referential pair).
//!
//! fatfs's `File<'a>` borrows the `FileSystem`, but open files must live in
//! the same struct as the file system across requests. The file system is
//! boxed (its address never changes) and the files are stored with their
//! lifetime erased; they are only reachable through [`Mounted::with`], whose
//! closure cannot let them escape, and are always dropped before the box.
//! This is the one place with `unsafe` in the crate.

use alloc::boxed::Box;
use core::ptr::NonNull;

use crate::clock::Clock;
use crate::device::BlockDevice;
use crate::files::OpenFiles;
use crate::fs::Fs;

pub(crate) struct Mounted<B: BlockDevice + 'static, C: Clock + 'static> {
    /// Owned: from `Box::into_raw`, freed in `drop` or `into_fs`.
    fs: NonNull<Fs<B, C>>,
    /// Really borrow `*fs`; `'static` is a placeholder never handed out.
    files: OpenFiles<'static, B, C>,
}

impl<B: BlockDevice + 'static, C: Clock + 'static> Mounted<B, C> {
    pub(crate) fn new(fs: Fs<B, C>) -> Self {
        Mounted { fs: NonNull::from(Box::leak(Box::new(fs))), files: OpenFiles::default() }
    }

    /// The file system alone.
    pub(crate) fn fs(&self) -> &Fs<B, C> {
        // SAFETY: `fs` is a live allocation owned by `self` until drop/into_fs;
        // only shared references to it are ever created.
        unsafe { self.fs.as_ref() }
    }

    /// Runs `f` with the file system and the open files borrowing it.
    pub(crate) fn with<R>(&mut self, f: impl for<'a> FnOnce(&'a Fs<B, C>, &mut OpenFiles<'a, B, C>) -> R) -> R {
        // SAFETY: as in `fs()`; the box outlives every file stored in `files`.
        let fs: &Fs<B, C> = unsafe { self.fs.as_ref() };
        // SAFETY: only the lifetime changes. Files put in the table during `f`
        // borrow `*fs` (or `'static` data, since `f` is generic over `'a`),
        // which stays alive and in place until the table has been emptied.
        let files = unsafe { &mut *(&mut self.files as *mut OpenFiles<'static, B, C>).cast::<OpenFiles<'_, B, C>>() };
        f(fs, files)
    }

    /// Closes (drops) every open file, then gives the file system back.
    pub(crate) fn into_fs(mut self) -> Fs<B, C> {
        // Dropping a fatfs File writes its directory entry through `*fs`: do it first.
        drop(core::mem::take(&mut self.files));
        let ptr = self.fs;
        // `files` is now empty and owns no memory; skip Drop so the box is freed once.
        core::mem::forget(self);
        // SAFETY: `ptr` came from `Box::leak` in `new`, nothing references it
        // any more, and `forget` above prevents `drop` from freeing it again.
        *unsafe { Box::from_raw(ptr.as_ptr()) }
    }
}

impl<B: BlockDevice + 'static, C: Clock + 'static> Drop for Mounted<B, C> {
    fn drop(&mut self) {
        drop(core::mem::take(&mut self.files));
        // SAFETY: as in `into_fs`; `drop` runs at most once and `into_fs` skips it.
        drop(unsafe { Box::from_raw(self.fs.as_ptr()) });
    }
}
