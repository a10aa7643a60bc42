//! Volume-level facts: label, mount state with the reason it failed, statistics.

use core::fmt;

use crate::wire::{Reader, Writer};
use crate::{DecodeError, EncodeError};

/// Longest FAT volume label: the 11 bytes of the boot sector field.
pub const MAX_LABEL: usize = 11;

/// Why a string is not a volume label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelError {
    /// More than [`MAX_LABEL`] bytes.
    TooLong,
    /// A character FAT does not allow in labels.
    InvalidChar,
}

/// A FAT volume label: up to 11 of `A-Z 0-9 space !#$%&'()-@^_`{}~`.
///
/// Lowercase ASCII is upper-cased (FAT labels are upper case); trailing spaces
/// are dropped, as FAT pads with them. The empty label means "NO NAME".
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Label {
    bytes: [u8; MAX_LABEL],
    len: u8,
}

impl Label {
    /// The empty label (shown as `NO NAME` by most systems).
    pub const EMPTY: Label = Label { bytes: [b' '; MAX_LABEL], len: 0 };

    /// Validates and canonicalises a label.
    pub fn new(s: &str) -> Result<Label, LabelError> {
        let s = s.trim_end_matches(' ');
        if s.len() > MAX_LABEL {
            return Err(LabelError::TooLong);
        }
        let mut out = Label::EMPTY;
        for (dst, b) in out.bytes.iter_mut().zip(s.bytes()) {
            let up = b.to_ascii_uppercase();
            if !is_label_byte(up) {
                return Err(LabelError::InvalidChar);
            }
            *dst = up;
        }
        out.len = s.len() as u8;
        Ok(out)
    }

    /// Reads the label field of a boot sector as found, replacing what FAT forbids with `_`.
    pub fn from_disk(raw: &[u8]) -> Label {
        let mut out = Label::EMPTY;
        let raw = &raw[..raw.len().min(MAX_LABEL)];
        let len = raw.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1);
        for (dst, &b) in out.bytes.iter_mut().zip(&raw[..len]) {
            let up = b.to_ascii_uppercase();
            *dst = if is_label_byte(up) { up } else { b'_' };
        }
        out.len = len as u8;
        if out.as_str() == "NO NAME" {
            return Label::EMPTY;
        }
        out
    }

    /// The label text (ASCII).
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored.
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    /// True for the empty label.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The 11-byte, space-padded form stored in the boot sector.
    pub fn padded(&self) -> [u8; MAX_LABEL] {
        if self.is_empty() {
            *b"NO NAME    "
        } else {
            self.bytes
        }
    }

    /// Strict: only the canonical form decodes, so each label has one encoding.
    pub(crate) fn from_wire(bytes: &[u8]) -> Result<Label, DecodeError> {
        let s = core::str::from_utf8(bytes).map_err(|_| DecodeError::Invalid)?;
        match Label::new(s) {
            Ok(label) if label.as_str() == s => Ok(label),
            _ => Err(DecodeError::Invalid),
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Label, DecodeError> {
        let len = r.u8()?;
        Label::from_wire(r.bytes(usize::from(len))?)
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u8(self.len)?;
        w.bytes(self.as_str().as_bytes())
    }
}

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit() || b" !#$%&'()-@^_`{}~".contains(&b)
}

