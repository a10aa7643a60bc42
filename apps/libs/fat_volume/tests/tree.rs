//! Directories, names, renames and deletes, checked against fsck.fat and mtools.

mod common;

use common::*;
use proto_storage::{Entry, Error, Kind, OpenMode};

const LONG: &str = "A long file name with spaces and ünïcode.txt";

fn names(vol: &mut fat_volume::FatVolume<FileDevice>, path: &str) -> Vec<(String, Kind, u64)> {
    let mut out = Vec::new();
    let next = vol
        .list(&p(path), 0, |e: &Entry<'_>| {
            out.push((e.name.to_string(), e.meta.kind, e.meta.size));
            true
        })
        .unwrap();
    assert_eq!(next, None);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn long_names_and_unicode() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "names.img", 40);
    let mut vol = mount(&img);
    let at_root = "n".repeat(254); // the longest name a 255-byte path can hold
    let unicode = format!("/x{}", "ü".repeat(100)); // 201 bytes, 101 UTF-16 units
    put(&mut vol, &format!("/{LONG}"), b"long");
    put(&mut vol, &format!("/{at_root}"), b"254");
    put(&mut vol, &unicode, b"unicode");
    put(&mut vol, "/MiXeD.TxT", b"case");
    // FAT looks names up without regard to case.
    assert_eq!(get(&mut vol, "/mixed.txt"), b"case");
    assert_eq!(get(&mut vol, &format!("/{}", LONG.to_uppercase())), b"long");
    let listed = names(&mut vol, "/");
    assert!(listed.iter().any(|(n, _, s)| n == LONG && *s == 4), "{listed:?}");
    assert!(listed.iter().any(|(n, _, _)| *n == at_root));
    assert!(listed.iter().any(|(n, _, _)| n == "MiXeD.TxT"), "case is kept");
    // Names FAT cannot store, or that only look different.
    // (A leading non-ASCII character would crash fatfs 0.4's short-name generator.)
    for bad in ["/a*b", "/a?b", "/a:b", "/a\"b", "/a<b", "/a|b", "/trailing.", "/trailing ", "/emoji😀", "/über"] {
        assert_eq!(vol.open(1, &p(bad), W), Err(Error::BadPath), "{bad}");
        assert_eq!(vol.make_dir(&p(bad)), Err(Error::BadPath), "{bad}");
    }
    unmount(vol);
    assert_clean(&img);
    assert_eq!(mcopy_out(&img, &format!("/{LONG}")), b"long");
    assert_eq!(mcopy_out(&img, &format!("/{at_root}")), b"254");
    assert_eq!(mcopy_out(&img, &unicode), b"unicode");
    assert!(mdir(&img, "/").contains(LONG));
}

#[test]
fn nested_directories() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "nested.img", 40);
    let mut vol = mount(&img);
    for d in ["/a", "/a/b", "/a/b/c", "/a/b/c/d"] {
        vol.make_dir(&p(d)).unwrap();
    }
    put(&mut vol, "/a/b/c/d/deep.txt", b"deep");
    assert_eq!(vol.make_dir(&p("/a/b")), Err(Error::AlreadyExists));
    assert_eq!(vol.make_dir(&p("/")), Err(Error::AlreadyExists));
    assert_eq!(vol.make_dir(&p("/x/y")), Err(Error::NotFound));
    assert_eq!(vol.make_dir(&p("/a/b/c/d/deep.txt/e")), Err(Error::NotADirectory));
    assert_eq!(vol.open(1, &p("/a/b/c/d/deep.txt/e"), OpenMode::Read), Err(Error::NotADirectory));
    assert_eq!(vol.open(1, &p("/a/b"), OpenMode::Read), Err(Error::IsADirectory));
    assert_eq!(vol.open(1, &p("/a/b"), W), Err(Error::IsADirectory));
    assert_eq!(vol.open(1, &p("/"), OpenMode::Read), Err(Error::IsADirectory));
    assert_eq!(vol.open(1, &p("/a/nope"), OpenMode::Read), Err(Error::NotFound));
    let no_create = OpenMode::Write { create: false, truncate: false };
    assert_eq!(vol.open(1, &p("/a/nope"), no_create), Err(Error::NotFound));
    assert_eq!(vol.stat(&p("/a/b/c")).unwrap().kind, Kind::Dir);
    assert_eq!(vol.stat(&p("/")).unwrap().kind, Kind::Dir);
    assert_eq!(vol.stat(&p("/a/b/c/d/deep.txt")).unwrap().size, 4);
    assert_eq!(vol.stat(&p("/a/zz")), Err(Error::NotFound));
    assert_eq!(names(&mut vol, "/a/b/c/d"), [("deep.txt".into(), Kind::File, 4)]);
    assert_eq!(names(&mut vol, "/a"), [("b".into(), Kind::Dir, 0)]);
    let mut sink = |_: &Entry<'_>| true;
    assert_eq!(vol.list(&p("/a/b/c/d/deep.txt"), 0, &mut sink), Err(Error::NotADirectory));
    assert_eq!(vol.list(&p("/nope"), 0, &mut sink), Err(Error::NotFound));
    unmount(vol);
    assert_clean(&img);
    assert_eq!(mcopy_out(&img, "/a/b/c/d/deep.txt"), b"deep");
}

