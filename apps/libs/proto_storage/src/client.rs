//! A typed client over any request/reply transport, without `alloc`.

use crate::pipeline::{Progress, Ticket};
use crate::{
    Chunk, Done, EncodeError, Entry, Error, FreeSpace, Handle, Label, Metadata, OpenMode, ReadLen, Request, Response,
    VolumeStatus, MAX_DATA, MAX_MESSAGE,
};

/// Why a message exchange with the service failed (below the protocol).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// The service is not running or restarted; its handles are gone.
    ServiceGone,
    /// No reply in time.
    Timeout,
    /// A message did not fit the channel or the reply buffer.
    TooLarge,
}

/// Sends one request message and receives the one reply message.
pub trait Transport {
    /// Sends `request`, waits, copies the reply into `reply`; returns its length.
    fn call(&mut self, request: &[u8], reply: &mut [u8]) -> Result<usize, TransportError>;

    /// If a call had to wait for its reply since the last ask: the time
    /// now, in the transport's clock (milliseconds), so a caller's timers
    /// do not start from before the wait. `None` otherwise, and always for
    /// a transport that never waits.
    fn now_if_waited(&mut self) -> Option<u64> {
        None
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn call(&mut self, request: &[u8], reply: &mut [u8]) -> Result<usize, TransportError> {
        (**self).call(request, reply)
    }

    fn now_if_waited(&mut self) -> Option<u64> {
        (**self).now_if_waited()
    }
}

/// A transport that can also send a request without waiting for its reply
/// (see [`crate::pipeline`]).
pub trait Pipelined: Transport {
    /// Sends `request`; `Ok(None)` if as many requests as the transport
    /// keeps in flight are out already (try again after taking a reply).
    fn submit(&mut self, request: &[u8]) -> Result<Option<Ticket>, TransportError>;
    /// The reply of `ticket`, if it came; the ticket is spent once `Done`.
    fn take(&mut self, ticket: Ticket) -> Progress<Result<&[u8], TransportError>>;
    /// As [`Pipelined::take`], but the ticket is not spent.
    fn peek(&mut self, ticket: Ticket) -> Progress<Result<&[u8], TransportError>>;
    /// Gives up on `ticket`: its reply is dropped.
    fn cancel(&mut self, ticket: Ticket);
    /// The most bytes a read started without waiting may ask for: what
    /// the transport's reply buffers (and the process's inbox) take.
    fn max_read(&self) -> usize {
        MAX_DATA
    }
}

/// Everything a client call can fail with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientError {
    /// The service answered with an error.
    Storage(Error),
    /// The message exchange failed.
    Transport(TransportError),
    /// The reply did not decode or did not answer the request.
    BadReply,
}