impl Default for Label {
    fn default() -> Self {
        Label::EMPTY
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the device holds no FAT file system at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unformatted {
    /// Sector 0 does not end in `55 AA` (e.g. a blank device).
    NoBootSignature,
    /// Sector 0 has the signature but no FAT BPB (e.g. a partition table).
    NoFatBpb,
}

impl Unformatted {
    const ALL: [Unformatted; 2] = [Unformatted::NoBootSignature, Unformatted::NoFatBpb];

    /// Stable wire code.
    pub const fn code(self) -> u8 {
        match self {
            Unformatted::NoBootSignature => 1,
            Unformatted::NoFatBpb => 2,
        }
    }

    /// Short human text.
    pub const fn text(self) -> &'static str {
        match self {
            Unformatted::NoBootSignature => "no boot signature in sector 0",
            Unformatted::NoFatBpb => "no FAT boot parameter block",
        }
    }
}

/// Which consistency check of the boot sector or FAT structures failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Corruption {
    /// Bytes per sector is not 512 (the device's sector size).
    BytesPerSector,
    /// Sectors per cluster is not a power of two ≤ 128.
    SectorsPerCluster,
    /// Reserved sector count is 0, or FSInfo/backup lie outside it.
    ReservedSectors,
    /// Number of FATs is not 1 or 2.
    FatCount,
    /// Root entry count is wrong for the FAT type.
    RootEntries,
    /// Total sectors is 0, contradictory, or leaves no data area.
    TotalSectors,
    /// The volume claims more sectors than the device has.
    LargerThanDevice,
    /// Sectors per FAT is 0 or too small for the cluster count.
    FatSize,
    /// The cluster count does not fit the FAT type the BPB declares.
    ClusterCount,
    /// A FAT32 version other than 0.0.
    FsVersion,
    /// The FAT32 root directory cluster is outside the data area.
    RootCluster,
    /// The FAT32 FSInfo sector has bad signatures.
    FsInfo,
    /// The FAT driver refused the volume after the boot sector checks passed.
    Rejected,
}

impl Corruption {
    const ALL: [Corruption; 13] = [
        Corruption::BytesPerSector,
        Corruption::SectorsPerCluster,
        Corruption::ReservedSectors,
        Corruption::FatCount,
        Corruption::RootEntries,
        Corruption::TotalSectors,
        Corruption::LargerThanDevice,
        Corruption::FatSize,
        Corruption::ClusterCount,
        Corruption::FsVersion,
        Corruption::RootCluster,
        Corruption::FsInfo,
        Corruption::Rejected,
    ];

    /// Stable wire code.
    pub const fn code(self) -> u8 {
        match self {
            Corruption::BytesPerSector => 1,
            Corruption::SectorsPerCluster => 2,
            Corruption::ReservedSectors => 3,
            Corruption::FatCount => 4,
            Corruption::RootEntries => 5,
            Corruption::TotalSectors => 6,
            Corruption::LargerThanDevice => 7,
            Corruption::FatSize => 8,
            Corruption::ClusterCount => 9,
            Corruption::FsVersion => 10,
            Corruption::RootCluster => 11,
            Corruption::FsInfo => 12,
            Corruption::Rejected => 13,
        }
    }

    /// Short human text naming the failed check.
    pub const fn text(self) -> &'static str {
        match self {
            Corruption::BytesPerSector => "bytes per sector is not 512",
            Corruption::SectorsPerCluster => "sectors per cluster is not a power of two",
            Corruption::ReservedSectors => "reserved sector count is invalid",
            Corruption::FatCount => "number of FATs is not 1 or 2",
            Corruption::RootEntries => "root entry count is wrong for the FAT type",
            Corruption::TotalSectors => "total sector count is invalid",
            Corruption::LargerThanDevice => "volume is larger than the device",
            Corruption::FatSize => "FAT is too small for the cluster count",
            Corruption::ClusterCount => "cluster count does not match the FAT type",
            Corruption::FsVersion => "unsupported FAT32 version",
            Corruption::RootCluster => "root directory cluster out of range",
            Corruption::FsInfo => "FSInfo sector signature is invalid",
            Corruption::Rejected => "rejected by the FAT driver",
        }
    }
}

