//! One data transfer (RETR, STOR/APPE, LIST/NLST/MLSD) as a state machine
//! advanced one step per main-loop pass, so transfers progress side by side
//! and control connections are answered in between. File data moves
//! through storage requests in flight, never waited for: RETR keeps the
//! next chunks asked for ahead of the socket, STOR sends each chunk to be
//! written and takes the answers as they come (226 only once every write
//! is answered and the file closed). Listings ask for one page per step.
//! A `STAT path` listing is the same machine writing to the control
//! connection.
//!
//! In TYPE A, RETR reads half chunks and turns LF into CRLF in place
//! (the result always fits); STOR turns CRLF into LF before each write,
//! holding back a CR that ends a chunk until the next one shows whether
//! an LF follows (`proto_ftp::ascii`).

use alloc::string::String;

use proto_ftp::ascii::{self, ToNetwork};
use proto_ftp::list::format_listed;
use proto_ftp::{DateTime, Entry, Failure, Glob, ListFormat, Metadata, MAX_NAME};
use proto_storage::stream::{ReadAhead, ReadStep, Share, WriteBehind};
use proto_storage::{Handle, Pipelined};
use smoltcp::socket::tcp;
use smoltcp::wire::IpAddress;

use crate::store::{self, Store};

/// Bytes moved per storage request: the protocol's largest chunk.
pub const CHUNK: usize = proto_storage::MAX_DATA;
/// Storage writes in flight per upload: one chunk moving through the
/// socket while the last is written (the transport keeps 3 for all).
const PER_TRANSFER: usize = 2;
/// Storage reads in flight per download: as HTTP's (`apps/http/src/conn.rs`),
/// two that the socket will have room for and one whose reply may wait
/// for room while nobody else waits for a read.
const READ_AHEAD: usize = 3;
/// A download whose client reads nothing for this long while other
/// transfers wait for storage reads gives its reads back (asked again
/// from the first byte not sent).
const RELEASE_AFTER_MS: u64 = 1_000;
/// After the 150 reply, the client has this long to connect to the
/// passive port (clients normally connect before sending the command).
const CONNECT_TIMEOUT_MS: u64 = 30_000;
/// Room one listing line may need: a storage name can be up to 765 bytes
/// (names written by other systems), plus the longest fixed part of a line.
const LIST_LINE_ROOM: usize = proto_ftp::list::MAX_LIST_LINE - MAX_NAME;

pub enum Kind {
    /// Sending a file from `start` (REST), `sent` bytes of it so far.
    Retr { handle: Handle, start: u64, sent: u64, eof: bool, reads: ReadAhead<READ_AHEAD> },
    /// Receiving a file.
    Stor { handle: Handle, writes: WriteBehind<PER_TRANSFER> },
    /// Sending a listing: `cursor` is the next directory entry index to
    /// ask for (`None`: done); `single` is the one entry for a listing of
    /// a file; `glob` the (pattern, NLST prefix) of a wildcard argument.
    List {
        path: String,
        format: ListFormat,
        glob: Option<(String, String)>,
        cursor: Option<u32>,
        single: Option<(String, Metadata)>,
        now: DateTime,
    },
}

/// Where the bytes go and how they look.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// The data connection, bytes as they are (TYPE I, listings).
    Binary,
    /// The data connection, line ends converted (TYPE A RETR and STOR).
    Ascii,
    /// The control connection (a `STAT path` listing): no connect, no FIN.
    Control,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    /// Waiting for the client to connect to the passive port.
    Connecting,
    /// Moving data.
    Moving,
    /// Everything queued and FIN sent; waiting until the client has it.
    Finishing,
}

/// What a step did.
pub enum Step {
    Idle,
    Progress,
    /// The transfer ended; the storage handle is still open (the caller closes it).
    Done(Result<(), Failure>),
}

