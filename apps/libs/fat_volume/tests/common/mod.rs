//! Shared test helpers: a file-backed block device and the host FAT tools.
#![allow(dead_code)]

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use fat_volume::{BlockDevice, FatVolume, IoError, MAX_READ_SECTORS, MAX_TRANSFER_SECTORS, SECTOR_SIZE};
use proto_storage::{normalize, Handle, NormPath, OpenMode};
use sha2::{Digest, Sha256};

/// An image file as a block device; checks every request is what the trait promises.
pub struct FileDevice {
    file: File,
    sectors: u64,
}

impl FileDevice {
    pub fn open(path: &Path) -> FileDevice {
        let file = OpenOptions::new().read(true).write(true).open(path).unwrap();
        let sectors = file.metadata().unwrap().len() / SECTOR_SIZE as u64;
        FileDevice { file, sectors }
    }

    fn check(&self, sector: u64, len: usize, most: usize) {
        assert!(len > 0 && len.is_multiple_of(SECTOR_SIZE), "partial sector: {len}");
        assert!(len <= most * SECTOR_SIZE, "transfer too big: {len}");
        assert!(sector + (len / SECTOR_SIZE) as u64 <= self.sectors, "past the end");
    }
}

impl BlockDevice for FileDevice {
    fn sectors(&self) -> u64 {
        self.sectors
    }

    fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.check(sector, buf.len(), MAX_READ_SECTORS);
        self.file.seek(SeekFrom::Start(sector * SECTOR_SIZE as u64)).unwrap();
        self.file.read_exact(buf).map_err(|_| IoError::Device(-1))
    }

    fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), IoError> {
        self.check(sector, buf.len(), MAX_TRANSFER_SECTORS);
        self.file.seek(SeekFrom::Start(sector * SECTOR_SIZE as u64)).unwrap();
        self.file.write_all(buf).map_err(|_| IoError::Device(-1))
    }

    fn flush(&mut self) -> Result<(), IoError> {
        self.file.flush().map_err(|_| IoError::Device(-2))
    }
}

/// A blank image file of `mib` MiB in `dir`.
pub fn blank_image(dir: &Path, name: &str, mib: u64) -> PathBuf {
    let path = dir.join(name);
    File::create(&path).unwrap().set_len(mib << 20).unwrap();
    path
}

/// A fresh `mkfs.fat -F 32 -n TEST` image.
pub fn fat32_image(dir: &Path, name: &str, mib: u64) -> PathBuf {
    let path = blank_image(dir, name, mib);
    mkfs(&path, &["-F", "32", "-n", "TEST"]);
    path
}

pub fn mkfs(path: &Path, args: &[&str]) {
    let out = Command::new("mkfs.fat").args(args).arg(path).output().unwrap();
    assert!(out.status.success(), "mkfs.fat: {}", String::from_utf8_lossy(&out.stderr));
}

