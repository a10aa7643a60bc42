//! The Ethernet switch capsule: the NIC's only client, and the process
//! side of the `net` driver (see the crate documentation for the syscall
//! interface).

use core::cell::Cell;

use kernel::grant::{AllowRoCount, AllowRwCount, CustomGrant, Grant, GrantKernelData, UpcallCount};
use kernel::hil::ethernet::{EthernetAdapterDatapath, EthernetAdapterDatapathClient};
use kernel::processbuffer::{ReadableProcessBuffer, WriteableProcessBuffer};
use kernel::syscall::{CommandReturn, SyscallDriver};
use kernel::{ErrorCode, ProcessId};
use syscall_abi::net::{
    allow_ro, allow_rw, batch_record_at, batch_record_len, command, receive_flags, transmit_flags, upcall, Counters,
    SwitchCounters, MAX_BINDINGS, MAX_FRAME,
};

use crate::frame::{self, check_outbound, classify, Inbound, NetConfig, Proto};
use crate::tx::{Sent, TxPath};
use record_queue::{FrameRing, WakeLatch};

/// Per-process state, in the process's grant region (so in its PSRAM).
#[derive(Default)]
pub struct App<const RXQ: usize, const TXQ: usize> {
    bindings: [Option<(Proto, u16)>; MAX_BINDINGS],
    /// Receive and transmit queue memory, allocated at the first bind.
    rx_mem: Option<CustomGrant<[u8; RXQ]>>,
    tx_mem: Option<CustomGrant<[u8; TXQ]>>,
    rx: FrameRing,
    tx: FrameRing,
    /// When upcall 0 is raised (see [`WakeLatch`]).
    rx_wake: WakeLatch,
    /// A transmit found the queue full: upcall 1 once it has room again.
    tx_blocked: bool,
    counters: Counters,
}

impl<const RXQ: usize, const TXQ: usize> App<RXQ, TXQ> {
    fn holds(&self, proto: Proto, port: u16) -> bool {
        self.bindings.contains(&Some((proto, port)))
    }

    fn has_bindings(&self) -> bool {
        self.bindings.iter().any(Option::is_some)
    }

    /// Queues a received frame; tells the process unless it was told
    /// already and has not read its queue empty since.
    fn deliver(&mut self, frame: &[u8], kernel_data: &GrantKernelData) {
        let App { rx_mem, rx, rx_wake, counters, .. } = self;
        let queued = rx_mem.as_ref().and_then(|m| m.enter(|mut mem| rx.push(&mut mem[..], frame)).ok());
        if queued == Some(true) {
            counters.rx_frames = counters.rx_frames.wrapping_add(1);
            counters.rx_bytes = counters.rx_bytes.wrapping_add(frame.len() as u32);
            rx_wake.item_queued(|| {
                kernel_data.schedule_upcall(upcall::FRAMES_QUEUED as usize, (rx.frames(), 0, 0)).is_ok()
            });
        } else {
            counters.rx_dropped = counters.rx_dropped.wrapping_add(1);
        }
    }
}

/// Records one transmit call handles at most: a process's 8 KiB queue and
/// the four DMA buffers take about ten full frames, and a call of
/// thousands of tiny refused records would hold the kernel (and every
/// other process) for milliseconds.
const MAX_BATCH_RECORDS: usize = 16;

/// Where a frame to transmit lies in the process's allow.
#[derive(Clone, Copy)]
enum Frame {
    /// Its first `len` bytes.
    Whole(usize),
    /// The batch record at `at`, which must end by `end`.
    Record { at: usize, end: usize },
}

type AppGrant<const RXQ: usize, const TXQ: usize> = Grant<
    App<RXQ, TXQ>,
    UpcallCount<{ upcall::COUNT }>,
    AllowRoCount<{ allow_ro::COUNT }>,
    AllowRwCount<{ allow_rw::COUNT }>,
>;

