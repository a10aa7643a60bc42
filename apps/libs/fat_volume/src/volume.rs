//! A mounted FAT volume: every storage operation, with per-client open files.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use fatfs::{FatType, FormatVolumeOptions, FsOptions, Read, Seek, SeekFrom, Write};
use proto_storage::{
    Entry, Error, FreeSpace, Handle, Kind, Label, Metadata, NormPath, OpenMode, VolumeStats, MAX_NAME,
};

use crate::boot::{check_boot_sector, check_fs_info, Geometry, MountError};
use crate::cache::{BlockCache, ClusterMap, FatMap, DEFAULT_CACHE_BLOCKS};
use crate::cell::Mounted;
use crate::clock::{dos_to_unix, Clock, FatClock, NoClock};
use crate::device::{BlockDevice, SECTOR_SIZE};
use crate::files::OpenFile;
use crate::free_count::{keep_free_count, FAT32_STATUS_AT};
use crate::fs::{fs_err, FatDir, FatEntry, FatFile, Fs};
use crate::stream::{Disk, SharedCache, StreamError};

/// Tuning for [`FatVolume::mount_with`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// 4 KiB blocks in the write-back cache (at least 1).
    pub cache_blocks: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { cache_blocks: DEFAULT_CACHE_BLOCKS }
    }
}

/// A mounted FAT12/16/32 volume on a [`BlockDevice`].
///
/// Clients are told apart by a `client` id (the kernel's process id); a
/// handle only works for the client that opened it.
pub struct FatVolume<B: BlockDevice + 'static, C: Clock + 'static = NoClock> {
    mounted: Mounted<B, C>,
    cache: SharedCache<B>,
    label: Label,
    next_handle: u32,
    /// Mounted with the dirty flag set: not cleanly unmounted before (a
    /// crash, a reset mid-write). See [`FatVolume::recovered`].
    recovered: bool,
    /// Stream calls one operation may make before it is called endless.
    work_budget: u64,
}

/// Stream calls per operation beyond a few passes over the FAT: room for
/// several passes over the largest directory FAT allows (65536 entries, ~14
/// calls each) and a deep path. Only a cluster chain that loops needs more.
const WORK_BASE: u64 = 1 << 22;

/// The budget of one operation on a volume of `clusters` clusters.
fn work_budget(clusters: u64) -> u64 {
    WORK_BASE + 3 * clusters
}

/// Gives the device back once nothing else shares the cache.
fn reclaim<B: BlockDevice>(cache: SharedCache<B>) -> B {
    let device = match Rc::try_unwrap(cache) {
        Ok(cell) => cell.into_inner().take_device(),
        Err(shared) => shared.borrow_mut().take_device(),
    };
    // Only `reclaim` takes the device, and it consumes the last owner of the cache.
    device.expect("the device is taken exactly once")
}

impl<B: BlockDevice + 'static> FatVolume<B, NoClock> {
    /// Mounts with no clock (all times 1980-01-01) and the default cache.
    pub fn mount(device: B) -> Result<Self, (MountError, B)> {
        FatVolume::mount_with(device, NoClock, Options::default())
    }
}

