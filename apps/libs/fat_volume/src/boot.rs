//! Boot sector checks run before fatfs sees the volume: name what is wrong.
//!
//! fatfs validates less than this (and divides by BPB fields), so a blank or
//! damaged device must be caught here, with the failed check named.

use core::fmt;

use proto_storage::{Corruption, NotMounted, Unformatted};

use crate::device::{IoError, SECTOR_SIZE};

/// Why [`FatVolume::mount`](crate::FatVolume::mount) failed. Mounting never writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountError {
    /// The device reports no sectors.
    NoDevice,
    /// Reading the boot sector or FSInfo failed.
    Io(IoError),
    /// No FAT file system on the device.
    Unformatted(Unformatted),
    /// A FAT file system that fails a consistency check.
    Corrupt(Corruption),
}

impl MountError {
    /// The reason as reported by `VolumeStatus`.
    pub fn reason(self) -> NotMounted {
        match self {
            MountError::NoDevice => NotMounted::NoDevice,
            MountError::Io(_) => NotMounted::Io,
            MountError::Unformatted(u) => NotMounted::Unformatted(u),
            MountError::Corrupt(c) => NotMounted::Corrupt(c),
        }
    }
}

impl fmt::Display for MountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MountError::Io(e) => write!(f, "I/O error reading the boot sector: {e}"),
            MountError::Corrupt(c) => write!(f, "corrupt file system: {}", c.text()),
            other => f.write_str(other.reason().text()),
        }
    }
}

/// Layout facts the mount needs after the checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    /// Sector of the FAT32 FSInfo structure, `None` on FAT12/16.
    pub(crate) fs_info_sector: Option<u16>,
    /// Data clusters.
    pub(crate) clusters: u64,
    /// First sector of the data area (cluster 2).
    pub(crate) data_start: u64,
    /// Sectors per cluster.
    pub(crate) sectors_per_cluster: u64,
    /// First sector of the first FAT, and sectors of all FATs together.
    pub(crate) fat_start: u64,
    pub(crate) fat_sectors: u64,
    /// Bits per FAT entry: 12, 16 or 32.
    pub(crate) fat_bits: u8,
}

fn u16_at(s: &[u8; SECTOR_SIZE], at: usize) -> u16 {
    u16::from_le_bytes([s[at], s[at + 1]])
}

fn u32_at(s: &[u8; SECTOR_SIZE], at: usize) -> u32 {
    u32::from_le_bytes([s[at], s[at + 1], s[at + 2], s[at + 3]])
}