/// `fsck.fat -n`: true if clean; the output for the assertion message.
pub fn fsck(path: &Path) -> (bool, String) {
    let out = Command::new("fsck.fat").arg("-n").arg(path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

pub fn assert_clean(path: &Path) {
    let (ok, text) = fsck(path);
    if !ok {
        let _ = std::fs::copy(path, "/tmp/failed.img");
    }
    assert!(ok, "fsck.fat -n reports problems:\n{text}");
}

fn mtools(cmd: &str) -> Command {
    let mut c = Command::new(cmd);
    c.env("MTOOLS_SKIP_CHECK", "1").env("LC_ALL", "C.UTF-8");
    c
}

/// A file's bytes as mtools reads them (`mcopy -i img ::/path -`).
pub fn mcopy_out(image: &Path, path: &str) -> Vec<u8> {
    let out = mtools("mcopy").arg("-i").arg(image).arg(format!("::{path}")).arg("-").output().unwrap();
    assert!(out.status.success(), "mcopy {path}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Writes `data` to `path` on the image with mtools.
pub fn mcopy_in(image: &Path, path: &str, data: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::write(&src, data).unwrap();
    let out = mtools("mcopy").arg("-i").arg(image).arg(&src).arg(format!("::{path}")).output().unwrap();
    assert!(out.status.success(), "mcopy in {path}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `mmd` on the image.
pub fn mmd(image: &Path, path: &str) {
    let out = mtools("mmd").arg("-i").arg(image).arg(format!("::{path}")).output().unwrap();
    assert!(out.status.success(), "mmd {path}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `mdir -b` (bare names, recursive listing off) of a directory.
pub fn mdir(image: &Path, path: &str) -> String {
    let out = mtools("mdir").arg("-i").arg(image).arg(format!("::{path}")).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Deterministic pseudo-random bytes (xorshift), different per seed.
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

pub fn p(path: &str) -> NormPath {
    normalize(path).unwrap()
}

pub const W: OpenMode = OpenMode::Write { create: true, truncate: true };

/// Writes `data` to `path` in 4 KiB chunks, as the FTP server would.
pub fn put(vol: &mut FatVolume<FileDevice>, path: &str, data: &[u8]) {
    let h = vol.open(1, &p(path), W).unwrap();
    for chunk in data.chunks(4096) {
        assert_eq!(vol.write(1, h, chunk).unwrap(), chunk.len());
    }
    vol.close(1, h).unwrap();
}

/// Reads all of `path` in 4 KiB chunks.
pub fn get(vol: &mut FatVolume<FileDevice>, path: &str) -> Vec<u8> {
    let h: Handle = vol.open(1, &p(path), OpenMode::Read).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = vol.read(1, h, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    vol.close(1, h).unwrap();
    out
}

pub fn mount(path: &Path) -> FatVolume<FileDevice> {
    match FatVolume::mount(FileDevice::open(path)) {
        Ok(v) => v,
        Err((e, _)) => panic!("mount failed: {e}"),
    }
}

pub fn unmount(vol: FatVolume<FileDevice>) {
    if let Err((e, _)) = vol.unmount() {
        panic!("unmount failed: {e}");
    }
}

/// A device in memory, for tests that do not need the host tools.
pub struct RamDevice(pub Vec<u8>);

impl BlockDevice for RamDevice {
    fn sectors(&self) -> u64 {
        (self.0.len() / SECTOR_SIZE) as u64
    }

    fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), IoError> {
        let at = sector as usize * SECTOR_SIZE;
        buf.copy_from_slice(self.0.get(at..at + buf.len()).ok_or(IoError::OutOfRange)?);
        Ok(())
    }

    fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), IoError> {
        let at = sector as usize * SECTOR_SIZE;
        self.0.get_mut(at..at + buf.len()).ok_or(IoError::OutOfRange)?.copy_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        Ok(())
    }
}

/// A large device that shares a read-only prefix and keeps its own changes.
pub struct OverlayDevice {
    base: std::rc::Rc<Vec<u8>>,
    len: usize,
    changed: std::collections::HashMap<u64, [u8; SECTOR_SIZE]>,
}

impl OverlayDevice {
    pub fn new(base: std::rc::Rc<Vec<u8>>, len: usize) -> Self {
        OverlayDevice { base, len, changed: Default::default() }
    }

    fn sector(&self, n: u64) -> [u8; SECTOR_SIZE] {
        if let Some(s) = self.changed.get(&n) {
            return *s;
        }
        let mut out = [0u8; SECTOR_SIZE];
        let at = n as usize * SECTOR_SIZE;
        if let Some(src) = self.base.get(at..at + SECTOR_SIZE) {
            out.copy_from_slice(src);
        }
        out
    }

    /// XORs one byte (for damaging boot sectors).
    pub fn xor(&mut self, at: usize, mask: u8) {
        let n = (at / SECTOR_SIZE) as u64;
        let mut s = self.sector(n);
        s[at % SECTOR_SIZE] ^= mask;
        self.changed.insert(n, s);
    }
}

impl BlockDevice for OverlayDevice {
    fn sectors(&self) -> u64 {
        (self.len / SECTOR_SIZE) as u64
    }

    fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), IoError> {
        for (i, chunk) in buf.chunks_mut(SECTOR_SIZE).enumerate() {
            chunk.copy_from_slice(&self.sector(sector + i as u64));
        }
        Ok(())
    }

    fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), IoError> {
        for (i, chunk) in buf.chunks(SECTOR_SIZE).enumerate() {
            self.changed.insert(sector + i as u64, chunk.try_into().unwrap());
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        Ok(())
    }
}
