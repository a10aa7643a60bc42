//! A small write-back cache of 4 KiB blocks between fatfs and the block device.
//!
//! fatfs reads and writes a few bytes at a time (4-byte FAT entries, 32-byte
//! directory entries, one 512-byte cluster of data on the board's volumes).
//! The cache turns those into whole-block device requests: reads fetch the
//! block once, writes collect in the block and go out when it is evicted or
//! flushed. Sectors are tracked one by one, so a block filled by whole-sector
//! writes is never read first.
//!
//! Power cuts: a FAT entry freed (a file deleted or truncated) reaches the
//! device only after the flush that carries the directory change dropping
//! it (see [`BlockCache::defer_free`]); the volume writes a file's data and
//! FAT before its directory entry (`FatVolume::close`). A cut then leaks
//! clusters at worst; it never leaves an entry pointing at free clusters
//! that the next allocation hands to another file.

use alloc::boxed::Box;
use alloc::vec::Vec;

use proto_storage::VolumeStats;

use crate::device::{BlockDevice, IoError, MAX_READ_SECTORS, MAX_TRANSFER_SECTORS, SECTOR_SIZE};

/// Bytes per cache block: the largest single device transfer.
pub const BLOCK_SIZE: usize = SECTOR_SIZE * MAX_TRANSFER_SECTORS;

/// Blocks in the default cache (32 KiB).
///
/// A sequential write keeps about five blocks hot: the data block being
/// filled, the FAT block and its mirror in the second FAT, the directory
/// block holding the file's entry, and the boot sector block (dirty flag).
/// Eight leave room for a second transfer or a directory walk without
/// evicting those; more buys little for sequential I/O (see the README).
pub const DEFAULT_CACHE_BLOCKS: usize = 8;

const SECTORS: usize = MAX_TRANSFER_SECTORS;

/// Blocks one sequential read brings: the one asked for and the next three.
const READ_AHEAD_BLOCKS: usize = MAX_READ_SECTORS / MAX_TRANSFER_SECTORS;

struct Slot {
    /// Block number (device offset / BLOCK_SIZE), `None` if unused.
    block: Option<u64>,
    data: Box<[u8; BLOCK_SIZE]>,
    /// Bit i set: sector i holds the device's (or newer) contents.
    valid: u8,
    /// Bit i set: sector i is newer than the device. Always a subset of `valid`.
    dirty: u8,
    last_use: u64,
    /// Brought by read-ahead and not read yet: other read-ahead leaves it
    /// alone (readers of different files would evict each other's).
    ahead: bool,
}

/// The cache and the device it owns.
pub(crate) struct BlockCache<B: BlockDevice> {
    device: Option<B>,
    sectors: u64,
    slots: Vec<Slot>,
    /// The slot used last: fatfs reads a directory or a FAT 32 or 4 bytes
    /// at a time, so the next access is nearly always to the same block.
    last: usize,
    /// A read-ahead run's bytes, on their way to the slots; a partial fill's.
    scratch: Box<[u8]>,
    /// The block after the last data read from the device: a miss there is
    /// a sequential read, which reads ahead.
    next_sequential: Option<u64>,
    tick: u64,
    /// A device write happened since the last device flush.
    unflushed: bool,
    stats: VolumeStats,
    /// Stream calls the current operation may still make (see [`Self::begin`]).
    work_left: u64,
    /// Where clusters are, for [`Self::visit`]; `None` until the volume is checked.
    clusters: Option<ClusterMap>,
    /// The directory scan in progress, if any.
    scan: Option<Scan>,
    /// Where the FATs are, once the volume is checked (`None`: no deferral).
    fat: Option<FatMap>,
    /// Byte ranges of FAT entries freed but not yet applied (see [`Self::defer_free`]).
    pending_frees: Vec<(u64, u64)>,
}

/// The FAT region, for deferring frees.
#[derive(Clone, Copy)]
pub(crate) struct FatMap {
    /// Byte offsets: start of the first FAT, end of the last.
    pub(crate) start: u64,
    pub(crate) end: u64,
    /// Bytes per entry: 4 (FAT32) or 2 (FAT16); FAT12 entries share bytes and are not deferred.
    pub(crate) entry_bytes: u64,
}

/// Freed ranges kept before frees are applied at once instead (a huge, scattered delete).
const MAX_PENDING_FREES: usize = 1024;

/// Byte offset of cluster 2 and bytes per cluster.
#[derive(Clone, Copy)]
pub(crate) struct ClusterMap {
    pub(crate) data_start: u64,
    pub(crate) cluster_bytes: u64,
}