impl<B: BlockDevice + 'static, C: Clock + 'static> FatVolume<B, C> {
    /// Checks the boot sector, then mounts. Never formats; writes only on a
    /// FAT32 volume without a free count fatfs would use: the count, then
    /// the dirty flag cleared (see `free_count`; `recovered` remembers it).
    pub fn mount_with(device: B, clock: C, options: Options) -> Result<Self, (MountError, B)> {
        let sectors = device.sectors();
        if sectors == 0 {
            return Err((MountError::NoDevice, device));
        }
        let cache = Rc::new(RefCell::new(BlockCache::new(device, options.cache_blocks)));
        let geometry = match Self::check(&cache, sectors) {
            Ok(geometry) => geometry,
            Err(e) => return Err((e, reclaim(cache))),
        };
        // FAT32: a count fatfs would not trust is made here, fast (see `free_count`).
        let kept = geometry.fs_info_sector.map(|at| keep_free_count(&mut cache.borrow_mut(), &geometry, at));
        // `Some(was dirty)` on FAT32.
        let kept = match kept.transpose() {
            Ok(kept) => kept,
            Err(e) => return Err((MountError::Io(e), reclaim(cache))),
        };
        let work_budget = work_budget(geometry.clusters);
        cache.borrow_mut().begin(work_budget);
        let options = FsOptions::new().time_provider(FatClock(clock)).update_accessed_date(false);
        match fatfs::FileSystem::new(Disk::new(cache.clone()), options) {
            Ok(fs) => {
                let label = Label::from_disk(fs.volume_label_as_bytes());
                let dirty = fs.read_status_flags().is_ok_and(|f| f.dirty());
                if dirty && kept.is_none() {
                    // FAT12/16 keep no count (small FATs): count now, so the
                    // first `free_space` does not.
                    let _ = fs.stats();
                }
                let recovered = dirty || kept == Some(true);
                Ok(FatVolume { mounted: Mounted::new(fs), cache, label, next_handle: 1, recovered, work_budget })
            }
            Err(fatfs::Error::Io(StreamError::Io(e))) => Err((MountError::Io(e), reclaim(cache))),
            Err(_) => Err((MountError::Corrupt(proto_storage::Corruption::Rejected), reclaim(cache))),
        }
    }

    /// The boot sector checks; returns the volume's layout.
    fn check(cache: &SharedCache<B>, sectors: u64) -> Result<Geometry, MountError> {
        let mut cache = cache.borrow_mut();
        let mut sector = [0u8; SECTOR_SIZE];
        cache.read_at(0, &mut sector).map_err(MountError::Io)?;
        let geometry = check_boot_sector(&sector, sectors)?;
        if let Some(fs_info) = geometry.fs_info_sector {
            let at = u64::from(fs_info) * SECTOR_SIZE as u64;
            cache.read_at(at, &mut sector).map_err(MountError::Io)?;
            check_fs_info(&sector)?;
        }
        cache.set_clusters(ClusterMap {
            data_start: geometry.data_start * SECTOR_SIZE as u64,
            cluster_bytes: geometry.sectors_per_cluster * SECTOR_SIZE as u64,
        });
        let sector = SECTOR_SIZE as u64;
        cache.set_fat(FatMap {
            start: geometry.fat_start * sector,
            end: (geometry.fat_start + geometry.fat_sectors) * sector,
            entry_bytes: u64::from(geometry.fat_bits / 8),
        });
        Ok(geometry)
    }

    /// Starts an operation with a fresh work budget (see `BlockCache::begin`).
    fn begin(&self) {
        if let Ok(mut cache) = self.cache.try_borrow_mut() {
            cache.begin(self.work_budget);
        }
    }

    /// Creates an empty FAT file system on `device` (FAT32 when it is large enough).
    ///
    /// Everything on the device is lost. `Unsupported` if the device is too
    /// small or too large for FAT.
    pub fn format(device: B, label: Label, volume_id: u32) -> Result<B, (Error, B)> {
        let Ok(total) = u32::try_from(device.sectors()) else {
            return Err((Error::Unsupported, device));
        };
        let cache = Rc::new(RefCell::new(BlockCache::new(device, DEFAULT_CACHE_BLOCKS)));
        let mut disk = Disk::new(cache.clone());
        let base = FormatVolumeOptions::new().total_sectors(total).volume_label(label.padded()).volume_id(volume_id);
        // FAT32 like the board's images; fatfs refuses before writing if it cannot fit.
        let mut result = fatfs::format_volume(&mut disk, base.clone().fat_type(FatType::Fat32));
        if let Err(fatfs::Error::InvalidInput) = result {
            result = disk
                .seek(SeekFrom::Start(0))
                .map_err(fatfs::Error::Io)
                .and_then(|_| fatfs::format_volume(&mut disk, base));
        }
        drop(disk);
        let result = result.map_err(|e| match e {
            fatfs::Error::InvalidInput => Error::Unsupported,
            e => fs_err(e),
        });
        let flushed = cache.borrow_mut().flush().map_err(|_| Error::Io);
        let device = reclaim(cache);
        match result.and(flushed) {
            Ok(()) => Ok(device),
            Err(e) => Err((e, device)),
        }
    }

