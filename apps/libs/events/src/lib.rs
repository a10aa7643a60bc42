//! An app's main-loop wait: until the network switch queued frames for it
//! or has room again for frames it refused (`net::NetDevice` keeps the
//! refused one), IPC messages arrived in its inbox, or a deadline passed.
//!
//! Tock delivers upcalls only while a process yields, so one place must
//! hold every subscription the loop wakes on; [`Events::run`] keeps them
//! for the lifetime of the loop. Apps must not use `Alarm::sleep_for`
//! inside it (that would take over the alarm upcall).

#![no_std]

use core::cell::Cell;
use core::marker::PhantomData;

use libtock_platform::subscribe::Subscribe;
use libtock_platform::{share, DefaultConfig, ErrorCode, Syscalls};
use syscall_abi::{ipc, net};

/// The alarm driver (upstream Tock's numbers).
const ALARM: u32 = 0;
const ALARM_UPCALL: u32 = 0;
const ALARM_SET_RELATIVE: u32 = 5;
const ALARM_STOP: u32 = 3;

const NET: u32 = net::DRIVER_NUM as u32;
const IPC: u32 = ipc::DRIVER_NUM as u32;

/// What ended a wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    Frames,
    Messages,
    Deadline,
}

pub struct Events<'a, S: Syscalls> {
    frames: &'a Cell<bool>,
    messages: &'a Cell<bool>,
    /// The last alarm upcall's `(now, expiration)`, in ticks.
    alarm: &'a Cell<Option<(u32, u32)>>,
    /// The alarm set and neither fired nor stopped, if any.
    armed: Cell<Option<Armed>>,
    /// The switch has room for frames again (the transmit-room upcall).
    room: &'a Cell<bool>,
    hz: u32,
    _s: PhantomData<S>,
}

/// An alarm the kernel holds for this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Armed {
    /// When it fires, in ticks, as the kernel reported it: its upcall says
    /// the same, so one from an alarm replaced since is told apart.
    expiry: u32,
    /// When it fires on the caller's millisecond clock, if set by
    /// [`Events::wait_until`].
    until: Option<u64>,
}

