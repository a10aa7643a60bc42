//! Requests in flight: up to `N` sent and not yet answered, each with a
//! reply buffer of its own, so a client keeps serving its other
//! connections while the service works (and the service finds the next
//! request already waiting when it finishes one: read-ahead).
//!
//! The service answers its inbox in order, so the next direct reply is
//! the oldest outstanding request's: it is received straight into that
//! request's buffer ([`InFlight::next_buffer`]) and no copy is made. A
//! reply whose tag belongs to another request (the oldest one's was
//! lost) is moved to it; any other message is left to the caller.
//!
//! This is bookkeeping only, without syscalls; the transport that sends
//! and receives (`storage_client`) drives it.

use crate::{TransportError, MAX_MESSAGE};

/// A request sent without waiting; [`InFlight::take`] collects its reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    slot: u8,
    tag: u16,
}

impl Ticket {
    /// The IPC tag the request was sent with.
    pub fn tag(self) -> u16 {
        self.tag
    }
}

/// Whether a request has its reply yet.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress<T> {
    /// Not yet.
    Waiting,
    /// Here it is.
    Done(T),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    /// Sent; the reply has not come.
    Waiting,
    /// Sent, then given up by its owner: the reply is dropped when it comes.
    Cancelled,
    /// The reply is in the buffer, this long.
    Ready(usize),
    Failed(TransportError),
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    state: State,
    tag: u16,
    /// Order of sending: the lowest outstanding is answered next.
    seq: u32,
    sent_ms: u64,
}

const FREE: Slot = Slot { state: State::Free, tag: 0, seq: 0, sent_ms: 0 };

/// What became of a message received into [`InFlight::next_buffer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// It was the reply of an outstanding request (kept, or dropped if
    /// that request was cancelled).
    Taken,
    /// Not a reply of any request in flight: its bytes are in the buffer
    /// that was lent, for the caller to look at.
    Other,
}

/// Up to `N` requests in flight, with `N` reply buffers of at least
/// [`MAX_MESSAGE`] bytes lent by the owner ([`MAX_REPLY`](crate::MAX_REPLY)
/// for reads over [`MAX_DATA`](crate::MAX_DATA)).
pub struct InFlight<'b, const N: usize> {
    slots: [Slot; N],
    buffers: &'b mut [u8],
    /// Bytes of each reply buffer.
    size: usize,
    next_seq: u32,
}

impl<'b, const N: usize> InFlight<'b, N> {
    /// `buffers` is split into `N` reply buffers, each at least
    /// [`MAX_MESSAGE`] bytes.
    pub fn new(buffers: &'b mut [u8]) -> Option<Self> {
        let size = buffers.len() / N.max(1);
        (size >= MAX_MESSAGE && N <= u8::MAX as usize).then_some(InFlight {
            slots: [FREE; N],
            buffers,
            size,
            next_seq: 0,
        })
    }

    /// The largest reply each request may get.
    pub fn reply_capacity(&self) -> usize {
        self.size
    }

    fn buffer(&mut self, slot: usize) -> &mut [u8] {
        &mut self.buffers[slot * self.size..(slot + 1) * self.size]
    }

    fn outstanding(state: State) -> bool {
        matches!(state, State::Waiting | State::Cancelled)
    }

    /// Whether a request can be started now.
    pub fn has_room(&self) -> bool {
        self.slots.iter().any(|s| s.state == State::Free)
    }

    /// Whether any request is still waiting for its reply.
    pub fn any_outstanding(&self) -> bool {
        self.slots.iter().any(|s| Self::outstanding(s.state))
    }

    /// Books a slot for a request about to be sent with `tag`; `None` if all
    /// `N` are taken. If the send then fails, [`Self::abandon`] it.
    pub fn start(&mut self, tag: u16, now_ms: u64) -> Option<Ticket> {
        let slot = self.slots.iter().position(|s| s.state == State::Free)?;
        self.slots[slot] = Slot { state: State::Waiting, tag, seq: self.next_seq, sent_ms: now_ms };
        self.next_seq = self.next_seq.wrapping_add(1);
        Some(Ticket { slot: slot as u8, tag })
    }