    /// Whether the volume was mounted with its dirty flag set (it was not
    /// cleanly unmounted before). Its next [`unmount`](Self::unmount)
    /// clears the flag, which fatfs keeps for an fsck this service does not
    /// have: otherwise one crash would leave the volume marked dirty for
    /// good, however cleanly it is used afterwards.
    pub fn recovered(&self) -> bool {
        self.recovered
    }

    /// Closes every file, writes everything back and gives the device back.
    pub fn unmount(self) -> Result<B, (Error, B)> {
        self.begin();
        let FatVolume { mounted, cache, recovered, .. } = self;
        // Dropping the files writes their directory entries into the cache.
        let fs = mounted.into_fs();
        // The status byte in the boot sector (fatfs: `reserved_1`).
        let flags_at: u64 = if fs.fat_type() == FatType::Fat32 { FAT32_STATUS_AT } else { 0x25 };
        // fatfs writes the FSInfo free count and clears the dirty flag it set
        // (not one it found at mount: `recovered`).
        let unmounted = fs.unmount().map_err(fs_err);
        let cleared = match unmounted {
            Ok(()) if recovered => {
                let mut cache = cache.borrow_mut();
                let mut flags = [0u8; 1];
                cache
                    .read_at(flags_at, &mut flags)
                    .and_then(|()| cache.write_at(flags_at, &[flags[0] & !1]))
                    .map_err(|_| Error::Io)
            }
            _ => Ok(()),
        };
        let flushed = cache.borrow_mut().flush().map_err(|_| Error::Io);
        let device = reclaim(cache);
        match unmounted.and(cleared).and(flushed) {
            Ok(()) => Ok(device),
            Err(e) => Err((e, device)),
        }
    }

    /// The volume label from the boot sector.
    pub fn label(&self) -> Label {
        self.label
    }

    /// Device and cache counters since mount.
    pub fn stats(&self) -> VolumeStats {
        self.cache.try_borrow().map(|c| c.stats()).unwrap_or_default()
    }

    /// Bytes in all clusters and in free clusters.
    pub fn free_space(&mut self) -> Result<FreeSpace, Error> {
        self.begin();
        let stats = self.mounted.fs().stats().map_err(fs_err)?;
        let cluster = u64::from(stats.cluster_size());
        Ok(FreeSpace {
            total_bytes: u64::from(stats.total_clusters()) * cluster,
            free_bytes: u64::from(stats.free_clusters()).min(u64::from(stats.total_clusters())) * cluster,
        })
    }

    /// Number of open files (all clients).
    pub fn open_files(&mut self) -> usize {
        self.mounted.with(|_, files| files.len())
    }

    /// Opens a file for `client`.
    pub fn open(&mut self, client: u32, path: &NormPath, mode: OpenMode) -> Result<Handle, Error> {
        self.begin();
        let next = &mut self.next_handle;
        let cache = &self.cache;
        self.mounted.with(|fs, files| {
            if files.is_full_for(client) {
                return Err(Error::TooManyOpenFiles);
            }
            if path.is_root() {
                return Err(Error::IsADirectory);
            }
            let (dir, mut key) = parent_dir(cache, fs, path)?;
            let name = path.file_name();
            let file = match find(cache, &dir, name)? {
                Some(e) if e.is_dir() => return Err(Error::IsADirectory),
                Some(e) => {
                    push_key(&mut key, &e.file_name());
                    if files.conflicts(&key, mode) {
                        return Err(Error::Busy);
                    }
                    let mut file = e.to_file();
                    match mode {
                        OpenMode::Write { truncate: true, .. } => {
                            file.truncate().map_err(fs_err)?;
                            // The emptied entry reaches the device before its
                            // clusters are free there (and before they are reused).
                            file.flush().map_err(fs_err)?;
                            cache.try_borrow_mut().map_err(|_| Error::Io)?.flush().map_err(|_| Error::Io)?;
                        }
                        OpenMode::Append => {
                            check_has_clusters(&mut file)?;
                            file.seek(SeekFrom::End(0)).map_err(fs_err)?;
                        }
                        _ => {}
                    }
                    file
                }
                None => {
                    let creates = matches!(mode, OpenMode::Write { create: true, .. } | OpenMode::Append);
                    if !creates {
                        return Err(Error::NotFound);
                    }
                    check_new_name(name)?;
                    push_key(&mut key, name);
                    dir.create_file(name).map_err(fs_err)?
                }
            };
            // Handles are not reused soon: a stale handle meets BadHandle, not another file.
            let mut handle = Handle(*next);
            while handle.0 == 0 || files.handle_in_use(handle) {
                handle = Handle(handle.0.wrapping_add(1));
            }
            *next = handle.0.wrapping_add(1);
            files.insert(OpenFile { client, handle, mode, key, file });
            Ok(handle)
        })
    }

