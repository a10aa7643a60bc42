//! ftp: placeholder until the FTP server lands.

#![no_main]
#![no_std]

extern crate panic_restart;

use libtock_runtime::{set_main, stack_size};

set_main! {main}
stack_size! {0x2000}

fn main() {
    say::say!("ftp: not yet implemented");
}
