// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Power cuts on the host: the device stops taking writes after the n-th
//! one, for every n over an overwrite, a delete and a new file, and each
//! image left behind is checked as `tools/soak.py` checks the twin's (found
//! there: frees reached the device before the directory change, so entries
//! pointed at free clusters that later files were given).

mod common;

use std::path::Path;

use common::*;
use fat_volume::{BlockDevice, FatVolume, IoError, SECTOR_SIZE};
use proto_storage::{normalize, OpenMode};

/// An image in memory whose power goes off after `limit` writes.
struct CutDevice {
    data: Vec<u8>,
    writes: usize,
    limit: usize,
}

impl BlockDevice for CutDevice {
    fn sectors(&self) -> u64 {
        (self.data.len() / SECTOR_SIZE) as u64
    }
    fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), IoError> {
        let at = sector as usize * SECTOR_SIZE;
        buf.copy_from_slice(&self.data[at..at + buf.len()]);
        Ok(())
    }
    fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), IoError> {
        // Past the cut nothing reaches the medium (the service does not know).
        if self.writes < self.limit {
            let at = sector as usize * SECTOR_SIZE;
            self.data[at..at + buf.len()].copy_from_slice(buf);
        }
        self.writes += 1;
        Ok(())
    }
    fn flush(&mut self) -> Result<(), IoError> {
        Ok(())
    }
}

/// fsck.fat -n lines a cut may leave on a sound volume (as in tools/soak.py).
fn benign(line: &str) -> bool {
    let l = line.trim_start();
    l.is_empty()
        || [
            "fsck.fat ",
            "Dirty bit is set",
            "There are differences between boot sector and its backup",
            "This is mostly harmless",
            "65:01/00",
            "65:00/01",
            "Not automatically fixing this",
            "Automatically removing dirty bit",
            "Free cluster summary wrong",
            "Auto-correcting",
            "Leaving filesystem unchanged",
            "Reclaimed ",
            // FAT 2 mirrors FAT 1 a few writes later.
            "FATs differ but appear to be intact",
            "Using first FAT",
        ]
        .iter()
        .any(|p| l.starts_with(p))
        || (l.contains(" files, ") && l.ends_with(" clusters"))
}

const OLD_A: usize = 70_000;
const NEW_A: usize = 150_000;

/// Overwrites /a, deletes /b, writes /c; returns the write count after each step.
fn scenario(vol: &mut FatVolume<CutDevice>) -> [usize; 3] {
    let p = |s: &str| normalize(s).unwrap();
    let writes = |vol: &mut FatVolume<CutDevice>| vol.stats().device_writes as usize;
    let mut marks = [0; 3];
    let put = |vol: &mut FatVolume<CutDevice>, path: &str, data: &[u8]| {
        let h = vol.open(1, &p(path), OpenMode::Write { create: true, truncate: true }).unwrap();
        for chunk in data.chunks(4096) {
            assert_eq!(vol.write(1, h, chunk), Ok(chunk.len()));
        }
        vol.close(1, h).unwrap();
    };
    put(vol, "/a.bin", &pattern(NEW_A, 2));
    marks[0] = writes(vol);
    vol.delete(&p("/b.bin")).unwrap();
    marks[1] = writes(vol);
    put(vol, "/c.bin", &pattern(9_000, 3));
    marks[2] = writes(vol);
    marks
}

fn check(image: &Path, done: usize) -> Result<(), String> {
    let (_, text) = fsck(image);
    if let Some(bad) = text.lines().find(|l| !benign(l)) {
        return Err(format!("fsck: {bad}\n{text}"));
    }
    let read = |path: &str| {
        let out = std::process::Command::new("mcopy")
            .env("MTOOLS_SKIP_CHECK", "1")
            .args(["-i", image.to_str().unwrap(), &format!("::{path}"), "-"])
            .output()
            .unwrap();
        out.status.success().then_some(out.stdout)
    };
    let (old_a, new_a) = (pattern(OLD_A, 1), pattern(NEW_A, 2));
    let a = read("/a.bin");
    let a_ok = match done {
        0 => a.as_ref().is_none_or(|a| *a == old_a || new_a.starts_with(a)),
        _ => a.as_ref() == Some(&new_a),
    };
    if !a_ok {
        return Err(format!("/a.bin is {:?} bytes after {done} steps", a.map(|a| a.len())));
    }
    if done < 1 && read("/b.bin").as_deref() != Some(&pattern(5_000, 4)[..]) {
        return Err("/b.bin, never touched, is damaged".into());
    }
    if read("/keep.txt").as_deref() != Some(&b"kept"[..]) {
        return Err("/keep.txt, never touched, is damaged".into());
    }
    Ok(())
}

#[test]
fn a_cut_at_any_write_leaves_closed_files_intact_and_the_volume_sound() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "cut.img", 40);
    mcopy_in(&img, "/keep.txt", b"kept");
    mcopy_in(&img, "/a.bin", &pattern(OLD_A, 1));
    mcopy_in(&img, "/b.bin", &pattern(5_000, 4));
    let pristine = std::fs::read(&img).unwrap();
    let full = CutDevice { data: pristine.clone(), writes: 0, limit: usize::MAX };
    let mut vol = FatVolume::mount(full).map_err(|(e, _)| e).unwrap();
    let marks = scenario(&mut vol);
    let total = vol.unmount().map_err(|(e, _)| e).unwrap().writes;
    assert!(total > 20, "{total} writes");
    let out = dir.path().join("after-cut.img");
    let mut failures = Vec::new();
    for limit in 0..=total {
        let dev = CutDevice { data: pristine.clone(), writes: 0, limit };
        let mut vol = FatVolume::mount(dev).map_err(|(e, _)| e).unwrap();
        let _ = scenario(&mut vol);
        let dev = match vol.unmount() {
            Ok(d) | Err((_, d)) => d,
        };
        std::fs::write(&out, &dev.data).unwrap();
        let done = marks.iter().filter(|&&m| m <= limit).count();
        if let Err(e) = check(&out, done) {
            failures.push(format!("cut after write {limit} of {total}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{} bad cuts:\n{}", failures.len(), failures.join("\n"));
}
