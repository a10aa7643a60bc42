//! Fair egress between an app's sockets.
//!
//! smoltcp sends from its sockets in slot order, one segment each per
//! round, and ends the round at the first refused transmit token. While
//! the switch queue is full each bit of room therefore goes to the first
//! socket with data, and a busy first socket starves the rest. After a
//! refusal ([`NetDevice::take_refusal`](crate::NetDevice::take_refusal))
//! the app rotates its sockets one place: the first moves to the last
//! slot, every other one slot forward, so each is first in turn.

use smoltcp::iface::{SocketHandle, SocketSet};

/// Rotates the sockets of `owners` (the app's connection slots, in any
/// order; `handle` gives each one's socket handle) one place in slot
/// order, and rewrites each owner's handle to where its socket went.
///
/// Sockets of the set no owner names keep their slots. Costs one swap per
/// socket (a few hundred bytes each): call it on a refusal, not on every
/// poll.
pub fn rotate<T>(sockets: &mut SocketSet<'_>, owners: &mut [T], handle: impl Fn(&mut T) -> &mut SocketHandle) {
    let n = owners.len();
    if !(2..=MAX_ROTATED).contains(&n) {
        return;
    }
    let mut old = [SocketHandle::default(); MAX_ROTATED];
    for (h, owner) in old.iter_mut().zip(owners.iter_mut()) {
        *h = *handle(owner);
    }
    let old = &old[..n];
    // The first socket's contents bubble to the last slot, each other one
    // moving a slot forward on the way.
    let mut carried = None;
    for (h, socket) in sockets.iter_mut() {
        if !old.contains(&h) {
            continue;
        }
        match carried.take() {
            None => carried = Some(socket),
            Some(first) => {
                core::mem::swap(first, socket);
                carried = Some(socket);
            }
        }
    }
    let highest = old.iter().copied().max().unwrap_or_default();
    for owner in owners.iter_mut() {
        let h = handle(owner);
        // The slot before, in slot order; the first slot's socket went last.
        *h = old.iter().copied().filter(|&o| o < *h).max().unwrap_or(highest);
    }
}

/// Most sockets one [`rotate`] call moves (HTTP has 18); more are left as they are.
pub const MAX_ROTATED: usize = 32;