    /// Frees the slot of a request that was never sent.
    pub fn abandon(&mut self, ticket: Ticket) {
        if let Some(s) = self.slot_of(ticket) {
            self.slots[s] = FREE;
        }
    }

    fn slot_of(&self, ticket: Ticket) -> Option<usize> {
        let s = usize::from(ticket.slot);
        (self.slots.get(s)?.tag == ticket.tag && self.slots[s].state != State::Free).then_some(s)
    }

    fn oldest_outstanding(&self) -> Option<usize> {
        // Sequence numbers wrap: the oldest is the one furthest behind the next.
        let age = |i: &usize| self.next_seq.wrapping_sub(self.slots[*i].seq);
        (0..N).filter(|&i| Self::outstanding(self.slots[i].state)).max_by_key(age)
    }

    /// The buffer the next message should be received into: the oldest
    /// outstanding request's, whose reply comes next. `None` if no request
    /// is outstanding (receive into a buffer of your own).
    pub fn next_buffer(&mut self) -> Option<(usize, &mut [u8])> {
        let slot = self.oldest_outstanding()?;
        Some((slot, self.buffer(slot)))
    }

    /// A direct reply from the service with `tag`, `len` bytes, was
    /// received into the buffer of `slot` (from [`Self::next_buffer`]).
    pub fn received(&mut self, slot: usize, tag: u16, len: usize) -> Delivery {
        let Some(owner) = (0..N).find(|&i| Self::outstanding(self.slots[i].state) && self.slots[i].tag == tag) else {
            return Delivery::Other;
        };
        if owner != slot {
            // The reply overtook an older request's, which is lost: moved.
            let size = self.size;
            self.buffers.copy_within(slot * size..slot * size + len, owner * size);
        }
        self.settle(owner, len);
        Delivery::Taken
    }

    fn settle(&mut self, slot: usize, len: usize) {
        match self.slots[slot].state {
            State::Cancelled => self.slots[slot] = FREE,
            _ => self.slots[slot].state = State::Ready(len),
        }
    }

    /// As [`Self::take`], but the slot stays booked: a consumer that takes
    /// the reply in parts looks at it again, and takes it when done.
    pub fn peek(&self, ticket: Ticket) -> Progress<Result<&[u8], TransportError>> {
        let Some(slot) = self.slot_of(ticket) else {
            return Progress::Done(Err(TransportError::Timeout));
        };
        match self.slots[slot].state {
            State::Ready(len) => Progress::Done(Ok(&self.buffers[slot * self.size..][..len])),
            State::Failed(e) => Progress::Done(Err(e)),
            State::Waiting | State::Cancelled | State::Free => Progress::Waiting,
        }
    }

    /// The reply of `ticket` if it came (the slot is free again after
    /// `Done`); a ticket not in flight is `Done(Err(Timeout))`.
    pub fn take(&mut self, ticket: Ticket) -> Progress<Result<&[u8], TransportError>> {
        let Some(slot) = self.slot_of(ticket) else {
            return Progress::Done(Err(TransportError::Timeout));
        };
        match self.slots[slot].state {
            State::Ready(len) => {
                self.slots[slot] = FREE;
                Progress::Done(Ok(&self.buffer(slot)[..len]))
            }
            State::Failed(e) => {
                self.slots[slot] = FREE;
                Progress::Done(Err(e))
            }
            State::Waiting | State::Cancelled | State::Free => Progress::Waiting,
        }
    }

    /// Whether `ticket`'s reply (or failure) is there to take.
    pub fn is_done(&self, ticket: Ticket) -> bool {
        self.slot_of(ticket).is_none_or(|s| matches!(self.slots[s].state, State::Ready(_) | State::Failed(_)))
    }

