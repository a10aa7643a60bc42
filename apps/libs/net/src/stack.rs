// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The one place an app's smoltcp interface is built.

use libtock_platform::Syscalls;
use smoltcp::iface::{Config as IfaceConfig, Interface};
#[cfg(feature = "alloc")]
use smoltcp::iface::{SocketSet, SocketStorage};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr, Ipv4Address};

use crate::{Config, NetDevice};

/// An interface with the board's MAC and IPv4 address, its prefix and
/// default route, as the kernel configured them; `seed` (from the RNG)
/// randomises TCP sequence numbers and ephemeral ports.
pub fn interface<S: Syscalls>(config: &Config, device: &mut NetDevice<S>, now_ms: u64, seed: u64) -> Interface {
    let mut iface_config = IfaceConfig::new(HardwareAddress::Ethernet(EthernetAddress(config.mac)));
    iface_config.random_seed = seed;
    let mut iface = Interface::new(iface_config, device, Instant::from_millis(now_ms as i64));
    let ip = Ipv4Address::from(config.ipv4);
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(ip.into(), config.prefix_len));
    });
    let _ = iface.routes_mut().add_default_ipv4_route(Ipv4Address::from(config.gateway));
    iface
}

/// A socket set for `count` sockets, its storage on the heap for the life
/// of the app (feature `alloc`: apps without a heap cannot link `alloc`).
#[cfg(feature = "alloc")]
pub fn socket_set(count: usize) -> SocketSet<'static> {
    extern crate alloc;
    let storage: &'static mut [SocketStorage<'static>] =
        alloc::vec::Vec::leak((0..count).map(|_| SocketStorage::EMPTY).collect());
    SocketSet::new(storage)
}

/// A frame buffer for [`NetDevice`](crate::NetDevice), for the life of the
/// app, placed so the IP header after the 14-byte Ethernet header starts
/// on a 4-byte boundary (Linux's `NET_IP_ALIGN`): a TCP payload (at 54)
/// is then word-aligned, and smoltcp's copies between it and the socket
/// buffers run a word at a time instead of a byte at a time.
#[cfg(feature = "alloc")]
pub fn frame_buffer() -> &'static mut [u8; crate::MAX_FRAME] {
    placed(crate::MAX_FRAME, 2).try_into().unwrap_or_else(|_| unreachable!())
}

/// `len` bytes for the life of the app, starting `offset` (0-3) bytes past
/// a 4-byte boundary.
#[cfg(feature = "alloc")]
fn placed(len: usize, offset: usize) -> &'static mut [u8] {
    extern crate alloc;
    let area: &'static mut [u8] = alloc::vec![0u8; len + 3].leak();
    let skip = (offset + 4 - area.as_ptr() as usize % 4) % 4;
    // `skip` is at most 3 and the area 3 bytes longer.
    &mut area[skip..skip + len]
}

/// Frames a [`receive_buffer`] holds at most: a burst of ACKs, or an
/// upload's segments, come in with one system call instead of one each.
#[cfg(feature = "alloc")]
pub const RECEIVE_BATCH_FRAMES: usize = 4;

/// A receive buffer for [`NetDevice`](crate::NetDevice), for the life of
/// the app: room for [`RECEIVE_BATCH_FRAMES`] largest frames as batch
/// records, word-aligned, so every frame in it has its IP header on a word
/// boundary as [`frame_buffer`] places it.
#[cfg(feature = "alloc")]
pub fn receive_buffer() -> &'static mut [u8] {
    placed(RECEIVE_BATCH_FRAMES * syscall_abi::net::batch_record_len(crate::MAX_FRAME), 0)
}

/// Frames a [`transmit_buffer`] holds at most: the switch takes a process's
/// frames into its four transmit buffers or its 8 KiB queue (five largest
/// frames), so a larger batch would mostly wait in the app.
#[cfg(feature = "alloc")]
pub const TRANSMIT_BATCH_FRAMES: usize = 4;

/// A transmit batch buffer for [`NetDevice`](crate::NetDevice), for the
/// life of the app: room for [`TRANSMIT_BATCH_FRAMES`] largest frames as
/// batch records, word-aligned like [`receive_buffer`].
#[cfg(feature = "alloc")]
pub fn transmit_buffer() -> &'static mut [u8] {
    placed(TRANSMIT_BATCH_FRAMES * syscall_abi::net::batch_record_len(crate::MAX_FRAME), 0)
}