    /// Reads up to `buf.len()` bytes at the handle's position; 0 at end of file.
    pub fn read(&mut self, client: u32, handle: Handle, buf: &mut [u8]) -> Result<usize, Error> {
        self.begin();
        self.mounted.with(|_, files| {
            let of = files.get_mut(client, handle).ok_or(Error::BadHandle)?;
            if of.mode.writes() {
                return Err(Error::BadHandle);
            }
            let mut n = 0;
            while n < buf.len() {
                match of.file.read(&mut buf[n..]) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    // Report what was read; the error comes back on the next call.
                    Err(_) if n > 0 => break,
                    Err(e) => return Err(fs_err(e)),
                }
            }
            Ok(n)
        })
    }

    /// Writes `data` at the handle's position (at the end for append handles).
    ///
    /// Returns fewer bytes than given only when the volume filled up; a write
    /// that can store nothing is `NoSpace`.
    pub fn write(&mut self, client: u32, handle: Handle, data: &[u8]) -> Result<usize, Error> {
        self.begin();
        self.mounted.with(|_, files| {
            let of = files.get_mut(client, handle).ok_or(Error::BadHandle)?;
            if !of.mode.writes() {
                return Err(Error::BadHandle);
            }
            if of.mode == OpenMode::Append {
                of.file.seek(SeekFrom::End(0)).map_err(fs_err)?;
            }
            let mut n = 0;
            while n < data.len() {
                match of.file.write(&data[n..]) {
                    Ok(0) if n == 0 => return Err(Error::NoSpace),
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(_) if n > 0 => break,
                    Err(e) => return Err(fs_err(e)),
                }
            }
            Ok(n)
        })
    }

    /// Moves the position; FAT files have no holes, so it stops at the size.
    pub fn seek(&mut self, client: u32, handle: Handle, offset: u64) -> Result<u64, Error> {
        self.begin();
        self.mounted.with(|_, files| {
            let of = files.get_mut(client, handle).ok_or(Error::BadHandle)?;
            let offset = offset.min(u64::from(u32::MAX));
            if of.mode.writes() && offset > 0 {
                check_has_clusters(&mut of.file)?;
            }
            of.file.seek(SeekFrom::Start(offset)).map_err(fs_err)
        })
    }

    /// Flushes and closes a handle. The handle is gone even if the flush fails.
    ///
    /// Returns whether the handle was open for writing.
    pub fn close(&mut self, client: u32, handle: Handle) -> Result<bool, Error> {
        self.begin();
        let cache = &self.cache;
        let closed = self.mounted.with(|_, files| {
            let mut of = files.remove(client, handle).ok_or(Error::BadHandle)?;
            // Data and FAT on the device first, then the entry naming them: a
            // power cut in between leaves the old entry (and leaked clusters).
            if of.mode.writes() {
                cache.try_borrow_mut().map_err(|_| Error::Io)?.flush().map_err(|_| Error::Io)?;
            }
            of.file.flush().map_err(fs_err).map(|()| of.mode.writes())
        });
        let wrote = closed?;
        self.flush_cache().map(|()| wrote)
    }

    /// Closes every handle of `client` (its process ended); returns how many.
    pub fn close_all(&mut self, client: u32) -> usize {
        self.begin();
        // Data and FAT first, then the entries (see `close`).
        let _ = self.flush_cache();
        let closed = self.mounted.with(|_, files| {
            let mut gone = files.remove_client(client);
            for of in &mut gone {
                // Nobody is left to hear about a failure; the cache flush below retries.
                let _ = of.file.flush();
            }
            gone.len()
        });
        let _ = self.flush_cache();
        closed
    }

    /// Writes every open file's directory entry and all cached blocks to the device.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.begin();
        // Data and FAT first, then the entries (see `close`).
        self.flush_cache()?;
        let entries = self
            .mounted
            .with(|_, files| files.iter_mut().map(|of| of.file.flush().map_err(fs_err)).fold(Ok(()), Result::and));
        let cache = self.flush_cache();
        entries.and(cache)
    }

    fn flush_cache(&mut self) -> Result<(), Error> {
        let mut cache = self.cache.try_borrow_mut().map_err(|_| Error::Io)?;
        cache.flush().map_err(|_| Error::Io)
    }

    /// Kind, size and modification time of a path.
    pub fn stat(&mut self, path: &NormPath) -> Result<Metadata, Error> {
        self.begin();
        let cache = &self.cache;
        self.mounted.with(|fs, files| {
            if path.is_root() {
                return Ok(Metadata { kind: Kind::Dir, size: 0, modified: 0 });
            }
            let (dir, mut key) = parent_dir(cache, fs, path)?;
            let e = find(cache, &dir, path.file_name())?.ok_or(Error::NotFound)?;
            let mut meta = metadata(&e);
            push_key(&mut key, &e.file_name());
            // An open writer knows a size newer than its directory entry.
            if let Some(size) = files.find_key(&key).and_then(|f| f.file.size()) {
                meta.size = u64::from(size);
            }
            Ok(meta)
        })
    }

    /// Calls `page` for directory entries from index `cursor` on, until it returns false.
    ///
    /// Returns the index of the first entry `page` refused, or `None` when the
    /// directory ended. `.` and `..` are not listed. Indexes count entries in
    /// directory order, so a directory changed between pages may skip or repeat.
    pub fn list(
        &mut self,
        path: &NormPath,
        cursor: u32,
        mut page: impl FnMut(&Entry<'_>) -> bool,
    ) -> Result<Option<u32>, Error> {
        self.begin();
        let cache = &self.cache;
        self.mounted.with(|fs, _| {
            let dir = if path.is_root() {
                fs.root_dir()
            } else {
                let (parent, _) = parent_dir(cache, fs, path)?;
                match find(cache, &parent, path.file_name())? {
                    Some(e) if e.is_dir() => e.to_dir(),
                    Some(_) => return Err(Error::NotADirectory),
                    None => return Err(Error::NotFound),
                }
            };
            let mut index: u32 = 0;
            scan(cache, || {
                for e in dir.iter() {
                    let e = e.map_err(fs_err)?;
                    if is_dot(&e) {
                        continue;
                    }
                    if index >= cursor {
                        let name = e.file_name();
                        let entry = Entry { name: &name, meta: metadata(&e) };
                        if !page(&entry) {
                            return Ok(Some(index));
                        }
                    }
                    index = index.saturating_add(1);
                }
                Ok(None)
            })
        })
    }

    /// Creates a directory; its parent must exist.
    pub fn make_dir(&mut self, path: &NormPath) -> Result<(), Error> {
        self.begin();
        let cache = &self.cache;
        self.mounted.with(|fs, _| {
            if path.is_root() {
                return Err(Error::AlreadyExists);
            }
            let (dir, _) = parent_dir(cache, fs, path)?;
            let name = path.file_name();
            if find(cache, &dir, name)?.is_some() {
                return Err(Error::AlreadyExists);
            }
            check_new_name(name)?;
            ensure_room_for_dir(fs)?;
            dir.create_dir(name).map(drop).map_err(fs_err)
        })?;
        self.flush_cache()
    }

    /// Removes an empty directory.
    pub fn remove_dir(&mut self, path: &NormPath) -> Result<(), Error> {
        self.begin();
        let cache = &self.cache;
        self.mounted.with(|fs, _| {
            if path.is_root() {
                return Err(Error::PermissionDenied);
            }
            let (dir, _) = parent_dir(cache, fs, path)?;
            let name = path.file_name();
            match find(cache, &dir, name)? {
                None => Err(Error::NotFound),
                Some(e) if !e.is_dir() => Err(Error::NotADirectory),
                // Scanned here first: fatfs's emptiness check follows a looping chain forever.
                Some(e) if !children(cache, &e.to_dir())?.is_empty() => Err(Error::NotEmpty),
                Some(_) => dir.remove(name).map_err(fs_err),
            }
        })?;
        self.flush_cache()
    }

    /// Deletes a file (never a directory); refused while it is open.
    pub fn delete(&mut self, path: &NormPath) -> Result<(), Error> {
        self.begin();
        let cache = &self.cache;
        self.mounted.with(|fs, files| {
            if path.is_root() {
                return Err(Error::IsADirectory);
            }
            let (dir, mut key) = parent_dir(cache, fs, path)?;
            let name = path.file_name();
            let e = find(cache, &dir, name)?.ok_or(Error::NotFound)?;
            if e.is_dir() {
                return Err(Error::IsADirectory);
            }
            push_key(&mut key, &e.file_name());
            if files.any_at_or_under(&key) {
                return Err(Error::Busy);
            }
            dir.remove(name).map_err(fs_err)
        })?;
        self.flush_cache()
    }

    /// Renames or moves a file or directory; the target must not exist.
    ///
    /// A directory moved to another parent is rebuilt there (new directory,
    /// children moved, old one removed) because fatfs would leave its `..`
    /// entry pointing at the old parent. Running out of space half-way leaves
    /// the children split between both places, each consistent.
    pub fn rename(&mut self, from: &NormPath, to: &NormPath) -> Result<(), Error> {
        let tmp_id = self.next_handle;
        self.begin();
        let cache = &self.cache;
        self.mounted.with(|fs, files| {
            if from.is_root() || to.is_root() {
                return Err(Error::PermissionDenied);
            }
            let (src_dir, src_parent_key) = parent_dir(cache, fs, from)?;
            let src = find(cache, &src_dir, from.file_name())?.ok_or(Error::NotFound)?;
            let mut src_key = src_parent_key.clone();
            push_key(&mut src_key, &src.file_name());
            let (dst_dir, dst_parent_key) = parent_dir(cache, fs, to)?;
            let dst_name = to.file_name();
            // Moving a directory into itself would cut it off the tree.
            if src.is_dir() && (dst_parent_key.clone() + "/").starts_with(&(src_key.clone() + "/")) {
                return Err(Error::BadPath);
            }
            if files.any_at_or_under(&src_key) {
                return Err(Error::Busy);
            }
            check_new_name(dst_name)?;
            let existing = find(cache, &dst_dir, dst_name)?;
            let mut dst_key = dst_parent_key.clone();
            push_key(&mut dst_key, dst_name);
            match existing {
                // Same entry under another case (or its short name): fatfs
                // would do nothing, so go through a temporary name.
                Some(e) if dst_key == src_key => {
                    if e.file_name() == dst_name {
                        return Ok(());
                    }
                    let mut tmp = String::from("~rename-");
                    push_decimal(&mut tmp, tmp_id);
                    src_dir.rename(from.file_name(), &src_dir, &tmp).map_err(fs_err)?;
                    src_dir.rename(&tmp, &dst_dir, dst_name).map_err(fs_err)
                }
                Some(_) => Err(Error::AlreadyExists),
                None if src.is_dir() && src_parent_key != dst_parent_key => {
                    check_tree(cache, &src.to_dir(), 0)?;
                    move_dir(cache, fs, &src_dir, from.file_name(), &dst_dir, dst_name)
                }
                None => src_dir.rename(from.file_name(), &dst_dir, dst_name).map_err(fs_err),
            }
        })?;
        self.flush_cache()
    }
}

