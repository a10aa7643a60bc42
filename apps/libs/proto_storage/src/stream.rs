//! A file streamed through requests in flight: [`ReadAhead`] asks for the
//! next chunks before the connection needs them, [`WriteBehind`] sends
//! chunks to be written and collects the answers later. Either way the app
//! serves its other connections while the service works, and the service
//! finds the next request queued when it finishes one.
//!
//! The transport's few requests in flight are shared between connections
//! ([`Share`]), so no connection may hold one it cannot use: a read is
//! asked for only when its bytes will have room to go the moment they
//! come (a client that stops reading holds none), a connection asks for
//! more than its first only while nobody else is kept waiting for theirs,
//! and one that just got an answer lets a waiting one go first.

use crate::pipeline::{Progress, Ticket};
use crate::{ClientError, Error, Handle, Pipelined, StorageClient, MAX_DATA, MAX_READ};

/// Whether connections were kept from starting a request by the ones in
/// flight; shared by all streams of one transport.
#[derive(Default, Debug)]
pub struct Share {
    /// Last pass: someone found no room for its first request.
    contended: bool,
    /// This pass so far.
    waiting: bool,
}

impl Share {
    /// Starts a pass over the connections.
    pub fn next_pass(&mut self) {
        self.contended = core::mem::take(&mut self.waiting);
    }

    /// Whether a stream found no room for a request it needed, as of the
    /// last pass: streams holding replies they cannot use should let go.
    pub fn contended(&self) -> bool {
        self.contended
    }

    /// Whether a stream with `in_flight` requests out may start another;
    /// notes a stream kept from its first.
    fn may_start(&mut self, in_flight: usize, has_room: bool) -> bool {
        if !has_room && in_flight == 0 {
            self.waiting = true;
        }
        has_room && (in_flight == 0 || !self.contended)
    }
}

/// FIFO of up to `N` requests of one stream, each with its length.
#[derive(Debug)]
struct Queue<const N: usize> {
    items: [Option<(Ticket, u16)>; N],
}

impl<const N: usize> Queue<N> {
    const fn new() -> Self {
        Queue { items: [None; N] }
    }

    fn len(&self) -> usize {
        self.items.iter().filter(|t| t.is_some()).count()
    }

    /// Bytes asked for by the requests queued.
    fn bytes(&self) -> usize {
        self.items.iter().flatten().map(|(_, len)| usize::from(*len)).sum()
    }

    fn push(&mut self, ticket: Ticket, len: usize) {
        if let Some(free) = self.items.iter_mut().find(|t| t.is_none()) {
            *free = Some((ticket, len as u16));
        }
    }

    fn front(&self) -> Option<(Ticket, usize)> {
        self.items[0].map(|(t, len)| (t, usize::from(len)))
    }

    fn pop(&mut self) {
        self.items.rotate_left(1);
        self.items[N - 1] = None;
    }

    fn cancel<T: Pipelined>(&mut self, client: &mut StorageClient<T>) {
        for (ticket, _) in self.items.iter_mut().filter_map(Option::take) {
            client.cancel(ticket);
        }
    }
}

/// What the oldest read brought.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadStep<'s> {
    /// The next bytes of the file, in order.
    Ready(&'s [u8]),
    /// End of file.
    End,
    /// Not here yet (or nothing asked): try again later.
    Pending,
    /// The read failed.
    Failed(ClientError),
}

/// The reads of one file in flight, oldest first, at most `N`.
#[derive(Debug)]
pub struct ReadAhead<const N: usize> {
    queue: Queue<N>,
    /// Bytes of the oldest read's reply used already (see [`Self::consume`]).
    consumed: usize,
    /// Where the handle must be moved before the next read (see [`Self::rewind`]).
    seek_to: Option<u64>,
    /// Bytes asked for so far (from where the handle stood).
    asked: u64,
    /// An answer was taken since the last ask: a waiting stream goes first.
    took: bool,
}

impl<const N: usize> Default for ReadAhead<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> ReadAhead<N> {
    /// Nothing asked yet.
    pub const fn new() -> Self {
        ReadAhead { queue: Queue::new(), consumed: 0, seek_to: None, asked: 0, took: false }
    }

