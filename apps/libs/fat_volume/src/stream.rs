//! The cache presented to fatfs as a byte-addressed `Read + Write + Seek` stream.

use alloc::rc::Rc;
use core::cell::RefCell;

use fatfs::{IoBase, Read, Seek, SeekFrom, Write};

use crate::cache::BlockCache;
use crate::device::{BlockDevice, IoError};

/// Errors fatfs sees from the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamError {
    /// The device failed.
    Io(IoError),
    /// Read past the end (fatfs asks for this error by name).
    UnexpectedEof,
    /// Write made no progress (fatfs asks for this error by name).
    WriteZero,
    /// The cache was already borrowed: a re-entrant call, which would be a bug.
    Busy,
    /// The operation made more stream calls than any sound volume needs: a
    /// cluster chain loops (see `BlockCache::begin`).
    Endless,
}

impl fatfs::IoError for StreamError {
    fn is_interrupted(&self) -> bool {
        false
    }

    fn new_unexpected_eof_error() -> Self {
        StreamError::UnexpectedEof
    }

    fn new_write_zero_error() -> Self {
        StreamError::WriteZero
    }
}

impl From<IoError> for StreamError {
    fn from(e: IoError) -> Self {
        StreamError::Io(e)
    }
}

/// The cache shared between fatfs (through [`Disk`]) and the volume (stats, flush, unmount).
pub(crate) type SharedCache<B> = Rc<RefCell<BlockCache<B>>>;

/// A position in the shared cache; fatfs owns one of these.
pub(crate) struct Disk<B: BlockDevice> {
    cache: SharedCache<B>,
    pos: u64,
}

impl<B: BlockDevice> Disk<B> {
    pub(crate) fn new(cache: SharedCache<B>) -> Self {
        Disk { cache, pos: 0 }
    }

    fn with<R>(&self, f: impl FnOnce(&mut BlockCache<B>) -> Result<R, IoError>) -> Result<R, StreamError> {
        let mut cache = self.cache.try_borrow_mut().map_err(|_| StreamError::Busy)?;
        Ok(f(&mut cache)?)
    }

    fn spend(&self) -> Result<(), StreamError> {
        let mut cache = self.cache.try_borrow_mut().map_err(|_| StreamError::Busy)?;
        cache.spend().map_err(|()| StreamError::Endless)
    }

    /// Bytes from the position to the end of the device, capped at `want`.
    fn available(&self, want: usize) -> Result<usize, StreamError> {
        let len = self.with(|c| Ok(c.len()))?;
        Ok(len.saturating_sub(self.pos).min(want as u64) as usize)
    }
}

impl<B: BlockDevice> IoBase for Disk<B> {
    type Error = StreamError;
}

impl<B: BlockDevice> Read for Disk<B> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.spend()?;
        let pos = self.pos;
        let mut cache = self.cache.try_borrow_mut().map_err(|_| StreamError::Busy)?;
        cache.visit(pos).map_err(|()| StreamError::Endless)?;
        drop(cache);
        let n = self.available(buf.len())?;
        if n > 0 {
            let pos = self.pos;
            self.with(|c| c.read_at(pos, &mut buf[..n]))?;
            self.pos += n as u64;
        }
        Ok(n)
    }
}

impl<B: BlockDevice> Write for Disk<B> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, StreamError> {
        self.spend()?;
        let n = self.available(buf.len())?;
        if n > 0 {
            let pos = self.pos;
            let mut cache = self.cache.try_borrow_mut().map_err(|_| StreamError::Busy)?;
            let deferred = cache.defer_free(pos, &buf[..n]).map_err(|()| StreamError::Endless)?;
            drop(cache);
            if !deferred {
                self.with(|c| c.write_at(pos, &buf[..n]))?;
            }
            self.pos += n as u64;
        }
        Ok(n)
    }

    /// Deliberately nothing: fatfs flushes whenever any `File` or `Dir` is
    /// dropped (every path lookup), which would defeat write-back. The volume
    /// flushes the cache itself on close, flush and unmount.
    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }
}

impl<B: BlockDevice> Seek for Disk<B> {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64, StreamError> {
        let len = self.with(|c| Ok(c.len()))?;
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(p) if p <= len => {
                self.pos = p;
                Ok(p)
            }
            _ => Err(StreamError::Io(IoError::OutOfRange)),
        }
    }
}
