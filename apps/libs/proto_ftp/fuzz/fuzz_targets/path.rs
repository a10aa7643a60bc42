//! `resolve` on arbitrary cwd/argument pairs: never panics, output always normalised.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto_ftp::{resolve, AbsPath, PathError, MAX_PATH};

fuzz_target!(|data: &[u8]| {
    // First byte splits the input into a cwd and an argument.
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let split = usize::from(split).min(rest.len());
    let (Ok(cwd), Ok(arg)) = (core::str::from_utf8(&rest[..split]), core::str::from_utf8(&rest[split..])) else {
        return;
    };
    let Ok(cwd) = AbsPath::parse(cwd) else {
        return;
    };
    let mut out = AbsPath::root();
    match resolve(&cwd, arg, &mut out) {
        Ok(()) => {
            let p = out.as_str();
            assert!(p.starts_with('/') && p.len() <= MAX_PATH);
            assert!(p == "/" || (!p.ends_with('/') && !p.contains("//")));
            assert!(p.split('/').all(|c| c != "." && c != ".."));
            // Normalised paths are fixed points.
            let mut again = AbsPath::root();
            resolve(&AbsPath::root(), p, &mut again).unwrap();
            assert_eq!(again.as_str(), p);
            // `..` count can only reach above root by erroring, never by clamping.
            if arg.starts_with('/') {
                assert_eq!(AbsPath::parse(arg).as_ref().map(AbsPath::as_str), Ok(p));
            }
        }
        Err(PathError::AboveRoot) => assert!(arg.contains("..")),
        Err(_) => {}
    }
});
