// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The wait for a request head: idle close vs 408, each on its own clock.

use proto_http::{Expiry, HeadWait, WaitLimits};

const LIMITS: WaitLimits = WaitLimits { idle_ms: 15_000, head_ms: 10_000 };

#[test]
fn an_idle_connection_closes_quietly() {
    let wait = HeadWait::new(1_000, false);
    assert_eq!(wait.deadline(&LIMITS), 16_000);
    assert_eq!(wait.expiry(15_999, &LIMITS), Expiry::Pending);
    assert_eq!(wait.expiry(16_000, &LIMITS), Expiry::Close);
}

#[test]
fn a_slow_second_request_gets_the_full_head_timeout() {
    // Previous response sent at 1 s; the next head starts 9 s later.
    let mut wait = HeadWait::new(1_000, false);
    wait.received(10_000);
    // 11 s after the response, but only 1 s into the head: keep waiting.
    assert_eq!(wait.expiry(12_000, &LIMITS), Expiry::Pending);
    // More bytes do not extend the head clock (slow-header attacks).
    wait.received(15_000);
    assert_eq!(wait.deadline(&LIMITS), 20_000);
    assert_eq!(wait.expiry(19_999, &LIMITS), Expiry::Pending);
    assert_eq!(wait.expiry(20_000, &LIMITS), Expiry::RequestTimeout);
}

#[test]
fn pipelined_bytes_start_the_head_clock() {
    let wait = HeadWait::new(5_000, true);
    assert_eq!(wait, HeadWait::Started { since: 5_000 });
    assert_eq!(wait.expiry(15_000, &LIMITS), Expiry::RequestTimeout);
}

#[test]
fn no_overflow_at_the_end_of_time() {
    let wait = HeadWait::new(u64::MAX - 1, false);
    assert_eq!(wait.deadline(&LIMITS), u64::MAX);
    assert_eq!(wait.expiry(u64::MAX - 1, &LIMITS), Expiry::Pending);
}
