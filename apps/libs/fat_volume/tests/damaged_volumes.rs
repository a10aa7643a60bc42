// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Damaged real volumes through the storage server, on the host: every
//! committed seed of the `volume` fuzz target and every input that once
//! crashed it (`fuzz/regressions/`, one file per bug, named after it).

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

fn run_dir(dir: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in &paths {
        let input = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Name the input in the failure: it is the reproducer.
        let outcome = std::panic::catch_unwind(|| harness::run(&input));
        assert!(outcome.is_ok(), "input {name} fails (see the panic above)");
    }
    paths.len()
}

#[test]
fn fuzz_seeds_run_clean() {
    assert!(run_dir("fuzz/seeds/volume") >= 40);
}

#[test]
fn inputs_that_once_crashed_run_clean() {
    run_dir("fuzz/regressions");
}