    /// Asks for the next reads of `chunk` (at most [`MAX_READ`]) bytes,
    /// up to `N` in flight, whose bytes fit in `room` (what the consumer
    /// has room for now, counting the reads in flight), and `limit` bytes
    /// in all (`u64::MAX`: to the end of file). A read of less than
    /// `chunk` is asked for only at the end (`limit`); so a consumer that
    /// asks with `room` of at least `chunk` once its buffer drains gets
    /// whole chunks, one storage round trip each.
    pub fn ask<T: Pipelined>(
        &mut self,
        handle: Handle,
        limit: u64,
        chunk: usize,
        room: usize,
        client: &mut StorageClient<T>,
        share: &mut Share,
    ) -> Result<(), ClientError> {
        if core::mem::take(&mut self.took) && share.contended {
            return Ok(());
        }
        if !self.start_seek(handle, client)? {
            return Ok(());
        }
        let chunk = chunk.clamp(1, MAX_READ) as u64;
        while self.asked < limit && self.queue.len() < N {
            let len = (limit - self.asked).min(chunk) as usize;
            if self.queue.bytes() - self.consumed + len > room {
                break;
            }
            let in_flight = self.queue.len();
            if !share.may_start(in_flight, true) {
                break;
            }
            match client.start_read(handle, len)? {
                Some(ticket) => {
                    self.queue.push(ticket, len);
                    self.asked += len as u64;
                }
                None => {
                    share.may_start(in_flight, false);
                    break;
                }
            }
        }
        Ok(())
    }

    /// How many bytes the oldest read asked for (the room its bytes may
    /// need), less those used already, if one is in flight.
    pub fn next_len(&self) -> Option<usize> {
        self.queue.front().map(|(_, len)| len - self.consumed)
    }

    /// Reads in flight.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    /// The oldest read's bytes (those not [consumed](Self::consume)) if
    /// they came; its ticket is spent then.
    pub fn take<'s, T: Pipelined>(&mut self, client: &'s mut StorageClient<T>) -> ReadStep<'s> {
        let Some((ticket, _)) = self.queue.front() else {
            return ReadStep::Pending;
        };
        match client.finish_read(ticket) {
            Progress::Waiting => ReadStep::Pending,
            Progress::Done(result) => {
                self.queue.pop();
                self.took = true;
                let consumed = core::mem::take(&mut self.consumed);
                match result {
                    Ok([]) => ReadStep::End,
                    Ok(bytes) => ReadStep::Ready(bytes.get(consumed..).unwrap_or_default()),
                    Err(e) => ReadStep::Failed(e),
                }
            }
        }
    }

    /// As [`Self::take`], but a reply with data is kept until
    /// [`Self::consume`] has used all of it: a consumer with room for part
    /// of a read takes that part now (its in-flight buffer stays booked).
    pub fn peek<'s, T: Pipelined>(&mut self, client: &'s mut StorageClient<T>) -> ReadStep<'s> {
        let Some((ticket, _)) = self.queue.front() else {
            return ReadStep::Pending;
        };
        let has_data = match client.peek_read(ticket) {
            Progress::Waiting => return ReadStep::Pending,
            Progress::Done(Ok(bytes)) => bytes.len() > self.consumed,
            Progress::Done(Err(_)) => false,
        };
        if !has_data {
            // End of file, or a failure (or a reply shorter than used,
            // which cannot be): spent now.
            return self.take(client);
        }
        match client.peek_read(ticket) {
            Progress::Done(Ok(bytes)) => ReadStep::Ready(&bytes[self.consumed..]),
            _ => ReadStep::Pending,
        }
    }

    /// `n` bytes of what [`Self::peek`] gave were used; once all of the
    /// reply is, its ticket is spent.
    pub fn consume<T: Pipelined>(&mut self, n: usize, client: &mut StorageClient<T>) {
        let Some((ticket, _)) = self.queue.front() else {
            return;
        };
        self.consumed += n;
        if let Progress::Done(Ok(bytes)) = client.peek_read(ticket) {
            if self.consumed < bytes.len() {
                return;
            }
        }
        let _ = client.finish_read(ticket);
        self.queue.pop();
        self.took = true;
        self.consumed = 0;
    }

    /// Gives up on every read in flight.
    pub fn cancel<T: Pipelined>(&mut self, client: &mut StorageClient<T>) {
        self.queue.cancel(client);
        self.consumed = 0;
    }

    /// Whether a read is in flight or held.
    pub fn holds_any(&self) -> bool {
        self.queue.len() > 0
    }

    /// Lets go of every read (their buffers go to other streams) and moves
    /// `handle` back to `offset`, the first byte not yet used, which is
    /// `used` bytes after where it stood at the start: the next reads are
    /// asked from there, after the seek (sent now, or by the next
    /// [`Self::ask`] if there is no room now).
    pub fn rewind<T: Pipelined>(
        &mut self,
        handle: Handle,
        offset: u64,
        used: u64,
        client: &mut StorageClient<T>,
    ) -> Result<(), ClientError> {
        // Replies that came free their buffers now; the seek needs one.
        self.queue.cancel(client);
        self.consumed = 0;
        self.asked = used;
        self.seek_to = Some(offset);
        self.start_seek(handle, client).map(|_| ())
    }

    /// Sends the seek [`Self::rewind`] left, if any; whether none is left.
    fn start_seek<T: Pipelined>(&mut self, handle: Handle, client: &mut StorageClient<T>) -> Result<bool, ClientError> {
        let Some(offset) = self.seek_to else {
            return Ok(true);
        };
        let Some(seek) = client.start_seek(handle, offset)? else {
            return Ok(false);
        };
        // Its answer (the new position) is not needed: dropped when it comes.
        client.cancel(seek);
        self.seek_to = None;
        Ok(true)
    }
}

