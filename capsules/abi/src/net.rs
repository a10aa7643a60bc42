//! `net`: the Ethernet switch (driver `0x8000_0001`).
//!
//! The kernel owns the NIC, answers ARP and ICMP echo for the board's IPv4
//! address itself, and gives each process only the frames for the TCP and
//! UDP ports it bound. A process may only send from ports it bound.
//!
//! The syscall interface (commands, allows, upcalls, errors) is written
//! once, at the top of `capsules/net/src/lib.rs`; this module only holds
//! the numbers and layouts both sides share.

use crate::record::{get_u32, put_u32};

pub const DRIVER_NUM: usize = 0x8000_0001;

pub mod command {
    pub const EXISTS: u32 = 0;
    pub const BIND: u32 = 1;
    pub const UNBIND: u32 = 2;
    pub const TRANSMIT: u32 = 3;
    pub const RECEIVE: u32 = 4;
    pub const MAC: u32 = 5;
    pub const IPV4: u32 = 6;
    pub const GATEWAY: u32 = 7;
    pub const COUNTERS: u32 = 8;
}

/// Flags of a transmit (command 3, argument 2).
pub mod transmit_flags {
    /// Tell me (upcall 1) when a full queue has room again; I keep the frame.
    pub const NOTIFY_ROOM: u32 = 1;
    /// I keep a frame refused for a full queue and send it again: not a drop.
    pub const KEEPS_FRAME: u32 = 2;
    /// The allow holds frames as batch records (the layout of a batch
    /// receive, [`batch_record_len`]): one call sends them all.
    pub const BATCH: u32 = 4;
}

/// Flags of a receive (command 4, argument 1).
pub mod receive_flags {
    /// Take as many queued frames as fit, each as a record: its length (2
    /// bytes, little-endian), the frame, zero to three bytes of padding to a
    /// multiple of 4 (so every frame starts 2 bytes past a word).
    pub const BATCH: u32 = 1;
}

/// Bytes a frame of `len` bytes takes in a batch receive or transmit.
pub const fn batch_record_len(len: usize) -> usize {
    (2 + len).div_ceil(4) * 4
}

/// The frame of the batch record at `at` whose 2-byte header is `header`,
/// records ending at `end`: `(its first byte, its length, the bytes of the
/// record)`. `None` if it is not a record: a length of 0 or over
/// [`MAX_FRAME`], or a frame running past `end` (its padding may).
pub fn batch_record_at(header: [u8; 2], at: usize, end: usize) -> Option<(usize, usize, usize)> {
    let len = u16::from_le_bytes(header) as usize;
    let start = at.checked_add(2)?;
    if len == 0 || len > MAX_FRAME || start.checked_add(len)? > end {
        return None;
    }
    Some((start, len, batch_record_len(len)))
}

pub mod upcall {
    pub const FRAMES_QUEUED: u32 = 0;
    pub const TX_ROOM: u32 = 1;
    pub const COUNT: u8 = 2;
}

pub mod allow_ro {
    pub const FRAME: u32 = 0;
    pub const COUNT: u8 = 1;
}

pub mod allow_rw {
    pub const FRAME: u32 = 0;
    pub const COUNTERS: u32 = 1;
    pub const COUNT: u8 = 2;
}

pub const PROTO_TCP: u32 = 6;
pub const PROTO_UDP: u32 = 17;

/// Largest frame: Ethernet header and a 1500-byte IPv4 payload, no FCS.
pub const MAX_FRAME: usize = 1514;

/// Ports a process may hold at once.
pub const MAX_BINDINGS: usize = 8;

/// Per-process traffic counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Frames queued for the process, and their bytes.
    pub rx_frames: u32,
    pub rx_bytes: u32,
    /// Frames for the process dropped because its receive queue was full.
    pub rx_dropped: u32,
    /// Frames the process sent (handed to the NIC), and their bytes.
    pub tx_frames: u32,
    pub tx_bytes: u32,
    /// Frames dropped because the process's transmit queue was full, or
    /// the NIC had no link.
    pub tx_dropped: u32,
    /// Frames refused: not from a port the process bound, or not IPv4/ARP
    /// from the board's addresses.
    pub tx_refused: u32,
}

impl Counters {
    pub const LEN: usize = 28;