/// Brent's cycle detection over the clusters one directory scan visits.
///
/// A sound directory's scan reads each of its clusters once, in chain
/// order, each at rising offsets; fatfs follows a chain that loops back
/// forever (found by fuzzing). Revisiting a cluster is a loop: Brent finds
/// it within two turns of it, in constant memory.
#[derive(Default)]
struct Scan {
    /// Cluster and offset of the last read.
    last: Option<(u64, u64)>,
    tortoise: u64,
    power: u32,
    steps: u32,
}

impl Scan {
    /// One data-region read at `offset` in `cluster`; `Err` on a loop.
    fn read(&mut self, cluster: u64, offset: u64) -> Result<(), ()> {
        let Some((last_cluster, last_offset)) = self.last.replace((cluster, offset)) else {
            (self.tortoise, self.power, self.steps) = (cluster, 1, 0);
            return Ok(());
        };
        // Same cluster, further on: still the same visit.
        if cluster == last_cluster && offset > last_offset {
            return Ok(());
        }
        if cluster == self.tortoise {
            return Err(());
        }
        if self.steps == self.power {
            (self.tortoise, self.power, self.steps) = (cluster, self.power.saturating_mul(2), 0);
        }
        self.steps += 1;
        Ok(())
    }
}

fn sector_mask(first: usize, last: usize) -> u8 {
    // Bits first..=last, with first <= last < 8.
    ((0xFFu16 << first) & (0xFFu16 >> (7 - last))) as u8
}

impl<B: BlockDevice> BlockCache<B> {
    pub(crate) fn new(device: B, blocks: usize) -> Self {
        let sectors = device.sectors();
        let slots = (0..blocks.max(1))
            .map(|_| Slot {
                block: None,
                data: Box::new([0; BLOCK_SIZE]),
                valid: 0,
                dirty: 0,
                last_use: 0,
                ahead: false,
            })
            .collect();
        BlockCache {
            device: Some(device),
            sectors,
            slots,
            last: 0,
            // Straight on the heap: 16 KiB would not fit an app's stack on the way.
            scratch: alloc::vec![0; BLOCK_SIZE * READ_AHEAD_BLOCKS].into_boxed_slice(),
            next_sequential: None,
            tick: 0,
            unflushed: false,
            stats: VolumeStats::default(),
            work_left: u64::MAX,
            clusters: None,
            scan: None,
            fat: None,
            pending_frees: Vec::new(),
        }
    }

    /// Tells the cache where the FATs are, so frees can be deferred.
    pub(crate) fn set_fat(&mut self, map: FatMap) {
        self.fat = (map.entry_bytes >= 2).then_some(map);
    }