/// Deepest directory tree [`FatVolume::rename`] moves across parents (bounds recursion).
const MAX_MOVE_DEPTH: usize = 16;

/// Children of `dir` as (name, is directory), without `.` and `..`.
fn children<B: BlockDevice, C: Clock>(
    cache: &SharedCache<B>,
    dir: &FatDir<'_, B, C>,
) -> Result<Vec<(String, bool)>, Error> {
    scan(cache, || {
        let mut out = Vec::new();
        for e in dir.iter() {
            let e = e.map_err(fs_err)?;
            if !is_dot(&e) {
                out.push((e.file_name(), e.is_dir()));
            }
        }
        Ok(out)
    })
}

/// Runs one directory scan, watched for a cluster chain that loops.
fn scan<B: BlockDevice, R>(cache: &SharedCache<B>, f: impl FnOnce() -> Result<R, Error>) -> Result<R, Error> {
    if let Ok(mut c) = cache.try_borrow_mut() {
        c.start_scan();
    }
    let result = f();
    if let Ok(mut c) = cache.try_borrow_mut() {
        c.end_scan();
    }
    result
}

/// Checks, before anything changes, that a tree can be recreated by [`move_dir`].
fn check_tree<B: BlockDevice, C: Clock>(
    cache: &SharedCache<B>,
    dir: &FatDir<'_, B, C>,
    depth: usize,
) -> Result<(), Error> {
    if depth >= MAX_MOVE_DEPTH {
        return Err(Error::Unsupported);
    }
    // Collected first: a scan must not nest inside another.
    for (name, is_dir) in children(cache, dir)? {
        check_new_name(&name)?;
        if is_dir {
            let sub = find(cache, dir, &name)?.ok_or(Error::NotFound)?;
            check_tree(cache, &sub.to_dir(), depth + 1)?;
        }
    }
    Ok(())
}

