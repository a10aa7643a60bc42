//! Links with `layout.ld` (which includes upstream's generic kernel layout)
//! and rebuilds when it changes.
fn main() {
    tock_build_scripts::default_linker_script();
}
