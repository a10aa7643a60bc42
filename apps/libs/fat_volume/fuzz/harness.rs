// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Damaged real volumes through the storage server: shared by the `volume`
//! fuzz target and the host regression tests (`tests/damaged_volumes.rs`).
//!
//! An input is a program, not an image: byte 0 picks a base image (real
//! `mkfs.fat` + mtools volumes in `images/`), byte 1 says how many 8-byte
//! damage records follow, each naming a structure of that image (a
//! directory entry and one of its fields, a FAT entry, a boot sector or
//! FSInfo field, a metadata byte, the device size) and a value; the rest
//! drives a client that walks the tree, reads every file, writes, renames
//! and deletes through `StorageServer::handle` with well-formed requests.
//! Checked: no panic, every reply decodes and answers its request, and on an
//! undamaged image every operation behaves as on a sound volume.

use std::collections::HashMap;
use std::sync::OnceLock;

use fat_volume::{BlockDevice, IoError, NoClock, Options, StorageServer};
use proto_storage::{
    ClientError, Error, Kind, OpenMode, StorageClient, Transport, TransportError, VolumeStatus, MAX_DATA, MAX_MESSAGE,
    RULES,
};

const SECTOR: usize = 512;

/// The base images, sparse (see `images/make.py`).
const IMAGES: [&[u8]; 3] =
    [include_bytes!("images/fat32.simg"), include_bytes!("images/fat16.simg"), include_bytes!("images/fat12.simg")];

/// A base image and where its structures are.
pub struct Image {
    sectors: u64,
    data: HashMap<u64, Box<[u8; SECTOR]>>,
    layout: Layout,
}

/// Geometry and the byte offsets of everything worth damaging.
#[derive(Default)]
struct Layout {
    fat_bits: u32,
    sectors_per_cluster: u64,
    fat_start: u64,
    fat_sectors: u64,
    fats: u64,
    data_start: u64,
    clusters: u32,
    fs_info: Option<u64>,
    /// Byte offset of every 32-byte slot of every directory, up to its end marker.
    dir_entries: Vec<u64>,
    /// First cluster of every directory (the root's too on FAT32).
    dir_clusters: Vec<u32>,
    /// Every cluster in use by a file or directory.
    used: Vec<u32>,
}

fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0, |acc, &x| acc << 8 | u64::from(x))
}

impl Image {
    fn parse(bytes: &[u8]) -> Image {
        assert_eq!(&bytes[..8], b"FATSPARS");
        let sectors = le(&bytes[8..16]);
        let mut data = HashMap::new();
        for rec in bytes[16..].chunks_exact(4 + SECTOR) {
            let mut s = Box::new([0u8; SECTOR]);
            s.copy_from_slice(&rec[4..]);
            data.insert(le(&rec[..4]), s);
        }
        let mut img = Image { sectors, data, layout: Layout::default() };
        img.layout = img.find_layout();
        img
    }

    fn byte(&self, at: u64) -> u8 {
        self.data.get(&(at / SECTOR as u64)).map_or(0, |s| s[(at % SECTOR as u64) as usize])
    }

    fn bytes(&self, at: u64, n: usize) -> Vec<u8> {
        (0..n as u64).map(|i| self.byte(at + i)).collect()
    }

    fn find_layout(&self) -> Layout {
        let bpb = self.bytes(0, SECTOR);
        let spc = u64::from(bpb[13]);
        let reserved = le(&bpb[14..16]);
        let fats = u64::from(bpb[16]);
        let root_entries = le(&bpb[17..19]);
        let total = match le(&bpb[19..21]) {
            0 => le(&bpb[32..36]),
            n => n,
        };
        let fat16_size = le(&bpb[22..24]);
        let fat_sectors = if fat16_size != 0 { fat16_size } else { le(&bpb[36..40]) };
        let root_sectors = (root_entries * 32).div_ceil(SECTOR as u64);
        let root_start = reserved + fats * fat_sectors;
        let data_start = root_start + root_sectors;
        let clusters = ((total - data_start) / spc) as u32;
        let fat_bits = if clusters < 4085 {
            12
        } else if clusters < 65525 {
            16
        } else {
            32
        };
        let mut l = Layout {
            fat_bits,
            sectors_per_cluster: spc,
            fat_start: reserved,
            fat_sectors,
            fats,
            data_start,
            clusters,
            fs_info: (fat_bits == 32).then(|| le(&bpb[48..50])),
            ..Layout::default()
        };
        if fat_bits == 32 {
            let root = le(&bpb[44..48]) as u32;
            self.walk_dir(&mut l, Some(root), 0, 0);
        } else {
            let slots = (0..root_entries).map(|i| root_start * SECTOR as u64 + i * 32);
            self.walk_slots(&mut l, slots.collect(), 0);
        }
        l
    }

