//! Open-file semantics: append, seek, truncate, sharing, per-client handles, limits.

mod common;

use common::*;
use fat_volume::{MAX_OPEN_FILES, MAX_OPEN_PER_CLIENT};
use proto_storage::{Error, Handle, OpenMode};

#[test]
fn append_seek_and_truncate() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "append.img", 40);
    let mut vol = mount(&img);
    put(&mut vol, "/log.txt", b"abc");
    let h = vol.open(1, &p("/log.txt"), OpenMode::Append).unwrap();
    // Appends go to the end whatever the position says.
    assert_eq!(vol.seek(1, h, 0), Ok(0));
    assert_eq!(vol.write(1, h, b"def"), Ok(3));
    vol.close(1, h).unwrap();
    // Append creates a missing file.
    let h = vol.open(1, &p("/new.log"), OpenMode::Append).unwrap();
    vol.write(1, h, b"first").unwrap();
    vol.close(1, h).unwrap();
    assert_eq!(get(&mut vol, "/log.txt"), b"abcdef");
    assert_eq!(get(&mut vol, "/new.log"), b"first");

    // Write without truncate overwrites in place.
    let keep = OpenMode::Write { create: false, truncate: false };
    let h = vol.open(1, &p("/log.txt"), keep).unwrap();
    assert_eq!(vol.seek(1, h, 2), Ok(2));
    vol.write(1, h, b"XY").unwrap();
    vol.close(1, h).unwrap();
    assert_eq!(get(&mut vol, "/log.txt"), b"abXYef");

    // Seek + read, as FTP REST does; past the end clamps to the size.
    let data = pattern(100_000, 5);
    put(&mut vol, "/rest.bin", &data);
    let h = vol.open(1, &p("/rest.bin"), OpenMode::Read).unwrap();
    for offset in [0u64, 1, 511, 512, 4096, 50_001, 99_999] {
        assert_eq!(vol.seek(1, h, offset), Ok(offset));
        let mut buf = [0u8; 4096];
        let n = vol.read(1, h, &mut buf).unwrap();
        let want = &data[offset as usize..(offset as usize + 4096).min(data.len())];
        assert_eq!(&buf[..n], want, "offset {offset}");
    }
    assert_eq!(vol.seek(1, h, 100_000), Ok(100_000));
    assert_eq!(vol.read(1, h, &mut [0u8; 16]), Ok(0));
    assert_eq!(vol.seek(1, h, 1 << 40), Ok(100_000));
    vol.close(1, h).unwrap();

    // Truncating open shortens; the freed clusters come back.
    let free = vol.free_space().unwrap().free_bytes;
    let h = vol.open(1, &p("/rest.bin"), W).unwrap();
    vol.write(1, h, b"short").unwrap();
    vol.close(1, h).unwrap();
    assert_eq!(get(&mut vol, "/rest.bin"), b"short");
    assert!(vol.free_space().unwrap().free_bytes > free);
    unmount(vol);
    assert_clean(&img);
    assert_eq!(mcopy_out(&img, "/log.txt"), b"abXYef");
    assert_eq!(mcopy_out(&img, "/rest.bin"), b"short");
}

#[test]
fn handles_belong_to_their_client() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "owners.img", 40);
    let mut vol = mount(&img);
    put(&mut vol, "/f", b"data");
    let h = vol.open(7, &p("/f"), OpenMode::Read).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(vol.read(8, h, &mut buf), Err(Error::BadHandle));
    assert_eq!(vol.seek(8, h, 0), Err(Error::BadHandle));
    assert_eq!(vol.close(8, h), Err(Error::BadHandle));
    assert_eq!(vol.read(7, Handle(h.0 + 1000), &mut buf), Err(Error::BadHandle));
    // Wrong direction.
    assert_eq!(vol.write(7, h, b"x"), Err(Error::BadHandle));
    let w = vol.open(7, &p("/g"), W).unwrap();
    assert_eq!(vol.read(7, w, &mut buf), Err(Error::BadHandle));
    assert_eq!(vol.read(7, h, &mut buf), Ok(4));
    vol.close(7, h).unwrap();
    // A closed handle is dead, and not soon reused.
    assert_eq!(vol.read(7, h, &mut buf), Err(Error::BadHandle));
    let again = vol.open(7, &p("/f"), OpenMode::Read).unwrap();
    assert_ne!(again, h);
    assert_eq!(vol.close_all(7), 2);
    assert_eq!(vol.open_files(), 0);
    unmount(vol);
    assert_clean(&img);
}