    pub fn encode(&self, out: &mut [u8]) {
        let fields = [
            self.rx_frames,
            self.rx_bytes,
            self.rx_dropped,
            self.tx_frames,
            self.tx_bytes,
            self.tx_dropped,
            self.tx_refused,
        ];
        for (i, v) in fields.iter().enumerate() {
            put_u32(out, 4 * i, *v);
        }
    }

    pub fn decode(buf: &[u8]) -> Option<Counters> {
        if buf.len() < Self::LEN {
            return None;
        }
        let f = |i: usize| get_u32(buf, 4 * i);
        Some(Counters {
            rx_frames: f(0),
            rx_bytes: f(1),
            rx_dropped: f(2),
            tx_frames: f(3),
            tx_bytes: f(4),
            tx_dropped: f(5),
            tx_refused: f(6),
        })
    }
}

/// Switch-wide counters: traffic the kernel handled itself or dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SwitchCounters {
    /// Frames received from the NIC, and their bytes.
    pub rx_frames: u32,
    pub rx_bytes: u32,
    /// Frames sent to the NIC (processes' and the kernel's own).
    pub tx_frames: u32,
    /// Frames for a TCP/UDP port no process bound (TCP ones get a reset).
    pub rx_unbound: u32,
    /// Frames not for us or that could not be parsed (other MAC, other
    /// IPv4 address, other EtherType, IP fragments, bad headers).
    pub rx_ignored: u32,
    /// ARP requests for the board's address that the kernel answered.
    pub arp_replies: u32,
    /// ICMP echo requests the kernel answered.
    pub icmp_echo_replies: u32,
    /// Replies the kernel could not send (all transmit buffers busy).
    pub tx_dropped: u32,
}

impl SwitchCounters {
    pub const LEN: usize = 32;

    pub fn encode(&self, out: &mut [u8]) {
        let fields = [
            self.rx_frames,
            self.rx_bytes,
            self.tx_frames,
            self.rx_unbound,
            self.rx_ignored,
            self.arp_replies,
            self.icmp_echo_replies,
            self.tx_dropped,
        ];
        for (i, v) in fields.iter().enumerate() {
            put_u32(out, 4 * i, *v);
        }
    }

    pub fn decode(buf: &[u8]) -> Option<SwitchCounters> {
        if buf.len() < Self::LEN {
            return None;
        }
        let f = |i: usize| get_u32(buf, 4 * i);
        Some(SwitchCounters {
            rx_frames: f(0),
            rx_bytes: f(1),
            tx_frames: f(2),
            rx_unbound: f(3),
            rx_ignored: f(4),
            arp_replies: f(5),
            icmp_echo_replies: f(6),
            tx_dropped: f(7),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_records_are_read_as_written() {
        // A 60-byte frame at 8: bytes 10..70, the record 64 bytes long.
        assert_eq!(batch_record_at(60u16.to_le_bytes(), 8, 72), Some((10, 60, 64)));
        // Its padding may run past the end; the frame may not.
        assert_eq!(batch_record_at(61u16.to_le_bytes(), 0, 63), Some((2, 61, 64)));
        assert_eq!(batch_record_at(61u16.to_le_bytes(), 0, 62), None);
        assert_eq!(batch_record_at([0, 0], 0, 100), None);
        assert_eq!(batch_record_at((MAX_FRAME as u16 + 1).to_le_bytes(), 0, 4096), None);
        assert_eq!(batch_record_at((MAX_FRAME as u16).to_le_bytes(), 0, 4096), Some((2, MAX_FRAME, 1516)));
        assert_eq!(batch_record_at(4u16.to_le_bytes(), usize::MAX - 1, usize::MAX), None);
    }

    #[test]
    fn counters_round_trip() {
        let c = Counters {
            rx_frames: 1,
            rx_bytes: 2,
            rx_dropped: 3,
            tx_frames: 4,
            tx_bytes: 0xdead_beef,
            tx_dropped: 6,
            tx_refused: 7,
        };
        let mut buf = [0u8; Counters::LEN];
        c.encode(&mut buf);
        assert_eq!(Counters::decode(&buf), Some(c));
        assert_eq!(Counters::decode(&buf[..27]), None);
    }

    #[test]
    fn switch_counters_round_trip() {
        let c = SwitchCounters { rx_frames: 9, rx_unbound: 3, icmp_echo_replies: 2, ..Default::default() };
        let mut buf = [0u8; SwitchCounters::LEN];
        c.encode(&mut buf);
        assert_eq!(SwitchCounters::decode(&buf), Some(c));
    }
}
