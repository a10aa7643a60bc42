// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Login policy: delays before 530, failures per peer with decay, and
//! generated passwords.

use core::net::Ipv4Addr;

use proto_ftp::login::{delay_ms, LoginGuard, PasswordBuilder, ALPHABET, DECAY_MS, GENERATED_LEN, MAX_DELAY_MS, PEERS};

const A: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
const B: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 9);

#[test]
fn delays_double_up_to_the_cap() {
    let got: Vec<u64> = (1..=7).map(delay_ms).collect();
    assert_eq!(got, [1000, 2000, 4000, 8000, 8000, 8000, 8000]);
    assert_eq!(delay_ms(0), 1000);
    assert_eq!(delay_ms(u32::MAX), MAX_DELAY_MS);
}

#[test]
fn failures_count_per_peer_and_decay() {
    let mut g = LoginGuard::new();
    assert_eq!(g.failed(A, 0), 1);
    assert_eq!(g.failed(A, 10), 2);
    assert_eq!(g.failed(B, 20), 1, "another peer has its own count");
    assert_eq!(g.failed(A, 30), 3);
    assert_eq!(g.total(), 4);
    // One failure is forgotten per DECAY_MS without one.
    assert_eq!(g.failures(A, 30 + DECAY_MS - 1), 3);
    assert_eq!(g.failures(A, 30 + DECAY_MS), 2);
    assert_eq!(g.failures(A, 30 + 5 * DECAY_MS), 0);
    assert_eq!(g.failed(A, 30 + 2 * DECAY_MS), 2);
    // A correct password clears the peer's count, not the total.
    g.succeeded(A);
    assert_eq!(g.failures(A, 30 + 2 * DECAY_MS), 0);
    assert_eq!(g.failures(B, 20), 1);
    assert_eq!(g.total(), 5);
}

#[test]
fn the_table_is_bounded_and_keeps_the_worst_peers() {
    let mut g = LoginGuard::new();
    for _ in 0..5 {
        g.failed(A, 0);
    }
    // Many one-off peers cannot push out the one that failed most.
    for i in 0..(3 * PEERS as u32) {
        g.failed(Ipv4Addr::from(0x0a01_0000 + i), 1);
    }
    assert_eq!(g.failures(A, 1), 5);
    assert_eq!(g.failed(A, 2), 6);
    let remembered = (0..(3 * PEERS as u32)).filter(|&i| g.failures(Ipv4Addr::from(0x0a01_0000 + i), 2) > 0).count();
    assert_eq!(remembered, PEERS - 1);
}

#[test]
fn generated_passwords_use_the_alphabet_without_bias() {
    let mut b = PasswordBuilder::new();
    assert_eq!(b.password(), None);
    // Bytes of 248 and above are dropped (256 is not a multiple of 31).
    assert!(!b.feed(&[255, 250, 248]));
    let bytes: Vec<u8> = (0..GENERATED_LEN as u8).collect();
    assert!(b.feed(&bytes));
    let pw = b.password().unwrap();
    assert_eq!(pw.len(), GENERATED_LEN);
    assert_eq!(pw, "23456789abcdefgh");
    assert!(pw.bytes().all(|c| ALPHABET.contains(&c)));
    for ambiguous in b"01ilo".iter() {
        assert!(!ALPHABET.contains(ambiguous));
    }
    // Further bytes change nothing.
    b.feed(&[30; 8]);
    assert_eq!(b.password(), Some("23456789abcdefgh"));
    // Every symbol is reachable: 247 = 7 * 31 + 30 maps to the last one.
    let mut z = PasswordBuilder::new();
    z.feed(&[247; GENERATED_LEN]);
    assert_eq!(z.password(), Some("zzzzzzzzzzzzzzzz"));
}
