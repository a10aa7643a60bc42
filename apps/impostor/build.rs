//! Links at the fixed flash and PSRAM addresses the Makefile computes from
//! the board layout (LIBTOCK_LINKER_FLASH / LIBTOCK_LINKER_RAM).
fn main() {
    libtock_build_scripts::auto_layout();
}