#[test]
fn one_writer_or_many_readers() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "share.img", 40);
    let mut vol = mount(&img);
    put(&mut vol, "/f", b"v1");
    let r1 = vol.open(1, &p("/f"), OpenMode::Read).unwrap();
    let r2 = vol.open(2, &p("/F"), OpenMode::Read).unwrap();
    assert_eq!(vol.open(3, &p("/f"), W), Err(Error::Busy));
    assert_eq!(vol.open(3, &p("/f"), OpenMode::Append), Err(Error::Busy));
    vol.close(1, r1).unwrap();
    vol.close(2, r2).unwrap();
    let w = vol.open(3, &p("/f"), W).unwrap();
    assert_eq!(vol.open(1, &p("/f"), OpenMode::Read), Err(Error::Busy));
    assert_eq!(vol.open(1, &p("/f"), W), Err(Error::Busy));
    vol.write(3, w, b"version 2").unwrap();
    // Stat sees the writer's size before close.
    assert_eq!(vol.stat(&p("/f")).unwrap().size, 9);
    // A client that disappears loses its handles; the data it wrote is kept.
    assert_eq!(vol.close_all(3), 1);
    assert_eq!(get(&mut vol, "/f"), b"version 2");
    unmount(vol);
    assert_clean(&img);
}

#[test]
fn open_file_limits() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "limits.img", 40);
    let mut vol = mount(&img);
    for i in 0..MAX_OPEN_FILES {
        put(&mut vol, &format!("/f{i}"), b"x");
    }
    let mut open = Vec::new();
    for i in 0..MAX_OPEN_PER_CLIENT {
        open.push(vol.open(1, &p(&format!("/f{i}")), OpenMode::Read).unwrap());
    }
    assert_eq!(vol.open(1, &p("/f7"), OpenMode::Read), Err(Error::TooManyOpenFiles));
    // Another client still gets its share.
    for i in MAX_OPEN_PER_CLIENT..MAX_OPEN_FILES {
        vol.open(2, &p(&format!("/f{i}")), OpenMode::Read).unwrap();
    }
    assert_eq!(vol.open(3, &p("/f0"), OpenMode::Read), Err(Error::TooManyOpenFiles));
    vol.close(1, open[0]).unwrap();
    vol.open(3, &p("/f0"), OpenMode::Read).unwrap();
    assert_eq!(vol.open_files(), MAX_OPEN_FILES);
    unmount(vol);
    assert_clean(&img);
}

#[test]
fn unmount_closes_and_flushes_open_files() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "unmount.img", 40);
    let data = pattern(300_000, 9);
    let mut vol = mount(&img);
    let h = vol.open(1, &p("/open.bin"), W).unwrap();
    for chunk in data.chunks(4096) {
        vol.write(1, h, chunk).unwrap();
    }
    // Never closed: unmount must still write data, size and FAT.
    unmount(vol);
    assert_clean(&img);
    assert_eq!(mcopy_out(&img, "/open.bin"), data);
    // And flush() alone makes an open file visible to others.
    let mut vol = mount(&img);
    let h = vol.open(1, &p("/flushed.bin"), W).unwrap();
    vol.write(1, h, b"flushed").unwrap();
    vol.flush().unwrap();
    assert_eq!(mcopy_out(&img, "/flushed.bin"), b"flushed");
    vol.close(1, h).unwrap();
    unmount(vol);
    assert_clean(&img);
    // Dropping a volume without unmount still writes everything back.
    let mut vol = mount(&img);
    let h = vol.open(1, &p("/dropped.bin"), W).unwrap();
    vol.write(1, h, &data[..10_000]).unwrap();
    drop(vol);
    assert_clean(&img);
    assert_eq!(mcopy_out(&img, "/dropped.bin"), data[..10_000]);
}