/// The switch. `RXQ`/`TXQ` are the bytes of each process's receive and
/// transmit queues; `NTX` the number of DMA-safe transmit buffers (frames
/// in flight at once).
pub struct EthernetSwitch<'a, E: EthernetAdapterDatapath<'a>, const RXQ: usize, const TXQ: usize, const NTX: usize> {
    nic: &'a E,
    config: NetConfig,
    apps: AppGrant<RXQ, TXQ>,
    /// Transmit buffers (DMA-safe, from the board's DMA pool) and the frame
    /// the NIC was too busy to take.
    tx_path: TxPath<NTX>,
    /// Where the next round of draining process transmit queues starts.
    tx_turn: Cell<usize>,
    /// Frames queued in processes' transmit queues, as far as the switch
    /// knows: 0 lets a completed transmit skip entering every process's
    /// grant to look. Frames of a process that exits vanish uncounted, so
    /// a drain that finds nothing anywhere sets it to 0 again.
    tx_queued: Cell<usize>,
    stats: Cell<SwitchCounters>,
}

impl<'a, E: EthernetAdapterDatapath<'a>, const RXQ: usize, const TXQ: usize, const NTX: usize>
    EthernetSwitch<'a, E, RXQ, TXQ, NTX>
{
    /// `tx_buffers` must be DMA-safe and at least [`MAX_FRAME`] long: the
    /// NIC driver refuses anything else.
    pub fn new(nic: &'a E, config: NetConfig, apps: AppGrant<RXQ, TXQ>, tx_buffers: [&'static mut [u8]; NTX]) -> Self {
        EthernetSwitch {
            nic,
            config,
            apps,
            tx_path: TxPath::new(tx_buffers),
            tx_turn: Cell::new(0),
            tx_queued: Cell::new(0),
            stats: Cell::new(SwitchCounters::default()),
        }
    }

    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// Starts receiving.
    pub fn start(&self) {
        self.nic.enable_receive();
    }

    /// The switch's own counters.
    pub fn switch_counters(&self) -> SwitchCounters {
        self.stats.get()
    }

    /// A process's counters and the number of ports it holds.
    pub fn process_counters(&self, pid: ProcessId) -> Option<(Counters, u32)> {
        self.apps.enter(pid, |app, _| (app.counters, app.bindings.iter().filter(|b| b.is_some()).count() as u32)).ok()
    }

    fn count(&self, f: impl FnOnce(&mut SwitchCounters)) {
        let mut s = self.stats.get();
        f(&mut s);
        self.stats.set(s);
    }

    fn take_tx_buffer(&self) -> Option<&'static mut [u8]> {
        self.tx_path.take()
    }

    fn put_tx_buffer(&self, buffer: &'static mut [u8]) {
        self.tx_path.put(buffer)
    }

    /// Hands a frame in a transmit buffer to the NIC. A busy NIC keeps it
    /// held (sent first, once the NIC completes a frame); `false` only when
    /// the NIC refused it for good (no link), and it is counted dropped.
    fn send(&self, buffer: &'static mut [u8], len: usize) -> bool {
        let sent = self.tx_path.send(self.nic, buffer, len);
        self.count_sent(sent);
        !matches!(sent, Sent::Dropped(_))
    }

    fn count_sent(&self, sent: Sent) {
        match sent {
            Sent::Sent => self.count(|s| s.tx_frames = s.tx_frames.wrapping_add(1)),
            Sent::Held => {}
            Sent::Dropped(_) => self.count(|s| s.tx_dropped = s.tx_dropped.wrapping_add(1)),
        }
    }

    /// Sends the held frame, if the NIC now takes it.
    fn retry_held(&self) {
        if let Some(sent) = self.tx_path.retry(self.nic) {
            self.count_sent(sent);
        }
    }

    /// Sends a reply the kernel builds itself (ARP, ICMP, TCP reset).
    fn reply(&self, build: impl FnOnce(&mut [u8]) -> Option<usize>) {
        let Some(buffer) = self.take_tx_buffer() else {
            self.count(|s| s.tx_dropped = s.tx_dropped.wrapping_add(1));
            return;
        };
        match build(buffer) {
            Some(len) => {
                self.send(buffer, len);
            }
            None => self.put_tx_buffer(buffer),
        }
    }

    fn bind(&self, pid: ProcessId, proto: u32, port: usize) -> Result<(), ErrorCode> {
        let proto = Proto::from_number(proto).ok_or(ErrorCode::INVAL)?;
        let port = u16::try_from(port).ok().filter(|p| *p != 0).ok_or(ErrorCode::INVAL)?;
        // Exclusive: refuse a port another process holds.
        for other in self.apps.iter() {
            if other.processid() != pid && other.enter(|app, _| app.holds(proto, port)) {
                return Err(ErrorCode::RESERVE);
            }
        }
        self.apps
            .enter_with_allocator(pid, |app, _, allocator| {
                if app.holds(proto, port) {
                    return Err(ErrorCode::ALREADY);
                }
                let slot = app.bindings.iter().position(Option::is_none).ok_or(ErrorCode::NOMEM)?;
                if app.rx_mem.is_none() {
                    app.rx_mem = Some(allocator.alloc_n_with(|_| 0u8).map_err(|_| ErrorCode::NOMEM)?);
                }
                if app.tx_mem.is_none() {
                    app.tx_mem = Some(allocator.alloc_n_with(|_| 0u8).map_err(|_| ErrorCode::NOMEM)?);
                }
                app.bindings[slot] = Some((proto, port));
                Ok(())
            })
            .unwrap_or_else(|e| Err(e.into()))
    }

    fn unbind(&self, pid: ProcessId, proto: u32, port: usize) -> Result<(), ErrorCode> {
        let proto = Proto::from_number(proto).ok_or(ErrorCode::INVAL)?;
        let port = u16::try_from(port).map_err(|_| ErrorCode::INVAL)?;
        self.apps
            .enter(pid, |app, _| {
                let slot = app.bindings.iter().position(|b| *b == Some((proto, port))).ok_or(ErrorCode::INVAL)?;
                app.bindings[slot] = None;
                Ok(())
            })
            .unwrap_or_else(|e| Err(e.into()))
    }

    /// Command 3: one frame, or with the batch flag a run of records, each
    /// sent or queued as [`Self::transmit_one`] does until the queue is full.
    fn transmit(&self, pid: ProcessId, len: usize, flags: u32) -> CommandReturn {
        if flags & transmit_flags::BATCH == 0 {
            return self.transmit_one(pid, Frame::Whole(len), flags).0.into();
        }
        let (mut at, mut refused) = (0, 0u32);
        for _ in 0..MAX_BATCH_RECORDS {
            if at >= len {
                break;
            }
            match self.transmit_one(pid, Frame::Record { at, end: len }, flags) {
                (Ok(()), taken) => at += taken,
                // Not this process's to send: counted, skipped, never retried.
                (Err(ErrorCode::INVAL), taken) if taken > 0 => {
                    refused += 1;
                    at += taken;
                }
                // The queue is full (the rest is the process's to send again)
                // or a malformed record: an error only if nothing was taken.
                (Err(e), _) if at == 0 => return CommandReturn::failure(e),
                (Err(_), _) => break,
            }
        }
        CommandReturn::success_u32_u32(at.min(len) as u32, refused)
    }

    /// A frame from a process: checked, then sent at once when a buffer is
    /// free and nothing of this process is waiting, else queued. Also says
    /// how many bytes of the allow the frame took (its record, in a batch;
    /// 0 if it could not be read).
    fn transmit_one(&self, pid: ProcessId, frame: Frame, flags: u32) -> (Result<(), ErrorCode>, usize) {
        let notify_room = flags & transmit_flags::NOTIFY_ROOM != 0;
        let keeps_frame = notify_room || flags & transmit_flags::KEEPS_FRAME != 0;
        self.retry_held();
        let config = self.config;
        let mut direct = None;
        let mut taken = 0;
        let result = self
            .apps
            .enter(pid, |app, kernel_data| {
                let allowed = kernel_data.get_readonly_processbuffer(allow_ro::FRAME as usize)?;
                allowed.enter(|data| {
                    let (start, len, footprint) = match frame {
                        Frame::Whole(len) => (0, len, len),
                        Frame::Record { at, end } => {
                            let end = end.min(data.len());
                            let mut header = [0u8; 2];
                            match at.checked_add(2).and_then(|h| data.get(at..h)) {
                                Some(h) if at + 2 <= end => h.copy_to_slice(&mut header),
                                _ => return Err(ErrorCode::SIZE),
                            }
                            batch_record_at(header, at, end).ok_or(ErrorCode::SIZE)?
                        }
                    };
                    if len == 0 || len > MAX_FRAME || start + len > data.len() {
                        return Err(ErrorCode::SIZE);
                    }
                    taken = footprint;
                    let data = &data[start..start + len];
                    if app.tx.is_empty() {
                        if let Some(buffer) = self.take_tx_buffer() {
                            data.copy_to_slice(&mut buffer[..len]);
                            if check_outbound(&buffer[..len], &config, |p, port| app.holds(p, port)).is_err() {
                                self.put_tx_buffer(buffer);
                                app.counters.tx_refused = app.counters.tx_refused.wrapping_add(1);
                                return Err(ErrorCode::INVAL);
                            }
                            app.counters.tx_frames = app.counters.tx_frames.wrapping_add(1);
                            app.counters.tx_bytes = app.counters.tx_bytes.wrapping_add(len as u32);
                            direct = Some((buffer, len));
                            return Ok(());
                        }
                    }
                    // Queue it, checked where it lands (the ring keeps the
                    // IP header word-aligned, as in the process's buffer).
                    let App { tx_mem, tx, counters, tx_blocked, bindings, .. } = &mut **app;
                    let holds = |p, port| bindings.contains(&Some((p, port)));
                    let mut refused = false;
                    let queued = tx_mem.as_ref().and_then(|m| {
                        m.enter(|mut mem| {
                            tx.push_with(&mut mem[..], len, |a, b| {
                                refused = if b.is_empty() {
                                    data.copy_to_slice(a);
                                    check_outbound(a, &config, holds).is_err()
                                } else {
                                    // Split at the ring's end: checked whole in a stack copy.
                                    let mut whole = [0u8; MAX_FRAME];
                                    data.copy_to_slice(&mut whole[..len]);
                                    a.copy_from_slice(&whole[..a.len()]);
                                    b.copy_from_slice(&whole[a.len()..len]);
                                    check_outbound(&whole[..len], &config, holds).is_err()
                                };
                                !refused
                            })
                        })
                        .ok()
                    });
                    if refused {
                        counters.tx_refused = counters.tx_refused.wrapping_add(1);
                        return Err(ErrorCode::INVAL);
                    }
                    if queued == Some(true) {
                        self.tx_queued.set(self.tx_queued.get() + 1);
                        Ok(())
                    } else {
                        // A process that keeps the frame sends it again:
                        // not lost, not counted.
                        if !keeps_frame {
                            counters.tx_dropped = counters.tx_dropped.wrapping_add(1);
                        }
                        // Only on request: an upcall nobody subscribed to
                        // would sit in the process's task queue.
                        *tx_blocked |= notify_room;
                        Err(ErrorCode::NOMEM)
                    }
                })?
            })
            .unwrap_or_else(|e| Err(e.into()));
        if let Some((buffer, len)) = direct {
            if !self.send(buffer, len) {
                // No link: the process's frame is dropped, as on a wire.
                let _ =
                    self.apps.enter(pid, |app, _| app.counters.tx_dropped = app.counters.tx_dropped.wrapping_add(1));
            }
        }
        (result, taken)
    }

    /// Moves queued process frames into free transmit buffers, one process
    /// at a time in turn, so no process can starve the others.
    fn drain(&self) {
        loop {
            if self.tx_queued.get() == 0 {
                return;
            }
            let Some(buffer) = self.take_tx_buffer() else { return };
            let turn = self.tx_turn.get();
            let mut sent = None;
            let mut buffer = Some(buffer);
            for (pass_start, pass_end) in [(turn, usize::MAX), (0, turn)] {
                for (i, pg) in self.apps.iter().enumerate() {
                    if i < pass_start || i >= pass_end || sent.is_some() {
                        continue;
                    }
                    sent = pg.enter(|app, kernel_data| {
                        let App { tx_mem, tx, counters, tx_blocked, .. } = &mut **app;
                        if tx.is_empty() {
                            return None;
                        }
                        let out = buffer.take()?;
                        let len =
                            tx_mem.as_ref().and_then(|m| m.enter(|mem| tx.pop_into(&mem[..], out).ok()).ok()).flatten();
                        match len {
                            Some(len) => {
                                counters.tx_frames = counters.tx_frames.wrapping_add(1);
                                counters.tx_bytes = counters.tx_bytes.wrapping_add(len as u32);
                                if *tx_blocked {
                                    // A refused upcall leaves it set: the next drain retries.
                                    *tx_blocked =
                                        kernel_data.schedule_upcall(upcall::TX_ROOM as usize, (0, 0, 0)).is_err();
                                }
                                Some((i, out, len))
                            }
                            None => {
                                buffer = Some(out);
                                None
                            }
                        }
                    });
                }
            }
            match sent {
                Some((i, out, len)) => {
                    self.tx_turn.set(i + 1);
                    self.tx_queued.set(self.tx_queued.get().saturating_sub(1));
                    self.send(out, len);
                }
                None => {
                    if let Some(b) = buffer {
                        self.put_tx_buffer(b);
                    }
                    // Every queue was looked at and found empty.
                    self.tx_queued.set(0);
                    return;
                }
            }
        }
    }

    fn receive(&self, pid: ProcessId, flags: u32) -> CommandReturn {
        let batch = flags & receive_flags::BATCH != 0;
        self.apps
            .enter(pid, |app, kernel_data| {
                let App { rx_mem, rx, rx_wake, .. } = &mut **app;
                let Some(mem) = rx_mem.as_ref() else { return CommandReturn::success_u32_u32(0, 0) };
                if rx.is_empty() {
                    rx_wake.read_empty();
                    return CommandReturn::success_u32_u32(0, 0);
                }
                kernel_data
                    .get_readwrite_processbuffer(allow_rw::FRAME as usize)
                    .and_then(|out| {
                        out.mut_enter(|out| {
                            mem.enter(|mem| {
                                let mut used = 0;
                                while let Some(len) = rx.peek_len(&mem[..]) {
                                    // A record as the ring keeps it: length, frame, padding.
                                    let (at, need) = if batch { (used + 2, batch_record_len(len)) } else { (0, len) };
                                    let Some(dst) = out.get(at..at + len) else { break };
                                    if used + need > out.len() {
                                        break;
                                    }
                                    let (a, b) = rx.pop(&mem[..]).unwrap_or((&[], &[]));
                                    if let Some(d) = dst.get(..a.len()) {
                                        d.copy_from_slice(a);
                                    }
                                    if let Some(d) = dst.get(a.len()..len) {
                                        d.copy_from_slice(b);
                                    }
                                    if !batch {
                                        used = len;
                                        break;
                                    }
                                    if let Some(d) = out.get(used..used + 2) {
                                        d.copy_from_slice(&(len as u16).to_le_bytes());
                                    }
                                    used += need;
                                }
                                if used == 0 {
                                    // The oldest frame does not fit: it stays queued.
                                    return CommandReturn::failure(ErrorCode::SIZE);
                                }
                                // Taking the last frame counts as reading the queue
                                // empty: the process need not ask once more to re-arm.
                                let left = rx.frames();
                                if left == 0 {
                                    rx_wake.read_empty();
                                }
                                CommandReturn::success_u32_u32(used as u32, left as u32)
                            })
                            .unwrap_or(CommandReturn::failure(ErrorCode::FAIL))
                        })
                    })
                    .unwrap_or(CommandReturn::failure(ErrorCode::INVAL))
            })
            .unwrap_or_else(|e| CommandReturn::failure(e.into()))
    }

    fn write_counters(&self, pid: ProcessId) -> CommandReturn {
        self.apps
            .enter(pid, |app, kernel_data| {
                let mut record = [0u8; Counters::LEN];
                app.counters.encode(&mut record);
                kernel_data
                    .get_readwrite_processbuffer(allow_rw::COUNTERS as usize)
                    .and_then(|out| {
                        out.mut_enter(|out| match out.get(..Counters::LEN) {
                            Some(out) => {
                                out.copy_from_slice(&record);
                                CommandReturn::success()
                            }
                            None => CommandReturn::failure(ErrorCode::SIZE),
                        })
                    })
                    .unwrap_or(CommandReturn::failure(ErrorCode::INVAL))
            })
            .unwrap_or_else(|e| CommandReturn::failure(e.into()))
    }
}