/// Moves directory `name` from `src` to `dst` as `new_name` by rebuilding it.
///
/// Recursion depth is bounded by [`check_tree`], which runs first.
fn move_dir<'a, B: BlockDevice, C: Clock>(
    cache: &SharedCache<B>,
    fs: &'a Fs<B, C>,
    src: &FatDir<'a, B, C>,
    name: &str,
    dst: &FatDir<'a, B, C>,
    new_name: &str,
) -> Result<(), Error> {
    let old = match find(cache, src, name)? {
        Some(e) if e.is_dir() => e.to_dir(),
        _ => return Err(Error::NotFound),
    };
    ensure_room_for_dir(fs)?;
    let new = dst.create_dir(new_name).map_err(fs_err)?;
    for (child, is_dir) in children(cache, &old)? {
        if is_dir {
            move_dir(cache, fs, &old, &child, &new, &child)?;
        } else {
            // Files have no `..`: fatfs moves them correctly.
            old.rename(&child, &new, &child).map_err(fs_err)?;
        }
    }
    drop(old);
    src.remove(name).map_err(fs_err)
}

/// The rules for names this volume creates: checked before fatfs is asked.
///
/// - FAT long-name characters only (`*?:"<>|\\`, control and non-BMP
///   characters are refused), 1 ..= 255 bytes. fatfs checks the same, but
///   `create_dir` allocates the new directory's cluster before checking and
///   leaks it on a bad name, so the check must come first.
/// - No trailing dot or space: Windows drops them when opening, so such a
///   file could never be reached there.
/// - The first character must be ASCII: fatfs 0.4's short-name generator
///   slices `name[1..]` and panics otherwise. Existing names starting with
///   `ü` (written by other systems) are read, listed and deleted fine; only
///   creating one is refused.
fn check_new_name(name: &str) -> Result<(), Error> {
    let fat_char = |c: char| {
        c.is_ascii_alphanumeric() || ('\u{80}'..='\u{FFFF}').contains(&c) || " $%'-_@~`!(){}^#&+,;=[].".contains(c)
    };
    let ok = name.len() <= MAX_NAME
        && name.as_bytes().first().is_some_and(u8::is_ascii)
        && !name.ends_with('.')
        && !name.ends_with(' ')
        && name.chars().all(fat_char);
    if ok {
        Ok(())
    } else {
        Err(Error::BadPath)
    }
}