/// Why no volume is mounted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotMounted {
    /// No block device was found.
    NoDevice,
    /// The device is blank or holds something else; `Format` would help.
    Unformatted(Unformatted),
    /// A FAT file system whose structures are inconsistent; never auto-formatted.
    Corrupt(Corruption),
    /// The device failed while the boot sector was read.
    Io,
    /// The service restarted `restarts` times in a row while using this
    /// volume (a fault inside volume code each time), so it no longer
    /// touches it: every request gets `NotMounted` until `Format` or a
    /// reboot with a replaced volume.
    Faulty {
        /// Consecutive restarts inside volume code (at least 1).
        restarts: u8,
    },
}

impl NotMounted {
    /// Short human text.
    pub const fn text(self) -> &'static str {
        match self {
            NotMounted::NoDevice => "no block device",
            NotMounted::Unformatted(u) => u.text(),
            NotMounted::Corrupt(c) => c.text(),
            NotMounted::Io => "device I/O error",
            // Static text (status pages copy it): the counts a service reaches.
            NotMounted::Faulty { restarts } => match restarts {
                1 => "faulty: the service restarted 1 time while using this volume",
                2 => "faulty: the service restarted 2 times in a row while using this volume",
                3 => "faulty: the service restarted 3 times in a row while using this volume",
                4 => "faulty: the service restarted 4 times in a row while using this volume",
                _ => "faulty: the service restarted repeatedly while using this volume",
            },
        }
    }

    fn to_wire(self) -> (u8, u8) {
        match self {
            NotMounted::NoDevice => (0, 0),
            NotMounted::Unformatted(u) => (1, u.code()),
            NotMounted::Corrupt(c) => (2, c.code()),
            NotMounted::Io => (3, 0),
            NotMounted::Faulty { restarts } => (4, restarts),
        }
    }

    fn from_wire(reason: u8, detail: u8) -> Result<NotMounted, DecodeError> {
        let unformatted = || Unformatted::ALL.into_iter().find(|u| u.code() == detail);
        let corrupt = || Corruption::ALL.into_iter().find(|c| c.code() == detail);
        match (reason, detail) {
            (0, 0) => Ok(NotMounted::NoDevice),
            (1, _) => unformatted().map(NotMounted::Unformatted).ok_or(DecodeError::Invalid),
            (2, _) => corrupt().map(NotMounted::Corrupt).ok_or(DecodeError::Invalid),
            (3, 0) => Ok(NotMounted::Io),
            (4, restarts @ 1..) => Ok(NotMounted::Faulty { restarts }),
            _ => Err(DecodeError::Invalid),
        }
    }
}

/// Counters since mount, for a status page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VolumeStats {
    /// Read requests sent to the block device.
    pub device_reads: u64,
    /// Write requests sent to the block device.
    pub device_writes: u64,
    /// Bytes read from the device.
    pub bytes_read: u64,
    /// Bytes written to the device.
    pub bytes_written: u64,
    /// Accesses served by the sector cache.
    pub cache_hits: u64,
    /// Accesses that needed the device.
    pub cache_misses: u64,
}

impl VolumeStats {
    const WIRE_LEN: usize = 6 * 8;

    fn fields(&self) -> [u64; 6] {
        [self.device_reads, self.device_writes, self.bytes_read, self.bytes_written, self.cache_hits, self.cache_misses]
    }
}

/// Mounted or not: the answer to `VolumeStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VolumeStatus {
    /// A FAT volume is mounted.
    Mounted {
        /// Its label.
        label: Label,
        /// I/O counters.
        stats: VolumeStats,
    },
    /// Nothing usable is mounted.
    NotMounted(NotMounted),
}

