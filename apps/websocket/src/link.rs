// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The telemetry service, from this side: whose publications are samples,
//! what its period is, and the requests that change it.
//!
//! Samples arrive as publications of the `telemetry` service (subscribed
//! by name, so a restarted telemetry app is followed with no action); a
//! sample from a process not seen before means a new instance, whose period
//! is asked for. Any `Period` reply from the service states the period in
//! force, whatever request it answers; tags only route refusals back to the
//! client that asked.

use ipc::{Handle, Ipc};
use libtock_runtime::TockSyscalls;
use proto_telemetry::wire::{Refusal, Reply, Request, MAX_LEN};
use proto_telemetry::{Period, SERVICE_NAME};

/// A request not answered in this long is given up (the client is told).
pub const REPLY_TIMEOUT_MS: u64 = 2_000;

struct Pending {
    tag: u16,
    /// The client slot that asked, if any.
    requester: Option<usize>,
    since: u64,
}

#[derive(Default)]
pub struct TelemetryLink {
    service: Option<Handle>,
    period: Option<Period>,
    pending: Option<Pending>,
    tag: u16,
}

/// What a message from the service meant.
pub enum Answer {
    /// The period in force (possibly unchanged).
    Period(Period),
    /// A request was refused; tell the client that asked.
    Refused { requester: Option<usize>, why: Refusal },
}

impl TelemetryLink {
    pub fn period(&self) -> Option<Period> {
        self.period
    }

    pub fn is_service(&self, who: Handle) -> bool {
        self.service == Some(who)
    }

    /// A sample came from `who`: if that is a new instance, its period is
    /// unknown until it answers (`true`: the period was forgotten).
    pub fn sample_from(&mut self, who: Handle, now: u64) -> bool {
        if self.service == Some(who) {
            return false;
        }
        self.service = Some(who);
        let forgot = self.period.take().is_some();
        let _ = self.request(Request::GetPeriod, None, now);
        forgot
    }

    /// Sends `request` to the service (looked up if not known yet).
    pub fn request(&mut self, request: Request, requester: Option<usize>, now: u64) -> Result<(), ()> {
        let service = match self.service {
            Some(h) if Ipc::<TockSyscalls>::alive(h) => h,
            _ => {
                let h = Ipc::<TockSyscalls>::lookup(SERVICE_NAME).map_err(|_| ())?;
                self.service = Some(h);
                h
            }
        };
        self.tag = self.tag.wrapping_add(1).max(1);
        let mut buf = [0u8; MAX_LEN];
        let n = request.emit(&mut buf);
        Ipc::<TockSyscalls>::send_tagged(service, &buf[..n], self.tag).map_err(|_| ())?;
        self.pending = Some(Pending { tag: self.tag, requester, since: now });
        Ok(())
    }

    /// A direct message from the service.
    pub fn answer(&mut self, msg: &[u8], tag: u16) -> Option<Answer> {
        let requester = match &self.pending {
            Some(p) if p.tag == tag => {
                let r = p.requester;
                self.pending = None;
                r
            }
            _ => None,
        };
        match Reply::parse(msg)? {
            Reply::Period(p) => {
                self.period = Some(p);
                Some(Answer::Period(p))
            }
            Reply::Refused(why) => Some(Answer::Refused { requester, why }),
        }
    }

    /// The client whose request went unanswered, once it timed out.
    pub fn timed_out(&mut self, now: u64) -> Option<Option<usize>> {
        match &self.pending {
            Some(p) if now.saturating_sub(p.since) >= REPLY_TIMEOUT_MS => {
                let r = p.requester;
                self.pending = None;
                Some(r)
            }
            _ => None,
        }
    }

    /// When the pending request times out.
    pub fn deadline(&self) -> Option<u64> {
        self.pending.as_ref().map(|p| p.since + REPLY_TIMEOUT_MS)
    }
}