    /// Gives up on `ticket`: a reply already in is dropped, one still to
    /// come is dropped when it comes (its slot stays booked until then, so
    /// what is in flight never exceeds what the inbox holds).
    pub fn cancel(&mut self, ticket: Ticket) {
        if let Some(slot) = self.slot_of(ticket) {
            match self.slots[slot].state {
                State::Waiting => self.slots[slot].state = State::Cancelled,
                _ => self.slots[slot] = FREE,
            }
        }
    }

    /// Requests waiting longer than `timeout_ms` fail with `Timeout`
    /// (cancelled ones are freed).
    pub fn expire(&mut self, now_ms: u64, timeout_ms: u64) {
        for s in self.slots.iter_mut() {
            if Self::outstanding(s.state) && now_ms.saturating_sub(s.sent_ms) > timeout_ms {
                *s = match s.state {
                    State::Waiting => Slot { state: State::Failed(TransportError::Timeout), ..*s },
                    _ => FREE,
                };
            }
        }
    }

    /// The service is gone: every outstanding request fails with `error`.
    pub fn fail_all(&mut self, error: TransportError) {
        for s in self.slots.iter_mut() {
            *s = match s.state {
                State::Waiting => Slot { state: State::Failed(error), ..*s },
                State::Cancelled => FREE,
                _ => *s,
            };
        }
    }

    /// When the oldest outstanding request times out after `timeout_ms`.
    pub fn deadline(&self, timeout_ms: u64) -> Option<u64> {
        self.slots.iter().filter(|s| Self::outstanding(s.state)).map(|s| s.sent_ms + timeout_ms).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline(buffers: &mut [u8]) -> InFlight<'_, 3> {
        InFlight::new(buffers).unwrap()
    }

    /// The service side: answers `tag` with `bytes` into the next buffer.
    fn answer(p: &mut InFlight<'_, 3>, tag: u16, bytes: &[u8]) -> Delivery {
        let (slot, buf) = p.next_buffer().expect("something outstanding");
        buf[..bytes.len()].copy_from_slice(bytes);
        p.received(slot, tag, bytes.len())
    }

    #[test]
    fn buffers_must_hold_every_slot() {
        let mut small = [0u8; 2 * MAX_MESSAGE];
        assert!(InFlight::<3>::new(&mut small).is_none());
    }

    #[test]
    fn replies_in_order_land_in_their_own_buffers() {
        let mut mem = [0u8; 3 * MAX_MESSAGE];
        let mut p = pipeline(&mut mem);
        let a = p.start(1, 0).unwrap();
        let b = p.start(2, 0).unwrap();
        let c = p.start(3, 0).unwrap();
        assert!(p.start(4, 0).is_none(), "three in flight at most");
        assert!(!p.has_room());
        assert_eq!(answer(&mut p, 1, b"one"), Delivery::Taken);
        assert_eq!(answer(&mut p, 2, b"two"), Delivery::Taken);
        assert_eq!(p.take(c), Progress::Waiting);
        assert_eq!(p.take(b), Progress::Done(Ok(&b"two"[..])));
        assert_eq!(p.take(a), Progress::Done(Ok(&b"one"[..])));
        assert!(p.has_room());
        assert_eq!(answer(&mut p, 3, b"three"), Delivery::Taken);
        assert!(p.is_done(c));
        assert_eq!(p.take(c), Progress::Done(Ok(&b"three"[..])));
        assert!(!p.any_outstanding());
        assert!(p.next_buffer().is_none());
    }

    #[test]
    fn the_oldest_is_answered_next_even_after_slots_are_reused() {
        let mut mem = [0u8; 3 * MAX_MESSAGE];
        let mut p = pipeline(&mut mem);
        let a = p.start(10, 0).unwrap();
        let _b = p.start(11, 0).unwrap();
        answer(&mut p, 10, b"a");
        assert!(matches!(p.take(a), Progress::Done(Ok(_))));
        // Slot 0 is reused by a newer request: request 11 still comes first.
        let _c = p.start(12, 0).unwrap();
        let (slot, _) = p.next_buffer().unwrap();
        assert_eq!(p.slots[slot].tag, 11);
    }