    fn fat(&self, l: &Layout, cluster: u32) -> u32 {
        let base = l.fat_start * SECTOR as u64;
        match l.fat_bits {
            32 => le(&self.bytes(base + u64::from(cluster) * 4, 4)) as u32 & 0x0FFF_FFFF,
            16 => le(&self.bytes(base + u64::from(cluster) * 2, 2)) as u32,
            _ => {
                let v = le(&self.bytes(base + u64::from(cluster) * 3 / 2, 2)) as u32;
                if cluster % 2 == 1 {
                    v >> 4
                } else {
                    v & 0xFFF
                }
            }
        }
    }

    fn chain(&self, l: &Layout, first: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut c = first;
        while (2..l.clusters + 2).contains(&c) && out.len() <= l.clusters as usize {
            out.push(c);
            c = self.fat(l, c);
        }
        out
    }

    fn cluster_at(&self, l: &Layout, c: u32) -> u64 {
        (l.data_start + u64::from(c - 2) * l.sectors_per_cluster) * SECTOR as u64
    }

    fn walk_dir(&self, l: &mut Layout, first: Option<u32>, depth: usize, _: u8) {
        let Some(first) = first else { return };
        l.dir_clusters.push(first);
        let chain = self.chain(l, first);
        l.used.extend(&chain);
        let per_cluster = l.sectors_per_cluster * SECTOR as u64 / 32;
        let slots = chain
            .iter()
            .flat_map(|&c| (0..per_cluster).map(move |i| (c, i)))
            .map(|(c, i)| self.cluster_at(l, c) + i * 32)
            .collect();
        self.walk_slots(l, slots, depth);
    }

    fn walk_slots(&self, l: &mut Layout, slots: Vec<u64>, depth: usize) {
        for at in slots {
            let e = self.bytes(at, 32);
            l.dir_entries.push(at);
            if e[0] == 0 {
                break;
            }
            if e[0] == 0xE5 || e[11] == 0x0F || e[0] == b'.' {
                continue;
            }
            let first = (le(&e[20..22]) << 16 | le(&e[26..28])) as u32;
            if e[11] & 0x10 != 0 && depth < 8 {
                self.walk_dir(l, Some(first), depth + 1, 0);
            } else if e[11] & 0x18 == 0 {
                let chain = self.chain(l, first);
                l.used.extend(chain);
            }
        }
    }
}

/// The base images, parsed once.
pub fn images() -> &'static [Image] {
    static PARSED: OnceLock<Vec<Image>> = OnceLock::new();
    PARSED.get_or_init(|| IMAGES.iter().map(|b| Image::parse(b)).collect())
}

/// A base image with a copy-on-write overlay: damage and writes never touch the base.
pub struct Overlay {
    base: &'static Image,
    sectors: u64,
    over: HashMap<u64, Box<[u8; SECTOR]>>,
}

impl Overlay {
    fn new(base: &'static Image) -> Overlay {
        Overlay { base, sectors: base.sectors, over: HashMap::new() }
    }

    fn sector(&mut self, s: u64) -> &mut [u8; SECTOR] {
        let base = self.base;
        self.over.entry(s).or_insert_with(|| base.data.get(&s).cloned().unwrap_or_else(|| Box::new([0; SECTOR])))
    }