pub struct Xfer {
    kind: Kind,
    stage: Stage,
    /// When the stage started or data last moved (timeouts count from here).
    since: u64,
    /// Bytes in the session's chunk buffer, and how many of them were sent (RETR, LIST).
    len: usize,
    pos: usize,
    /// Send queue length last seen while finishing.
    queued: usize,
    /// The storage service vanished: its handles went with it.
    storage_gone: bool,
    /// Nothing moving for this long ends the transfer (client gone without
    /// FIN or RST, or not reading): `data_timeout` in the settings.
    stall_ms: u64,
    mode: Mode,
    /// RETR in TYPE A: whether the last chunk ended with CR.
    to_network: ToNetwork,
    /// STOR: the chunk is converted and waits for room to be sent: the
    /// bytes to write and the one carried over (a CR held back).
    staged: Option<(usize, usize)>,
}

impl Xfer {
    pub fn new(kind: Kind, mode: Mode, now: u64, stall_ms: u64) -> Xfer {
        // A control-connection listing has no connection to wait for.
        let stage = if mode == Mode::Control { Stage::Moving } else { Stage::Connecting };
        Xfer {
            kind,
            stage,
            since: now,
            len: 0,
            pos: 0,
            queued: usize::MAX,
            storage_gone: false,
            stall_ms,
            mode,
            to_network: ToNetwork::new(),
            staged: None,
        }
    }

    /// Gives up on the storage requests still in flight (the transfer
    /// ends); call before closing the handle.
    pub fn release<T: Pipelined>(&mut self, store: &mut Store<T>) {
        match &mut self.kind {
            Kind::Retr { reads, .. } => reads.cancel(store),
            Kind::Stor { writes, .. } => writes.cancel(store),
            Kind::List { .. } => {}
        }
    }

    /// A `STAT path` listing, written to the control connection.
    pub fn on_control(&self) -> bool {
        self.mode == Mode::Control
    }

    /// The storage handle to close when the transfer ends, if it is still valid.
    pub fn handle(&self) -> Option<Handle> {
        if self.storage_gone {
            return None;
        }
        match self.kind {
            Kind::Retr { handle, .. } | Kind::Stor { handle, .. } => Some(handle),
            Kind::List { .. } => None,
        }
    }

    pub fn is_upload(&self) -> bool {
        matches!(self.kind, Kind::Stor { .. })
    }

    /// When this transfer must be looked at again without traffic.
    /// `contended`: other transfers wait for storage reads (see [`RELEASE_AFTER_MS`]).
    pub fn deadline(&self, contended: bool) -> u64 {
        match (self.stage, &self.kind) {
            (Stage::Connecting, _) => self.since + CONNECT_TIMEOUT_MS,
            // Only TYPE I downloads give reads back (`send_file`).
            (Stage::Moving, Kind::Retr { reads, .. })
                if contended && self.mode == Mode::Binary && reads.holds_any() =>
            {
                self.since + RELEASE_AFTER_MS.min(self.stall_ms)
            }
            (Stage::Moving | Stage::Finishing, _) => self.since + self.stall_ms,
        }
    }

    /// The result to report when ABOR stops the transfer: complete only if
    /// everything was sent and acknowledged.
    pub fn abort_result(&self, socket: &tcp::Socket) -> Result<(), Failure> {
        if self.stage == Stage::Finishing && socket.send_queue() == 0 {
            Ok(())
        } else {
            Err(Failure::ConnectionClosed)
        }
    }

    /// Advances the transfer without waiting for the storage service.
    pub fn step<T: Pipelined>(
        &mut self,
        socket: &mut tcp::Socket,
        store: &mut Store<T>,
        share: &mut Share,
        chunk: &mut [u8; CHUNK],
        peer: Option<IpAddress>,
        now: u64,
    ) -> Step {
        match self.stage {
            Stage::Connecting => self.connecting(socket, peer, now),
            Stage::Moving => {
                let step = match self.kind {
                    Kind::Stor { .. } => self.receive(socket, store, share, chunk),
                    Kind::Retr { .. } if self.mode == Mode::Binary => self.send_file(socket, store, share, now),
                    _ => self.send(socket, store, share, chunk),
                };
                match step {
                    Step::Progress => self.since = now,
                    Step::Idle if now >= self.since + self.stall_ms => {
                        return Step::Done(Err(Failure::ConnectionClosed))
                    }
                    _ => {}
                }
                if matches!(step, Step::Progress) && self.stage == Stage::Finishing {
                    self.queued = socket.send_queue();
                }
                step
            }
            Stage::Finishing => self.finishing(socket, now),
        }
    }