    /// A write fatfs makes at `offset`: if it frees a FAT entry, keep it
    /// back (`Ok(true)`: the caller must not write it) until the next flush
    /// has written everything else, the directory change that dropped the
    /// cluster included; a crash in between leaks the cluster instead of
    /// leaving an entry pointing at a free one. Until then the cluster reads
    /// as in use, so nothing reuses it early. Freeing the same entry twice
    /// before a flush is a chain that loops: `Err`.
    pub(crate) fn defer_free(&mut self, offset: u64, data: &[u8]) -> Result<bool, ()> {
        let Some(fat) = self.fat else {
            return Ok(false);
        };
        let end = offset + data.len() as u64;
        let is_entry = data.len() as u64 == fat.entry_bytes
            && offset >= fat.start
            && end <= fat.end
            && (offset - fat.start).is_multiple_of(fat.entry_bytes);
        // FAT32 keeps the top 4 bits of an entry: a free leaves only those.
        let freed = match data {
            [0, 0, 0, top] => top & 0x0F == 0,
            [0, 0] => true,
            _ => false,
        };
        if !is_entry || !freed {
            return Ok(false);
        }
        if self.pending_frees.iter().any(|&(s, e)| s < end && offset < e) {
            return Err(());
        }
        let mut now = [0u8; 4];
        let now = &mut now[..data.len()];
        if self.read_at(offset, now).is_err() || now.iter().all(|&b| b == 0) {
            return Ok(false);
        }
        if let Some(r) = self.pending_frees.iter_mut().find(|r| r.1 == offset) {
            r.1 = end;
        } else if self.pending_frees.len() < MAX_PENDING_FREES {
            self.pending_frees.push((offset, end));
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// Tells the cache where clusters are (from the checked boot sector).
    pub(crate) fn set_clusters(&mut self, map: ClusterMap) {
        self.clusters = Some(map);
    }

    /// Starts watching reads for a directory scan that loops (see [`Scan`]).
    pub(crate) fn start_scan(&mut self) {
        self.scan = Some(Scan::default());
    }

    pub(crate) fn end_scan(&mut self) {
        self.scan = None;
    }

    /// A stream read at byte `offset`: `Err` if the scan in progress loops.
    pub(crate) fn visit(&mut self, offset: u64) -> Result<(), ()> {
        let (Some(scan), Some(map)) = (self.scan.as_mut(), self.clusters) else {
            return Ok(());
        };
        // FAT reads, and a FAT12/16 root directory, come before the data area.
        match offset.checked_sub(map.data_start) {
            Some(rel) => scan.read(rel / map.cluster_bytes, offset),
            None => Ok(()),
        }
    }

    /// Starts an operation that may make `budget` stream calls.
    ///
    /// fatfs follows cluster chains without bounds: a directory whose chain
    /// loops back is iterated forever (found by fuzzing). No legitimate
    /// operation needs more calls than a few passes over the FAT plus the
    /// largest directory FAT allows, so running out means a loop on disk.
    pub(crate) fn begin(&mut self, budget: u64) {
        self.work_left = budget;
    }

    /// Counts one stream call; `Err` once the operation's budget is spent.
    pub(crate) fn spend(&mut self) -> Result<(), ()> {
        self.work_left = self.work_left.checked_sub(1).ok_or(())?;
        Ok(())
    }

    /// Device size in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.sectors * SECTOR_SIZE as u64
    }

    pub(crate) fn stats(&self) -> VolumeStats {
        self.stats
    }

    /// Takes the device out; the cache is unusable afterwards. Flush first.
    pub(crate) fn take_device(&mut self) -> Option<B> {
        self.device.take()
    }

    /// Sectors of `block` that exist on the device (fewer only in the last block).
    fn sectors_in(&self, block: u64) -> usize {
        let first = block * SECTORS as u64;
        self.sectors.saturating_sub(first).min(SECTORS as u64) as usize
    }

    fn check_range(&self, offset: u64, len: usize) -> Result<(), IoError> {
        match offset.checked_add(len as u64) {
            Some(end) if end <= self.len() => Ok(()),
            _ => Err(IoError::OutOfRange),
        }
    }

    /// Copies `buf.len()` bytes at byte `offset` out of the cache, filling it as needed.
    pub(crate) fn read_at(&mut self, mut offset: u64, mut buf: &mut [u8]) -> Result<(), IoError> {
        self.check_range(offset, buf.len())?;
        while !buf.is_empty() {
            let block = offset / BLOCK_SIZE as u64;
            let at = (offset % BLOCK_SIZE as u64) as usize;
            let n = buf.len().min(BLOCK_SIZE - at);
            let slot = self.slot_for(block)?;
            let need = sector_mask(at / SECTOR_SIZE, (at + n - 1) / SECTOR_SIZE);
            if self.slots[slot].valid & need != need {
                if self.slots[slot].valid == 0 && self.next_sequential == Some(block) {
                    self.fill_ahead(slot, block)?;
                } else {
                    self.fill(slot)?;
                    self.next_sequential = self.in_data(block).then_some(block + 1);
                }
            }
            let (head, tail) = buf.split_at_mut(n);
            head.copy_from_slice(&self.slots[slot].data[at..at + n]);
            buf = tail;
            offset += n as u64;
        }
        Ok(())
    }

    /// Hands the device's bytes `start..end` to `f` a block at a time (the
    /// cache's newer copy where it holds one) without filling the cache: a
    /// pass over a whole FAT would evict everything else.
    pub(crate) fn read_through(&mut self, start: u64, end: u64, mut f: impl FnMut(&[u8])) -> Result<(), IoError> {
        self.check_range(start, end.saturating_sub(start) as usize)?;
        let mut offset = start;
        while offset < end {
            let block = offset / BLOCK_SIZE as u64;
            let at = (offset % BLOCK_SIZE as u64) as usize;
            let n = (BLOCK_SIZE - at).min((end - offset) as usize);
            if let Some(slot) = self.slots.iter().position(|s| s.block == Some(block)) {
                let need = sector_mask(at / SECTOR_SIZE, (at + n - 1) / SECTOR_SIZE);
                if self.slots[slot].valid & need != need {
                    self.fill(slot)?;
                }
                f(&self.slots[slot].data[at..at + n]);
            } else {
                let bytes = self.sectors_in(block) * SECTOR_SIZE;
                let device = self.device.as_mut().ok_or(IoError::NoMedium)?;
                device.read(block * SECTORS as u64, &mut self.scratch[..bytes])?;
                self.stats.device_reads += 1;
                self.stats.bytes_read += bytes as u64;
                f(&self.scratch[at..at + n]);
            }
            offset += n as u64;
        }
        Ok(())
    }

    /// Copies `data` into the cache at byte `offset`; the device sees it on eviction or flush.
    pub(crate) fn write_at(&mut self, mut offset: u64, mut data: &[u8]) -> Result<(), IoError> {
        self.check_range(offset, data.len())?;
        while !data.is_empty() {
            let block = offset / BLOCK_SIZE as u64;
            let at = (offset % BLOCK_SIZE as u64) as usize;
            let n = data.len().min(BLOCK_SIZE - at);
            let slot = self.slot_for(block)?;
            let first = at / SECTOR_SIZE;
            let last = (at + n - 1) / SECTOR_SIZE;
            // Sectors only partly overwritten must be read first, unless already here.
            let mut partial = 0u8;
            if !at.is_multiple_of(SECTOR_SIZE) {
                partial |= 1 << first;
            }
            if !(at + n).is_multiple_of(SECTOR_SIZE) {
                partial |= 1 << last;
            }
            if self.slots[slot].valid & partial != partial {
                self.fill(slot)?;
            }
            let s = &mut self.slots[slot];
            s.data[at..at + n].copy_from_slice(&data[..n]);
            let touched = sector_mask(first, last);
            s.valid |= touched;
            s.dirty |= touched;
            data = &data[n..];
            offset += n as u64;
        }
        Ok(())
    }

    /// Writes every dirty block back (in block order) and flushes the
    /// device; then applies the deferred frees and does it again.
    pub(crate) fn flush(&mut self) -> Result<(), IoError> {
        self.write_all_back()?;
        if self.pending_frees.is_empty() {
            return Ok(());
        }
        for (start, end) in core::mem::take(&mut self.pending_frees) {
            let zeros = [0u8; 4];
            let mut at = start;
            while at < end {
                // FAT32: keep the entry's top 4 bits, as fatfs does.
                let n = (end - at).min(self.fat.map_or(4, |f| f.entry_bytes)) as usize;
                let mut entry = [0u8; 4];
                self.read_at(at, &mut entry[..n])?;
                let mut value = zeros;
                if n == 4 {
                    value[3] = entry[3] & 0xF0;
                }
                self.write_at(at, &value[..n])?;
                at += n as u64;
            }
        }
        self.write_all_back()
    }

    fn write_all_back(&mut self) -> Result<(), IoError> {
        loop {
            let next = self
                .slots
                .iter()
                .enumerate()
                .filter(|(_, s)| s.dirty != 0)
                .min_by_key(|(_, s)| s.block)
                .map(|(i, _)| i);
            match next {
                Some(i) => self.write_back(i)?,
                None => break,
            }
        }
        if self.unflushed {
            self.device.as_mut().ok_or(IoError::NoMedium)?.flush()?;
            self.unflushed = false;
        }
        Ok(())
    }

    /// The slot holding `block`, evicting the least recently used one if needed.
    fn slot_for(&mut self, block: u64) -> Result<usize, IoError> {
        self.tick += 1;
        let hit = match self.slots.get(self.last) {
            Some(s) if s.block == Some(block) => Some(self.last),
            _ => self.slots.iter().position(|s| s.block == Some(block)),
        };
        if let Some(i) = hit {
            self.stats.cache_hits += 1;
            self.slots[i].last_use = self.tick;
            self.slots[i].ahead = false;
            self.last = i;
            return Ok(i);
        }
        self.stats.cache_misses += 1;
        let victim = self.least_recent(|_, _| true).unwrap_or(0);
        // On a failed write-back the victim keeps its data and stays dirty.
        self.write_back(victim)?;
        let s = &mut self.slots[victim];
        s.block = Some(block);
        s.valid = 0;
        s.dirty = 0;
        s.last_use = self.tick;
        s.ahead = false;
        self.last = victim;
        Ok(victim)
    }

    /// The slot to reuse among those `eligible` allows: an empty one, else the least recently used.
    fn least_recent(&self, eligible: impl Fn(usize, &Slot) -> bool) -> Option<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter(|&(i, s)| eligible(i, s))
            .min_by_key(|(_, s)| (s.block.is_some(), s.last_use))
            .map(|(i, _)| i)
    }

