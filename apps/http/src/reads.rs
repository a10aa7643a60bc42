//! A file body read ahead of its socket: up to [`READ_AHEAD`] chunks asked
//! of the storage service without waiting, so the app serves its other
//! connections while the service reads, and the service finds the next
//! read queued when it finishes one. The transport's few requests in
//! flight are shared: a connection asks for a second chunk only while no
//! other connection is kept waiting for its first.

use proto_storage::{Handle, Progress, Ticket};

use crate::Storage;

/// Chunks asked ahead per connection: one being sent, one being read.
pub const READ_AHEAD: usize = 2;
/// A file is read from the storage service this much at a time: the most
/// one reply carries.
pub const FILE_CHUNK: usize = proto_storage::MAX_DATA;

/// Whether connections were kept from reading by the requests in flight.
#[derive(Default)]
pub struct ReadShare {
    /// Last pass: someone found no room for its first request.
    contended: bool,
    /// This pass so far.
    waiting: bool,
}

impl ReadShare {
    /// Starts a service pass over the connections.
    pub fn next_pass(&mut self) {
        self.contended = core::mem::take(&mut self.waiting);
    }
}

/// What a read-ahead step found.
pub enum Chunk<'s> {
    /// The next bytes of the file, in order.
    Ready(&'s [u8]),
    /// Asked for, not here yet (or no room to ask): try again later.
    Pending,
    /// The file could not be read (storage restarted, the file shrank).
    Failed,
}

/// The reads of one file body in flight, oldest first.
pub struct FileReads {
    tickets: [Option<Ticket>; READ_AHEAD],
    /// Bytes asked for so far (from where the handle stood).
    asked: u64,
}

impl FileReads {
    pub const fn new() -> FileReads {
        FileReads { tickets: [None; READ_AHEAD], asked: 0 }
    }

    fn in_flight(&self) -> usize {
        self.tickets.iter().filter(|t| t.is_some()).count()
    }

    /// Asks for the chunks after what is asked, up to [`READ_AHEAD`] in
    /// flight and `size` bytes in all; `false` if a request failed.
    pub fn ask(&mut self, handle: Handle, size: u64, storage: &mut Storage<'_>, share: &mut ReadShare) -> bool {
        while self.asked < size && self.in_flight() < READ_AHEAD {
            if self.in_flight() > 0 && share.contended {
                break;
            }
            let len = (size - self.asked).min(FILE_CHUNK as u64) as usize;
            match storage.start_read(handle, len) {
                Ok(Some(ticket)) => {
                    let free = self.tickets.iter_mut().find(|t| t.is_none()).expect("counted");
                    *free = Some(ticket);
                    self.asked += len as u64;
                }
                Ok(None) => {
                    share.waiting |= self.in_flight() == 0;
                    break;
                }
                Err(_) => return false,
            }
        }
        true
    }

    /// The length the oldest request asked for: how much room its bytes
    /// need in the socket, or `None` if nothing is in flight.
    pub fn next_len(&self, sent: u64, size: u64) -> Option<usize> {
        self.tickets[0].map(|_| (size - sent).min(FILE_CHUNK as u64) as usize)
    }

    /// The oldest request's bytes if they came; its ticket is spent then.
    pub fn take<'s>(&mut self, storage: &'s mut Storage<'_>) -> Chunk<'s> {
        let Some(ticket) = self.tickets[0] else {
            return Chunk::Pending;
        };
        match storage.finish_read(ticket) {
            Progress::Waiting => Chunk::Pending,
            Progress::Done(result) => {
                self.tickets.rotate_left(1);
                self.tickets[READ_AHEAD - 1] = None;
                match result {
                    Ok(bytes) if !bytes.is_empty() => Chunk::Ready(bytes),
                    _ => Chunk::Failed,
                }
            }
        }
    }

    /// Gives up on every read in flight (the response ends early).
    pub fn cancel(&mut self, storage: &mut Storage<'_>) {
        for ticket in self.tickets.iter_mut().filter_map(Option::take) {
            storage.cancel(ticket);
        }
    }
}