    fn connecting(&mut self, socket: &mut tcp::Socket, peer: Option<IpAddress>, now: u64) -> Step {
        match socket.state() {
            // Passive: the client has not connected yet; active: our SYN is out.
            tcp::State::Listen | tcp::State::SynReceived | tcp::State::SynSent => {
                if now >= self.since + CONNECT_TIMEOUT_MS {
                    return Step::Done(Err(Failure::NoDataConnection));
                }
                Step::Idle
            }
            tcp::State::Closed | tcp::State::TimeWait => Step::Done(Err(Failure::NoDataConnection)),
            _ => {
                // Only the control connection's host may use the data port
                // (RFC 2577 §5: no port stealing); anyone else is reset and
                // the port listens again.
                let remote = socket.remote_endpoint().map(|e| e.addr);
                if peer.is_some() && remote != peer {
                    let port = socket.local_endpoint().map(|e| e.port);
                    socket.abort();
                    if let Some(port) = port {
                        let _ = socket.listen(port);
                    }
                    return Step::Progress;
                }
                self.stage = Stage::Moving;
                self.since = now;
                Step::Progress
            }
        }
    }

    /// RETR and listings: drain the chunk into the socket, refill it when
    /// empty (if its bytes came), FIN at the end.
    fn send<T: Pipelined>(
        &mut self,
        socket: &mut tcp::Socket,
        store: &mut Store<T>,
        share: &mut Share,
        chunk: &mut [u8; CHUNK],
    ) -> Step {
        if !socket.may_send() {
            // The client closed or reset the data connection early.
            return Step::Done(Err(Failure::ConnectionClosed));
        }
        let mut progressed = self.drain(socket, chunk);
        if self.pos == self.len && !self.source_done() {
            let free = socket.send_capacity() - socket.send_queue();
            match self.refill(store, share, chunk, free) {
                Err(f) => return Step::Done(Err(f)),
                Ok(true) => {
                    self.drain(socket, chunk);
                    progressed = true;
                }
                // The next chunk is asked for and not here yet.
                Ok(false) => {}
            }
        }
        if self.pos == self.len && self.source_done() {
            if self.mode == Mode::Control {
                return Step::Done(Ok(()));
            }
            socket.close();
            self.stage = Stage::Finishing;
            progressed = true;
        }
        if progressed {
            Step::Progress
        } else {
            Step::Idle
        }
    }

