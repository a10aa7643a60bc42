//! `Events::wait_until` against a fake kernel: an alarm that fires no later
//! than the deadline is kept (not set again, not stopped), an upcall of a
//! replaced alarm does not end a wait, and one that fires before the
//! deadline is set again for the rest.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use events::{Events, Wake};
use libtock_platform::{CommandReturn, ErrorCode};
use libtock_unittest::{command_return, fake, DriverInfo, DriverShareRef};

/// An alarm at 1000 Hz (a tick is a millisecond) that fires only when told.
#[derive(Default)]
struct Alarm {
    now: Cell<u32>,
    expiry: Cell<u32>,
    sets: Cell<u32>,
    stops: Cell<u32>,
    /// Fire at once when set (as if the time had come).
    fire_on_set: Cell<bool>,
    share: RefCell<DriverShareRef>,
}

impl Alarm {
    fn fire(&self, expiry: u32) {
        self.share.borrow().schedule_upcall(0, (self.now.get(), expiry, 0)).unwrap();
    }
}

impl fake::SyscallDriver for Alarm {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(0).upcall_count(1)
    }
    fn register(&self, share_ref: DriverShareRef) {
        self.share.replace(share_ref);
    }
    fn command(&self, command: u32, arg: u32, _: u32) -> CommandReturn {
        match command {
            1 => command_return::success_u32(1000),
            3 => {
                self.stops.set(self.stops.get() + 1);
                command_return::success()
            }
            5 => {
                let expiry = self.now.get() + arg;
                self.expiry.set(expiry);
                self.sets.set(self.sets.get() + 1);
                if self.fire_on_set.get() {
                    self.fire(expiry);
                }
                command_return::success_u32(expiry)
            }
            _ => command_return::failure(ErrorCode::NoSupport),
        }
    }
}

/// The network switch, only to raise its frames-queued upcall.
#[derive(Default)]
struct Net {
    share: RefCell<DriverShareRef>,
}

impl Net {
    fn frames(&self) {
        self.share.borrow().schedule_upcall(0, (1, 0, 0)).unwrap();
    }
}

impl fake::SyscallDriver for Net {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(syscall_abi::net::DRIVER_NUM as u32).upcall_count(2)
    }
    fn register(&self, share_ref: DriverShareRef) {
        self.share.replace(share_ref);
    }
    fn command(&self, _: u32, _: u32, _: u32) -> CommandReturn {
        command_return::failure(ErrorCode::NoSupport)
    }
}

fn setup() -> (fake::Kernel, Rc<Alarm>, Rc<Net>) {
    let kernel = fake::Kernel::new();
    let alarm = Rc::new(Alarm::default());
    let net = Rc::new(Net::default());
    kernel.add_driver(&alarm);
    kernel.add_driver(&net);
    (kernel, alarm, net)
}

#[test]
fn an_alarm_no_later_than_the_deadline_is_kept() {
    let (_kernel, alarm, net) = setup();
    let (frames, messages) = (Cell::new(false), Cell::new(false));
    Events::<fake::Syscalls>::run(&frames, &messages, |events| {
        net.frames();
        assert_eq!(events.wait_until(0, Some(100)), Wake::Frames);
        assert_eq!((alarm.sets.get(), alarm.stops.get()), (1, 0), "set once, left set");
        frames.set(false);
        net.frames();
        assert_eq!(events.wait_until(5, Some(100)), Wake::Frames);
        frames.set(false);
        net.frames();
        assert_eq!(events.wait_until(6, Some(300)), Wake::Frames);
        assert_eq!((alarm.sets.get(), alarm.stops.get()), (1, 0), "still kept: it fires first");
        frames.set(false);
        net.frames();
        assert_eq!(events.wait_until(7, Some(50)), Wake::Frames);
        assert_eq!(alarm.sets.get(), 2, "an earlier deadline sets it again");
    });
}

#[test]
fn an_upcall_of_a_replaced_alarm_ends_no_wait() {
    let (_kernel, alarm, net) = setup();
    let (frames, messages) = (Cell::new(false), Cell::new(false));
    Events::<fake::Syscalls>::run(&frames, &messages, |events| {
        net.frames();
        assert_eq!(events.wait_until(0, Some(100)), Wake::Frames);
        frames.set(false);
        // Fired at 100 for an alarm since replaced (expiry 100 + 1).
        alarm.fire(alarm.expiry.get() + 1);
        net.frames();
        assert_eq!(events.wait_until(10, Some(100)), Wake::Frames, "the stale upcall was dropped");
    });
}

#[test]
fn an_early_alarm_is_set_again_for_the_rest() {
    let (_kernel, alarm, net) = setup();
    let (frames, messages) = (Cell::new(false), Cell::new(false));
    Events::<fake::Syscalls>::run(&frames, &messages, |events| {
        net.frames();
        assert_eq!(events.wait_until(0, Some(40)), Wake::Frames);
        frames.set(false);
        // Kept for a later deadline; it fires at 40, then the rest to 100.
        alarm.now.set(40);
        alarm.fire(alarm.expiry.get());
        alarm.fire_on_set.set(true);
        assert_eq!(events.wait_until(20, Some(100)), Wake::Deadline);
        assert_eq!(alarm.sets.get(), 2);
        assert_eq!(alarm.expiry.get(), 100, "set for the 60 ms left, from when it fired");
    });
}

#[test]
fn a_plain_wait_stops_its_alarm_when_woken_early() {
    let (_kernel, alarm, net) = setup();
    let (frames, messages) = (Cell::new(false), Cell::new(false));
    Events::<fake::Syscalls>::run(&frames, &messages, |events| {
        net.frames();
        assert_eq!(events.wait(Some(100)), Wake::Frames);
        assert_eq!((alarm.sets.get(), alarm.stops.get()), (1, 1));
        frames.set(false);
        alarm.fire_on_set.set(true);
        assert_eq!(events.wait(Some(10)), Wake::Deadline);
    });
}