/// The writes of one file in flight, oldest first, at most `N`.
#[derive(Debug)]
pub struct WriteBehind<const N: usize> {
    queue: Queue<N>,
    /// An answer was taken since the last send: a waiting stream goes first.
    took: bool,
}

impl<const N: usize> Default for WriteBehind<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> WriteBehind<N> {
    /// Nothing in flight.
    pub const fn new() -> Self {
        WriteBehind { queue: Queue::new(), took: false }
    }

    /// Whether every write sent has been answered.
    pub fn is_empty(&self) -> bool {
        self.queue.len() == 0
    }

    /// Sends `data` (at most 4096 bytes) to be written; `Ok(false)` if
    /// `N` writes are in flight or the transport has no room (collect
    /// first, then try again).
    pub fn send<T: Pipelined>(
        &mut self,
        handle: Handle,
        data: &[u8],
        client: &mut StorageClient<T>,
        share: &mut Share,
    ) -> Result<bool, ClientError> {
        let in_flight = self.queue.len();
        if core::mem::take(&mut self.took) && share.contended {
            return Ok(false);
        }
        if in_flight >= N || !share.may_start(in_flight, true) {
            return Ok(false);
        }
        let data = &data[..data.len().min(MAX_DATA)];
        match client.start_write(handle, data)? {
            Some(ticket) => {
                self.queue.push(ticket, data.len());
                Ok(true)
            }
            None => {
                share.may_start(in_flight, false);
                Ok(false)
            }
        }
    }

