// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! How long a connection waits for a request head (RFC 9112 §9.5).
//!
//! Two clocks, never mixed: an idle connection (no byte of a next request)
//! is closed quietly after the idle timeout; a head that has started must be
//! complete within the head timeout counted from its first byte, or it gets
//! 408. Counting the head from the end of the previous response would cut a
//! slow second request on a kept-alive connection short.

/// The two timeouts, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitLimits {
    /// No byte of a next request for this long: close without a response.
    pub idle_ms: u64,
    /// A started head not complete after this long: 408, then close.
    pub head_ms: u64,
}

/// Where a connection waiting for a request head stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadWait {
    /// Nothing of the next request yet, since this instant.
    Idle {
        /// When the wait began (connection accepted or previous response sent).
        since: u64,
    },
    /// The head's first byte came at this instant.
    Started {
        /// Arrival of the head's first byte.
        since: u64,
    },
}

/// What a wait has come to at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Keep waiting.
    Pending,
    /// Idle too long: close quietly.
    Close,
    /// The head took too long: answer 408 and close.
    RequestTimeout,
}

impl HeadWait {
    /// A new wait at `now`; `buffered` if bytes of the next request are already
    /// held (pipelined behind the previous one), which starts the head clock.
    pub const fn new(now: u64, buffered: bool) -> HeadWait {
        if buffered {
            HeadWait::Started { since: now }
        } else {
            HeadWait::Idle { since: now }
        }
    }

    /// Bytes of the head arrived at `now`; only the first starts the head clock.
    pub fn received(&mut self, now: u64) {
        if let HeadWait::Idle { .. } = self {
            *self = HeadWait::Started { since: now };
        }
    }

    /// When this wait expires.
    pub const fn deadline(&self, limits: &WaitLimits) -> u64 {
        match *self {
            HeadWait::Idle { since } => since.saturating_add(limits.idle_ms),
            HeadWait::Started { since } => since.saturating_add(limits.head_ms),
        }
    }

    /// What the wait has come to at `now`.
    pub const fn expiry(&self, now: u64, limits: &WaitLimits) -> Expiry {
        if now < self.deadline(limits) {
            Expiry::Pending
        } else if let HeadWait::Idle { .. } = self {
            Expiry::Close
        } else {
            Expiry::RequestTimeout
        }
    }
}