/// Checks sector 0 against the FAT specification and the device size.
pub(crate) fn check_boot_sector(s: &[u8; SECTOR_SIZE], device_sectors: u64) -> Result<Geometry, MountError> {
    use Corruption as C;
    let corrupt = |c| Err(MountError::Corrupt(c));
    if s[510..512] != [0x55, 0xAA] {
        return Err(MountError::Unformatted(Unformatted::NoBootSignature));
    }
    let bytes_per_sector = u16_at(s, 11);
    let sectors_per_cluster = s[13];
    let reserved = u16_at(s, 14);
    let fats = s[16];
    let root_entries = u16_at(s, 17);
    let total16 = u16_at(s, 19);
    let fat_size16 = u16_at(s, 22);
    let total32 = u32_at(s, 32);
    // A jump instruction and a non-empty BPB mark a FAT boot sector; an MBR has neither.
    let jump = s[0] == 0xEB || s[0] == 0xE9;
    if !jump || (bytes_per_sector == 0 && sectors_per_cluster == 0 && fats == 0) {
        return Err(MountError::Unformatted(Unformatted::NoFatBpb));
    }
    if usize::from(bytes_per_sector) != SECTOR_SIZE {
        return corrupt(C::BytesPerSector);
    }
    if !sectors_per_cluster.is_power_of_two() {
        return corrupt(C::SectorsPerCluster);
    }
    if reserved == 0 {
        return corrupt(C::ReservedSectors);
    }
    if fats == 0 || fats > 2 {
        return corrupt(C::FatCount);
    }
    // fatfs decides FAT32 by this field alone; so must we.
    let fat32 = fat_size16 == 0;
    if fat32 != (root_entries == 0) {
        return corrupt(C::RootEntries);
    }
    let (fat_size, fs_info) = if fat32 {
        let fat_size32 = u32_at(s, 36);
        let ext_flags = u16_at(s, 40);
        let version = u16_at(s, 42);
        let fs_info = u16_at(s, 48);
        let backup = u16_at(s, 50);
        if version != 0 {
            return corrupt(C::FsVersion);
        }
        if fs_info == 0 || fs_info >= reserved || backup >= reserved {
            return corrupt(C::ReservedSectors);
        }
        // With mirroring off, the active FAT must exist.
        if ext_flags & 0x80 != 0 && u8::try_from(ext_flags & 0x0F).unwrap_or(u8::MAX) >= fats {
            return corrupt(C::FatCount);
        }
        (fat_size32, Some(fs_info))
    } else {
        (u32::from(fat_size16), None)
    };
    if fat_size == 0 {
        return corrupt(C::FatSize);
    }
    let total = match (total16, total32) {
        (0, 0) => return corrupt(C::TotalSectors),
        (0, t) => t,
        (t, 0) if !fat32 => u32::from(t),
        (t, t32) if !fat32 && u32::from(t) == t32 => t32,
        _ => return corrupt(C::TotalSectors),
    };
    let root_dir_sectors = (u64::from(root_entries) * 32).div_ceil(SECTOR_SIZE as u64);
    let first_data = u64::from(reserved) + u64::from(fats) * u64::from(fat_size) + root_dir_sectors;
    if u64::from(total) <= first_data {
        return corrupt(C::TotalSectors);
    }
    if u64::from(total) > device_sectors {
        return corrupt(C::LargerThanDevice);
    }
    let clusters = (u64::from(total) - first_data) / u64::from(sectors_per_cluster);
    let (bits, fat32_by_count) = match clusters {
        0..=4084 => (12, false),
        4085..=65524 => (16, false),
        65525..=0x0FFF_FFF4 => (32, true),
        _ => return corrupt(C::ClusterCount),
    };
    if fat32 != fat32_by_count {
        return corrupt(C::ClusterCount);
    }
    // Every cluster (plus the two reserved entries) needs a FAT entry.
    if u64::from(fat_size) * SECTOR_SIZE as u64 * 8 / bits < clusters + 2 {
        return corrupt(C::FatSize);
    }
    if fat32 {
        let root = u64::from(u32_at(s, 44));
        if root < 2 || root >= clusters + 2 {
            return corrupt(C::RootCluster);
        }
    }
    Ok(Geometry {
        fs_info_sector: fs_info,
        clusters,
        data_start: first_data,
        sectors_per_cluster: u64::from(sectors_per_cluster),
        fat_start: u64::from(reserved),
        fat_sectors: u64::from(fats) * u64::from(fat_size),
        fat_bits: bits as u8,
    })
}