    /// Takes the answers that came, in order; `Ok(true)` if any did. A
    /// write that stored less than it was sent fails with `NoSpace`.
    pub fn collect<T: Pipelined>(&mut self, client: &mut StorageClient<T>) -> Result<bool, ClientError> {
        let mut any = false;
        while let Some((ticket, len)) = self.queue.front() {
            match client.finish_write(ticket) {
                Progress::Waiting => break,
                Progress::Done(result) => {
                    self.queue.pop();
                    any = true;
                    self.took = true;
                    match result {
                        Ok(n) if n == len => {}
                        Ok(_) => return Err(ClientError::Storage(Error::NoSpace)),
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(any)
    }

    /// Gives up on the answers of writes in flight (they may still land).
    pub fn cancel<T: Pipelined>(&mut self, client: &mut StorageClient<T>) {
        self.queue.cancel(client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::InFlight;
    use crate::{Request, Response, Transport, TransportError, MAX_MESSAGE, MAX_REPLY};
    use std::vec::Vec;

    /// A service answering the requests sent to it only when told to
    /// (`serve`): one file read in order, writes stored up to `capacity`.
    struct Service<'b> {
        in_flight: InFlight<'b, 3>,
        sent: Vec<(u16, Vec<u8>)>,
        tag: u16,
        file: Vec<u8>,
        position: usize,
        written: Vec<u8>,
        capacity: usize,
    }

    impl Service<'_> {
        fn serve(&mut self) {
            for (tag, request) in core::mem::take(&mut self.sent) {
                let mut reply = [0u8; MAX_REPLY];
                let n = match Request::parse(&request).unwrap() {
                    Request::Read { max_len, .. } => {
                        let n = max_len.get().min(self.file.len() - self.position);
                        let data = &self.file[self.position..self.position + n];
                        self.position += n;
                        Response::Data(crate::ReadData::new(data).unwrap()).emit(&mut reply).unwrap()
                    }
                    Request::Seek { offset, .. } => {
                        self.position = (offset as usize).min(self.file.len());
                        Response::Position(offset).emit(&mut reply).unwrap()
                    }
                    Request::Write { data, .. } => {
                        let n = data.len().min(self.capacity - self.written.len());
                        self.written.extend_from_slice(&data.as_bytes()[..n]);
                        Response::Written(n as u16).emit(&mut reply).unwrap()
                    }
                    _ => unreachable!(),
                };
                let (slot, buf) = self.in_flight.next_buffer().unwrap();
                buf[..n].copy_from_slice(&reply[..n]);
                self.in_flight.received(slot, tag, n);
            }
        }
    }

    impl Transport for Service<'_> {
        fn call(&mut self, _: &[u8], _: &mut [u8]) -> Result<usize, TransportError> {
            unreachable!("streams only")
        }
    }

    impl Pipelined for Service<'_> {
        fn submit(&mut self, request: &[u8]) -> Result<Option<Ticket>, TransportError> {
            self.tag += 1;
            let ticket = self.in_flight.start(self.tag, 0);
            if ticket.is_some() {
                self.sent.push((self.tag, request.to_vec()));
            }
            Ok(ticket)
        }
        fn take(&mut self, ticket: Ticket) -> Progress<Result<&[u8], TransportError>> {
            self.in_flight.take(ticket)
        }
        fn peek(&mut self, ticket: Ticket) -> Progress<Result<&[u8], TransportError>> {
            self.in_flight.peek(ticket)
        }
        fn cancel(&mut self, ticket: Ticket) {
            self.in_flight.cancel(ticket)
        }
    }

    fn client(buffers: &mut [u8], file: Vec<u8>, capacity: usize) -> StorageClient<Service<'_>> {
        StorageClient::new(Service {
            in_flight: InFlight::new(buffers).unwrap(),
            sent: Vec::new(),
            tag: 0,
            file,
            position: 0,
            written: Vec::new(),
            capacity,
        })
    }

    fn file(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn read_ahead_streams_a_file_in_order_with_two_reads_out() {
        let mut buffers = std::vec![0u8; 3 * MAX_MESSAGE];
        let mut c = client(&mut buffers, file(10_000), 0);
        let mut share = Share::default();
        let mut reads = ReadAhead::<2>::new();
        let mut got = Vec::new();
        reads.ask(Handle(1), u64::MAX, MAX_DATA, 2 * MAX_DATA, &mut c, &mut share).unwrap();
        assert!(reads.take(&mut c) == ReadStep::Pending, "not answered yet");
        loop {
            reads.ask(Handle(1), u64::MAX, MAX_DATA, 2 * MAX_DATA, &mut c, &mut share).unwrap();
            assert_eq!(reads.in_flight(), 2, "the next read is always out");
            c.transport().serve();
            match reads.take(&mut c) {
                ReadStep::Ready(bytes) => got.extend_from_slice(bytes),
                ReadStep::End => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(got, file(10_000));
        reads.cancel(&mut c);
        assert_eq!(reads.in_flight(), 0);
    }

    #[test]
    fn large_reads_are_asked_whole_when_the_consumer_has_room() {
        let mut buffers = std::vec![0u8; 3 * MAX_REPLY];
        let mut c = client(&mut buffers, file(40_000), 0);
        let mut share = Share::default();
        let mut reads = ReadAhead::<2>::new();
        reads.ask(Handle(1), u64::MAX, MAX_READ, MAX_READ - 1, &mut c, &mut share).unwrap();
        assert_eq!(reads.in_flight(), 0, "no read smaller than a chunk before the end");
        reads.ask(Handle(1), u64::MAX, MAX_READ, MAX_READ + MAX_DATA, &mut c, &mut share).unwrap();
        assert_eq!((reads.in_flight(), reads.next_len()), (1, Some(MAX_READ)), "one whole chunk");
        reads.ask(Handle(1), u64::MAX, MAX_READ, 2 * MAX_READ, &mut c, &mut share).unwrap();
        assert_eq!(reads.in_flight(), 2, "room for the second, counting the first");
        let mut got = Vec::new();
        let mut lens = Vec::new();
        while reads.in_flight() > 0 {
            c.transport().serve();
            match reads.take(&mut c) {
                ReadStep::Ready(bytes) => {
                    got.extend_from_slice(bytes);
                    lens.push(bytes.len());
                }
                other => panic!("{other:?}"),
            }
            reads.ask(Handle(1), 40_000, MAX_READ, 2 * MAX_READ, &mut c, &mut share).unwrap();
        }
        assert_eq!(got, file(40_000));
        assert_eq!(lens, [MAX_READ, MAX_READ, 40_000 - 2 * MAX_READ], "whole chunks, then the tail");
    }

    #[test]
    fn a_read_taken_in_parts_keeps_its_buffer_until_used_up() {
        let mut buffers = std::vec![0u8; 3 * MAX_REPLY];
        let mut c = client(&mut buffers, file(40_000), 0);
        let mut share = Share::default();
        let mut reads = ReadAhead::<3>::new();
        let mut got = Vec::new();
        // A consumer with 5000 bytes of room at a time, asking 16 KiB reads.
        loop {
            reads.ask(Handle(1), u64::MAX, MAX_READ, 2 * MAX_READ, &mut c, &mut share).unwrap();
            assert!(reads.in_flight() <= 2, "room counts what is left of the oldest");
            c.transport().serve();
            match reads.peek(&mut c) {
                ReadStep::Ready(bytes) => {
                    let n = bytes.len().min(5000);
                    got.extend_from_slice(&bytes[..n]);
                    reads.consume(n, &mut c);
                }
                ReadStep::End => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(got, file(40_000));
        // Reads asked past the end (the limit was the end of file) are dropped.
        reads.cancel(&mut c);
        assert_eq!(reads.next_len(), None);
        // What is left of a part-used read, then the next, by take.
        let mut c = client(&mut buffers, file(20_000), 0);
        let mut reads = ReadAhead::<2>::new();
        reads.ask(Handle(1), u64::MAX, MAX_READ, 2 * MAX_READ, &mut c, &mut share).unwrap();
        c.transport().serve();
        assert!(matches!(reads.peek(&mut c), ReadStep::Ready(b) if b.len() == MAX_READ));
        reads.consume(100, &mut c);
        assert_eq!(reads.next_len(), Some(MAX_READ - 100));
        assert!(matches!(reads.take(&mut c), ReadStep::Ready(b) if b == &file(20_000)[100..MAX_READ]));
        assert!(matches!(reads.take(&mut c), ReadStep::Ready(b) if b == &file(20_000)[MAX_READ..]));
    }

    /// Takes up to `room` bytes of the oldest read, as a socket would.
    /// `false` at the end of file.
    fn use_some(reads: &mut ReadAhead<3>, c: &mut StorageClient<Service<'_>>, room: usize, got: &mut Vec<u8>) -> bool {
        match reads.peek(c) {
            ReadStep::Ready(bytes) => {
                let n = bytes.len().min(room);
                got.extend_from_slice(&bytes[..n]);
                reads.consume(n, c);
                true
            }
            ReadStep::Pending => true,
            ReadStep::End => false,
            ReadStep::Failed(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn a_rewound_stream_lets_go_of_its_reads_and_goes_on_from_the_first_unused_byte() {
        let body = file(60_000);
        let mut buffers = std::vec![0u8; 3 * MAX_REPLY];
        let mut c = client(&mut buffers, body.clone(), 0);
        let mut share = Share::default();
        let mut reads = ReadAhead::<3>::new();
        let mut got = Vec::new();
        reads.ask(Handle(1), u64::MAX, MAX_READ, 3 * MAX_READ, &mut c, &mut share).unwrap();
        c.transport().serve();
        use_some(&mut reads, &mut c, 5000, &mut got);
        // A stalled consumer lets go: every buffer is free for others.
        reads.rewind(Handle(1), 5000, 5000, &mut c).unwrap();
        assert!(!reads.holds_any());
        assert!(c.start_read(Handle(2), 10).unwrap().is_some(), "a buffer for another stream");
        // Three reads out, none answered: the seek waits for room.
        let mut c = client(&mut buffers, body.clone(), 0);
        let mut reads = ReadAhead::<3>::new();
        let mut got = Vec::new();
        reads.ask(Handle(1), u64::MAX, MAX_READ, 3 * MAX_READ, &mut c, &mut share).unwrap();
        assert_eq!(reads.in_flight(), 3);
        reads.rewind(Handle(1), 0, 0, &mut c).unwrap();
        assert!(c.start_read(Handle(2), 10).unwrap().is_none(), "the cancelled reads still book every buffer");
        for _ in 0..100 {
            reads.ask(Handle(1), u64::MAX, MAX_READ, 2 * MAX_READ, &mut c, &mut share).unwrap();
            c.transport().serve();
            if !use_some(&mut reads, &mut c, 9000, &mut got) {
                break;
            }
        }
        assert_eq!(got, body, "no byte lost or repeated");
    }

    #[test]
    fn a_limit_stops_the_asking() {
        let mut buffers = std::vec![0u8; 3 * MAX_MESSAGE];
        let mut c = client(&mut buffers, file(10_000), 0);
        let mut share = Share::default();
        let mut reads = ReadAhead::<2>::new();
        reads.ask(Handle(1), 5_000, MAX_DATA, 2 * MAX_DATA, &mut c, &mut share).unwrap();
        assert_eq!(reads.next_len(), Some(MAX_DATA));
        c.transport().serve();
        assert!(matches!(reads.take(&mut c), ReadStep::Ready(b) if b.len() == MAX_DATA));
        assert_eq!(reads.next_len(), Some(5_000 - MAX_DATA));
        reads.ask(Handle(1), 5_000, MAX_DATA, 2 * MAX_DATA, &mut c, &mut share).unwrap();
        assert_eq!(reads.in_flight(), 1, "nothing past the limit");
    }

    #[test]
    fn a_stream_kept_waiting_gets_the_next_free_request() {
        let mut buffers = std::vec![0u8; 3 * MAX_MESSAGE];
        let mut c = client(&mut buffers, file(100_000), 0);
        let mut share = Share::default();
        let (mut a, mut b) = (ReadAhead::<2>::new(), ReadAhead::<2>::new());
        share.next_pass();
        a.ask(Handle(1), u64::MAX, MAX_DATA, 2 * MAX_DATA, &mut c, &mut share).unwrap();
        assert_eq!(a.in_flight(), 2);
        a.ask(Handle(1), u64::MAX, MAX_DATA, 2 * MAX_DATA, &mut c, &mut share).unwrap();
        let mut third = ReadAhead::<2>::new();
        third.ask(Handle(2), u64::MAX, MAX_DATA, 2 * MAX_DATA, &mut c, &mut share).unwrap();
        assert_eq!(third.in_flight(), 1, "the last request in flight");
        b.ask(Handle(3), u64::MAX, MAX_DATA, 2 * MAX_DATA, &mut c, &mut share).unwrap();
        assert_eq!(b.in_flight(), 0, "none left: b waits");
        // Next pass: a takes its chunk but may not ask for a second ahead
        // while b waits, so b gets the request a gave back.
        share.next_pass();
        c.transport().serve();
        assert!(matches!(a.take(&mut c), ReadStep::Ready(_)));
        a.ask(Handle(1), u64::MAX, MAX_DATA, 2 * MAX_DATA, &mut c, &mut share).unwrap();
        assert_eq!(a.in_flight(), 1);
        b.ask(Handle(3), u64::MAX, MAX_DATA, 2 * MAX_DATA, &mut c, &mut share).unwrap();
        assert_eq!(b.in_flight(), 1);
    }

    #[test]
    fn a_consumer_without_room_holds_no_request() {
        let mut buffers = std::vec![0u8; 3 * MAX_MESSAGE];
        let mut c = client(&mut buffers, file(100_000), 0);
        let mut share = Share::default();
        let mut paused = ReadAhead::<2>::new();
        paused.ask(Handle(1), u64::MAX, MAX_DATA, MAX_DATA - 1, &mut c, &mut share).unwrap();
        assert_eq!(paused.in_flight(), 0, "a client that stopped reading asks for nothing");
        paused.ask(Handle(1), u64::MAX, MAX_DATA, MAX_DATA, &mut c, &mut share).unwrap();
        assert_eq!(paused.in_flight(), 1, "room for one chunk: one read");
    }

    #[test]
    fn a_stream_that_got_an_answer_lets_a_waiting_one_go_first() {
        let mut buffers = std::vec![0u8; 3 * MAX_MESSAGE];
        let mut c = client(&mut buffers, file(100_000), 0);
        let mut share = Share::default();
        let mut streams: std::vec::Vec<ReadAhead<2>> = (0..4).map(|_| ReadAhead::new()).collect();
        let mut got = [0usize; 4];
        // Four streams, each with room for one chunk, three requests in
        // flight: in a few passes every stream gets its turn.
        for _ in 0..8 {
            share.next_pass();
            for (i, s) in streams.iter_mut().enumerate() {
                if let ReadStep::Ready(_) = s.take(&mut c) {
                    got[i] += 1;
                }
                s.ask(Handle(i as u32), u64::MAX, MAX_DATA, MAX_DATA, &mut c, &mut share).unwrap();
            }
            c.transport().serve();
        }
        assert!(got.iter().all(|&n| n > 0), "nobody starves: {got:?}");
    }

    #[test]
    fn a_failed_read_is_reported() {
        let mut buffers = std::vec![0u8; 3 * MAX_MESSAGE];
        let mut c = client(&mut buffers, file(10_000), 0);
        let mut share = Share::default();
        let mut reads = ReadAhead::<2>::new();
        reads.ask(Handle(1), u64::MAX, MAX_DATA, 2 * MAX_DATA, &mut c, &mut share).unwrap();
        c.transport().in_flight.fail_all(TransportError::ServiceGone);
        assert_eq!(reads.take(&mut c), ReadStep::Failed(ClientError::Transport(TransportError::ServiceGone)));
    }

    #[test]
    fn write_behind_lands_every_byte_in_order() {
        let mut buffers = std::vec![0u8; 3 * MAX_MESSAGE];
        let mut c = client(&mut buffers, Vec::new(), usize::MAX);
        let mut share = Share::default();
        let mut writes = WriteBehind::<2>::new();
        let data = file(20_000);
        let mut chunks = data.chunks(MAX_DATA).peekable();
        while chunks.peek().is_some() || !writes.is_empty() {
            while let Some(chunk) = chunks.peek() {
                if !writes.send(Handle(1), chunk, &mut c, &mut share).unwrap() {
                    break;
                }
                chunks.next();
            }
            assert!(!writes.collect(&mut c).unwrap(), "nothing answered before serving");
            c.transport().serve();
            assert!(writes.collect(&mut c).unwrap());
        }
        assert_eq!(c.transport().written, data);
    }

    #[test]
    fn a_short_write_is_no_space() {
        let mut buffers = std::vec![0u8; 3 * MAX_MESSAGE];
        let mut c = client(&mut buffers, Vec::new(), 5_000);
        let mut share = Share::default();
        let mut writes = WriteBehind::<2>::new();
        let data = file(MAX_DATA);
        assert!(writes.send(Handle(1), &data, &mut c, &mut share).unwrap());
        assert!(writes.send(Handle(1), &data, &mut c, &mut share).unwrap());
        assert!(!writes.send(Handle(1), &data, &mut c, &mut share).unwrap(), "two in flight at most");
        c.transport().serve();
        assert_eq!(writes.collect(&mut c), Err(ClientError::Storage(Error::NoSpace)));
    }
}
