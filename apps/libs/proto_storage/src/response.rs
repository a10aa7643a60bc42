//! Responses: the one reply message per request, and their wire encoding.

use crate::header::{check_len, read_header, write_header, HEADER_LEN, RESPONSE_MAGIC};
use crate::wire::{blob16_len, data16_len, Reader, Writer};
use crate::{
    DecodeError, EncodeError, Error, FreeSpace, Handle, Op, ReadData, VolumeStatus, MAX_DATA, MAX_LIST_NAME,
    MAX_MESSAGE, MAX_READ, MAX_REPLY,
};

/// Kind byte of an error reply (success replies reuse the operation's code).
pub const ERROR_KIND: u8 = 0xFF;

/// Where a `Data` reply's payload starts, so a server can read file data
/// straight into the reply buffer and then call [`Response::emit_data_header`].
pub const DATA_OFFSET: usize = HEADER_LEN + 4;

/// File or directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
}

impl Kind {
    fn code(self) -> u8 {
        match self {
            Kind::File => 0,
            Kind::Dir => 1,
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Kind, DecodeError> {
        match r.u8()? {
            0 => Ok(Kind::File),
            1 => Ok(Kind::Dir),
            _ => Err(DecodeError::Invalid),
        }
    }
}

/// What `Stat` and listings say about an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Metadata {
    /// File or directory.
    pub kind: Kind,
    /// Size in bytes (0 for directories).
    pub size: u64,
    /// Last modification, seconds since 1970 (UTC); 0 if unknown.
    pub modified: u32,
}

impl Metadata {
    const WIRE_LEN: usize = 1 + 8 + 4;

    fn read(r: &mut Reader<'_>) -> Result<Metadata, DecodeError> {
        Ok(Metadata { kind: Kind::read(r)?, size: r.u64()?, modified: r.u32()? })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u8(self.kind.code())?;
        w.u64(self.size)?;
        w.u32(self.modified)
    }
}

/// One directory entry in a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry<'a> {
    /// Name (not a path), 1 ..= [`MAX_LIST_NAME`] bytes.
    pub name: &'a str,
    /// Kind, size, time.
    pub meta: Metadata,
}

impl Entry<'_> {
    fn wire_len(&self) -> usize {
        Metadata::WIRE_LEN + blob16_len(self.name.len())
    }

    fn is_valid(&self) -> bool {
        !self.name.is_empty() && self.name.len() <= MAX_LIST_NAME
    }
}

/// A no-payload success: which operation completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Done {
    /// `Close`
    Closed,
    /// `MakeDir`
    MadeDir,
    /// `RemoveDir`
    RemovedDir,
    /// `Delete`
    Deleted,
    /// `Rename`
    Renamed,
    /// `Format`
    Formatted,
}

impl Done {
    /// The operation this acknowledges.
    pub const fn op(self) -> Op {
        match self {
            Done::Closed => Op::Close,
            Done::MadeDir => Op::MakeDir,
            Done::RemovedDir => Op::RemoveDir,
            Done::Deleted => Op::Delete,
            Done::Renamed => Op::Rename,
            Done::Formatted => Op::Format,
        }
    }
}

/// One page of a directory listing, validated, borrowing the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listing<'a> {
    next: Option<u32>,
    count: u16,
    raw: &'a [u8],
}

impl<'a> Listing<'a> {
    /// Cursor for the next page, or `None` if this page ends the directory.
    pub fn next(&self) -> Option<u32> {
        self.next
    }

    /// Number of entries on this page.
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    /// True if the page has no entries.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The entries, in directory order.
    pub fn entries(&self) -> Entries<'a> {
        Entries { r: Reader::new(self.raw), left: self.count }
    }

    fn read(r: &mut Reader<'a>) -> Result<Listing<'a>, DecodeError> {
        let next = match (r.u8()?, r.u32()?) {
            (0, 0) => None,
            (1, cursor) => Some(cursor),
            _ => return Err(DecodeError::Invalid),
        };
        let count = r.u16()?;
        let raw = r.rest();
        // Validate every entry now so iteration cannot fail later.
        let mut check = Reader::new(raw);
        for _ in 0..count {
            read_entry(&mut check)?;
        }
        check.finish()?;
        Ok(Listing { next, count, raw })
    }
}