/// Checks the three FSInfo signatures (fatfs refuses the volume otherwise).
pub(crate) fn check_fs_info(s: &[u8; SECTOR_SIZE]) -> Result<(), MountError> {
    if u32_at(s, 0) == 0x4161_5252 && u32_at(s, 484) == 0x6141_7272 && u32_at(s, 508) == 0xAA55_0000 {
        Ok(())
    } else {
        Err(MountError::Corrupt(Corruption::FsInfo))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The boot sector `mkfs.fat -F 32` writes for a 64 MiB image.
    fn fat32() -> [u8; SECTOR_SIZE] {
        let mut s = [0u8; SECTOR_SIZE];
        s[0..3].copy_from_slice(&[0xEB, 0x58, 0x90]);
        s[11..13].copy_from_slice(&512u16.to_le_bytes());
        s[13] = 1;
        s[14..16].copy_from_slice(&32u16.to_le_bytes());
        s[16] = 2;
        s[21] = 0xF8;
        s[32..36].copy_from_slice(&131_072u32.to_le_bytes());
        s[36..40].copy_from_slice(&1009u32.to_le_bytes());
        s[44..48].copy_from_slice(&2u32.to_le_bytes());
        s[48..50].copy_from_slice(&1u16.to_le_bytes());
        s[50..52].copy_from_slice(&6u16.to_le_bytes());
        s[510] = 0x55;
        s[511] = 0xAA;
        s
    }

    /// A FAT16 boot sector for 16 MiB with 2 KiB clusters.
    fn fat16() -> [u8; SECTOR_SIZE] {
        let mut s = fat32();
        s[13] = 4;
        s[14..16].copy_from_slice(&1u16.to_le_bytes());
        s[17..19].copy_from_slice(&512u16.to_le_bytes());
        s[19..21].copy_from_slice(&32_768u16.to_le_bytes());
        s[22..24].copy_from_slice(&32u16.to_le_bytes());
        s[32..36].copy_from_slice(&0u32.to_le_bytes());
        s
    }

    fn set(mut s: [u8; SECTOR_SIZE], at: usize, bytes: &[u8]) -> [u8; SECTOR_SIZE] {
        s[at..at + bytes.len()].copy_from_slice(bytes);
        s
    }

    #[test]
    fn good_boot_sectors_pass() {
        let g = check_boot_sector(&fat32(), 131_072).unwrap();
        assert_eq!(g.fs_info_sector, Some(1));
        assert!(g.clusters >= 65_525 && g.sectors_per_cluster >= 1 && g.data_start > 32);
        let g = check_boot_sector(&fat16(), 32_768).unwrap();
        assert_eq!(g.fs_info_sector, None);
        assert!((4085..65_525).contains(&g.clusters));
    }

    #[test]
    fn each_check_is_named() {
        use Corruption as C;
        let u = |x| Err(MountError::Unformatted(x));
        let c = |x| Err(MountError::Corrupt(x));
        let cases: Vec<([u8; SECTOR_SIZE], Result<Geometry, MountError>)> = vec![
            ([0; SECTOR_SIZE], u(Unformatted::NoBootSignature)),
            (set(fat32(), 510, &[0x55, 0xAB]), u(Unformatted::NoBootSignature)),
            (set(fat32(), 0, &[0]), u(Unformatted::NoFatBpb)),
            (set(set(fat32(), 11, &[0, 0, 0]), 16, &[0]), u(Unformatted::NoFatBpb)),
            (set(fat32(), 11, &[0, 4]), c(C::BytesPerSector)),
            (set(fat32(), 11, &[0, 0]), c(C::BytesPerSector)),
            (set(fat32(), 13, &[3]), c(C::SectorsPerCluster)),
            (set(fat32(), 13, &[0]), c(C::SectorsPerCluster)),
            (set(fat32(), 14, &[0, 0]), c(C::ReservedSectors)),
            (set(fat32(), 48, &[40, 0]), c(C::ReservedSectors)),
            (set(fat32(), 50, &[32, 0]), c(C::ReservedSectors)),
            (set(fat32(), 16, &[0]), c(C::FatCount)),
            (set(fat32(), 16, &[3]), c(C::FatCount)),
            (set(fat32(), 40, &[0x82, 0]), c(C::FatCount)),
            (set(fat32(), 17, &[1, 0]), c(C::RootEntries)),
            (set(fat16(), 17, &[0, 0]), c(C::RootEntries)),
            (set(fat32(), 42, &[0, 1]), c(C::FsVersion)),
            (set(fat32(), 36, &[0, 0, 0, 0]), c(C::FatSize)),
            (set(fat32(), 36, &[0, 1, 0, 0]), c(C::FatSize)),
            (set(fat32(), 32, &[0, 0, 0, 0]), c(C::TotalSectors)),
            (set(fat32(), 19, &[1, 0]), c(C::TotalSectors)),
            (set(fat16(), 32, &[1, 0, 0, 0]), c(C::TotalSectors)),
            (set(fat32(), 32, &[100, 0, 0, 0]), c(C::TotalSectors)),
            (set(fat32(), 32, &[0, 0, 3, 0]), c(C::LargerThanDevice)),
            (set(fat32(), 13, &[64]), c(C::ClusterCount)),
            (set(set(set(fat16(), 13, &[1]), 19, &[0, 0]), 32, &100_000u32.to_le_bytes()), c(C::ClusterCount)),
            (set(fat32(), 44, &[1, 0, 0, 0]), c(C::RootCluster)),
            (set(fat32(), 44, &[0, 0, 2, 0]), c(C::RootCluster)),
        ];
        for (i, (sector, want)) in cases.iter().enumerate() {
            assert_eq!(check_boot_sector(sector, 131_072), *want, "case {i}");
        }
    }

    #[test]
    fn fs_info_signatures() {
        let mut s = [0u8; SECTOR_SIZE];
        assert_eq!(check_fs_info(&s), Err(MountError::Corrupt(Corruption::FsInfo)));
        s[0..4].copy_from_slice(&0x4161_5252u32.to_le_bytes());
        s[484..488].copy_from_slice(&0x6141_7272u32.to_le_bytes());
        s[508..512].copy_from_slice(&0xAA55_0000u32.to_le_bytes());
        assert_eq!(check_fs_info(&s), Ok(()));
        assert_eq!(MountError::Corrupt(Corruption::FsInfo).reason(), NotMounted::Corrupt(Corruption::FsInfo));
    }
}