    /// Whether `block` holds file or directory data (not the FATs or the boot area).
    fn in_data(&self, block: u64) -> bool {
        self.clusters.is_some_and(|map| block * BLOCK_SIZE as u64 >= map.data_start)
    }

    /// Reads `block` into its empty `slot` together with the blocks after
    /// it, up to [`READ_AHEAD_BLOCKS`] in all and stopping at one already
    /// cached, in one device request; the others take the least recently
    /// used slots (never `slot`, nor read-ahead not read yet). A dirty slot
    /// that cannot be written back, or no slot to take, ends the run early:
    /// read-ahead is a guess, never worth an error.
    fn fill_ahead(&mut self, slot: usize, block: u64) -> Result<(), IoError> {
        let mut run = 1;
        while run < READ_AHEAD_BLOCKS.min(self.slots.len())
            && self.sectors_in(block + run as u64) == SECTORS
            && !self.slots.iter().any(|s| s.block == Some(block + run as u64))
        {
            run += 1;
        }
        let takeable = self.slots.iter().enumerate().filter(|&(j, s)| j != slot && !s.ahead).count();
        run = run.min(1 + takeable);
        if run == 1 {
            self.next_sequential = Some(block + 1);
            return self.fill(slot);
        }
        let bytes = run * BLOCK_SIZE;
        let device = self.device.as_mut().ok_or(IoError::NoMedium)?;
        device.read(block * SECTORS as u64, &mut self.scratch[..bytes])?;
        self.stats.device_reads += 1;
        self.stats.bytes_read += bytes as u64;
        let s = &mut self.slots[slot];
        s.data.copy_from_slice(&self.scratch[..BLOCK_SIZE]);
        s.valid = 0xFF;
        self.next_sequential = Some(block + run as u64);
        for i in 1..run {
            let Some(victim) = self.least_recent(|j, s| j != slot && !s.ahead) else { break };
            if self.write_back(victim).is_err() {
                self.next_sequential = Some(block + i as u64);
                break;
            }
            self.tick += 1;
            let v = &mut self.slots[victim];
            v.block = Some(block + i as u64);
            v.data.copy_from_slice(&self.scratch[i * BLOCK_SIZE..(i + 1) * BLOCK_SIZE]);
            v.valid = 0xFF;
            v.dirty = 0;
            v.last_use = self.tick;
            v.ahead = true;
        }
        // The block asked for stays the most recent: its reader comes back first.
        self.tick += 1;
        self.slots[slot].last_use = self.tick;
        self.last = slot;
        Ok(())
    }

