//! The FAT32 free-cluster count in FSInfo, made right before fatfs mounts.
//!
//! fatfs ignores the stored count of a volume marked dirty (a crash, a power
//! cut mid-write) and has none for a volume it formatted itself; it then
//! counts on the first `stats()`, one entry at a time through its stream:
//! about 9 s for an 8 GiB volume on the twin, with every client of the
//! storage service waiting. Here the FAT is read a block at a time and the
//! count stored, so fatfs takes it from FSInfo as for a clean volume.

use crate::boot::Geometry;
use crate::cache::BlockCache;
use crate::device::{BlockDevice, IoError, SECTOR_SIZE};

/// FAT32 boot sector byte holding the dirty flag (bit 0; fatfs `reserved_1`).
pub(crate) const FAT32_STATUS_AT: u64 = 0x41;
/// FSInfo byte offsets: free cluster count, then next free cluster hint.
const FREE_COUNT_AT: u64 = 488;
/// What FSInfo holds for "not known".
const UNKNOWN: u32 = 0xFFFF_FFFF;

/// On a FAT32 volume (`fs_info` sector) whose stored free count fatfs
/// would not use, counts the free clusters, stores the count, then clears
/// the dirty flag (in that order: a cut between them only counts again).
/// Returns whether the volume was marked dirty (not cleanly unmounted).
pub(crate) fn keep_free_count<B: BlockDevice>(
    cache: &mut BlockCache<B>,
    geometry: &Geometry,
    fs_info: u16,
) -> Result<bool, IoError> {
    let mut flags = [0u8; 1];
    cache.read_at(FAT32_STATUS_AT, &mut flags)?;
    let was_dirty = flags[0] & 1 != 0;
    let count_at = u64::from(fs_info) * SECTOR_SIZE as u64 + FREE_COUNT_AT;
    let mut stored = [0u8; 4];
    cache.read_at(count_at, &mut stored)?;
    let stored = u32::from_le_bytes(stored);
    if !was_dirty && stored != UNKNOWN && u64::from(stored) <= geometry.clusters {
        return Ok(false);
    }
    let free = count_free_fat32(cache, geometry)?;
    cache.write_at(count_at, &free.to_le_bytes())?;
    cache.flush()?;
    if was_dirty {
        cache.write_at(FAT32_STATUS_AT, &[flags[0] & !1])?;
        cache.flush()?;
    }
    Ok(was_dirty)
}

/// Free entries (low 28 bits zero) for clusters 2 and up in the first FAT.
fn count_free_fat32<B: BlockDevice>(cache: &mut BlockCache<B>, geometry: &Geometry) -> Result<u32, IoError> {
    let start = geometry.fat_start * SECTOR_SIZE as u64;
    // Entries 0 and 1 are reserved; whole entries only (blocks are 4-aligned).
    let first = start + 8;
    let end = start + (geometry.clusters + 2) * 4;
    let mut free = 0u32;
    cache.read_through(first, end, |bytes| {
        for entry in bytes.chunks_exact(4) {
            let value = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
            free += u32::from(value & 0x0FFF_FFFF == 0);
        }
    })?;
    Ok(free)
}