/// A file whose entry has a size but no first cluster (a damaged entry) is
/// `Corrupt` for a writer that would start past 0: fatfs panics writing
/// inside a cluster it never allocated (found reading its panics). Reading
/// its first byte tells: such a file reads as empty.
fn check_has_clusters<B: BlockDevice, C: Clock>(file: &mut FatFile<'_, B, C>) -> Result<(), Error> {
    if file.size().unwrap_or(0) == 0 {
        return Ok(());
    }
    let pos = file.seek(SeekFrom::Current(0)).map_err(fs_err)?;
    file.seek(SeekFrom::Start(0)).map_err(fs_err)?;
    let read = file.read(&mut [0u8; 1]).map_err(fs_err);
    file.seek(SeekFrom::Start(pos)).map_err(fs_err)?;
    match read? {
        0 => Err(Error::Corrupt),
        _ => Ok(()),
    }
}

/// fatfs's `create_dir` allocates the directory's cluster first and leaks it
/// if the parent then cannot grow: make sure both fit before asking.
fn ensure_room_for_dir<B: BlockDevice, C: Clock>(fs: &Fs<B, C>) -> Result<(), Error> {
    if fs.stats().map_err(fs_err)?.free_clusters() < 2 {
        Err(Error::NoSpace)
    } else {
        Ok(())
    }
}