    fn poke(&mut self, at: u64, bytes: &[u8]) {
        for (i, &b) in bytes.iter().enumerate() {
            let p = at + i as u64;
            self.sector(p / SECTOR as u64)[(p % SECTOR as u64) as usize] = b;
        }
    }

    fn peek(&mut self, at: u64, n: usize) -> Vec<u8> {
        (0..n as u64)
            .map(|i| {
                let p = at + i;
                self.sector(p / SECTOR as u64)[(p % SECTOR as u64) as usize]
            })
            .collect()
    }
}

impl BlockDevice for Overlay {
    fn sectors(&self) -> u64 {
        self.sectors
    }

    fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), IoError> {
        assert!(
            !buf.is_empty() && buf.len().is_multiple_of(SECTOR) && buf.len() <= fat_volume::MAX_READ_SECTORS * SECTOR
        );
        if sector + (buf.len() / SECTOR) as u64 > self.sectors {
            return Err(IoError::OutOfRange);
        }
        for (i, out) in buf.chunks_exact_mut(SECTOR).enumerate() {
            let s = sector + i as u64;
            match self.over.get(&s).or_else(|| self.base.data.get(&s)) {
                Some(d) => out.copy_from_slice(&d[..]),
                None => out.fill(0),
            }
        }
        Ok(())
    }

    fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), IoError> {
        assert!(!buf.is_empty() && buf.len().is_multiple_of(SECTOR) && buf.len() <= 8 * SECTOR);
        if sector + (buf.len() / SECTOR) as u64 > self.sectors {
            return Err(IoError::OutOfRange);
        }
        for (i, data) in buf.chunks_exact(SECTOR).enumerate() {
            self.sector(sector + i as u64).copy_from_slice(data);
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        Ok(())
    }
}

/// The fuzzer's bytes, read front to back; zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from(self.u8()) | u16::from(self.u8()) << 8
    }

    fn u32(&mut self) -> u32 {
        u32::from(self.u16()) | u32::from(self.u16()) << 16
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        let i = usize::from(self.u16());
        (!items.is_empty()).then(|| items[i % items.len()].clone())
    }
}