    /// RETR in TYPE I: a read's bytes go straight from its reply into the
    /// socket as room opens (no chunk buffer), 16 KiB per read with a large
    /// inbox; FIN at the end.
    fn send_file<T: Pipelined>(
        &mut self,
        socket: &mut tcp::Socket,
        store: &mut Store<T>,
        share: &mut Share,
        now: u64,
    ) -> Step {
        if !socket.may_send() {
            return Step::Done(Err(Failure::ConnectionClosed));
        }
        let Kind::Retr { handle, start, sent, eof, reads } = &mut self.kind else {
            return Step::Idle;
        };
        let mut progressed = false;
        let mut failure = None;
        while !*eof && socket.can_send() {
            let chunk = store.max_read().min(socket.send_capacity() / 2);
            let extra = if share.contended() { 0 } else { chunk };
            let room = socket.send_capacity() - socket.send_queue() + extra;
            if let Err(e) = reads.ask(*handle, u64::MAX, chunk, room, store, share) {
                failure = Some(e);
                break;
            }
            match reads.peek(store) {
                ReadStep::Pending => break,
                ReadStep::Ready(bytes) => {
                    let n = socket.send_slice(bytes).unwrap_or(0);
                    reads.consume(n, store);
                    *sent += n as u64;
                    if n == 0 {
                        break;
                    }
                    progressed = true;
                }
                ReadStep::End => {
                    *eof = true;
                    reads.cancel(store);
                }
                ReadStep::Failed(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if failure.is_none()
            && !progressed
            && share.contended()
            && now >= self.since + RELEASE_AFTER_MS
            && reads.holds_any()
        {
            failure = reads.rewind(*handle, *start + *sent, *sent, store).err();
        }
        if let Some(e) = failure {
            self.storage_gone = store::service_gone(e);
            return Step::Done(Err(store::failure(e)));
        }
        if *eof {
            socket.close();
            self.stage = Stage::Finishing;
            progressed = true;
        }
        if progressed {
            Step::Progress
        } else {
            Step::Idle
        }
    }

    fn drain(&mut self, socket: &mut tcp::Socket, chunk: &[u8; CHUNK]) -> bool {
        if self.pos >= self.len {
            return false;
        }
        let n = socket.send_slice(&chunk[self.pos..self.len]).unwrap_or(0);
        self.pos += n;
        n > 0
    }

    fn source_done(&self) -> bool {
        match &self.kind {
            Kind::Retr { eof, .. } => *eof,
            Kind::List { cursor, single, .. } => cursor.is_none() && single.is_none(),
            Kind::Stor { .. } => true,
        }
    }

    /// Fills the (empty) chunk: `Ok(false)` if its bytes have not come yet.
    /// `free`: room in the socket; reads are asked for only when their
    /// bytes will have room (the chunk, then the socket) when they come.
    fn refill<T: Pipelined>(
        &mut self,
        store: &mut Store<T>,
        share: &mut Share,
        chunk: &mut [u8; CHUNK],
        free: usize,
    ) -> Result<bool, Failure> {
        self.len = 0;
        self.pos = 0;
        match &mut self.kind {
            Kind::Retr { handle, eof, reads, .. } => {
                let ascii = self.mode == Mode::Ascii;
                let want = if ascii { ToNetwork::max_input(CHUNK) } else { CHUNK };
                let failed = |gone: &mut bool, e| {
                    *gone = store::service_gone(e);
                    Err(store::failure(e))
                };
                if let Err(e) = reads.ask(*handle, u64::MAX, want, (1 + free / CHUNK) * want, store, share) {
                    return failed(&mut self.storage_gone, e);
                }
                match reads.take(store) {
                    ReadStep::Pending => return Ok(false),
                    ReadStep::End => {
                        *eof = true;
                        reads.cancel(store);
                    }
                    ReadStep::Ready(bytes) => {
                        let n = bytes.len().min(want);
                        chunk[..n].copy_from_slice(&bytes[..n]);
                        // Half a chunk in always fits the chunk once converted.
                        self.len = if ascii { self.to_network.convert(&mut chunk[..], n).unwrap_or(n) } else { n };
                        // The one after is asked for before this one is sent.
                        if let Err(e) = reads.ask(*handle, u64::MAX, want, free / CHUNK * want, store, share) {
                            return failed(&mut self.storage_gone, e);
                        }
                    }
                    ReadStep::Failed(e) => return failed(&mut self.storage_gone, e),
                }
            }
            Kind::List { path, format, glob, cursor, single, now } => {
                let glob = glob.as_ref().map(|(pattern, prefix)| Glob::new(pattern, prefix));
                let prefix_len = glob.map_or(0, |g| g.prefix().len());
                if let Some((name, meta)) = single.take() {
                    let entry = Entry { name: &name, meta };
                    let line = format_listed(&entry, *format, glob.as_ref(), now, &mut chunk[..]);
                    self.len = line.ok().flatten().unwrap_or(0);
                    return Ok(true);
                }
                let Some(start) = *cursor else { return Ok(true) };
                // One page per request; entries that do not fit this chunk
                // are asked for again (cursors are entry indexes).
                let (mut len, mut taken, mut full) = (0usize, 0u32, false);
                let page = store.list(path, start, |e| {
                    if full {
                        return;
                    }
                    if CHUNK - len < e.name.len() + prefix_len + LIST_LINE_ROOM {
                        full = true;
                        return;
                    }
                    let entry = Entry { name: e.name, meta: store::metadata(&e.meta) };
                    // Names that cannot be a listing line (control bytes) and
                    // names the wildcard does not match are skipped.
                    let line = format_listed(&entry, *format, glob.as_ref(), now, &mut chunk[len..]);
                    len += line.ok().flatten().unwrap_or(0);
                    taken += 1;
                });
                match page {
                    Ok(next) => {
                        *cursor = if full { Some(start + taken) } else { next };
                        self.len = len;
                    }
                    Err(e) => return Err(store::failure(e)),
                }
            }
            Kind::Stor { .. } => {}
        }
        Ok(true)
    }

    /// STOR: take what the socket has into the chunk; send the chunk to be
    /// written when it is full or the client has finished, and take the
    /// answers of writes sent before. Done once the client finished and
    /// every byte is answered as written.
    fn receive<T: Pipelined>(
        &mut self,
        socket: &mut tcp::Socket,
        store: &mut Store<T>,
        share: &mut Share,
        chunk: &mut [u8; CHUNK],
    ) -> Step {
        let Kind::Stor { handle, writes } = &mut self.kind else {
            return Step::Idle;
        };
        let handle = *handle;
        if socket.state() == tcp::State::Closed {
            // Reset by the client (or the stack gave up): the upload is cut.
            return Step::Done(Err(Failure::ConnectionClosed));
        }
        let mut progressed = match writes.collect(store) {
            Ok(any) => any,
            // A short write: the volume is full.
            Err(e) => {
                self.storage_gone = store::service_gone(e);
                return Step::Done(Err(store::failure(e)));
            }
        };
        if self.staged.is_none() {
            progressed |= Self::fill_from(socket, chunk, &mut self.len);
        }
        let finished = !socket.may_recv();
        if self.staged.is_none() && (self.len == CHUNK || (finished && self.len > 0)) {
            // Converted once, then kept until there is room to send it.
            self.staged = Some(match self.mode {
                Mode::Ascii => ascii::from_network(&mut chunk[..], self.len, finished),
                Mode::Binary | Mode::Control => (self.len, 0),
            });
        }
        if let Some((ready, carried)) = self.staged {
            match writes.send(handle, &chunk[..ready], store, share) {
                Ok(true) => {
                    if carried > 0 {
                        // A CR held back for the next chunk goes to its front.
                        chunk[0] = chunk[ready];
                    }
                    self.len = carried;
                    self.staged = None;
                    Self::fill_from(socket, chunk, &mut self.len);
                    progressed = true;
                }
                // Both writes of this transfer are out: wait for an answer.
                Ok(false) => {}
                Err(e) => {
                    self.storage_gone = store::service_gone(e);
                    return Step::Done(Err(store::failure(e)));
                }
            }
        }
        if finished && self.len == 0 && self.staged.is_none() && writes.is_empty() {
            // FIN received and every byte written.
            return Step::Done(Ok(()));
        }
        if progressed {
            Step::Progress
        } else {
            Step::Idle
        }
    }

    fn fill_from(socket: &mut tcp::Socket, chunk: &mut [u8; CHUNK], len: &mut usize) -> bool {
        if *len >= CHUNK || !socket.can_recv() {
            return false;
        }
        let n = socket.recv_slice(&mut chunk[*len..]).unwrap_or(0);
        *len += n;
        n > 0
    }

    /// Waits until the client has every byte and our FIN.
    fn finishing(&mut self, socket: &mut tcp::Socket, now: u64) -> Step {
        let queued = socket.send_queue();
        match socket.state() {
            // Our FIN is acknowledged, so is all data before it.
            tcp::State::FinWait2 | tcp::State::TimeWait => Step::Done(Ok(())),
            // Closed after LAST-ACK (fine) or by a reset (fine only if
            // nothing was left unacknowledged).
            tcp::State::Closed if queued == 0 => Step::Done(Ok(())),
            tcp::State::Closed => Step::Done(Err(Failure::ConnectionClosed)),
            _ => {
                if queued != self.queued {
                    self.queued = queued;
                    self.since = now;
                    return Step::Progress;
                }
                if now >= self.since + self.stall_ms {
                    return Step::Done(Err(Failure::ConnectionClosed));
                }
                Step::Idle
            }
        }
    }
}
