//! The apps' panic handler: a panic is a fault like any other, so the app
//! prints it (one console line) and exits with *restart*, and the kernel
//! starts it afresh, as its fault policy does for hardware faults.
//! (libtock-rs's own handlers exit with *terminate*, which would leave a
//! service down until the next boot.) Allocation failures panic too.

#![no_std]

use libtock_platform::Syscalls;
use libtock_runtime::TockSyscalls;
// Linked for its `memcpy` on RISC-V (faster than compiler-builtins'; see the crate).
use word_ops as _;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    report(info);
    TockSyscalls::exit_restart(1)
}

/// Says where, with the `location` feature: every panic site's file name
/// and line then stay in flash (about 20 KiB for the HTTP app), so it is
/// for debugging builds.
#[cfg(feature = "location")]
fn report(info: &core::panic::PanicInfo) {
    match info.location() {
        Some(l) => say::say!("panic at {}:{}; restarting", l.file(), l.line()),
        None => say::say!("panic; restarting"),
    }
}

#[cfg(not(feature = "location"))]
fn report(_info: &core::panic::PanicInfo) {
    say::say!("panic; restarting (build with panic-restart/location to see where)");
}