impl<S: Syscalls> Events<'_, S> {
    /// Runs `body` with the subscriptions in place. `frames` is the flag
    /// shared with the network device (`net::NetDevice`), `messages` the
    /// one for the IPC inbox; a source whose flag is set is looked at
    /// before any wait. The kernel raises each upcall once, then not again
    /// until a receive has found that queue empty, so an app that uses IPC
    /// starts with `messages` set, drains its inbox (a message may have
    /// arrived before the subscription) and calls
    /// [`Events::messages_drained`] only after a receive found it empty.
    pub fn run<R>(frames: &Cell<bool>, messages: &Cell<bool>, body: impl FnOnce(&Events<'_, S>) -> R) -> R {
        let alarm = Cell::new(None);
        let room = Cell::new(false);
        let hz = libtock_alarm::Alarm::<S>::get_frequency().map_or(1, |h| h.0);
        share::scope::<
            (
                Subscribe<_, NET, { net::upcall::FRAMES_QUEUED }>,
                Subscribe<_, NET, { net::upcall::TX_ROOM }>,
                Subscribe<_, IPC, { ipc::upcall::MESSAGES }>,
                Subscribe<_, ALARM, ALARM_UPCALL>,
            ),
            _,
            _,
        >(|handle| {
            let (net_sub, room_sub, ipc_sub, alarm_sub) = handle.split();
            // A driver the board lacks just never wakes us.
            let _ = S::subscribe::<_, _, DefaultConfig, NET, { net::upcall::FRAMES_QUEUED }>(net_sub, frames);
            // Before any transmit asks for it (an upcall nobody subscribed
            // to would sit in the task queue); asked for only right before a
            // wait (`net::NetDevice::before_wait`), so they cannot pile up.
            let _ = S::subscribe::<_, _, DefaultConfig, NET, { net::upcall::TX_ROOM }>(room_sub, &room);
            let _ = S::subscribe::<_, _, DefaultConfig, IPC, { ipc::upcall::MESSAGES }>(ipc_sub, messages);
            let _ = S::subscribe::<_, _, DefaultConfig, ALARM, ALARM_UPCALL>(alarm_sub, &alarm);
            let events =
                Events { frames, messages, alarm: &alarm, armed: Cell::new(None), room: &room, hz, _s: PhantomData };
            body(&events)
        })
    }

    /// Whether IPC messages may be waiting (set by the upcall).
    pub fn messages_pending(&self) -> bool {
        self.messages.get()
    }

    /// Call when a receive found the inbox empty (never otherwise: no
    /// upcall would come for a message left behind).
    pub fn messages_drained(&self) {
        self.messages.set(false);
    }

    /// Sleeps until frames or messages are pending or `ms` milliseconds
    /// pass (`None`: no deadline). Returns at once if something is pending.
    pub fn wait(&self, ms: Option<u32>) -> Wake {
        if let Some(w) = self.pending() {
            return w;
        }
        self.take_fired();
        if let Some(ms) = ms {
            if !self.arm(ms as u64, None) {
                return Wake::Deadline;
            }
        }
        loop {
            S::yield_wait();
            if let Some(w) = self.pending() {
                self.stop();
                return w;
            }
            if self.take_fired().is_some() && ms.is_some() {
                return Wake::Deadline;
            }
        }
    }

    /// As [`Events::wait`] with the deadline on the caller's millisecond
    /// clock, whose time is `now`, for a loop that waits often with a
    /// deadline that seldom moves (a server's next timer): an alarm that
    /// fires no later than `deadline` is kept instead of set again, and a
    /// wait that other work ends leaves it set, so such a wait costs one
    /// system call (the yield) instead of three. One that fires before
    /// `deadline` is set again for the rest and the wait goes on; the rest
    /// counts from when it was due, so a deadline can pass late by as long
    /// as the app was busy past it (it was not waiting then either).
    pub fn wait_until(&self, now: u64, deadline: Option<u64>) -> Wake {
        if let Some(w) = self.pending() {
            return w;
        }
        self.take_fired();
        if let Some(deadline) = deadline {
            let kept = matches!(self.armed.get(), Some(Armed { until: Some(at), .. }) if at <= deadline);
            if !kept && !self.arm(deadline.saturating_sub(now), Some(now)) {
                return Wake::Deadline;
            }
        }
        loop {
            S::yield_wait();
            if let Some(w) = self.pending() {
                return w;
            }
            match (self.take_fired(), deadline) {
                (None, _) => {}
                (Some(Armed { until: Some(at), .. }), Some(deadline)) if at < deadline => {
                    if !self.arm(deadline - at, Some(at)) {
                        return Wake::Deadline;
                    }
                }
                (Some(_), _) => return Wake::Deadline,
            }
        }
    }

    /// Sleeps until IPC messages are pending or `ms` milliseconds pass,
    /// ignoring network frames (they stay queued in the kernel): for a
    /// blocking request/reply exchange in the middle of network work.
    pub fn wait_messages(&self, ms: u32) -> Wake {
        if self.messages.get() {
            return Wake::Messages;
        }
        self.take_fired();
        if !self.arm(ms as u64, None) {
            return Wake::Deadline;
        }
        loop {
            S::yield_wait();
            if self.messages.get() {
                self.stop();
                return Wake::Messages;
            }
            if self.take_fired().is_some() {
                return Wake::Deadline;
            }
        }
    }

    /// Sets the alarm `ms` milliseconds ahead (1 at least; at most half the
    /// tick counter's range, so it cannot wrap), replacing any set before;
    /// `from` is the caller's time now, if it has a clock.
    fn arm(&self, ms: u64, from: Option<u64>) -> bool {
        let max_ms = timing::ticks_to_ms(u32::MAX as u64 / 2, self.hz).max(1);
        let ms = ms.clamp(1, max_ms);
        let ticks = timing::ms_to_ticks(ms as u32, self.hz);
        // Success carries the expiry time.
        match S::command(ALARM, ALARM_SET_RELATIVE, ticks, 0).to_result::<u32, ErrorCode>() {
            Ok(expiry) => {
                self.armed.set(Some(Armed { expiry, until: from.map(|now| now + ms) }));
                true
            }
            Err(_) => {
                self.armed.set(None);
                false
            }
        }
    }

    /// Stops the alarm, if one is set.
    fn stop(&self) {
        if self.armed.take().is_some() {
            let _ = S::command(ALARM, ALARM_STOP, 0, 0);
        }
    }

    /// The alarm that fired since the last look, if the set one did (an
    /// upcall of an alarm replaced since is dropped).
    fn take_fired(&self) -> Option<Armed> {
        let (_, expiry) = self.alarm.take()?;
        let armed = self.armed.get().filter(|a| a.expiry == expiry)?;
        self.armed.set(None);
        Some(armed)
    }

    fn pending(&self) -> Option<Wake> {
        // Room for a held frame: the next poll sends it.
        if self.frames.get() || self.room.replace(false) {
            Some(Wake::Frames)
        } else if self.messages.get() {
            Some(Wake::Messages)
        } else {
            None
        }
    }
}
