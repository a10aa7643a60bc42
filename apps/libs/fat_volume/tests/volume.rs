//! Whole-volume behaviour: disk full, corrupt and blank images, formatting.

mod common;

use common::*;
use fat_volume::{FatVolume, MountError};
use proto_storage::{Corruption, Error, Label, OpenMode, Unformatted};

#[test]
fn disk_full_is_no_space_and_leaves_the_volume_intact() {
    let dir = tempfile::tempdir().unwrap();
    // About the smallest FAT32 mkfs.fat makes (65525+ clusters of 512 bytes).
    let img = fat32_image(dir.path(), "full.img", 33);
    // Whole clusters, so appending needs a new one.
    let keep = pattern(196 * 512, 1);
    let mut vol = mount(&img);
    vol.make_dir(&p("/d")).unwrap();
    put(&mut vol, "/d/keep.bin", &keep);
    let free_before = vol.free_space().unwrap().free_bytes;

    let big = pattern(40 << 20, 2);
    let h = vol.open(1, &p("/big.bin"), W).unwrap();
    let mut written = 0;
    let mut short = false;
    let last = loop {
        match vol.write(1, h, &big[written..written + 4096]) {
            Ok(4096) => written += 4096,
            Ok(n) => {
                assert!(!short, "only one short write");
                short = true;
                written += n;
            }
            Err(e) => break e,
        }
    };
    assert_eq!(last, Error::NoSpace);
    assert_eq!(written as u64, free_before, "every free byte was used");
    assert_eq!(vol.free_space().unwrap().free_bytes, 0);
    vol.close(1, h).unwrap();
    // Other writes fail cleanly too.
    assert_eq!(vol.make_dir(&p("/d/new")), Err(Error::NoSpace));
    let h = vol.open(1, &p("/d/keep.bin"), OpenMode::Append).unwrap();
    assert_eq!(vol.write(1, h, b"x"), Err(Error::NoSpace));
    vol.close(1, h).unwrap();
    assert_eq!(get(&mut vol, "/d/keep.bin"), keep);
    assert_eq!(vol.stat(&p("/big.bin")).unwrap().size, written as u64);
    unmount(vol);
    assert_clean(&img);
    assert_eq!(mcopy_out(&img, "/d/keep.bin"), keep);
    assert_eq!(sha256(&mcopy_out(&img, "/big.bin")), sha256(&big[..written]));

    // Deleting gives the space back.
    let mut vol = mount(&img);
    vol.delete(&p("/big.bin")).unwrap();
    assert_eq!(vol.free_space().unwrap().free_bytes, free_before);
    unmount(vol);
    assert_clean(&img);
}

/// Mounting `img` fails with `want`, and the image is byte-identical afterwards.
fn assert_refused(img: &std::path::Path, want: MountError) {
    // Compared in full (memcmp); hashing 40 MiB unoptimised is slow.
    let before = std::fs::read(img).unwrap();
    match FatVolume::mount(FileDevice::open(img)) {
        Ok(_) => panic!("mounted a bad image"),
        Err((e, device)) => {
            assert_eq!(e, want);
            drop(device);
        }
    }
    assert!(std::fs::read(img).unwrap() == before, "mount wrote to {img:?}");
}

fn patch(img: &std::path::Path, at: u64, bytes: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(img).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn corrupt_images_are_named_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let good = fat32_image(dir.path(), "good.img", 40);
    {
        let mut vol = mount(&good);
        put(&mut vol, "/precious.txt", b"keep me");
        unmount(vol);
    }
    let copy = |name: &str| {
        let path = dir.path().join(name);
        std::fs::copy(&good, &path).unwrap();
        path
    };
    let corrupt = |c| MountError::Corrupt(c);

    let zeroed = copy("zeroed.img");
    patch(&zeroed, 0, &[0; 512]);
    assert_refused(&zeroed, MountError::Unformatted(Unformatted::NoBootSignature));

    let bps = copy("bps.img");
    patch(&bps, 11, &0x1234u16.to_le_bytes());
    assert_refused(&bps, corrupt(Corruption::BytesPerSector));

    let fat_size = copy("fatsize.img");
    patch(&fat_size, 36, &[0, 0, 0, 0]);
    assert_refused(&fat_size, corrupt(Corruption::FatSize));

    let spc = copy("spc.img");
    patch(&spc, 13, &[3]);
    assert_refused(&spc, corrupt(Corruption::SectorsPerCluster));

    let fs_info = copy("fsinfo.img");
    patch(&fs_info, 512, b"JUNK");
    assert_refused(&fs_info, corrupt(Corruption::FsInfo));

    let garbage = copy("garbage.img");
    patch(&garbage, 11, &pattern(79, 4));
    let before = std::fs::read(&garbage).unwrap();
    let err = FatVolume::mount(FileDevice::open(&garbage)).err().map(|(e, _)| e);
    assert!(matches!(err, Some(MountError::Corrupt(_))), "{err:?}");
    assert!(std::fs::read(&garbage).unwrap() == before);

    // A volume cut short (e.g. the wrong partition size).
    let short = copy("short.img");
    std::fs::OpenOptions::new().write(true).open(&short).unwrap().set_len(20 << 20).unwrap();
    assert_refused(&short, corrupt(Corruption::LargerThanDevice));

    // An MBR-style sector: signature but no FAT boot parameters.
    let mbr = copy("mbr.img");
    let mut sector = [0u8; 512];
    sector[510] = 0x55;
    sector[511] = 0xAA;
    patch(&mbr, 0, &sector);
    assert_refused(&mbr, MountError::Unformatted(Unformatted::NoFatBpb));

    let empty = dir.path().join("empty.img");
    std::fs::File::create(&empty).unwrap();
    assert_refused(&empty, MountError::NoDevice);

    // The original still mounts and the data is there.
    let mut vol = mount(&good);
    assert_eq!(get(&mut vol, "/precious.txt"), b"keep me");
    unmount(vol);
    assert_clean(&good);
}

