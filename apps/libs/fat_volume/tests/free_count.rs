//! The FAT32 free-cluster count: made at mount, a block at a time, when
//! fatfs would not trust the stored one (a volume it formatted, a crash).

mod common;

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use common::*;
use fat_volume::{FatVolume, BLOCK_SIZE};
use proto_storage::Label;

const STATUS_AT: u64 = 0x41;

fn bytes_at(img: &Path, at: u64, len: usize) -> Vec<u8> {
    let mut f = OpenOptions::new().read(true).open(img).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    let mut out = vec![0; len];
    f.read_exact(&mut out).unwrap();
    out
}

fn put_bytes(img: &Path, at: u64, data: &[u8]) {
    let mut f = OpenOptions::new().write(true).open(img).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(data).unwrap();
}

/// Byte offset of FSInfo's free count.
fn count_at(img: &Path) -> u64 {
    let fs_info = bytes_at(img, 48, 2);
    u64::from(u16::from_le_bytes([fs_info[0], fs_info[1]])) * 512 + 488
}

fn stored_count(img: &Path) -> u32 {
    u32::from_le_bytes(bytes_at(img, count_at(img), 4).try_into().unwrap())
}

/// Free clusters as fsck.fat counts them (`N files, used/total clusters`),
/// and that it finds nothing to say about the stored count.
fn fsck_free(img: &Path) -> u32 {
    let (clean, report) = fsck(img);
    assert!(clean, "{report}");
    assert!(!report.contains("Free cluster summary"), "the stored count is right: {report}");
    let figures = report.lines().find_map(|l| l.split(", ").nth(1)).unwrap_or_else(|| panic!("{report}"));
    let (used, total) = figures.trim_end_matches(" clusters").split_once('/').unwrap();
    total.parse::<u32>().unwrap() - used.parse::<u32>().unwrap()
}

#[test]
fn a_volume_formatted_here_gets_its_count_at_the_first_mount() {
    let dir = tempfile::tempdir().unwrap();
    let img = blank_image(dir.path(), "blank.img", 300);
    let device = FatVolume::<FileDevice>::format(FileDevice::open(&img), Label::EMPTY, 7).map_err(|e| e.0).unwrap();
    drop(device);
    assert_eq!(stored_count(&img), u32::MAX, "fatfs formats with the count unknown");
    let mut vol = mount(&img);
    assert!(!vol.recovered(), "a fresh volume is not a crashed one");
    // Mounting stored it: no unmount needed for fsck to agree.
    let counted = stored_count(&img);
    assert_eq!(counted, fsck_free(&img));
    let space = vol.free_space().unwrap();
    let cluster = space.total_bytes / u64::from(counted + 1);
    assert_eq!(space.free_bytes, u64::from(counted) * cluster, "fatfs took the stored count");
    // The FAT was read a block at a time: 4 bytes per cluster, 4 KiB per read.
    let fat_blocks = (u64::from(counted) * 4).div_ceil(BLOCK_SIZE as u64);
    let reads = vol.stats().device_reads;
    assert!(reads <= fat_blocks + 4, "{reads} device reads for {fat_blocks} FAT blocks");
    put(&mut vol, "/a.bin", &pattern(100_000, 1));
    unmount(vol);
    assert_eq!(stored_count(&img), fsck_free(&img));
    assert_eq!(stored_count(&img), counted - 100_000u32.div_ceil(cluster as u32));
    // A clean volume with a count is not counted again.
    let vol = mount(&img);
    assert!(vol.stats().device_reads < 4, "{} reads", vol.stats().device_reads);
}

#[test]
fn a_crashed_volume_gets_a_right_count_and_a_clear_flag_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "crash.img", 64);
    let mut vol = mount(&img);
    put(&mut vol, "/big.bin", &pattern(3 << 20, 2));
    vol.make_dir(&p("/d")).unwrap();
    for i in 0..20 {
        put(&mut vol, &format!("/d/f{i}.txt"), &pattern(700 * i, i as u32));
    }
    let expected = vol.free_space().unwrap();
    unmount(vol);
    let right = stored_count(&img);
    // A crash as the board leaves one: dirty flag set, the count stale.
    let flags = bytes_at(&img, STATUS_AT, 1)[0];
    put_bytes(&img, STATUS_AT, &[flags | 1]);
    put_bytes(&img, count_at(&img), &(right + 5000).to_le_bytes());
    assert!(!fsck(&img).1.is_empty());

    let mut vol = mount(&img);
    assert!(vol.recovered(), "the crash is still reported");
    assert_eq!(bytes_at(&img, STATUS_AT, 1)[0] & 1, 0, "flag cleared once the count was stored");
    assert_eq!(stored_count(&img), right);
    assert_eq!(fsck_free(&img), right);
    assert_eq!(vol.free_space().unwrap(), expected);
    assert_eq!(get(&mut vol, "/big.bin"), pattern(3 << 20, 2));
    // Freeing and allocating keep the count right from there on.
    vol.delete(&p("/big.bin")).unwrap();
    put(&mut vol, "/d/new.bin", &pattern(50_000, 9));
    unmount(vol);
    assert_eq!(stored_count(&img), fsck_free(&img));
}

#[test]
fn a_count_past_the_volume_is_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "wild.img", 40);
    let right = stored_count(&img);
    put_bytes(&img, count_at(&img), &0x0FFF_0000u32.to_le_bytes());
    let vol = mount(&img);
    assert!(!vol.recovered());
    drop(vol);
    assert_eq!(stored_count(&img), right);
    assert_eq!(fsck_free(&img), right);
}