impl ClientError {
    /// The service's error, if that is what happened.
    pub fn storage(self) -> Option<Error> {
        match self {
            ClientError::Storage(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for ClientError {
    fn from(e: Error) -> Self {
        ClientError::Storage(e)
    }
}

impl From<TransportError> for ClientError {
    fn from(e: TransportError) -> Self {
        ClientError::Transport(e)
    }
}

/// The storage service as a set of methods.
///
/// Holds one request and one reply buffer of [`MAX_MESSAGE`] bytes each
/// (9 KiB in all), so place it in a static or on the heap rather than on a
/// small stack.
pub struct StorageClient<T> {
    transport: T,
    request: [u8; MAX_MESSAGE],
    reply: [u8; MAX_MESSAGE],
}

impl<T: Transport> StorageClient<T> {
    /// A client sending through `transport`.
    pub const fn new(transport: T) -> Self {
        StorageClient { transport, request: [0; MAX_MESSAGE], reply: [0; MAX_MESSAGE] }
    }

    /// The transport.
    pub fn transport(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Gives the transport back.
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Sends `req`, returns the matching successful response.
    fn call(&mut self, req: &Request<'_>) -> Result<Response<'_>, ClientError> {
        // Only paths can make a request too long: report it as the service would.
        let n = req.emit(&mut self.request).map_err(|e| match e {
            EncodeError::BufferTooSmall | EncodeError::TooLong => Error::BadPath,
        })?;
        let len = self.transport.call(&self.request[..n], &mut self.reply)?;
        let reply = self.reply.get(..len).ok_or(ClientError::BadReply)?;
        match Response::parse(reply).map_err(|_| ClientError::BadReply)? {
            Response::Error(e) => Err(ClientError::Storage(e)),
            resp if resp.op() == Some(req.op()) => Ok(resp),
            _ => Err(ClientError::BadReply),
        }
    }

    fn call_done(&mut self, req: &Request<'_>) -> Result<(), ClientError> {
        match self.call(req)? {
            Response::Done(_) => Ok(()),
            _ => Err(ClientError::BadReply),
        }
    }

    /// Opens `path`.
    pub fn open(&mut self, path: &str, mode: OpenMode) -> Result<Handle, ClientError> {
        match self.call(&Request::Open { path, mode })? {
            Response::Opened(h) => Ok(h),
            _ => Err(ClientError::BadReply),
        }
    }

    /// Reads up to `buf.len()` (at most [`MAX_DATA`]) bytes; 0 means end of file.
    pub fn read(&mut self, handle: Handle, buf: &mut [u8]) -> Result<usize, ClientError> {
        // The reply must fit this client's buffer (and a small inbox).
        let Some(max_len) = ReadLen::capped(buf.len().min(MAX_DATA)) else {
            return Ok(0);
        };
        match self.call(&Request::Read { handle, max_len })? {
            Response::Data(d) if d.len() <= buf.len() => {
                buf[..d.len()].copy_from_slice(d.as_bytes());
                Ok(d.len())
            }
            _ => Err(ClientError::BadReply),
        }
    }

    /// Asks for the next `len` (at most [`MAX_READ`]; over [`MAX_DATA`]
    /// only if the transport's inbox and reply buffers take a
    /// [`MAX_REPLY`] reply) bytes of `handle` without waiting; `Ok(None)`
    /// if the transport has no room for another request in flight. Reads
    /// on one handle are answered in the order started.
    pub fn start_read(&mut self, handle: Handle, len: usize) -> Result<Option<Ticket>, ClientError>
    where
        T: Pipelined,
    {
        let max_len = ReadLen::capped(len).ok_or(ClientError::BadReply)?;
        let n = Request::Read { handle, max_len }.emit(&mut self.request).map_err(|_| ClientError::BadReply)?;
        Ok(self.transport.submit(&self.request[..n])?)
    }

    /// The most bytes [`Self::start_read`] may ask for (see [`Pipelined::max_read`]).
    pub fn max_read(&self) -> usize
    where
        T: Pipelined,
    {
        self.transport.max_read()
    }

    /// Moves `handle` to `offset` without waiting: reads started after it
    /// read from there (the service answers one client's requests in
    /// order). `Ok(None)` if the transport has no room for it.
    pub fn start_seek(&mut self, handle: Handle, offset: u64) -> Result<Option<Ticket>, ClientError>
    where
        T: Pipelined,
    {
        let n = Request::Seek { handle, offset }.emit(&mut self.request).map_err(|_| ClientError::BadReply)?;
        Ok(self.transport.submit(&self.request[..n])?)
    }

    /// The bytes a [`Self::start_read`] got, once they came (empty: end of
    /// file).
    pub fn finish_read(&mut self, ticket: Ticket) -> Progress<Result<&[u8], ClientError>>
    where
        T: Pipelined,
    {
        self.finish(ticket, |r| match r {
            Response::Data(d) => Some(d.as_bytes()),
            _ => None,
        })
    }

    /// As [`Self::finish_read`], but the ticket is not spent: a read taken
    /// in parts (finish it once its last byte is used).
    pub fn peek_read(&mut self, ticket: Ticket) -> Progress<Result<&[u8], ClientError>>
    where
        T: Pipelined,
    {
        Self::reply(self.transport.peek(ticket), |r| match r {
            Response::Data(d) => Some(d.as_bytes()),
            _ => None,
        })
    }

    /// The reply of `ticket` once it came, as `accept` takes it (`None`:
    /// the wrong kind of reply).
    fn finish<'s, R>(
        &'s mut self,
        ticket: Ticket,
        accept: impl FnOnce(Response<'s>) -> Option<R>,
    ) -> Progress<Result<R, ClientError>>
    where
        T: Pipelined,
    {
        Self::reply(self.transport.take(ticket), accept)
    }

    /// A reply the transport gave, as `accept` takes it.
    fn reply<'s, R>(
        taken: Progress<Result<&'s [u8], TransportError>>,
        accept: impl FnOnce(Response<'s>) -> Option<R>,
    ) -> Progress<Result<R, ClientError>> {
        let reply = match taken {
            Progress::Waiting => return Progress::Waiting,
            Progress::Done(Err(e)) => return Progress::Done(Err(ClientError::Transport(e))),
            Progress::Done(Ok(reply)) => reply,
        };
        Progress::Done(match Response::parse(reply) {
            Ok(Response::Error(e)) => Err(ClientError::Storage(e)),
            Ok(r) => accept(r).ok_or(ClientError::BadReply),
            Err(_) => Err(ClientError::BadReply),
        })
    }

    /// Sends up to 4096 bytes of `data` to be written at `handle`'s
    /// position without waiting; `Ok(None)` if the transport has no room
    /// for another request in flight. Writes on one handle land in the
    /// order started.
    pub fn start_write(&mut self, handle: Handle, data: &[u8]) -> Result<Option<Ticket>, ClientError>
    where
        T: Pipelined,
    {
        let data = Chunk::prefix(data);
        let n = Request::Write { handle, data }.emit(&mut self.request).map_err(|_| ClientError::BadReply)?;
        Ok(self.transport.submit(&self.request[..n])?)
    }

    /// How many bytes a [`Self::start_write`] stored, once it is answered
    /// (fewer than sent: the volume is full).
    pub fn finish_write(&mut self, ticket: Ticket) -> Progress<Result<usize, ClientError>>
    where
        T: Pipelined,
    {
        self.finish(ticket, |r| match r {
            Response::Written(n) => Some(usize::from(n)),
            _ => None,
        })
    }

    /// Gives up on a read or write started without waiting (a write may
    /// still land).
    pub fn cancel(&mut self, ticket: Ticket)
    where
        T: Pipelined,
    {
        self.transport.cancel(ticket);
    }

    /// Writes up to 4096 bytes of `data`; returns how many were stored.
    ///
    /// Fewer than offered means the volume is full (the next write says `NoSpace`).
    pub fn write(&mut self, handle: Handle, data: &[u8]) -> Result<usize, ClientError> {
        let data = Chunk::prefix(data);
        match self.call(&Request::Write { handle, data })? {
            Response::Written(n) if usize::from(n) <= data.len() => Ok(usize::from(n)),
            _ => Err(ClientError::BadReply),
        }
    }

    /// Writes all of `data` in chunks; a short write becomes `NoSpace`.
    pub fn write_all(&mut self, handle: Handle, mut data: &[u8]) -> Result<(), ClientError> {
        while !data.is_empty() {
            let n = self.write(handle, data)?;
            if n == 0 {
                return Err(ClientError::Storage(Error::NoSpace));
            }
            data = &data[n..];
        }
        Ok(())
    }

    /// Moves to `offset`; returns the new position (clamped to the file size).
    pub fn seek(&mut self, handle: Handle, offset: u64) -> Result<u64, ClientError> {
        match self.call(&Request::Seek { handle, offset })? {
            Response::Position(p) => Ok(p),
            _ => Err(ClientError::BadReply),
        }
    }

    /// Flushes and closes the handle.
    pub fn close(&mut self, handle: Handle) -> Result<(), ClientError> {
        self.call_done(&Request::Close { handle })
    }

    /// Metadata of a file or directory.
    pub fn stat(&mut self, path: &str) -> Result<Metadata, ClientError> {
        match self.call(&Request::Stat { path })? {
            Response::Metadata(m) => Ok(m),
            _ => Err(ClientError::BadReply),
        }
    }

    /// Calls `f` for each entry of one page; returns the next page's cursor.
    ///
    /// Start with cursor 0 and repeat with the returned cursor until `None`.
    pub fn list<F: FnMut(Entry<'_>)>(&mut self, path: &str, cursor: u32, mut f: F) -> Result<Option<u32>, ClientError> {
        match self.call(&Request::List { path, cursor })? {
            Response::Listing(page) => {
                page.entries().for_each(&mut f);
                Ok(page.next())
            }
            _ => Err(ClientError::BadReply),
        }
    }

    /// Creates a directory.
    pub fn mkdir(&mut self, path: &str) -> Result<(), ClientError> {
        self.call_done(&Request::MakeDir { path })
    }

    /// Removes an empty directory.
    pub fn rmdir(&mut self, path: &str) -> Result<(), ClientError> {
        self.call_done(&Request::RemoveDir { path })
    }

    /// Deletes a file.
    pub fn delete(&mut self, path: &str) -> Result<(), ClientError> {
        self.call_done(&Request::Delete { path })
    }

    /// Renames or moves a file or directory.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), ClientError> {
        self.call_done(&Request::Rename { from, to })
    }

    /// Volume size and free bytes.
    pub fn free_space(&mut self) -> Result<FreeSpace, ClientError> {
        match self.call(&Request::FreeSpace)? {
            Response::FreeSpace(f) => Ok(f),
            _ => Err(ClientError::BadReply),
        }
    }

    /// Whether a volume is mounted, and why not.
    pub fn status(&mut self) -> Result<VolumeStatus, ClientError> {
        match self.call(&Request::VolumeStatus)? {
            Response::Status(s) => Ok(s),
            _ => Err(ClientError::BadReply),
        }
    }

    /// Erases the volume and creates an empty one labelled `label`.
    pub fn format(&mut self, label: Label) -> Result<(), ClientError> {
        match self.call(&Request::Format { label })? {
            Response::Done(Done::Formatted) => Ok(()),
            _ => Err(ClientError::BadReply),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kind, ListingWriter, ReadData, MAX_DATA};

    /// Answers with whatever the closure returns for each decoded request.
    struct Mock<F>(F);

    impl<F: FnMut(Request<'_>, &mut [u8]) -> Result<usize, TransportError>> Transport for Mock<F> {
        fn call(&mut self, request: &[u8], reply: &mut [u8]) -> Result<usize, TransportError> {
            assert!(request.len() <= MAX_MESSAGE);
            let req = Request::parse(request).expect("client sends valid requests");
            (self.0)(req, reply)
        }
    }

    fn reply(resp: Response<'_>, buf: &mut [u8]) -> Result<usize, TransportError> {
        Ok(resp.emit(buf).unwrap())
    }

    #[test]
    fn typed_calls_decode_typed_replies() {
        let mut client = StorageClient::new(Mock(|req: Request<'_>, buf: &mut [u8]| match req {
            Request::Open { path: "/f", .. } => reply(Response::Opened(Handle(9)), buf),
            Request::Open { .. } => reply(Response::Error(Error::NotFound), buf),
            Request::Read { max_len, .. } => {
                let data = [b'x'; MAX_DATA];
                reply(Response::Data(ReadData::new(&data[..max_len.get()]).unwrap()), buf)
            }
            Request::Write { data, .. } => reply(Response::Written(data.len().min(3000) as u16), buf),
            Request::Seek { offset, .. } => reply(Response::Position(offset.min(10)), buf),
            Request::Close { .. } => reply(Response::Done(Done::Closed), buf),
            Request::Stat { .. } => reply(Response::Metadata(Metadata { kind: Kind::Dir, size: 0, modified: 5 }), buf),
            Request::List { cursor, .. } => {
                let mut lw = ListingWriter::new(buf).unwrap();
                let name = ["a", "b", "c"][cursor as usize];
                lw.push(&Entry { name, meta: Metadata { kind: Kind::File, size: cursor.into(), modified: 0 } });
                Ok(lw.finish((cursor < 2).then_some(cursor + 1)))
            }
            Request::MakeDir { .. } => reply(Response::Done(Done::MadeDir), buf),
            Request::RemoveDir { .. } => reply(Response::Done(Done::RemovedDir), buf),
            Request::Delete { .. } => reply(Response::Done(Done::Deleted), buf),
            Request::Rename { .. } => reply(Response::Done(Done::Renamed), buf),
            Request::FreeSpace => reply(Response::FreeSpace(FreeSpace { total_bytes: 10, free_bytes: 4 }), buf),
            Request::VolumeStatus => Err(TransportError::Timeout),
            // A wrong (but valid) reply kind.
            Request::Format { .. } => reply(Response::Done(Done::Closed), buf),
        }));
        let h = client.open("/f", OpenMode::Read).unwrap();
        assert_eq!(h, Handle(9));
        assert_eq!(client.open("/g", OpenMode::Read), Err(ClientError::Storage(Error::NotFound)));
        let mut buf = [0u8; 10_000];
        assert_eq!(client.read(h, &mut buf[..100]), Ok(100));
        assert_eq!(client.read(h, &mut buf), Ok(MAX_DATA));
        assert_eq!(client.read(h, &mut []), Ok(0));
        assert_eq!(client.write(h, &buf), Ok(3000));
        assert_eq!(client.write_all(h, &buf[..5000]), Ok(()));
        assert_eq!(client.seek(h, 99), Ok(10));
        assert_eq!(client.close(h), Ok(()));
        assert_eq!(client.stat("/").map(|m| m.kind), Ok(Kind::Dir));
        let mut names = String::new();
        let mut cursor = Some(0);
        while let Some(c) = cursor {
            cursor = client.list("/", c, |e| names.push_str(e.name)).unwrap();
        }
        assert_eq!(names, "abc");
        assert_eq!(client.mkdir("/d"), Ok(()));
        assert_eq!(client.rmdir("/d"), Ok(()));
        assert_eq!(client.delete("/f"), Ok(()));
        assert_eq!(client.rename("/a", "/b"), Ok(()));
        assert_eq!(client.free_space().map(|f| f.free_bytes), Ok(4));
        assert_eq!(client.status(), Err(ClientError::Transport(TransportError::Timeout)));
        assert_eq!(client.format(Label::EMPTY), Err(ClientError::BadReply));
        let long = "/".repeat(MAX_MESSAGE);
        assert_eq!(client.stat(&long), Err(ClientError::Storage(Error::BadPath)));
    }

    #[test]
    fn bad_replies_are_errors() {
        let mut garbage = StorageClient::new(Mock(|_: Request<'_>, buf: &mut [u8]| {
            buf[..4].copy_from_slice(b"junk");
            Ok(4)
        }));
        assert_eq!(garbage.free_space(), Err(ClientError::BadReply));
        let mut liar = StorageClient::new(Mock(|_: Request<'_>, _: &mut [u8]| Ok(MAX_MESSAGE + 1)));
        assert_eq!(liar.stat("/"), Err(ClientError::BadReply));
        let mut short = StorageClient::new(Mock(|_: Request<'_>, buf: &mut [u8]| reply(Response::Written(0), buf)));
        assert_eq!(short.write_all(Handle(1), b"abc"), Err(ClientError::Storage(Error::NoSpace)));
        let mut overlong = StorageClient::new(Mock(|_: Request<'_>, buf: &mut [u8]| {
            reply(Response::Data(ReadData::new(&[1; 50]).unwrap()), buf)
        }));
        assert_eq!(overlong.read(Handle(1), &mut [0u8; 10]), Err(ClientError::BadReply));
        assert_eq!(ClientError::from(Error::Busy).storage(), Some(Error::Busy));
        assert_eq!(ClientError::BadReply.storage(), None);
    }

    /// A service that reads a 10 000-byte file in order, answering the
    /// requests it was sent only when told to (`serve`).
    struct Queued<'b> {
        in_flight: crate::pipeline::InFlight<'b, 2>,
        sent: std::vec::Vec<(u16, usize)>,
        tag: u16,
        position: usize,
    }

    impl Queued<'_> {
        fn serve(&mut self) {
            for (tag, len) in core::mem::take(&mut self.sent) {
                let (slot, buf) = self.in_flight.next_buffer().unwrap();
                let n = len.min(10_000 - self.position);
                let data = [(self.position % 251) as u8; MAX_DATA];
                self.position += n;
                let m = reply(Response::Data(ReadData::new(&data[..n]).unwrap()), buf).unwrap();
                self.in_flight.received(slot, tag, m);
            }
        }
    }

    impl Transport for Queued<'_> {
        fn call(&mut self, _: &[u8], _: &mut [u8]) -> Result<usize, TransportError> {
            unreachable!("only pipelined reads here")
        }
    }

    impl Pipelined for Queued<'_> {
        fn submit(&mut self, request: &[u8]) -> Result<Option<Ticket>, TransportError> {
            let Ok(Request::Read { max_len, .. }) = Request::parse(request) else { panic!("a read") };
            self.tag += 1;
            let ticket = self.in_flight.start(self.tag, 0);
            if ticket.is_some() {
                self.sent.push((self.tag, max_len.get()));
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

    #[test]
    fn pipelined_reads_come_back_in_order_when_answered() {
        let mut buffers = std::vec![0u8; 2 * MAX_MESSAGE];
        let queued = Queued {
            in_flight: crate::pipeline::InFlight::new(&mut buffers).unwrap(),
            sent: std::vec::Vec::new(),
            tag: 0,
            position: 0,
        };
        let mut client = StorageClient::new(queued);
        let a = client.start_read(Handle(1), MAX_DATA).unwrap().unwrap();
        let b = client.start_read(Handle(1), MAX_DATA).unwrap().unwrap();
        assert_eq!(client.start_read(Handle(1), MAX_DATA), Ok(None), "two in flight at most");
        assert_eq!(client.finish_read(a), Progress::Waiting, "not answered yet");
        client.transport().serve();
        match client.finish_read(a) {
            Progress::Done(Ok(d)) => assert_eq!((d.len(), d[0]), (MAX_DATA, 0)),
            other => panic!("{other:?}"),
        }
        let c = client.start_read(Handle(1), MAX_DATA).unwrap().unwrap();
        client.cancel(b);
        client.transport().serve();
        assert!(matches!(client.finish_read(b), Progress::Done(Err(_))), "cancelled");
        match client.finish_read(c) {
            Progress::Done(Ok(d)) => assert_eq!((d.len(), d[0]), (10_000 - 2 * MAX_DATA, (2 * MAX_DATA % 251) as u8)),
            other => panic!("{other:?}"),
        }
    }
}