/// Applies one damage record: `kind`, a 16-bit index, a selector, a 32-bit value.
fn damage(dev: &mut Overlay, rec: &mut Bytes<'_>) {
    let l = &dev.base.layout;
    let kind = rec.u8();
    let index = usize::from(rec.u16());
    let select = rec.u8();
    let v = rec.u32();
    let end_of_chain = match l.fat_bits {
        32 => 0x0FFF_FFFF,
        16 => 0xFFFF,
        _ => 0xFFF,
    };
    let interesting_cluster = |s: u8| -> u32 {
        match s % 10 {
            0 => 0,
            1 => 1,
            2 => l.clusters + 1,
            3 => l.clusters + 2,
            4 => end_of_chain - 8,
            5 => end_of_chain,
            6 => l.used.get(index % l.used.len().max(1)).copied().unwrap_or(2),
            7 => l.dir_clusters[index % l.dir_clusters.len().max(1)],
            8 => v % (l.clusters + 2),
            _ => v,
        }
    };
    let entry = l.dir_entries.get(index % l.dir_entries.len().max(1)).copied();
    match kind % 10 {
        // A field of a directory entry (short or long-name slot alike).
        0..=2 => {
            let Some(at) = entry else { return };
            let s = select >> 4;
            match select % 12 {
                0 => {
                    let b = [0x00, 0xE5, 0x05, b'.', b' ', 0x40 | (v as u8 & 0x1F), v as u8];
                    dev.poke(at, &[b[usize::from(s) % b.len()]]);
                }
                1 => dev.poke(at + 1 + u64::from(s % 10), &[v as u8]),
                2 => {
                    let b = [0x0F, 0x10, 0x08, 0x00, 0x20, 0x16, v as u8];
                    dev.poke(at + 11, &[b[usize::from(s) % b.len()]]);
                }
                3 => {
                    let c = interesting_cluster(s);
                    dev.poke(at + 20, &(c >> 16).to_le_bytes()[..2]);
                    dev.poke(at + 26, &c.to_le_bytes()[..2]);
                }
                4 => {
                    let cluster_bytes = l.sectors_per_cluster as u32 * SECTOR as u32;
                    let sizes = [0, 1, cluster_bytes, cluster_bytes * 7 + 1, u32::MAX, 1 << 31, v];
                    dev.poke(at + 28, &sizes[usize::from(s) % sizes.len()].to_le_bytes());
                }
                5 => dev.poke(at + 13, &[v as u8]),
                6 => {
                    // A long-name character: surrogates, NUL, separators, anything.
                    let pos = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
                    let units = [0xD800, 0xDC00, 0xFFFF, 0, u16::from(b'/'), 0x00E9, v as u16];
                    let at = at + pos[usize::from(s) % pos.len()];
                    dev.poke(at, &units[(v >> 16) as usize % units.len()].to_le_bytes());
                }
                7 => dev.poke(at + 26, &(v as u16).to_le_bytes()),
                8 => dev.poke(at + 14 + u64::from(s % 12), &[v as u8]),
                9 => {
                    // Another slot copied here: duplicates and cross-linked files.
                    let from = l.dir_entries[v as usize % l.dir_entries.len()];
                    let e = dev.peek(from, 32);
                    dev.poke(at, &e);
                }
                10 => dev.poke(at + u64::from(s) * 2 % 32, &v.to_le_bytes()),
                _ => dev.poke(at + u64::from(select >> 3), &[v as u8]),
            }
        }
        // A FAT entry, in the first FAT or in all of them.
        3..=5 => {
            let cluster = if select & 0x80 != 0 {
                (v >> 8) % (l.clusters + 2)
            } else {
                let Some(&c) = l.used.get(index % l.used.len().max(1)) else {
                    return;
                };
                c
            };
            let value = match select % 8 {
                // A loop back to itself or to a cluster earlier in use.
                0 => cluster,
                1 => l.used.get((index / 2) % l.used.len().max(1)).copied().unwrap_or(2),
                s => interesting_cluster(s + 1),
            };
            let copies = if select & 0x40 != 0 { l.fats } else { 1 };
            for copy in 0..copies {
                let base = (l.fat_start + copy * l.fat_sectors) * SECTOR as u64;
                match l.fat_bits {
                    32 => dev.poke(base + u64::from(cluster) * 4, &(value & 0x0FFF_FFFF).to_le_bytes()),
                    16 => dev.poke(base + u64::from(cluster) * 2, &(value as u16).to_le_bytes()),
                    _ => {
                        let at = base + u64::from(cluster) * 3 / 2;
                        let old = le(&dev.peek(at, 2)) as u16;
                        let value = (value & 0xFFF) as u16;
                        let new = if cluster % 2 == 1 { old & 0x000F | value << 4 } else { old & 0xF000 | value };
                        dev.poke(at, &new.to_le_bytes());
                    }
                }
            }
        }
        // A boot sector byte (mostly the BPB) or a FAT32 status byte.
        6 => dev.poke(u64::from(select) % 96, &[v as u8]),
        // FSInfo: the free count and the next-free hint fatfs starts from.
        7 => {
            let Some(fs_info) = l.fs_info else { return };
            let values = [0, u32::MAX, l.clusters, l.clusters + 1, l.clusters + 100, 1, v];
            let at = fs_info * SECTOR as u64 + if select & 1 == 0 { 488 } else { 492 };
            dev.poke(at, &values[usize::from(select >> 1) % values.len()].to_le_bytes());
        }
        // A byte anywhere in a directory's first cluster.
        8 => {
            let Some(&c) = l.dir_clusters.get(index % l.dir_clusters.len().max(1)) else {
                return;
            };
            let base = dev.base;
            let at = base.cluster_at(&base.layout, c) + u64::from(v % 512);
            let old = dev.peek(at, 1)[0];
            dev.poke(at, &[old ^ select]);
        }
        // A truncated device: the image cut at some sector.
        _ => dev.sectors = (dev.sectors * u64::from(v % 1024) / 1024).max(1),
    }
}

/// Calls the server directly, as the storage app's message loop does.
struct Direct<'s> {
    server: &'s mut StorageServer<Overlay>,
    id: u32,
}