impl<'a, E: EthernetAdapterDatapath<'a>, const RXQ: usize, const TXQ: usize, const NTX: usize> SyscallDriver
    for EthernetSwitch<'a, E, RXQ, TXQ, NTX>
{
    fn command(&self, cmd: usize, arg1: usize, arg2: usize, pid: ProcessId) -> CommandReturn {
        let c = &self.config;
        match cmd as u32 {
            command::EXISTS => CommandReturn::success(),
            command::BIND => self.bind(pid, arg1 as u32, arg2).into(),
            command::UNBIND => self.unbind(pid, arg1 as u32, arg2).into(),
            command::TRANSMIT => self.transmit(pid, arg1, arg2 as u32),
            command::RECEIVE => self.receive(pid, arg1 as u32),
            command::MAC => CommandReturn::success_u32_u32(
                u32::from_le_bytes([c.mac[0], c.mac[1], c.mac[2], c.mac[3]]),
                u32::from_le_bytes([c.mac[4], c.mac[5], 0, 0]),
            ),
            command::IPV4 => CommandReturn::success_u32_u32(u32::from_be_bytes(c.ipv4), c.prefix_len as u32),
            command::GATEWAY => CommandReturn::success_u32(u32::from_be_bytes(c.gateway)),
            command::COUNTERS => self.write_counters(pid),
            _ => CommandReturn::failure(ErrorCode::NOSUPPORT),
        }
    }

    fn allocate_grant(&self, pid: ProcessId) -> Result<(), kernel::process::Error> {
        self.apps.enter(pid, |_, _| {})
    }
}

