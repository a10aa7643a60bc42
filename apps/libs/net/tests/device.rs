//! The device's transmit batches against a fake switch that takes as many
//! frames as it has room for: a pass's frames go in one call, in order;
//! frames refused for a full queue stay and go first; while the batch has
//! no room smoltcp gets no transmit token; the wait before sleeping asks
//! for the room upcall.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use libtock_platform::{CommandReturn, ErrorCode};
use libtock_unittest::{command_return, fake, DriverInfo, RoAllowBuffer};
use net::{NetDevice, MAX_FRAME};
use smoltcp::phy::{Device, TxToken};
use smoltcp::time::Instant;
use syscall_abi::net::{batch_record_at, command, transmit_flags};

/// The switch's transmit side: `room` frames more, then `NOMEM`.
#[derive(Default)]
struct Switch {
    frame: RefCell<RoAllowBuffer>,
    room: Cell<usize>,
    /// Frames taken, in order.
    sent: RefCell<Vec<Vec<u8>>>,
    /// Flags of every transmit call.
    calls: RefCell<Vec<u32>>,
}

impl fake::SyscallDriver for Switch {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(syscall_abi::net::DRIVER_NUM as u32).upcall_count(2)
    }
    fn command(&self, cmd: u32, len: u32, flags: u32) -> CommandReturn {
        if cmd != command::TRANSMIT {
            return command_return::failure(ErrorCode::NoSupport);
        }
        self.calls.borrow_mut().push(flags);
        let buf = self.frame.borrow();
        let len = len as usize;
        if flags & transmit_flags::BATCH == 0 {
            self.sent.borrow_mut().push(buf[..len].to_vec());
            return command_return::success();
        }
        let mut at = 0;
        while at + 2 <= len && self.room.get() > 0 {
            let Some((start, n, footprint)) = batch_record_at([buf[at], buf[at + 1]], at, len) else {
                return command_return::failure(ErrorCode::Size);
            };
            self.sent.borrow_mut().push(buf[start..start + n].to_vec());
            self.room.set(self.room.get() - 1);
            at += footprint;
        }
        if at == 0 {
            return command_return::failure(ErrorCode::NoMem);
        }
        command_return::success_2_u32(at.min(len) as u32, 0)
    }
    fn allow_readonly(&self, num: u32, buffer: RoAllowBuffer) -> Result<RoAllowBuffer, (RoAllowBuffer, ErrorCode)> {
        if num != 0 {
            return Err((buffer, ErrorCode::NoSupport));
        }
        Ok(self.frame.replace(buffer))
    }
}

fn setup(room: usize) -> (fake::Kernel, Rc<Switch>) {
    let kernel = fake::Kernel::new();
    let switch = Rc::new(Switch::default());
    switch.room.set(room);
    kernel.add_driver(&switch);
    (kernel, switch)
}

/// Hands smoltcp's next frame (`len` bytes of `byte`) to the device; `false`
/// if it offered no token.
fn send(device: &mut NetDevice<fake::Syscalls>, len: usize, byte: u8) -> bool {
    match device.transmit(Instant::ZERO) {
        Some(token) => {
            token.consume(len, |f| f.fill(byte));
            true
        }
        None => false,
    }
}

struct Buffers {
    rx: Vec<u8>,
    tx: Vec<u8>,
    spare: [u8; MAX_FRAME],
    pending: Cell<bool>,
}

impl Buffers {
    /// A 4-frame transmit batch, as `net::transmit_buffer` makes.
    fn new() -> Self {
        let record = syscall_abi::net::batch_record_len(MAX_FRAME);
        Buffers { rx: vec![0; record], tx: vec![0; 4 * record], spare: [0; MAX_FRAME], pending: Cell::new(false) }
    }

    /// The device over them (nothing here receives).
    fn device(&mut self) -> NetDevice<'_, fake::Syscalls> {
        NetDevice::new(&mut self.rx, &mut self.tx, &mut self.spare, &self.pending)
    }
}

#[test]
fn a_pass_s_frames_go_in_one_call_in_order() {
    let (_kernel, switch) = setup(10);
    let mut b = Buffers::new();
    let mut device = b.device();
    for i in 1..=3 {
        assert!(send(&mut device, 60 + i as usize, i));
    }
    assert!(switch.calls.borrow().is_empty(), "nothing sent before the flush");
    device.flush();
    assert_eq!(switch.calls.borrow().len(), 1);
    let sent = switch.sent.borrow();
    assert_eq!(sent.iter().map(|f| (f.len(), f[0])).collect::<Vec<_>>(), [(61, 1), (62, 2), (63, 3)]);
    assert!(!device.take_refusal());
    assert_eq!(device.next_retry(), None);
}

#[test]
fn refused_frames_stay_and_go_first_and_a_full_batch_offers_no_token() {
    let (_kernel, switch) = setup(1);
    let mut b = Buffers::new();
    let mut device = b.device();
    for i in 1..=4 {
        assert!(send(&mut device, MAX_FRAME, i));
    }
    // The batch is full: the device sends it for room, the switch takes one.
    assert!(!send(&mut device, MAX_FRAME, 5), "no token while refused frames fill the batch");
    assert_eq!(switch.sent.borrow().len(), 1);
    assert!(device.take_refusal(), "the app is told, to rotate its sockets");
    assert!(device.next_retry().is_some());
    // Before waiting: tried again, asking for the room upcall.
    assert!(!device.before_wait());
    assert_ne!(switch.calls.borrow().last().unwrap() & transmit_flags::NOTIFY_ROOM, 0);
    switch.room.set(10);
    assert!(device.before_wait(), "frames went: poll again, do not wait");
    let firsts: Vec<u8> = switch.sent.borrow().iter().map(|f| f[0]).collect();
    assert_eq!(firsts, [1, 2, 3, 4], "nothing lost, nothing reordered");
    assert_eq!(device.next_retry(), None);
    assert!(send(&mut device, MAX_FRAME, 5), "room again");
}