    /// Reads the whole block and fills in every sector that is not valid yet.
    fn fill(&mut self, slot: usize) -> Result<(), IoError> {
        let Some(block) = self.slots[slot].block else {
            return Ok(());
        };
        let count = self.sectors_in(block);
        if count == 0 {
            return Err(IoError::OutOfRange);
        }
        let bytes = count * SECTOR_SIZE;
        let device = self.device.as_mut().ok_or(IoError::NoMedium)?;
        let s = &mut self.slots[slot];
        if s.valid == 0 {
            // Nothing to keep (the usual miss): straight into the slot, one copy fewer.
            device.read(block * SECTORS as u64, &mut s.data[..bytes])?;
            self.stats.device_reads += 1;
            self.stats.bytes_read += bytes as u64;
            s.valid = sector_mask(0, count - 1);
            return Ok(());
        }
        device.read(block * SECTORS as u64, &mut self.scratch[..bytes])?;
        self.stats.device_reads += 1;
        self.stats.bytes_read += bytes as u64;
        let s = &mut self.slots[slot];
        for i in 0..count {
            // Dirty (hence valid) sectors are newer than the device: keep them.
            if s.valid & (1 << i) == 0 {
                let r = i * SECTOR_SIZE..(i + 1) * SECTOR_SIZE;
                s.data[r.clone()].copy_from_slice(&self.scratch[r]);
            }
        }
        s.valid |= sector_mask(0, count - 1);
        Ok(())
    }

    /// Writes the dirty sectors of a slot: one request when the dirty span is all valid.
    fn write_back(&mut self, slot: usize) -> Result<(), IoError> {
        let (Some(block), dirty, valid) = (self.slots[slot].block, self.slots[slot].dirty, self.slots[slot].valid)
        else {
            return Ok(());
        };
        if dirty == 0 {
            return Ok(());
        }
        let first = dirty.trailing_zeros() as usize;
        let last = 7 - dirty.leading_zeros() as usize;
        let span = sector_mask(first, last);
        let runs: [(usize, usize); SECTORS] = if valid & span == span {
            let mut r = [(0, 0); SECTORS];
            r[0] = (first, last + 1);
            r
        } else {
            dirty_runs(dirty)
        };
        for &(start, end) in runs.iter().take_while(|(s, e)| s < e) {
            let bytes = start * SECTOR_SIZE..end * SECTOR_SIZE;
            let sector = block * SECTORS as u64 + start as u64;
            let device = self.device.as_mut().ok_or(IoError::NoMedium)?;
            device.write(sector, &self.slots[slot].data[bytes.clone()])?;
            self.stats.device_writes += 1;
            self.stats.bytes_written += bytes.len() as u64;
            self.unflushed = true;
            // Clear as we go so a failure later leaves only unwritten runs dirty.
            self.slots[slot].dirty &= !sector_mask(start, end - 1);
        }
        Ok(())
    }
}

