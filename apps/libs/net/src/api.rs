//! The `net` driver's commands.

use libtock_platform::allow_ro::AllowRo;
use libtock_platform::allow_rw::AllowRw;
use libtock_platform::{share, DefaultConfig, ErrorCode, Syscalls};
use syscall_abi::net::{allow_ro, allow_rw, command, Counters, DRIVER_NUM as DRIVER};

const DRIVER_NUM: u32 = DRIVER as u32;

/// Transport protocols a port can be bound for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    fn number(self) -> u32 {
        match self {
            Protocol::Tcp => syscall_abi::net::PROTO_TCP,
            Protocol::Udp => syscall_abi::net::PROTO_UDP,
        }
    }
}

/// The board's addresses, as the kernel configured them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub mac: [u8; 6],
    pub ipv4: [u8; 4],
    pub prefix_len: u8,
    pub gateway: [u8; 4],
}

pub struct Net<S: Syscalls>(S);

impl<S: Syscalls> Net<S> {
    pub fn exists() -> bool {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).is_success()
    }

    /// Claims `port` for this process: frames to it come only here.
    pub fn bind(protocol: Protocol, port: u16) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::BIND, protocol.number(), port as u32).to_result()
    }

    pub fn unbind(protocol: Protocol, port: u16) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::UNBIND, protocol.number(), port as u32).to_result()
    }

    /// Sends (or queues) one frame; a full queue drops it (`NOMEM`).
    pub fn transmit(frame: &[u8]) -> Result<(), ErrorCode> {
        share::scope::<AllowRo<_, DRIVER_NUM, { allow_ro::FRAME }>, _, _>(|handle| {
            S::allow_ro::<DefaultConfig, DRIVER_NUM, { allow_ro::FRAME }>(handle, frame)?;
            S::command(DRIVER_NUM, command::TRANSMIT, frame.len() as u32, 0).to_result()
        })
    }

    /// Sends (or queues) the frames of `records` (batch records, see
    /// [`crate::TxBatch`]) until the queue is full: `(bytes of records
    /// taken, frames refused as not this process's)`; `NOMEM` if the queue
    /// took none. `flags` as for one frame: the caller keeps the rest.
    pub fn transmit_batch(records: &[u8], flags: u32) -> Result<(usize, usize), ErrorCode> {
        share::scope::<AllowRo<_, DRIVER_NUM, { allow_ro::FRAME }>, _, _>(|handle| {
            S::allow_ro::<DefaultConfig, DRIVER_NUM, { allow_ro::FRAME }>(handle, records)?;
            S::command(
                DRIVER_NUM,
                command::TRANSMIT,
                records.len() as u32,
                flags | syscall_abi::net::transmit_flags::BATCH,
            )
            .to_result::<(u32, u32), ErrorCode>()
            .map(|(taken, refused)| (taken as usize, refused as usize))
        })
    }

    /// Takes the oldest queued frame into `buf`: `(its length, frames
    /// still queued)`, `(0, 0)` when none is. Reading on until 0 are left
    /// is what re-arms the frames-queued upcall.
    pub fn receive(buf: &mut [u8]) -> Result<(usize, usize), ErrorCode> {
        share::scope::<AllowRw<_, DRIVER_NUM, { allow_rw::FRAME }>, _, _>(|handle| {
            S::allow_rw::<DefaultConfig, DRIVER_NUM, { allow_rw::FRAME }>(handle, buf)?;
            S::command(DRIVER_NUM, command::RECEIVE, 0, 0)
                .to_result::<(u32, u32), ErrorCode>()
                .map(|(n, left)| (n as usize, left as usize))
        })
    }

    /// Takes as many queued frames as fit into `buf`, as records (see
    /// [`syscall_abi::net::receive_flags::BATCH`]): `(bytes of records,
    /// frames still queued)`, `(0, 0)` when none is queued.
    pub fn receive_batch(buf: &mut [u8]) -> Result<(usize, usize), ErrorCode> {
        share::scope::<AllowRw<_, DRIVER_NUM, { allow_rw::FRAME }>, _, _>(|handle| {
            S::allow_rw::<DefaultConfig, DRIVER_NUM, { allow_rw::FRAME }>(handle, buf)?;
            S::command(DRIVER_NUM, command::RECEIVE, syscall_abi::net::receive_flags::BATCH, 0)
                .to_result::<(u32, u32), ErrorCode>()
                .map(|(n, left)| (n as usize, left as usize))
        })
    }

    pub fn config() -> Result<Config, ErrorCode> {
        let (m0, m1): (u32, u32) = S::command(DRIVER_NUM, command::MAC, 0, 0).to_result()?;
        let (ip, prefix): (u32, u32) = S::command(DRIVER_NUM, command::IPV4, 0, 0).to_result()?;
        let gw: u32 = S::command(DRIVER_NUM, command::GATEWAY, 0, 0).to_result()?;
        let (a, b) = (m0.to_le_bytes(), m1.to_le_bytes());
        Ok(Config {
            mac: [a[0], a[1], a[2], a[3], b[0], b[1]],
            ipv4: ip.to_be_bytes(),
            prefix_len: prefix as u8,
            gateway: gw.to_be_bytes(),
        })
    }

    /// This process's traffic counters.
    pub fn counters() -> Result<Counters, ErrorCode> {
        let mut buf = [0u8; Counters::LEN];
        share::scope::<AllowRw<_, DRIVER_NUM, { allow_rw::COUNTERS }>, _, _>(|handle| {
            S::allow_rw::<DefaultConfig, DRIVER_NUM, { allow_rw::COUNTERS }>(handle, &mut buf)?;
            S::command(DRIVER_NUM, command::COUNTERS, 0, 0).to_result::<(), ErrorCode>()
        })?;
        Counters::decode(&buf).ok_or(ErrorCode::Fail)
    }
}