#[test]
fn rename_within_and_across_directories() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "rename.img", 40);
    let mut vol = mount(&img);
    vol.make_dir(&p("/src")).unwrap();
    vol.make_dir(&p("/dst")).unwrap();
    vol.make_dir(&p("/src/sub")).unwrap();
    put(&mut vol, "/src/a.txt", b"A");
    put(&mut vol, "/src/sub/inner.txt", b"inner");
    put(&mut vol, "/dst/taken", b"T");
    vol.rename(&p("/src/a.txt"), &p("/src/b.txt")).unwrap();
    vol.rename(&p("/src/b.txt"), &p(&format!("/dst/{LONG}"))).unwrap();
    // A directory with contents moves across directories.
    vol.make_dir(&p("/src/sub/deeper")).unwrap();
    put(&mut vol, "/src/sub/deeper/leaf", b"leaf");
    vol.rename(&p("/src/sub"), &p("/dst/moved")).unwrap();
    assert_eq!(get(&mut vol, "/dst/moved/inner.txt"), b"inner");
    assert_eq!(get(&mut vol, "/dst/moved/deeper/leaf"), b"leaf");
    assert_eq!(vol.stat(&p("/src/sub")), Err(Error::NotFound));
    // ...and a directory renamed in place keeps its contents.
    vol.rename(&p("/dst/moved"), &p("/dst/renamed")).unwrap();
    assert_eq!(get(&mut vol, "/dst/renamed/deeper/leaf"), b"leaf");
    // Case-only rename really changes the stored name.
    vol.rename(&p("/dst/taken"), &p("/dst/TAKEN")).unwrap();
    assert!(names(&mut vol, "/dst").iter().any(|(n, _, _)| n == "TAKEN"));
    // Renaming onto itself is a no-op.
    vol.rename(&p("/dst/TAKEN"), &p("/dst/TAKEN")).unwrap();
    assert_eq!(vol.rename(&p("/dst/TAKEN"), &p(&format!("/dst/{LONG}"))), Err(Error::AlreadyExists));
    assert_eq!(vol.rename(&p("/nope"), &p("/x")), Err(Error::NotFound));
    assert_eq!(vol.rename(&p("/dst"), &p("/nope/x")), Err(Error::NotFound));
    assert_eq!(vol.rename(&p("/dst"), &p("/dst/renamed/x")), Err(Error::BadPath));
    assert_eq!(vol.rename(&p("/dst"), &p("/dst/x")), Err(Error::BadPath));
    assert_eq!(vol.rename(&p("/dst"), &p("/DST/x")), Err(Error::BadPath));
    assert_eq!(vol.rename(&p("/"), &p("/x")), Err(Error::PermissionDenied));
    assert_eq!(vol.stat(&p("/src/a.txt")), Err(Error::NotFound));
    assert_eq!(names(&mut vol, "/src"), []);
    unmount(vol);
    assert_clean(&img);
    assert_eq!(mcopy_out(&img, &format!("/dst/{LONG}")), b"A");
    assert_eq!(mcopy_out(&img, "/dst/renamed/inner.txt"), b"inner");
    assert_eq!(mcopy_out(&img, "/dst/renamed/deeper/leaf"), b"leaf");
    assert_eq!(mcopy_out(&img, "/dst/TAKEN"), b"T");
}

#[test]
fn delete_and_remove_dir() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "delete.img", 40);
    let mut vol = mount(&img);
    let free_before = vol.free_space().unwrap().free_bytes;
    vol.make_dir(&p("/d")).unwrap();
    put(&mut vol, "/d/f", &pattern(100_000, 1));
    assert_eq!(vol.remove_dir(&p("/d")), Err(Error::NotEmpty));
    assert_eq!(vol.remove_dir(&p("/d/f")), Err(Error::NotADirectory));
    assert_eq!(vol.remove_dir(&p("/nope")), Err(Error::NotFound));
    assert_eq!(vol.remove_dir(&p("/")), Err(Error::PermissionDenied));
    assert_eq!(vol.delete(&p("/d")), Err(Error::IsADirectory));
    assert_eq!(vol.delete(&p("/")), Err(Error::IsADirectory));
    assert_eq!(vol.delete(&p("/d/nope")), Err(Error::NotFound));
    // An open file is neither deleted nor renamed under its reader.
    let h = vol.open(1, &p("/d/F"), OpenMode::Read).unwrap();
    assert_eq!(vol.delete(&p("/d/f")), Err(Error::Busy));
    assert_eq!(vol.rename(&p("/d"), &p("/e")), Err(Error::Busy));
    vol.close(1, h).unwrap();
    vol.delete(&p("/d/f")).unwrap();
    vol.remove_dir(&p("/d")).unwrap();
    assert_eq!(vol.stat(&p("/d")), Err(Error::NotFound));
    assert_eq!(vol.free_space().unwrap().free_bytes, free_before);
    unmount(vol);
    assert_clean(&img);
    assert!(!mdir(&img, "/").contains(" d "));
}

#[test]
fn files_written_by_mtools_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "interop.img", 40);
    mmd(&img, "/www");
    let page = pattern(70_000, 3);
    mcopy_in(&img, "/www/index.html", &page);
    mcopy_in(&img, &format!("/www/{LONG}"), b"from mtools");
    let mut vol = mount(&img);
    assert_eq!(vol.label().as_str(), "TEST");
    assert_eq!(get(&mut vol, "/www/index.html"), page);
    assert_eq!(get(&mut vol, &format!("/www/{LONG}")), b"from mtools");
    let listed = names(&mut vol, "/www");
    assert_eq!(listed.len(), 2, "{listed:?}");
    unmount(vol);
    assert_clean(&img);
}
