// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Requests to the telemetry service and its replies (direct IPC messages;
//! the reply echoes the request's IPC tag).
//!
//! ```text
//! request:  'T' 'L' version=1 op     [period_ms: u32 LE]
//!           op 1 = get period, 2 = set period (with period_ms)
//! reply:    'T' 'L' version=1 op|0x80 [period_ms: u32 LE | reason: u8]
//!           0x81 = the period (now) in force, 0x82 = refused (reason)
//! ```
//!
//! Samples are not here: they are publications, one JSON object each.

use crate::Period;

const MAGIC: [u8; 2] = *b"TL";
const VERSION: u8 = 1;
const OP_GET: u8 = 1;
const OP_SET: u8 = 2;
const OP_PERIOD: u8 = 0x81;
const OP_REFUSED: u8 = 0x82;

/// Longest message of this protocol.
pub const MAX_LEN: usize = 8;

/// A request to the telemetry service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// What is the sampling period?
    GetPeriod,
    /// Sample every `ms` milliseconds from now on (checked by the service).
    SetPeriod { ms: u32 },
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The period is outside [`crate::MIN_PERIOD_MS`]..=[`crate::MAX_PERIOD_MS`].
    OutOfRange,
    /// Not a request of this protocol (or of a newer version).
    Malformed,
}

/// A reply of the telemetry service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The period in force (after a set: the new one).
    Period(Period),
    Refused(Refusal),
}

fn header(op: u8) -> [u8; 4] {
    [MAGIC[0], MAGIC[1], VERSION, op]
}

fn split(msg: &[u8]) -> Option<(u8, &[u8])> {
    match msg {
        [a, b, VERSION, op, rest @ ..] if [*a, *b] == MAGIC => Some((*op, rest)),
        _ => None,
    }
}

fn u32_le(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

impl Request {
    pub fn parse(msg: &[u8]) -> Option<Request> {
        match split(msg)? {
            (OP_GET, []) => Some(Request::GetPeriod),
            (OP_SET, rest) => Some(Request::SetPeriod { ms: u32_le(rest)? }),
            _ => None,
        }
    }

    /// Writes the request into `out`; returns its length.
    pub fn emit(&self, out: &mut [u8; MAX_LEN]) -> usize {
        match *self {
            Request::GetPeriod => {
                out[..4].copy_from_slice(&header(OP_GET));
                4
            }
            Request::SetPeriod { ms } => {
                out[..4].copy_from_slice(&header(OP_SET));
                out[4..8].copy_from_slice(&ms.to_le_bytes());
                8
            }
        }
    }
}

impl Reply {
    pub fn parse(msg: &[u8]) -> Option<Reply> {
        match split(msg)? {
            (OP_PERIOD, rest) => Period::from_ms(u32_le(rest)?).map(Reply::Period),
            (OP_REFUSED, [1]) => Some(Reply::Refused(Refusal::OutOfRange)),
            (OP_REFUSED, [2]) => Some(Reply::Refused(Refusal::Malformed)),
            _ => None,
        }
    }

    /// Writes the reply into `out`; returns its length.
    pub fn emit(&self, out: &mut [u8; MAX_LEN]) -> usize {
        match *self {
            Reply::Period(p) => {
                out[..4].copy_from_slice(&header(OP_PERIOD));
                out[4..8].copy_from_slice(&p.ms().to_le_bytes());
                8
            }
            Reply::Refused(why) => {
                out[..4].copy_from_slice(&header(OP_REFUSED));
                out[4] = match why {
                    Refusal::OutOfRange => 1,
                    Refusal::Malformed => 2,
                };
                5
            }
        }
    }
}

/// The service's answer to `msg`, and the period to apply if it changes.
pub fn answer(msg: &[u8], current: Period) -> Reply {
    match Request::parse(msg) {
        Some(Request::GetPeriod) => Reply::Period(current),
        Some(Request::SetPeriod { ms }) => match Period::from_ms(ms) {
            Some(p) => Reply::Period(p),
            None => Reply::Refused(Refusal::OutOfRange),
        },
        None => Reply::Refused(Refusal::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_round_trip() {
        let mut buf = [0u8; MAX_LEN];
        for r in [Request::GetPeriod, Request::SetPeriod { ms: 0 }, Request::SetPeriod { ms: 250 }] {
            let n = r.emit(&mut buf);
            assert_eq!(Request::parse(&buf[..n]), Some(r));
            assert_eq!(Request::parse(&buf[..n - 1]), None, "a cut request is refused");
        }
        for r in [
            Reply::Period(Period::from_ms(10).unwrap()),
            Reply::Refused(Refusal::OutOfRange),
            Reply::Refused(Refusal::Malformed),
        ] {
            let n = r.emit(&mut buf);
            assert_eq!(Reply::parse(&buf[..n]), Some(r));
        }
    }

    #[test]
    fn foreign_or_newer_messages_are_refused() {
        assert_eq!(Request::parse(b""), None);
        assert_eq!(Request::parse(b"TL\x02\x01"), None, "version 2");
        assert_eq!(Request::parse(b"XX\x01\x01"), None);
        assert_eq!(Request::parse(b"TL\x01\x01extra"), None);
        assert_eq!(Request::parse(b"{\"type\":\"x\"}"), None);
        // A reply carrying a period out of range is not a valid reply.
        assert_eq!(Reply::parse(b"TL\x01\x81\x01\x00\x00\x00"), None);
    }

    #[test]
    fn the_service_checks_the_period() {
        let now = Period::DEFAULT;
        let mut buf = [0u8; MAX_LEN];
        let n = Request::SetPeriod { ms: 5 }.emit(&mut buf);
        assert_eq!(answer(&buf[..n], now), Reply::Refused(Refusal::OutOfRange));
        let n = Request::SetPeriod { ms: 20 }.emit(&mut buf);
        assert_eq!(answer(&buf[..n], now), Reply::Period(Period::from_ms(20).unwrap()));
        let n = Request::GetPeriod.emit(&mut buf);
        assert_eq!(answer(&buf[..n], now), Reply::Period(now));
        assert_eq!(answer(b"garbage", now), Reply::Refused(Refusal::Malformed));
    }
}