    #[test]
    fn a_reply_that_overtakes_a_lost_one_moves_to_its_request() {
        let mut mem = [0u8; 3 * MAX_MESSAGE];
        let mut p = pipeline(&mut mem);
        let lost = p.start(1, 0).unwrap();
        let b = p.start(2, 0).unwrap();
        assert_eq!(answer(&mut p, 2, b"second"), Delivery::Taken);
        assert_eq!(p.take(b), Progress::Done(Ok(&b"second"[..])));
        assert_eq!(p.take(lost), Progress::Waiting);
        p.expire(5_001, 5_000);
        assert_eq!(p.take(lost), Progress::Done(Err(TransportError::Timeout)));
    }

    #[test]
    fn other_messages_are_left_to_the_caller() {
        let mut mem = [0u8; 3 * MAX_MESSAGE];
        let mut p = pipeline(&mut mem);
        let a = p.start(7, 0).unwrap();
        assert_eq!(answer(&mut p, 99, b"stray"), Delivery::Other);
        let (_, buf) = p.next_buffer().unwrap();
        assert_eq!(&buf[..5], b"stray");
        assert_eq!(p.take(a), Progress::Waiting, "still waiting for its own");
    }

    #[test]
    fn a_cancelled_request_holds_its_slot_until_its_reply_comes() {
        let mut mem = [0u8; 3 * MAX_MESSAGE];
        let mut p = pipeline(&mut mem);
        let a = p.start(1, 0).unwrap();
        p.start(2, 0).unwrap();
        p.start(3, 0).unwrap();
        p.cancel(a);
        assert!(!p.has_room(), "its reply still takes room in the inbox");
        assert_eq!(answer(&mut p, 1, b"late"), Delivery::Taken);
        assert!(p.has_room());
        assert_eq!(p.take(a), Progress::Done(Err(TransportError::Timeout)), "nothing to take");
    }

    #[test]
    fn a_cancelled_request_whose_reply_is_in_frees_at_once() {
        let mut mem = [0u8; 3 * MAX_MESSAGE];
        let mut p = pipeline(&mut mem);
        let a = p.start(1, 0).unwrap();
        answer(&mut p, 1, b"x");
        p.cancel(a);
        assert!(!p.any_outstanding());
        assert_eq!(p.slots.iter().filter(|s| s.state == State::Free).count(), 3);
    }

    #[test]
    fn timeouts_and_a_gone_service_fail_what_waits() {
        let mut mem = [0u8; 3 * MAX_MESSAGE];
        let mut p = pipeline(&mut mem);
        let a = p.start(1, 100).unwrap();
        let b = p.start(2, 200).unwrap();
        let c = p.start(3, 200).unwrap();
        p.cancel(c);
        assert_eq!(p.deadline(5_000), Some(5_100));
        p.expire(5_150, 5_000);
        assert_eq!(p.take(a), Progress::Done(Err(TransportError::Timeout)));
        assert_eq!(p.take(b), Progress::Waiting);
        p.fail_all(TransportError::ServiceGone);
        assert_eq!(p.take(b), Progress::Done(Err(TransportError::ServiceGone)));
        assert!(!p.any_outstanding() && p.has_room());
        assert_eq!(p.deadline(5_000), None);
    }

    #[test]
    fn an_abandoned_request_frees_its_slot() {
        let mut mem = [0u8; 3 * MAX_MESSAGE];
        let mut p = pipeline(&mut mem);
        let a = p.start(1, 0).unwrap();
        p.abandon(a);
        assert!(!p.any_outstanding());
        assert!(p.next_buffer().is_none());
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut mem = [0u8; 3 * MAX_MESSAGE];
        let mut p = pipeline(&mut mem);
        p.next_seq = u32::MAX;
        let a = p.start(1, 0).unwrap();
        let _b = p.start(2, 0).unwrap();
        let (slot, _) = p.next_buffer().unwrap();
        assert_eq!(p.slots[slot].tag, a.tag(), "the request sent before the wrap comes first");
    }
}
