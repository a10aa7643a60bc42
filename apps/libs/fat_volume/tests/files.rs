//! Files on real `mkfs.fat -F 32` images, checked by fsck.fat and mtools.

mod common;

use common::*;
use proto_storage::Kind;

#[test]
fn files_of_many_sizes_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "sizes.img", 48);
    let sizes = [0, 1, 511, 512, 513, 4095, 4096, 4097, 65_536, 100_000, 1 << 20];
    let mut vol = mount(&img);
    for (i, &size) in sizes.iter().enumerate() {
        put(&mut vol, &format!("/f{size}.bin"), &pattern(size, i as u32));
    }
    for (i, &size) in sizes.iter().enumerate() {
        let back = get(&mut vol, &format!("/f{size}.bin"));
        assert_eq!(sha256(&back), sha256(&pattern(size, i as u32)), "size {size}");
        let meta = vol.stat(&p(&format!("/f{size}.bin"))).unwrap();
        assert_eq!((meta.kind, meta.size), (Kind::File, size as u64));
    }
    unmount(vol);
    assert_clean(&img);
    for (i, &size) in sizes.iter().enumerate() {
        let back = mcopy_out(&img, &format!("/f{size}.bin"));
        assert_eq!(sha256(&back), sha256(&pattern(size, i as u32)), "mcopy size {size}");
    }
}

#[test]
fn ten_mib_file_in_4k_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "big.img", 64);
    let data = pattern(10 << 20, 10);
    let mut vol = mount(&img);
    put(&mut vol, "/big.bin", &data);
    assert_eq!(sha256(&get(&mut vol, "/big.bin")), sha256(&data));
    unmount(vol);
    assert_clean(&img);
    assert_eq!(sha256(&mcopy_out(&img, "/big.bin")), sha256(&data));
}