#[test]
fn random_boot_sectors_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "seed.img", 40);
    let image = std::fs::read(&img).unwrap();
    // Only the first MiB matters for mounting: share it, and copy on write.
    let len = image.len();
    let base = std::rc::Rc::new(image[..1 << 20].to_vec());
    let mut refused = 0;
    for seed in 0..300u32 {
        let mut dev = OverlayDevice::new(base.clone(), len);
        let noise = pattern(8, seed);
        // Flip a few bytes of the BPB and FSInfo, where the checks live.
        for (i, &b) in noise.iter().enumerate() {
            let at = [11, 13, 14, 16, 17, 19, 22, 32, 36, 40, 42, 44, 48, 50, 512, 996][(b as usize + i) % 16];
            dev.xor(at + (i % 2), noise[(i + 1) % noise.len()] | 1);
        }
        match FatVolume::mount(dev) {
            Ok(mut vol) => {
                // Whatever passed must survive a little use without panicking.
                let _ = vol.stat(&p("/"));
                let _ = vol.list(&p("/"), 0, |_| true);
                let _ = vol.free_space();
                let _ = vol.unmount();
            }
            Err(_) => refused += 1,
        }
    }
    assert!(refused > 200, "only {refused} of 300 damaged boot sectors were refused");
}

#[test]
fn format_blank_and_small_devices() {
    let dir = tempfile::tempdir().unwrap();
    let img = blank_image(dir.path(), "blank.img", 40);
    let device = match FatVolume::mount(FileDevice::open(&img)) {
        Err((MountError::Unformatted(Unformatted::NoBootSignature), d)) => d,
        other => panic!("blank device: {:?}", other.err().map(|e| e.0)),
    };
    let device =
        FatVolume::<FileDevice>::format(device, Label::new("board").unwrap(), 0x1234_5678).map_err(|e| e.0).unwrap();
    drop(device);
    assert_clean(&img);
    let (_, report) = fsck(&img);
    let mut vol = mount(&img);
    assert_eq!(vol.label().as_str(), "BOARD");
    put(&mut vol, "/hello.txt", b"formatted");
    unmount(vol);
    assert_clean(&img);
    assert_eq!(mcopy_out(&img, "/hello.txt"), b"formatted");
    assert!(mdir(&img, "/").contains("BOARD"), "label visible to mtools");
    // fsck.fat only prints the layout with -v; the FAT type is checked via mtools' view.
    let _ = report;
    let info = std::process::Command::new("minfo")
        .env("MTOOLS_SKIP_CHECK", "1")
        .arg("-i")
        .arg(&img)
        .arg("::")
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("FAT32") || info.contains("fat_bits=32") || info.contains("big FAT"), "{info}");

    // Too small for FAT32: fatfs picks FAT12/16.
    let small = blank_image(dir.path(), "small.img", 4);
    let device = FatVolume::<FileDevice>::format(FileDevice::open(&small), Label::EMPTY, 1).map_err(|e| e.0).unwrap();
    drop(device);
    assert_clean(&small);
    let mut vol = mount(&small);
    assert!(vol.label().is_empty());
    put(&mut vol, "/x", &pattern(200_000, 7));
    unmount(vol);
    assert_clean(&small);
    assert_eq!(mcopy_out(&small, "/x"), pattern(200_000, 7));

    // Far too small for any FAT.
    let tiny = RamDevice(vec![0; 8 * 512]);
    let err = FatVolume::<RamDevice>::format(tiny, Label::EMPTY, 1).err().map(|e| e.0);
    assert_eq!(err, Some(Error::Unsupported));
}

/// First cluster of the entry with short name `short` (11 bytes) in the root
/// directory of a FAT32 image with one-sector clusters, and where FAT 1 starts.
fn root_entry_cluster(img: &std::path::Path, short: &[u8; 11]) -> (u32, u64) {
    let (cluster, fat, _) = root_entry(img, short);
    (cluster, fat)
}