/// A volume dropped without `unmount` still gets its data written (errors unheard).
impl<B: BlockDevice> Drop for BlockCache<B> {
    fn drop(&mut self) {
        // Without a device (taken after a flush) there is nothing left to write.
        if self.device.is_some() {
            let _ = self.flush();
        }
    }
}

/// Runs of consecutive dirty sectors as `(start, end)`; unused entries are `(0, 0)`.
fn dirty_runs(dirty: u8) -> [(usize, usize); SECTORS] {
    let mut runs = [(0, 0); SECTORS];
    let mut n = 0;
    let mut i = 0;
    while i < SECTORS {
        if dirty & (1 << i) != 0 {
            let start = i;
            while i < SECTORS && dirty & (1 << i) != 0 {
                i += 1;
            }
            runs[n] = (start, i);
            n += 1;
        } else {
            i += 1;
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    /// RAM device that records every request.
    struct Ram {
        data: Vec<u8>,
        log: Vec<(char, u64, usize)>,
        fail_writes: bool,
    }

    impl Ram {
        fn new(sectors: usize) -> Self {
            let data = (0..sectors * SECTOR_SIZE).map(|i| (i / SECTOR_SIZE) as u8).collect();
            Ram { data, log: vec![], fail_writes: false }
        }
    }

    impl BlockDevice for Ram {
        fn sectors(&self) -> u64 {
            (self.data.len() / SECTOR_SIZE) as u64
        }
        fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), IoError> {
            assert!(buf.len().is_multiple_of(SECTOR_SIZE) && buf.len() <= MAX_READ_SECTORS * SECTOR_SIZE);
            assert!(!buf.is_empty());
            let at = sector as usize * SECTOR_SIZE;
            buf.copy_from_slice(self.data.get(at..at + buf.len()).ok_or(IoError::OutOfRange)?);
            self.log.push(('r', sector, buf.len() / SECTOR_SIZE));
            Ok(())
        }
        fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), IoError> {
            assert!(buf.len().is_multiple_of(SECTOR_SIZE) && buf.len() <= BLOCK_SIZE && !buf.is_empty());
            if self.fail_writes {
                return Err(IoError::Device(-5));
            }
            let at = sector as usize * SECTOR_SIZE;
            self.data.get_mut(at..at + buf.len()).ok_or(IoError::OutOfRange)?.copy_from_slice(buf);
            self.log.push(('w', sector, buf.len() / SECTOR_SIZE));
            Ok(())
        }
        fn flush(&mut self) -> Result<(), IoError> {
            self.log.push(('f', 0, 0));
            Ok(())
        }
    }

    #[test]
    fn frees_reach_the_device_after_everything_else() {
        // FAT32 entries at bytes 0..4096 of a 16-sector device, "directory" after.
        let mut c = BlockCache::new(Ram::new(16), 2);
        c.set_fat(FatMap { start: 0, end: 4096, entry_bytes: 4 });
        c.write_at(40, &[7, 0, 0, 0x10]).unwrap();
        c.flush().unwrap();
        assert_eq!(c.defer_free(40, &[0, 0, 0, 0x10]), Ok(true), "a free is deferred");
        assert_eq!(c.defer_free(44, &[0, 0, 0, 0]), Ok(false), "already free");
        assert_eq!(c.defer_free(48, &[5, 0, 0, 0]), Ok(false), "not a free");
        assert_eq!(c.defer_free(4100, &[0; 4]), Ok(false), "not in the FAT");
        assert_eq!(c.defer_free(40, &[0; 4]), Err(()), "freed twice: a loop");
        let mut b = [0u8; 4];
        c.read_at(40, &mut b).unwrap();
        assert_eq!(b, [7, 0, 0, 0x10], "still in use until the flush");
        c.write_at(4096 + 32, &[0xE5]).unwrap(); // the directory change
        c.flush().unwrap();
        let d = c.take_device().unwrap();
        // The directory sector went out (with the rest) before the FAT sector's free.
        let dir = d.log.iter().position(|&(k, s, _)| k == 'w' && s == 8).unwrap();
        let free = d.log.iter().rposition(|&(k, s, _)| k == 'w' && s == 0).unwrap();
        assert!(dir < free, "{:?}", d.log);
        assert!(d.log[dir..free].contains(&('f', 0, 0)), "a device flush between them");
        assert_eq!(d.data[40..44], [0, 0, 0, 0x10]);
    }

    #[test]
    fn scans_find_loops_but_not_chains() {
        let visits = |clusters: &[u64]| {
            let mut s = Scan::default();
            // Two reads per cluster visit, at rising offsets within it.
            clusters.iter().position(|&c| s.read(c, c * 100).and_then(|()| s.read(c, c * 100 + 32)).is_err())
        };
        assert_eq!(visits(&[5, 6, 7, 9, 2, 3, 4]), None);
        assert_eq!(visits(&[5, 5]), Some(1), "a cluster that leads to itself");
        assert_eq!(visits(&[5, 6, 5]), Some(2));
        let looping: Vec<u64> = (0..10).chain((0..100).flat_map(|_| 10..17)).collect();
        let found = visits(&looping).expect("a tail then a loop of 7");
        assert!(found < 10 + 4 * 7, "found within a few turns: {found}");
    }

    #[test]
    fn masks_and_runs() {
        assert_eq!(sector_mask(0, 7), 0xFF);
        assert_eq!(sector_mask(0, 0), 0x01);
        assert_eq!(sector_mask(7, 7), 0x80);
        assert_eq!(sector_mask(2, 4), 0b0001_1100);
        assert_eq!(dirty_runs(0b1011_0001)[..4], [(0, 1), (4, 6), (7, 8), (0, 0)]);
    }

    #[test]
    fn reads_fetch_whole_blocks_once() {
        let mut c = BlockCache::new(Ram::new(64), 2);
        let mut buf = [0u8; 4];
        c.read_at(512 * 3 + 10, &mut buf).unwrap();
        assert_eq!(buf, [3; 4]);
        c.read_at(512 * 7, &mut buf).unwrap();
        assert_eq!(buf, [7; 4]);
        // Spanning two blocks: one more read.
        let mut big = vec![0u8; 1024];
        c.read_at(512 * 7, &mut big).unwrap();
        assert_eq!(big[..512], [7; 512]);
        assert_eq!(big[512..], [8; 512]);
        let d = c.take_device().unwrap();
        assert_eq!(d.log, [('r', 0, 8), ('r', 8, 8)]);
    }

    #[test]
    fn sequential_data_reads_read_ahead_in_one_request() {
        // Data from block 1 on; 12 blocks in all.
        let mut c = BlockCache::new(Ram::new(96), 12);
        c.set_clusters(ClusterMap { data_start: BLOCK_SIZE as u64, cluster_bytes: BLOCK_SIZE as u64 });
        let mut buf = vec![0u8; BLOCK_SIZE];
        // A block written (and so cached) before the read gets to it.
        c.write_at(9 * BLOCK_SIZE as u64, &[0xAB]).unwrap();
        for block in 1..10u64 {
            c.read_at(block * BLOCK_SIZE as u64, &mut buf).unwrap();
            let first = if block == 9 { 0xAB } else { (block * 8) as u8 };
            assert_eq!(buf[0], first);
            assert_eq!(buf[BLOCK_SIZE - 1], (block * 8 + 7) as u8);
        }
        // Not the sequel of the last read: one block only.
        c.read_at(11 * BLOCK_SIZE as u64, &mut buf).unwrap();
        c.read_at(0, &mut buf[..4]).unwrap();
        let d = c.take_device().unwrap();
        // The write's own fill; the first miss alone, the second reads
        // ahead three, the third stops before the cached block 9; block 11
        // is no sequel, block 0 (no data) neither.
        assert_eq!(d.log, [('r', 72, 8), ('r', 8, 8), ('r', 16, 32), ('r', 48, 24), ('r', 88, 8), ('r', 0, 8)]);
    }

    #[test]
    fn read_ahead_never_evicts_the_block_asked_for_and_survives_a_failed_write_back() {
        let mut c = BlockCache::new(Ram::new(64), 2);
        c.set_clusters(ClusterMap { data_start: 0, cluster_bytes: BLOCK_SIZE as u64 });
        let mut buf = vec![0u8; BLOCK_SIZE];
        c.read_at(0, &mut buf).unwrap();
        c.write_at(5 * BLOCK_SIZE as u64, &[1]).unwrap();
        c.device.as_mut().unwrap().fail_writes = true;
        // Block 1 reads ahead; the only other slot is dirty and cannot go out.
        c.read_at(BLOCK_SIZE as u64, &mut buf).unwrap();
        assert_eq!(buf[0], 8);
        c.read_at(5 * BLOCK_SIZE as u64, &mut buf[..1]).unwrap();
        assert_eq!(buf[0], 1, "the dirty block is still there");
        let d = c.take_device().unwrap();
        // The partial write's fill of block 5; then blocks 1 and 2 in one
        // request, block 2 dropped for want of a slot.
        assert_eq!(d.log, [('r', 0, 8), ('r', 40, 8), ('r', 8, 16)]);
    }

    #[test]
    fn read_ahead_leaves_other_unread_read_ahead_alone() {
        // Two readers of different places, four slots.
        let mut c = BlockCache::new(Ram::new(256), 4);
        c.set_clusters(ClusterMap { data_start: 0, cluster_bytes: BLOCK_SIZE as u64 });
        let mut buf = vec![0u8; 16];
        let at = |block: u64| block * BLOCK_SIZE as u64;
        c.read_at(at(0), &mut buf).unwrap();
        c.read_at(at(1), &mut buf).unwrap(); // and 2, 3, 4 ahead
        c.read_at(at(10), &mut buf).unwrap(); // takes 2's slot: a read beats a guess
        c.read_at(at(11), &mut buf).unwrap(); // takes 3's; 12 and 13 ahead, not over 4
        c.read_at(at(4), &mut buf).unwrap();
        assert_eq!(buf[0], 32);
        let d = c.take_device().unwrap();
        assert_eq!(d.log, [('r', 0, 8), ('r', 8, 32), ('r', 80, 8), ('r', 88, 24)]);
    }

    #[test]
    fn whole_sector_writes_need_no_read_and_go_out_as_one_request() {
        let mut c = BlockCache::new(Ram::new(64), 2);
        for i in 0..8u64 {
            c.write_at(BLOCK_SIZE as u64 + i * 512, &[0xAB; 512]).unwrap();
        }
        c.flush().unwrap();
        // Nothing dirty: a second flush does no I/O at all.
        c.flush().unwrap();
        let d = c.take_device().unwrap();
        assert_eq!(d.log, [('w', 8, 8), ('f', 0, 0)]);
        assert!(d.data[BLOCK_SIZE..2 * BLOCK_SIZE].iter().all(|&b| b == 0xAB));
    }

    #[test]
    fn partial_writes_merge_with_device_data() {
        let mut c = BlockCache::new(Ram::new(64), 1);
        c.write_at(512 * 2 + 100, &[0xEE; 8]).unwrap();
        // Evict by touching another block.
        let mut b = [0u8; 1];
        c.read_at(BLOCK_SIZE as u64 * 3, &mut b).unwrap();
        let stats = c.stats();
        let d = c.take_device().unwrap();
        assert_eq!(d.log, [('r', 0, 8), ('w', 2, 1), ('r', 24, 8)]);
        assert_eq!(d.data[512 * 2 + 99], 2);
        assert_eq!(d.data[512 * 2 + 100..512 * 2 + 108], [0xEE; 8]);
        assert_eq!(d.data[512 * 2 + 108], 2);
        assert_eq!((stats.cache_hits, stats.cache_misses), (0, 2));
        assert_eq!((stats.device_reads, stats.device_writes), (2, 1));
        assert_eq!(stats.bytes_written, 512);
    }

    #[test]
    fn holes_in_dirty_sectors_become_separate_requests() {
        let mut c = BlockCache::new(Ram::new(16), 1);
        c.write_at(0, &[1; 512]).unwrap();
        c.write_at(512 * 3, &[1; 1024]).unwrap();
        c.flush().unwrap();
        let d = c.take_device().unwrap();
        assert_eq!(d.log, [('w', 0, 1), ('w', 3, 2), ('f', 0, 0)]);
    }

    #[test]
    fn failed_write_back_keeps_data_dirty() {
        let mut c = BlockCache::new(Ram::new(16), 1);
        c.write_at(0, &[9; 512]).unwrap();
        c.device.as_mut().unwrap().fail_writes = true;
        assert_eq!(c.flush(), Err(IoError::Device(-5)));
        let mut b = [0u8; 1];
        // Eviction fails too, and the data is still readable from the cache.
        assert_eq!(c.read_at(BLOCK_SIZE as u64, &mut b), Err(IoError::Device(-5)));
        c.read_at(0, &mut b).unwrap();
        assert_eq!(b, [9]);
        c.device.as_mut().unwrap().fail_writes = false;
        c.flush().unwrap();
        assert_eq!(c.take_device().unwrap().data[..512], [9; 512]);
    }

    #[test]
    fn short_last_block_and_range_checks() {
        // 10 sectors: the second block has only 2.
        let mut c = BlockCache::new(Ram::new(10), 2);
        let mut b = [0u8; 512];
        c.read_at(512 * 9, &mut b).unwrap();
        assert_eq!(b, [9; 512]);
        assert_eq!(c.read_at(512 * 10, &mut b[..1]), Err(IoError::OutOfRange));
        assert_eq!(c.write_at(512 * 9 + 1, &b), Err(IoError::OutOfRange));
        assert_eq!(c.read_at(u64::MAX, &mut b[..1]), Err(IoError::OutOfRange));
        c.write_at(512 * 9, &[5; 512]).unwrap();
        c.flush().unwrap();
        let d = c.take_device().unwrap();
        assert_eq!(d.log, [('r', 8, 2), ('w', 9, 1), ('f', 0, 0)]);
        assert_eq!(c.flush(), Ok(()), "nothing dirty: no device needed");
    }
}