fn read_entry<'a>(r: &mut Reader<'a>) -> Result<Entry<'a>, DecodeError> {
    let meta = Metadata::read(r)?;
    let name = r.str16()?;
    let entry = Entry { name, meta };
    if entry.is_valid() {
        Ok(entry)
    } else {
        Err(DecodeError::Invalid)
    }
}

fn write_entry(w: &mut Writer<'_>, entry: &Entry<'_>) -> Result<(), EncodeError> {
    entry.meta.write(w)?;
    w.blob16(entry.name.as_bytes())
}

fn write_listing_head(w: &mut Writer<'_>, next: Option<u32>, count: u16) -> Result<(), EncodeError> {
    w.u8(u8::from(next.is_some()))?;
    w.u32(next.unwrap_or(0))?;
    w.u16(count)
}

/// Iterator over a validated [`Listing`].
#[derive(Clone)]
pub struct Entries<'a> {
    r: Reader<'a>,
    left: u16,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // Validated when the listing was parsed.
        read_entry(&mut self.r).ok()
    }
}

/// Builds a `Listing` response in place, one entry at a time, until the message is full.
pub struct ListingWriter<'a> {
    w: Writer<'a>,
    count: u16,
}

/// Bytes before the first entry of a listing response.
const LISTING_HEAD: usize = HEADER_LEN + 1 + 4 + 2;