impl VolumeStatus {
    pub(crate) fn wire_len(&self) -> usize {
        match self {
            VolumeStatus::Mounted { label, .. } => 1 + 1 + label.as_str().len() + VolumeStats::WIRE_LEN,
            VolumeStatus::NotMounted(_) => 1 + 2,
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<VolumeStatus, DecodeError> {
        match r.u8()? {
            0 => {
                let label = Label::read(r)?;
                let stats = VolumeStats {
                    device_reads: r.u64()?,
                    device_writes: r.u64()?,
                    bytes_read: r.u64()?,
                    bytes_written: r.u64()?,
                    cache_hits: r.u64()?,
                    cache_misses: r.u64()?,
                };
                Ok(VolumeStatus::Mounted { label, stats })
            }
            1 => {
                let reason = r.u8()?;
                let detail = r.u8()?;
                Ok(VolumeStatus::NotMounted(NotMounted::from_wire(reason, detail)?))
            }
            _ => Err(DecodeError::Invalid),
        }
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        match self {
            VolumeStatus::Mounted { label, stats } => {
                w.u8(0)?;
                label.write(w)?;
                stats.fields().iter().try_for_each(|&v| w.u64(v))
            }
            VolumeStatus::NotMounted(why) => {
                let (reason, detail) = why.to_wire();
                w.u8(1)?;
                w.u8(reason)?;
                w.u8(detail)
            }
        }
    }
}

/// Size of the volume and what is left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FreeSpace {
    /// Bytes in all data clusters.
    pub total_bytes: u64,
    /// Bytes in free clusters (never more than `total_bytes`).
    pub free_bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(Label::new("test").unwrap().as_str(), "TEST");
        assert_eq!(Label::new("MY DISK  ").unwrap().as_str(), "MY DISK");
        assert_eq!(Label::new("ABCDEFGHIJK").unwrap().as_str(), "ABCDEFGHIJK");
        assert_eq!(Label::new("ABCDEFGHIJKL"), Err(LabelError::TooLong));
        assert_eq!(Label::new("A*B"), Err(LabelError::InvalidChar));
        assert_eq!(Label::new("Ü"), Err(LabelError::InvalidChar));
        assert_eq!(Label::new("a.b"), Err(LabelError::InvalidChar));
        assert!(Label::new("").unwrap().is_empty());
        assert_eq!(Label::new("").unwrap().padded(), *b"NO NAME    ");
        assert_eq!(Label::new("x").unwrap().padded(), *b"X          ");
        assert_eq!(Label::from_disk(b"TEST       ").as_str(), "TEST");
        assert_eq!(Label::from_disk(b"NO NAME    "), Label::EMPTY);
        assert_eq!(Label::from_disk(b"a*\xff       ").as_str(), "A__");
        assert_eq!(Label::from_disk(b"").as_str(), "");
    }

    #[test]
    fn reasons_have_unique_codes_and_texts() {
        let mut seen = std::collections::HashSet::new();
        for c in Corruption::ALL {
            assert!(seen.insert(c.code()));
            assert!(!c.text().is_empty());
            let s = NotMounted::Corrupt(c);
            let (r, d) = s.to_wire();
            assert_eq!(NotMounted::from_wire(r, d), Ok(s));
        }
        for u in Unformatted::ALL {
            let s = NotMounted::Unformatted(u);
            let (r, d) = s.to_wire();
            assert_eq!(NotMounted::from_wire(r, d), Ok(s));
        }
        assert_eq!(NotMounted::from_wire(2, 0), Err(DecodeError::Invalid));
        assert_eq!(NotMounted::from_wire(2, 99), Err(DecodeError::Invalid));
        assert_eq!(NotMounted::from_wire(0, 1), Err(DecodeError::Invalid));
        assert_eq!(NotMounted::from_wire(4, 0), Err(DecodeError::Invalid));
        assert_eq!(NotMounted::Io.text(), "device I/O error");
        for restarts in 1..=255 {
            let s = NotMounted::Faulty { restarts };
            assert_eq!(NotMounted::from_wire(4, restarts), Ok(s));
            assert_eq!(s.to_wire(), (4, restarts));
            assert!(s.text().starts_with("faulty: the service restarted"));
        }
        assert_eq!(NotMounted::from_wire(4, 0), Err(DecodeError::Invalid));
        assert_eq!(
            NotMounted::Faulty { restarts: 3 }.text(),
            "faulty: the service restarted 3 times in a row while using this volume"
        );
    }
}
