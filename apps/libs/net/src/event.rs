//! Waiting for the network: until frames arrive or a deadline passes.

use core::cell::Cell;
use core::marker::PhantomData;

use libtock_platform::subscribe::Subscribe;
use libtock_platform::{share, DefaultConfig, ErrorCode, Syscalls};
use syscall_abi::net::{upcall, DRIVER_NUM as NET};

/// The alarm driver (upstream Tock's numbers).
const ALARM: u32 = 0;
const ALARM_UPCALL: u32 = 0;
const ALARM_SET_RELATIVE: u32 = 5;
const ALARM_STOP: u32 = 3;

const NET_DRIVER: u32 = NET as u32;

/// What ended a wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    Frames,
    Deadline,
}

/// Subscriptions to the switch's frames-queued upcall and the alarm, for
/// the lifetime of an app's main loop. Apps must not use `Alarm::sleep_for`
/// inside it (it would take over the alarm upcall).
pub struct EventLoop<'a, S: Syscalls> {
    frames: &'a Cell<bool>,
    alarm: &'a Cell<bool>,
    hz: u32,
    _s: PhantomData<S>,
}

impl<S: Syscalls> EventLoop<'_, S> {
    /// Runs `body` with the subscriptions in place. `frames` is the flag
    /// shared with [`crate::NetDevice`].
    pub fn run<R>(frames: &Cell<bool>, body: impl FnOnce(&EventLoop<'_, S>) -> R) -> R {
        let alarm = Cell::new(false);
        let hz = libtock_alarm::Alarm::<S>::get_frequency().map_or(1, |h| h.0);
        share::scope::<
            (Subscribe<_, NET_DRIVER, { upcall::FRAMES_QUEUED }>, Subscribe<_, ALARM, ALARM_UPCALL>),
            _,
            _,
        >(|handle| {
            let (net_sub, alarm_sub) = handle.split();
            let _ = S::subscribe::<_, _, DefaultConfig, NET_DRIVER, { upcall::FRAMES_QUEUED }>(net_sub, frames);
            let _ = S::subscribe::<_, _, DefaultConfig, ALARM, ALARM_UPCALL>(alarm_sub, &alarm);
            body(&EventLoop { frames, alarm: &alarm, hz, _s: PhantomData })
        })
    }

    /// Sleeps until frames are queued or `ms` milliseconds pass (`None`:
    /// only frames wake it). Returns at once if frames are already pending.
    pub fn wait(&self, ms: Option<u32>) -> Wake {
        if self.frames.get() {
            return Wake::Frames;
        }
        self.alarm.set(false);
        if let Some(ms) = ms {
            let ticks = timing::ms_to_ticks(ms.max(1), self.hz);
            // Success carries the expiry time (a u32).
            if S::command(ALARM, ALARM_SET_RELATIVE, ticks, 0).to_result::<u32, ErrorCode>().is_err() {
                return Wake::Deadline;
            }
        }
        loop {
            S::yield_wait();
            if self.frames.get() {
                if ms.is_some() && !self.alarm.get() {
                    let _ = S::command(ALARM, ALARM_STOP, 0, 0);
                }
                return Wake::Frames;
            }
            if self.alarm.get() {
                return Wake::Deadline;
            }
        }
    }
}