/// Like [`root_entry_cluster`], and the byte offset of the entry itself.
fn root_entry(img: &std::path::Path, short: &[u8; 11]) -> (u32, u64, u64) {
    let data = std::fs::read(img).unwrap();
    let u16_at = |at: usize| u64::from(u16::from_le_bytes([data[at], data[at + 1]]));
    let u32_at = |at: usize| u64::from(u32::from_le_bytes(data[at..at + 4].try_into().unwrap()));
    assert_eq!(data[13], 1, "one sector per cluster");
    let fat = u16_at(14) * 512;
    let data_start = fat + u64::from(data[16]) * u32_at(36) * 512;
    // The root directory of a fresh image is its first cluster (2).
    let root = &data[data_start as usize..data_start as usize + 512];
    let i = root.chunks(32).position(|e| &e[..11] == short).expect("entry in root");
    let e = &root[i * 32..i * 32 + 32];
    let cluster = u32::from(u16::from_le_bytes([e[20], e[21]])) << 16 | u32::from(u16::from_le_bytes([e[26], e[27]]));
    (cluster, fat, data_start + i as u64 * 32)
}

#[test]
fn a_directory_whose_chain_loops_is_corrupt_not_endless() {
    // Found by the `volume` fuzz target: fatfs iterates such a directory forever.
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "loop.img", 40);
    mmd(&img, "/loop");
    mmd(&img, "/loop/sub");
    for i in 0..20 {
        mcopy_in(&img, &format!("/loop/file number {i:02}.txt"), b"x");
    }
    mcopy_in(&img, "/fine.txt", b"still here");
    let (cluster, fat) = root_entry_cluster(&img, b"LOOP       ");
    // Its second cluster leads back to its first.
    let second = {
        let data = std::fs::read(&img).unwrap();
        let at = (fat + u64::from(cluster) * 4) as usize;
        u32::from_le_bytes(data[at..at + 4].try_into().unwrap())
    };
    assert!((3..0x0FFF_FFF0).contains(&second), "the directory spans two clusters");
    patch(&img, fat + u64::from(second) * 4, &cluster.to_le_bytes());
    let mut vol = FatVolume::mount(FileDevice::open(&img)).map_err(|(e, _)| e).unwrap();
    let path = |p: &str| proto_storage::normalize(p).unwrap();
    assert_eq!(vol.list(&path("/loop"), 0, |_| true), Err(Error::Corrupt));
    assert_eq!(vol.stat(&path("/loop/no such file")), Err(Error::Corrupt));
    assert_eq!(vol.open(1, &path("/loop/new"), OpenMode::Write { create: true, truncate: true }), Err(Error::Corrupt));
    assert_eq!(vol.remove_dir(&path("/loop")), Err(Error::Corrupt));
    // The rest of the volume is served as before.
    let h = vol.open(1, &path("/fine.txt"), OpenMode::Read).unwrap();
    let mut buf = [0u8; 32];
    assert_eq!(vol.read(1, h, &mut buf), Ok(10));
    assert_eq!(&buf[..10], b"still here");
    vol.close(1, h).unwrap();
}

#[test]
fn writing_past_0_in_a_file_with_a_size_but_no_clusters_is_corrupt_not_a_panic() {
    // fatfs panics ("Offset inside cluster but no cluster allocated") when
    // a writer is positioned inside a cluster of a file whose entry has a
    // size but no first cluster. Found reading fatfs's panics while fuzzing.
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "nochain.img", 40);
    mcopy_in(&img, "/sized.txt", &[b's'; 700]);
    mcopy_in(&img, "/fine.txt", b"still here");
    let (_, _, entry) = root_entry(&img, b"SIZED   TXT");
    patch(&img, entry + 20, &[0, 0]);
    patch(&img, entry + 26, &[0, 0]);
    let mut vol = FatVolume::mount(FileDevice::open(&img)).map_err(|(e, _)| e).unwrap();
    let path = proto_storage::normalize("/sized.txt").unwrap();
    assert_eq!(vol.open(1, &path, OpenMode::Append), Err(Error::Corrupt));
    // FTP's REST + STOR: a writer that seeks into the file.
    let keep = OpenMode::Write { create: false, truncate: false };
    let h = vol.open(1, &path, keep).unwrap();
    assert_eq!(vol.seek(1, h, 100), Err(Error::Corrupt));
    vol.close(1, h).unwrap();
    // Replacing it works, and so does the rest of the volume.
    let replace = OpenMode::Write { create: false, truncate: true };
    let h = vol.open(1, &path, replace).unwrap();
    assert_eq!(vol.write(1, h, b"new"), Ok(3));
    vol.close(1, h).unwrap();
    let fine = proto_storage::normalize("/fine.txt").unwrap();
    let h = vol.open(1, &fine, OpenMode::Read).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(vol.read(1, h, &mut buf), Ok(10));
    vol.close(1, h).unwrap();
}