impl<'a> ListingWriter<'a> {
    /// Starts a listing in `buf` (only the first [`MAX_MESSAGE`] bytes are used).
    pub fn new(buf: &'a mut [u8]) -> Result<ListingWriter<'a>, EncodeError> {
        let len = buf.len().min(MAX_MESSAGE);
        let mut w = write_header(&mut buf[..len], RESPONSE_MAGIC, Op::List.code())?;
        write_listing_head(&mut w, None, 0)?;
        Ok(ListingWriter { w, count: 0 })
    }

    /// Appends `entry`; false (and nothing written) if it does not fit.
    ///
    /// An entry with an empty or overlong name (impossible for FAT names) is
    /// skipped, returning true, so pagination always advances.
    pub fn push(&mut self, entry: &Entry<'_>) -> bool {
        if !entry.is_valid() {
            return true;
        }
        if self.count == u16::MAX || self.w.remaining() < entry.wire_len() {
            return false;
        }
        if write_entry(&mut self.w, entry).is_err() {
            return false;
        }
        self.count += 1;
        true
    }

    /// Number of entries pushed.
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    /// True if nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Writes the cursor and count; returns the message length.
    pub fn finish(mut self, next: Option<u32>) -> usize {
        let end = self.w.position();
        self.w.rewind(HEADER_LEN);
        // The head was written by `new`, so rewriting it in place cannot fail.
        let _ = write_listing_head(&mut self.w, next, self.count);
        debug_assert_eq!(self.w.position(), LISTING_HEAD);
        end
    }
}

/// A response message (the `Repr`: parse and emit are exact inverses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response<'a> {
    /// `Open` succeeded.
    Opened(Handle),
    /// `Read` data; empty at end of file.
    Data(ReadData<'a>),
    /// `Write` stored this many bytes (fewer than sent only when the volume filled).
    Written(u16),
    /// `Seek` moved to this position.
    Position(u64),
    /// A success without payload.
    Done(Done),
    /// `Stat` result.
    Metadata(Metadata),
    /// `List` page.
    Listing(Listing<'a>),
    /// `FreeSpace` result.
    FreeSpace(FreeSpace),
    /// `VolumeStatus` result.
    Status(VolumeStatus),
    /// The request failed.
    Error(Error),
}

impl<'a> Response<'a> {
    /// The operation this answers successfully, `None` for errors.
    pub fn op(&self) -> Option<Op> {
        Some(match self {
            Response::Opened(_) => Op::Open,
            Response::Data(_) => Op::Read,
            Response::Written(_) => Op::Write,
            Response::Position(_) => Op::Seek,
            Response::Done(d) => d.op(),
            Response::Metadata(_) => Op::Stat,
            Response::Listing(_) => Op::List,
            Response::FreeSpace(_) => Op::FreeSpace,
            Response::Status(_) => Op::VolumeStatus,
            Response::Error(_) => return None,
        })
    }

    fn kind(&self) -> u8 {
        self.op().map_or(ERROR_KIND, Op::code)
    }

    /// Decodes a response; any malformed input is an error, never a panic.
    pub fn parse(bytes: &'a [u8]) -> Result<Response<'a>, DecodeError> {
        let (kind, mut r) = read_header(bytes, RESPONSE_MAGIC, MAX_REPLY)?;
        let resp = if kind == ERROR_KIND {
            Response::Error(Error::from_code(r.u8()?).ok_or(DecodeError::Invalid)?)
        } else {
            match Op::from_code(kind).ok_or(DecodeError::UnknownKind)? {
                Op::Open => Response::Opened(Handle(r.u32()?)),
                Op::Read => Response::Data(ReadData::new(r.data16()?).ok_or(DecodeError::Invalid)?),
                Op::Write => {
                    let n = r.u16()?;
                    if usize::from(n) > MAX_DATA {
                        return Err(DecodeError::Invalid);
                    }
                    Response::Written(n)
                }
                Op::Seek => Response::Position(r.u64()?),
                Op::Close => Response::Done(Done::Closed),
                Op::MakeDir => Response::Done(Done::MadeDir),
                Op::RemoveDir => Response::Done(Done::RemovedDir),
                Op::Delete => Response::Done(Done::Deleted),
                Op::Rename => Response::Done(Done::Renamed),
                Op::Format => Response::Done(Done::Formatted),
                Op::Stat => Response::Metadata(Metadata::read(&mut r)?),
                Op::List => Response::Listing(Listing::read(&mut r)?),
                Op::FreeSpace => {
                    let total_bytes = r.u64()?;
                    let free_bytes = r.u64()?;
                    if free_bytes > total_bytes {
                        return Err(DecodeError::Invalid);
                    }
                    Response::FreeSpace(FreeSpace { total_bytes, free_bytes })
                }
                Op::VolumeStatus => Response::Status(VolumeStatus::read(&mut r)?),
            }
        };
        r.finish()?;
        Ok(resp)
    }

    /// Encoded size in bytes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + match self {
                Response::Opened(_) => 4,
                Response::Data(d) => data16_len(d.len()),
                Response::Written(_) => 2,
                Response::Position(_) => 8,
                Response::Done(_) => 0,
                Response::Metadata(_) => Metadata::WIRE_LEN,
                Response::Listing(l) => LISTING_HEAD - HEADER_LEN + l.raw.len(),
                Response::FreeSpace(_) => 16,
                Response::Status(s) => s.wire_len(),
                Response::Error(_) => 1,
            }
    }

    /// Writes the header of a `Data` reply whose `len` payload bytes already
    /// sit at [`DATA_OFFSET`] in `buf`; returns the message length.
    pub fn emit_data_header(buf: &mut [u8], len: usize) -> Result<usize, EncodeError> {
        if len > MAX_READ {
            return Err(EncodeError::TooLong);
        }
        let end = DATA_OFFSET + len;
        if buf.len() < end {
            return Err(EncodeError::BufferTooSmall);
        }
        let mut w = write_header(buf, RESPONSE_MAGIC, Op::Read.code())?;
        w.u16(len as u16)?;
        w.u16(0)?;
        Ok(end)
    }

    /// Encodes into `buf`, returning the length used.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        // Only a read's data may make a reply longer than a request.
        let max = if matches!(self, Response::Data(_)) { MAX_REPLY } else { MAX_MESSAGE };
        check_len(self.buffer_len(), max)?;
        let mut w = write_header(buf, RESPONSE_MAGIC, self.kind())?;
        match self {
            Response::Opened(h) => w.u32(h.0)?,
            Response::Data(d) => w.data16(d.as_bytes())?,
            Response::Written(n) => {
                if usize::from(*n) > MAX_DATA {
                    return Err(EncodeError::TooLong);
                }
                w.u16(*n)?
            }
            Response::Position(p) => w.u64(*p)?,
            Response::Done(_) => {}
            Response::Metadata(m) => m.write(&mut w)?,
            Response::Listing(l) => {
                write_listing_head(&mut w, l.next, l.count)?;
                w.bytes(l.raw)?;
            }
            Response::FreeSpace(f) => {
                if f.free_bytes > f.total_bytes {
                    return Err(EncodeError::TooLong);
                }
                w.u64(f.total_bytes)?;
                w.u64(f.free_bytes)?;
            }
            Response::Status(s) => s.write(&mut w)?,
            Response::Error(e) => w.u8(e.code())?,
        }
        Ok(w.position())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Corruption, Label, NotMounted, Unformatted, VolumeStats};

