// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Login policy the app applies around [`Session`](crate::Session): the
//! delay before each `530`, counted per connection and per peer address,
//! and the password generated when the settings have none.

use core::net::Ipv4Addr;

/// Peers remembered at once; a new one takes the place of the one with
/// the fewest failures (the oldest among equals).
pub const PEERS: usize = 16;
/// Delay before the `530` of a first failure; each further one doubles it.
pub const FIRST_DELAY_MS: u64 = 1_000;
/// Longest delay (the fourth failure and after).
pub const MAX_DELAY_MS: u64 = 8_000;
/// A peer's count drops by one for each this long without a failure.
pub const DECAY_MS: u64 = 60_000;

/// Delay before the `530` answering the `n`th failure in a row (1, 2, 4,
/// 8 s, then 8 s); `n` is the larger of the connection's and the peer's count.
pub fn delay_ms(n: u32) -> u64 {
    let doublings = n.saturating_sub(1).min(16);
    (FIRST_DELAY_MS << doublings).min(MAX_DELAY_MS)
}

#[derive(Clone, Copy, Debug)]
struct Peer {
    addr: Ipv4Addr,
    failures: u32,
    /// Milliseconds (the caller's clock) of the last failure.
    last: u64,
}

impl Peer {
    /// The count after decay at `now`.
    fn failures(&self, now: u64) -> u32 {
        let decayed = now.saturating_sub(self.last) / DECAY_MS;
        self.failures.saturating_sub(u32::try_from(decayed).unwrap_or(u32::MAX))
    }
}

/// Failed logins per peer address, in a fixed table of [`PEERS`] entries.
#[derive(Clone, Debug)]
pub struct LoginGuard {
    peers: [Option<Peer>; PEERS],
    total: u64,
}

impl LoginGuard {
    /// An empty table.
    pub const fn new() -> Self {
        LoginGuard { peers: [None; PEERS], total: 0 }
    }

    /// Records a failure from `peer` at `now` (ms); returns the peer's count
    /// including it.
    pub fn failed(&mut self, peer: Ipv4Addr, now: u64) -> u32 {
        self.total = self.total.saturating_add(1);
        let slot = match self.find(peer) {
            Some(i) => i,
            None => self.victim(now),
        };
        let failures = match self.peers[slot] {
            Some(p) if p.addr == peer => p.failures(now).saturating_add(1),
            _ => 1,
        };
        self.peers[slot] = Some(Peer { addr: peer, failures, last: now });
        failures
    }

    /// A correct password from `peer`: its count starts again from zero.
    pub fn succeeded(&mut self, peer: Ipv4Addr) {
        if let Some(i) = self.find(peer) {
            self.peers[i] = None;
        }
    }

    /// The peer's count at `now`.
    pub fn failures(&self, peer: Ipv4Addr, now: u64) -> u32 {
        self.find(peer).and_then(|i| self.peers[i]).map_or(0, |p| p.failures(now))
    }

    /// Failed logins since start, from every peer.
    pub fn total(&self) -> u64 {
        self.total
    }

    fn find(&self, peer: Ipv4Addr) -> Option<usize> {
        self.peers.iter().position(|p| p.is_some_and(|p| p.addr == peer))
    }

    /// A free entry, else the one with the fewest failures now, oldest first.
    fn victim(&self, now: u64) -> usize {
        let key = |p: &Option<Peer>| p.map_or((0, 0), |p| (p.failures(now), p.last));
        (0..PEERS).min_by_key(|&i| key(&self.peers[i])).unwrap_or(0)
    }
}

impl Default for LoginGuard {
    fn default() -> Self {
        LoginGuard::new()
    }
}

/// Characters of generated passwords: digits and lower-case letters
/// without `0 1 i l o`, which are easily misread on a console.
pub const ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Length of a generated password: 16 of 31 symbols, 79 bits.
pub const GENERATED_LEN: usize = 16;
/// Random bytes at or above this are dropped, so every symbol is equally likely.
const UNBIASED: u8 = (256 - 256 % ALPHABET.len()) as u8;

/// Builds a password from random bytes (rejection sampling: some bytes
/// are not used, so feed more until [`password`](Self::password) is `Some`).
#[derive(Clone, Debug, Default)]
pub struct PasswordBuilder {
    chars: [u8; GENERATED_LEN],
    len: usize,
}

impl PasswordBuilder {
    /// Nothing yet.
    pub const fn new() -> Self {
        PasswordBuilder { chars: [0; GENERATED_LEN], len: 0 }
    }

    /// Takes random bytes; returns true once the password is complete.
    pub fn feed(&mut self, random: &[u8]) -> bool {
        for &b in random {
            if self.len == GENERATED_LEN {
                break;
            }
            if b < UNBIASED {
                self.chars[self.len] = ALPHABET[usize::from(b) % ALPHABET.len()];
                self.len += 1;
            }
        }
        self.len == GENERATED_LEN
    }

    /// The password, once complete.
    pub fn password(&self) -> Option<&str> {
        if self.len < GENERATED_LEN {
            return None;
        }
        core::str::from_utf8(&self.chars).ok()
    }
}