impl<'a, E: EthernetAdapterDatapath<'a>, const RXQ: usize, const TXQ: usize, const NTX: usize>
    EthernetAdapterDatapathClient for EthernetSwitch<'a, E, RXQ, TXQ, NTX>
{
    fn transmit_frame_done(
        &self,
        _err: Result<(), ErrorCode>,
        frame_buffer: &'static mut [u8],
        _len: u16,
        _transmission_identifier: usize,
        _timestamp: Option<u64>,
    ) {
        self.put_tx_buffer(frame_buffer);
        self.retry_held();
        self.drain();
    }

    fn received_frame(&self, frame: &[u8], _timestamp: Option<u64>) {
        self.count(|s| {
            s.rx_frames = s.rx_frames.wrapping_add(1);
            s.rx_bytes = s.rx_bytes.wrapping_add(frame.len() as u32);
        });
        let config = self.config;
        match classify(frame, &config) {
            Inbound::ToPort { proto, port } => {
                let mut delivered = false;
                for pg in self.apps.iter() {
                    if delivered {
                        break;
                    }
                    delivered = pg.enter(|app, kernel_data| {
                        if !app.holds(proto, port) {
                            return false;
                        }
                        app.deliver(frame, kernel_data);
                        true
                    });
                }
                if !delivered {
                    self.count(|s| s.rx_unbound = s.rx_unbound.wrapping_add(1));
                    if proto == Proto::Tcp {
                        self.reply(|out| frame::tcp_reset(frame, &config, out));
                    }
                }
            }
            Inbound::ArpRequest => {
                self.count(|s| s.arp_replies = s.arp_replies.wrapping_add(1));
                self.reply(|out| frame::arp_reply(frame, &config, out));
            }
            Inbound::ArpReply => {
                self.apps.each(|_, app, kernel_data| {
                    if app.has_bindings() {
                        app.deliver(frame, kernel_data);
                    }
                });
            }
            Inbound::EchoRequest => {
                self.count(|s| s.icmp_echo_replies = s.icmp_echo_replies.wrapping_add(1));
                self.reply(|out| frame::echo_reply(frame, &config, out));
            }
            Inbound::Ignored => self.count(|s| s.rx_ignored = s.rx_ignored.wrapping_add(1)),
        }
    }
}