    fn listing_bytes(entries: &[Entry<'_>], next: Option<u32>) -> Vec<u8> {
        let mut buf = vec![0u8; MAX_MESSAGE];
        let mut lw = ListingWriter::new(&mut buf).unwrap();
        for e in entries {
            assert!(lw.push(e));
        }
        let n = lw.finish(next);
        buf.truncate(n);
        buf
    }

    #[test]
    fn every_response_round_trips() {
        static DATA: [u8; MAX_DATA] = [7; MAX_DATA];
        let long = "ü".repeat(127); // 254 bytes
        let entries = [
            Entry { name: "index.html", meta: Metadata { kind: Kind::File, size: 1234, modified: 1_700_000_000 } },
            Entry { name: &long, meta: Metadata { kind: Kind::Dir, size: 0, modified: 0 } },
        ];
        let listing_msg = listing_bytes(&entries, Some(2));
        let empty_msg = listing_bytes(&[], None);
        let Ok(Response::Listing(listing)) = Response::parse(&listing_msg) else {
            panic!("listing");
        };
        let Ok(Response::Listing(empty)) = Response::parse(&empty_msg) else {
            panic!("empty listing");
        };
        assert_eq!(listing.entries().collect::<Vec<_>>(), entries);
        assert_eq!(listing.next(), Some(2));
        assert_eq!(empty.next(), None);
        assert!(empty.is_empty() && empty.entries().next().is_none());

        let stats = VolumeStats {
            device_reads: 1,
            device_writes: 2,
            bytes_read: 3,
            bytes_written: u64::MAX,
            cache_hits: 5,
            cache_misses: 6,
        };
        let samples = [
            Response::Opened(Handle(42)),
            Response::Data(ReadData::new(&DATA).unwrap()),
            Response::Data(ReadData::new(&[]).unwrap()),
            Response::Written(4096),
            Response::Written(0),
            Response::Position(u64::MAX),
            Response::Done(Done::Closed),
            Response::Done(Done::MadeDir),
            Response::Done(Done::RemovedDir),
            Response::Done(Done::Deleted),
            Response::Done(Done::Renamed),
            Response::Done(Done::Formatted),
            Response::Metadata(Metadata { kind: Kind::Dir, size: 0, modified: u32::MAX }),
            Response::Listing(listing),
            Response::Listing(empty),
            Response::FreeSpace(FreeSpace { total_bytes: 64 << 20, free_bytes: 1 << 20 }),
            Response::Status(VolumeStatus::Mounted { label: Label::new("TEST").unwrap(), stats }),
            Response::Status(VolumeStatus::NotMounted(NotMounted::NoDevice)),
            Response::Status(VolumeStatus::NotMounted(NotMounted::Io)),
            Response::Status(VolumeStatus::NotMounted(NotMounted::Unformatted(Unformatted::NoBootSignature))),
            Response::Status(VolumeStatus::NotMounted(NotMounted::Corrupt(Corruption::FatSize))),
        ];
        let mut buf = [0u8; MAX_MESSAGE];
        for resp in samples.iter().chain(Error::ALL.iter().map(|e| Response::Error(*e)).collect::<Vec<_>>().iter()) {
            let n = resp.emit(&mut buf).unwrap();
            assert_eq!(n, resp.buffer_len(), "{resp:?}");
            assert_eq!(Response::parse(&buf[..n]).as_ref(), Ok(resp));
            for cut in 0..n {
                assert!(Response::parse(&buf[..cut]).is_err(), "{resp:?} cut {cut}");
            }
            buf[n] = 0;
            assert!(Response::parse(&buf[..n + 1]).is_err());
        }
        assert_eq!(
            &listing_msg[..],
            &{
                let n = Response::Listing(listing).emit(&mut buf).unwrap();
                buf[..n].to_vec()
            }[..]
        );
    }

    #[test]
    fn listing_writer_fills_one_message_and_stops() {
        let name = "n".repeat(255);
        let entry = Entry { name: &name, meta: Metadata { kind: Kind::File, size: 1, modified: 1 } };
        let mut buf = [0u8; MAX_MESSAGE + 100];
        let mut lw = ListingWriter::new(&mut buf).unwrap();
        let mut pushed = 0;
        while lw.push(&entry) {
            pushed += 1;
        }
        assert_eq!(pushed, (MAX_MESSAGE - LISTING_HEAD) / entry.wire_len());
        assert_eq!(lw.len(), pushed);
        let n = lw.finish(Some(pushed as u32));
        assert!(n <= MAX_MESSAGE);
        let Ok(Response::Listing(l)) = Response::parse(&buf[..n]) else { panic!() };
        assert_eq!(l.len(), pushed);
        assert!(l.entries().all(|e| e == entry));

        // Invalid names are skipped, not stuck on.
        let mut lw = ListingWriter::new(&mut buf).unwrap();
        assert!(lw.push(&Entry { name: "", ..entry }));
        assert!(lw.is_empty());
        // The largest possible entry always fits an empty page.
        let huge = "字".repeat(255);
        assert!(lw.push(&Entry { name: &huge, ..entry }));
        assert!(ListingWriter::new(&mut [0u8; 8]).is_err());
    }

    #[test]
    fn data_in_place() {
        let mut buf = [0u8; MAX_REPLY];
        buf[DATA_OFFSET..DATA_OFFSET + 3].copy_from_slice(b"abc");
        let n = Response::emit_data_header(&mut buf, 3).unwrap();
        assert_eq!(Response::parse(&buf[..n]), Ok(Response::Data(ReadData::new(b"abc").unwrap())));
        let n = Response::emit_data_header(&mut buf, MAX_READ).unwrap();
        assert_eq!(n, Response::Data(ReadData::new(&[0; MAX_READ]).unwrap()).buffer_len());
        assert!(n > MAX_MESSAGE && n <= MAX_REPLY, "only a large read's reply is over MAX_MESSAGE");
        assert!(matches!(Response::parse(&buf[..n]), Ok(Response::Data(d)) if d.len() == MAX_READ));
        assert_eq!(Response::parse(&[0u8; MAX_REPLY + 1]), Err(DecodeError::Oversized));
        assert_eq!(Response::emit_data_header(&mut buf, MAX_READ + 1), Err(EncodeError::TooLong));
        assert_eq!(Response::emit_data_header(&mut buf[..10], 5), Err(EncodeError::BufferTooSmall));
    }

    #[test]
    fn malformed_responses_are_rejected() {
        let cases: &[&[u8]] = &[
            b"",
            b"SQ\x02\x01\x00\x00\x00\x00",
            b"SR\x02\xff\x00",
            b"SR\x02\xff\x11",
            b"SR\x02\x00",
            b"SR\x02\x03\x01\x10",
            b"SR\x02\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00",
            b"SR\x02\x0d\x02",
            b"SR\x02\x0d\x00\x01a",
            b"SR\x02\x06\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
            // listing: end marker with a cursor, bad tag, count beyond entries, empty name
            b"SR\x02\x07\x00\x01\x00\x00\x00\x00\x00",
            b"SR\x02\x07\x02\x00\x00\x00\x00\x00\x00",
            b"SR\x02\x07\x00\x00\x00\x00\x00\x01\x00",
            b"SR\x02\x07\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ];
        for bytes in cases {
            assert!(Response::parse(bytes).is_err(), "{bytes:?}");
        }
        let mut buf = [0u8; 64];
        assert_eq!(Response::Written(5000).emit(&mut buf), Err(EncodeError::TooLong));
        assert_eq!(
            Response::FreeSpace(FreeSpace { total_bytes: 1, free_bytes: 2 }).emit(&mut buf),
            Err(EncodeError::TooLong)
        );
        assert_eq!(Response::Opened(Handle(1)).emit(&mut buf[..5]), Err(EncodeError::BufferTooSmall));
    }
}