fn push_key(key: &mut String, name: &str) {
    key.push('/');
    key.extend(name.chars().flat_map(char::to_uppercase));
}

fn push_decimal(s: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[i..].iter().for_each(|&d| s.push(char::from(d)));
}

fn is_dot<B: BlockDevice, C: Clock>(e: &FatEntry<'_, B, C>) -> bool {
    matches!(e.short_file_name_as_bytes(), b"." | b"..")
}

fn metadata<B: BlockDevice, C: Clock>(e: &FatEntry<'_, B, C>) -> Metadata {
    let dir = e.is_dir();
    Metadata {
        kind: if dir { Kind::Dir } else { Kind::File },
        size: if dir { 0 } else { e.len() },
        modified: dos_to_unix(e.modified()),
    }
}

/// The entry called `name` in `dir` (FAT rules: case-insensitive, long or short name).
fn find<'a, B: BlockDevice, C: Clock>(
    cache: &SharedCache<B>,
    dir: &FatDir<'a, B, C>,
    name: &str,
) -> Result<Option<FatEntry<'a, B, C>>, Error> {
    scan(cache, || {
        for e in dir.iter() {
            let e = e.map_err(fs_err)?;
            if !is_dot(&e) && e.eq_name(name) {
                return Ok(Some(e));
            }
        }
        Ok(None)
    })
}

/// Walks to the directory holding `path`'s last component; also returns its key.
fn parent_dir<'a, B: BlockDevice, C: Clock>(
    cache: &SharedCache<B>,
    fs: &'a Fs<B, C>,
    path: &NormPath,
) -> Result<(FatDir<'a, B, C>, String), Error> {
    let mut dir = fs.root_dir();
    let mut key = String::new();
    for name in path.parent().components() {
        match find(cache, &dir, name)? {
            Some(e) if e.is_dir() => {
                push_key(&mut key, &e.file_name());
                dir = e.to_dir();
            }
            Some(_) => return Err(Error::NotADirectory),
            None => return Err(Error::NotFound),
        }
    }
    Ok((dir, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        let mut s = String::new();
        push_decimal(&mut s, 0);
        s.push(' ');
        push_decimal(&mut s, u32::MAX);
        assert_eq!(s, "0 4294967295");
        let mut k = String::new();
        push_key(&mut k, "www");
        push_key(&mut k, "Straße.txt");
        assert_eq!(k, "/WWW/STRASSE.TXT");
        assert_eq!(check_new_name("a."), Err(Error::BadPath));
        assert_eq!(check_new_name("a "), Err(Error::BadPath));
        assert_eq!(check_new_name(".hidden"), Ok(()));
        assert_eq!(check_new_name("ünï"), Err(Error::BadPath));
        assert_eq!(check_new_name("aünï"), Ok(()));
        assert_eq!(check_new_name(""), Err(Error::BadPath));
        for bad in ["a*", "a?", "a:b", "a\"", "a<", "a>", "a|", "a\\b", "a\u{1F600}"] {
            assert_eq!(check_new_name(bad), Err(Error::BadPath), "{bad}");
        }
        assert_eq!(check_new_name("A long name (1) [x] {y} ~z.txt"), Ok(()));
        assert_eq!(check_new_name(&"n".repeat(255)), Ok(()));
        assert_eq!(check_new_name(&"n".repeat(256)), Err(Error::BadPath));
    }
}