impl Transport for Direct<'_> {
    fn call(&mut self, request: &[u8], reply: &mut [u8]) -> Result<usize, TransportError> {
        let n = self.server.handle("ftp", self.id, request, reply);
        assert!(n > 0 && n <= MAX_MESSAGE, "reply length {n}");
        Ok(n)
    }
}

/// What the client found and made, for later operations to pick from.
#[derive(Default)]
struct Tree {
    dirs: Vec<String>,
    files: Vec<String>,
}

/// Every answer must decode and match its request; returns the storage error if any.
fn ok<T>(r: Result<T, ClientError>) -> Result<T, Error> {
    r.map_err(|e| match e {
        ClientError::Storage(e) => e,
        e => panic!("the server answered badly: {e:?}"),
    })
}

/// On an undamaged volume no operation of the script may fail.
fn expect<T>(pristine: bool, what: &str, r: Result<T, Error>) -> Option<T> {
    match r {
        Ok(t) => Some(t),
        Err(e) if pristine => panic!("{what} failed on an undamaged volume: {e:?}"),
        Err(_) => None,
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Lists the tree (bounded), reads every file, returns what it found.
fn walk(c: &mut StorageClient<Direct<'_>>, pristine: bool) -> Tree {
    let mut tree = Tree::default();
    let mut todo = vec![(String::from("/"), 0)];
    while let Some((dir, depth)) = todo.pop() {
        tree.dirs.push(dir.clone());
        let mut cursor = Some(0);
        let mut pages = 0;
        while let Some(at) = cursor {
            let mut found = Vec::new();
            let page = ok(c.list(&dir, at, |e| found.push((String::from(e.name), e.meta.kind))));
            cursor = expect(pristine, "list", page).flatten();
            for (name, kind) in found {
                let path = join(&dir, &name);
                match kind {
                    Kind::Dir if depth < 6 && tree.dirs.len() + todo.len() < 64 => todo.push((path, depth + 1)),
                    Kind::Dir => {}
                    Kind::File if tree.files.len() < 128 => tree.files.push(path),
                    Kind::File => {}
                }
            }
            pages += 1;
            if pages > 16 {
                break;
            }
        }
    }
    for f in tree.files.clone() {
        let size = expect(pristine, "stat", ok(c.stat(&f))).map(|m| m.size);
        let read = read_all(c, &f);
        if let (Some(size), Some(data)) = (size, expect(pristine, "read", read)) {
            if pristine {
                assert_eq!(data.len() as u64, size, "{f}: size and content disagree");
            }
        }
    }
    tree
}

/// Reads a whole file (at most 64 chunks); closes the handle whatever happens.
fn read_all(c: &mut StorageClient<Direct<'_>>, path: &str) -> Result<Vec<u8>, Error> {
    let h = ok(c.open(path, OpenMode::Read))?;
    let mut out = Vec::new();
    let mut buf = [0u8; MAX_DATA];
    let mut result = Ok(());
    for _ in 0..64 {
        match ok(c.read(h, &mut buf)) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let closed = ok(c.close(h));
    result.and(closed).map(|()| out)
}

fn write_file(c: &mut StorageClient<Direct<'_>>, path: &str, mode: OpenMode, data: &[u8]) -> Result<(), Error> {
    let h = ok(c.open(path, mode))?;
    let written = data.chunks(MAX_DATA).try_for_each(|d| ok(c.write_all(h, d)));
    let closed = ok(c.close(h));
    written.and(closed)
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
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

/// Runs one input (see the module docs). Panics only on a bug.
pub fn run(data: &[u8]) {
    let mut input = Bytes(data);
    let images = images();
    let base = &images[usize::from(input.u8()) % images.len()];
    let mut dev = Overlay::new(base);
    let records = input.u8() % 17;
    for _ in 0..records {
        let rec: Vec<u8> = (0..8).map(|_| input.u8()).collect();
        damage(&mut dev, &mut Bytes(&rec));
    }
    let pristine = records == 0;
    let options = Options { cache_blocks: 1 + usize::from(input.u8() % 8) };
    let mut server = StorageServer::with_options(Some(dev), NoClock, options, RULES);
    let mounted = matches!(server.status(), VolumeStatus::Mounted { .. });
    assert!(mounted || !pristine, "an undamaged volume must mount");
    let mut script = input;
    let mut c = StorageClient::new(Direct { server: &mut server, id: 1 });
    let _ = ok(c.status());
    let mut tree = walk(&mut c, pristine);
    let _ = expect(pristine, "free space", ok(c.free_space()));
    for step in 0..24u32 {
        if script.0.is_empty() {
            break;
        }
        let op = script.u8();
        let dir = script.pick(&tree.dirs);
        let file = script.pick(&tree.files);
        let n = usize::from(script.u8() % 6);
        let (Some(dir), file) = (dir, file) else {
            break;
        };
        match op % 12 {
            0 => {
                let path = join(&dir, &format!("new file {step}.bin"));
                let data = pattern(n * 1500 + 7, step);
                let mode = OpenMode::Write { create: true, truncate: true };
                if expect(pristine, "create", write_file(&mut c, &path, mode, &data)).is_some() {
                    let back = expect(pristine, "read back", read_all(&mut c, &path));
                    if pristine {
                        assert_eq!(back.as_deref(), Some(&data[..]), "{path} reads back different");
                    }
                    tree.files.push(path);
                }
            }
            1 | 2 => {
                let Some(f) = file else { continue };
                let mode =
                    if op % 12 == 1 { OpenMode::Write { create: false, truncate: true } } else { OpenMode::Append };
                let _ = expect(pristine, "overwrite", write_file(&mut c, &f, mode, &pattern(n * 900 + 1, step)));
            }
            3 => {
                let Some(f) = file else { continue };
                if expect(pristine, "delete", ok(c.delete(&f))).is_some() {
                    tree.files.retain(|x| *x != f);
                }
            }
            4 => {
                let Some(f) = file else { continue };
                let to = join(&dir, &format!("moved {step}"));
                if ok(c.rename(&f, &to)).is_ok() {
                    tree.files.retain(|x| *x != f);
                    tree.files.push(to);
                }
            }
            5 => {
                // A directory moved elsewhere (rebuilt) or renamed; refusals are fine.
                let Some(from) = script.pick(&tree.dirs) else {
                    continue;
                };
                if ok(c.rename(&from, &join(&dir, &format!("dir {step}")))).is_ok() {
                    tree = walk(&mut c, pristine);
                }
            }
            6 => {
                let path = join(&dir, &format!("made {step}"));
                if expect(pristine, "mkdir", ok(c.mkdir(&path))).is_some() {
                    tree.dirs.push(path);
                }
            }
            7 => {
                if ok(c.rmdir(&dir)).is_ok() {
                    tree = walk(&mut c, pristine);
                }
            }
            8 => drop(c.transport().server.settle()),
            9 => {
                let _ = ok(c.free_space());
                let _ = ok(c.stat(&join(&dir, "no such entry")));
            }
            10 => {
                // A client that dies with a file open for writing.
                let path = join(&dir, &format!("orphan {step}"));
                let mode = OpenMode::Write { create: true, truncate: true };
                c.transport().id = 2;
                if let Ok(h) = ok(c.open(&path, mode)) {
                    let _ = ok(c.write_all(h, &pattern(n * 700, step)));
                }
                c.transport().id = 1;
                c.transport().server.client_gone(2);
            }
            _ => {
                let Some(f) = file else { continue };
                if let Ok(h) = ok(c.open(&f, OpenMode::Read)) {
                    let mut buf = [0u8; MAX_DATA];
                    let _ = ok(c.seek(h, u64::from(script.u16()) * 64));
                    let _ = ok(c.read(h, &mut buf));
                    let _ = ok(c.close(h));
                }
            }
        }
    }
    c.transport().server.settle();
    let _ = walk(&mut c, pristine);
    let (_, unmounted) = server.shutdown();
    if pristine {
        assert_eq!(unmounted, Ok(()), "an undamaged volume unmounts cleanly");
    }
}
