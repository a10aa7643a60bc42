//! Requests: what a client asks the storage service, and their wire encoding.

use crate::header::{check_len, read_header, write_header, HEADER_LEN, REQUEST_MAGIC};
use crate::wire::{blob16_len, data16_len, Writer};
use crate::{DecodeError, EncodeError, Label, MAX_DATA, MAX_MESSAGE, MAX_READ};

/// An open file, as numbered by the service (valid for the client that opened it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(pub u32);

/// How many bytes a `Read` may return: 1 ..= [`MAX_READ`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLen(u16);

impl ReadLen {
    /// The largest read.
    pub const MAX: ReadLen = ReadLen(MAX_READ as u16);

    /// `n` if it is in range.
    pub const fn new(n: usize) -> Option<ReadLen> {
        if n >= 1 && n <= MAX_READ {
            Some(ReadLen(n as u16))
        } else {
            None
        }
    }

    /// `n` capped at [`MAX_READ`]; `None` for 0.
    pub const fn capped(n: usize) -> Option<ReadLen> {
        ReadLen::new(if n > MAX_READ { MAX_READ } else { n })
    }

    /// The length in bytes.
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

/// At most `MAX` bytes of file data: the length is checked once, where the
/// bytes become a message's payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileData<'a, const MAX: usize>(&'a [u8]);

/// Up to [`MAX_DATA`] bytes of file data, the payload of a `Write`.
pub type Chunk<'a> = FileData<'a, MAX_DATA>;

/// Up to [`MAX_READ`] bytes of file data, the payload of a `Read`'s reply.
pub type ReadData<'a> = FileData<'a, MAX_READ>;

impl<'a, const MAX: usize> FileData<'a, MAX> {
    /// `data` if it fits.
    pub const fn new(data: &'a [u8]) -> Option<Self> {
        if data.len() <= MAX {
            Some(FileData(data))
        } else {
            None
        }
    }

    /// The first `MAX` bytes of `data` (all of it if shorter).
    pub fn prefix(data: &'a [u8]) -> Self {
        FileData(&data[..data.len().min(MAX)])
    }

    /// The bytes.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Number of bytes.
    pub const fn len(&self) -> usize {
        self.0.len()
    }

    /// True if there are no bytes.
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// How `Open` treats the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// Read from the start; the file must exist.
    Read,
    /// Write from the start.
    Write {
        /// Create the file if it is missing (else `NotFound`).
        create: bool,
        /// Cut an existing file to length 0 first.
        truncate: bool,
    },
    /// Write at the end, whatever `Seek` says; created if missing.
    Append,
}

impl OpenMode {
    /// True for the modes that modify the volume.
    pub const fn writes(self) -> bool {
        !matches!(self, OpenMode::Read)
    }

    fn to_wire(self) -> (u8, u8) {
        match self {
            OpenMode::Read => (0, 0),
            OpenMode::Write { create, truncate } => (1, u8::from(create) | u8::from(truncate) << 1),
            OpenMode::Append => (2, 0),
        }
    }

    fn from_wire(mode: u8, flags: u8) -> Result<OpenMode, DecodeError> {
        // Flags only exist for Write, so each mode has exactly one encoding.
        match (mode, flags) {
            (0, 0) => Ok(OpenMode::Read),
            (1, 0..=3) => Ok(OpenMode::Write { create: flags & 1 != 0, truncate: flags & 2 != 0 }),
            (2, 0) => Ok(OpenMode::Append),
            _ => Err(DecodeError::Invalid),
        }
    }
}

/// Operation codes: the header's fourth byte in a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// [`Request::Open`]
    Open = 1,
    /// [`Request::Read`]
    Read = 2,
    /// [`Request::Write`]
    Write = 3,
    /// [`Request::Seek`]
    Seek = 4,
    /// [`Request::Close`]
    Close = 5,
    /// [`Request::Stat`]
    Stat = 6,
    /// [`Request::List`]
    List = 7,
    /// [`Request::MakeDir`]
    MakeDir = 8,
    /// [`Request::RemoveDir`]
    RemoveDir = 9,
    /// [`Request::Delete`]
    Delete = 10,
    /// [`Request::Rename`]
    Rename = 11,
    /// [`Request::FreeSpace`]
    FreeSpace = 12,
    /// [`Request::VolumeStatus`]
    VolumeStatus = 13,
    /// [`Request::Format`]
    Format = 14,
}

impl Op {
    /// Every operation, in code order.
    pub const ALL: [Op; 14] = [
        Op::Open,
        Op::Read,
        Op::Write,
        Op::Seek,
        Op::Close,
        Op::Stat,
        Op::List,
        Op::MakeDir,
        Op::RemoveDir,
        Op::Delete,
        Op::Rename,
        Op::FreeSpace,
        Op::VolumeStatus,
        Op::Format,
    ];

    /// The wire code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The operation with this wire code.
    pub const fn from_code(code: u8) -> Option<Op> {
        match code {
            1..=14 => Some(Op::ALL[code as usize - 1]),
            _ => None,
        }
    }
}

/// A request message (the `Repr`: parse and emit are exact inverses).
///
/// Paths travel as the client wrote them; the service normalises them with
/// [`normalize`](crate::normalize) and answers `BadPath` if that fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// Open a file → `Response::Opened`.
    Open {
        /// File path.
        path: &'a str,
        /// Read, write or append.
        mode: OpenMode,
    },
    /// Read from the handle's position → `Response::Data` (empty at end of file).
    Read {
        /// An open handle.
        handle: Handle,
        /// Most bytes to return.
        max_len: ReadLen,
    },
    /// Write at the handle's position → `Response::Written`.
    Write {
        /// An open handle.
        handle: Handle,
        /// The bytes.
        data: Chunk<'a>,
    },
    /// Move the position (FTP `REST`) → `Response::Position`, clamped to the size.
    Seek {
        /// An open handle.
        handle: Handle,
        /// Bytes from the start.
        offset: u64,
    },
    /// Flush and release the handle → `Response::Done(Closed)`.
    Close {
        /// An open handle.
        handle: Handle,
    },
    /// File or directory metadata → `Response::Metadata`.
    Stat {
        /// Path.
        path: &'a str,
    },
    /// One page of a directory → `Response::Listing`.
    List {
        /// Directory path.
        path: &'a str,
        /// 0 for the first page, then the `next` of the previous page.
        cursor: u32,
    },
    /// Create one directory (the parent must exist) → `Done(MadeDir)`.
    MakeDir {
        /// Path.
        path: &'a str,
    },
    /// Remove an empty directory → `Done(RemovedDir)`.
    RemoveDir {
        /// Path.
        path: &'a str,
    },
    /// Remove a file (never a directory) → `Done(Deleted)`.
    Delete {
        /// Path.
        path: &'a str,
    },
    /// Rename or move a file or directory; the target must not exist → `Done(Renamed)`.
    Rename {
        /// Existing path.
        from: &'a str,
        /// New path.
        to: &'a str,
    },
    /// Volume size and free bytes → `Response::FreeSpace`.
    FreeSpace,
    /// Mounted or not, and why → `Response::Status`.
    VolumeStatus,
    /// Erase the volume and create an empty FAT file system → `Done(Formatted)`.
    Format {
        /// Volume label.
        label: Label,
    },
}

impl<'a> Request<'a> {
    /// The operation code.
    pub const fn op(&self) -> Op {
        match self {
            Request::Open { .. } => Op::Open,
            Request::Read { .. } => Op::Read,
            Request::Write { .. } => Op::Write,
            Request::Seek { .. } => Op::Seek,
            Request::Close { .. } => Op::Close,
            Request::Stat { .. } => Op::Stat,
            Request::List { .. } => Op::List,
            Request::MakeDir { .. } => Op::MakeDir,
            Request::RemoveDir { .. } => Op::RemoveDir,
            Request::Delete { .. } => Op::Delete,
            Request::Rename { .. } => Op::Rename,
            Request::FreeSpace => Op::FreeSpace,
            Request::VolumeStatus => Op::VolumeStatus,
            Request::Format { .. } => Op::Format,
        }
    }

    /// Decodes a request; any malformed input is an error, never a panic.
    pub fn parse(bytes: &'a [u8]) -> Result<Request<'a>, DecodeError> {
        let (kind, mut r) = read_header(bytes, REQUEST_MAGIC, MAX_MESSAGE)?;
        let op = Op::from_code(kind).ok_or(DecodeError::UnknownKind)?;
        let req = match op {
            Op::Open => {
                let path = r.str16()?;
                let mode = r.u8()?;
                let flags = r.u8()?;
                Request::Open { path, mode: OpenMode::from_wire(mode, flags)? }
            }
            Op::Read => Request::Read {
                handle: Handle(r.u32()?),
                max_len: ReadLen::new(usize::from(r.u16()?)).ok_or(DecodeError::Invalid)?,
            },
            Op::Write => {
                Request::Write { handle: Handle(r.u32()?), data: Chunk::new(r.data16()?).ok_or(DecodeError::Invalid)? }
            }
            Op::Seek => Request::Seek { handle: Handle(r.u32()?), offset: r.u64()? },
            Op::Close => Request::Close { handle: Handle(r.u32()?) },
            Op::Stat => Request::Stat { path: r.str16()? },
            Op::List => Request::List { path: r.str16()?, cursor: r.u32()? },
            Op::MakeDir => Request::MakeDir { path: r.str16()? },
            Op::RemoveDir => Request::RemoveDir { path: r.str16()? },
            Op::Delete => Request::Delete { path: r.str16()? },
            Op::Rename => Request::Rename { from: r.str16()?, to: r.str16()? },
            Op::FreeSpace => Request::FreeSpace,
            Op::VolumeStatus => Request::VolumeStatus,
            Op::Format => {
                let len = r.u8()?;
                let label = Label::from_wire(r.bytes(usize::from(len))?)?;
                Request::Format { label }
            }
        };
        r.finish()?;
        Ok(req)
    }

    /// Encoded size in bytes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + match self {
                Request::Open { path, .. } => blob16_len(path.len()) + 2,
                Request::Read { .. } => 4 + 2,
                Request::Write { data, .. } => 4 + data16_len(data.len()),
                Request::Seek { .. } => 4 + 8,
                Request::Close { .. } => 4,
                Request::Stat { path }
                | Request::MakeDir { path }
                | Request::RemoveDir { path }
                | Request::Delete { path } => blob16_len(path.len()),
                Request::List { path, .. } => blob16_len(path.len()) + 4,
                Request::Rename { from, to } => blob16_len(from.len()) + blob16_len(to.len()),
                Request::FreeSpace | Request::VolumeStatus => 0,
                Request::Format { label } => 1 + label.as_str().len(),
            }
    }

    /// Encodes into `buf`, returning the length used.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        check_len(self.buffer_len(), MAX_MESSAGE)?;
        let mut w = write_header(buf, REQUEST_MAGIC, self.op().code())?;
        self.emit_body(&mut w)?;
        Ok(w.position())
    }

    fn emit_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        match *self {
            Request::Open { path, mode } => {
                let (m, f) = mode.to_wire();
                w.blob16(path.as_bytes())?;
                w.u8(m)?;
                w.u8(f)
            }
            Request::Read { handle, max_len } => {
                w.u32(handle.0)?;
                w.u16(max_len.0)
            }
            Request::Write { handle, data } => {
                w.u32(handle.0)?;
                w.data16(data.as_bytes())
            }
            Request::Seek { handle, offset } => {
                w.u32(handle.0)?;
                w.u64(offset)
            }
            Request::Close { handle } => w.u32(handle.0),
            Request::Stat { path }
            | Request::MakeDir { path }
            | Request::RemoveDir { path }
            | Request::Delete { path } => w.blob16(path.as_bytes()),
            Request::List { path, cursor } => {
                w.blob16(path.as_bytes())?;
                w.u32(cursor)
            }
            Request::Rename { from, to } => {
                w.blob16(from.as_bytes())?;
                w.blob16(to.as_bytes())
            }
            Request::FreeSpace | Request::VolumeStatus => Ok(()),
            Request::Format { label } => {
                let bytes = label.as_str().as_bytes();
                // A label is at most 11 bytes.
                w.u8(bytes.len() as u8)?;
                w.bytes(bytes)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MAX_MESSAGE, VERSION};

    fn samples() -> Vec<Request<'static>> {
        static DATA: [u8; MAX_DATA] = [0xA5; MAX_DATA];
        vec![
            Request::Open { path: "/www/index.html", mode: OpenMode::Read },
            Request::Open { path: "/up/ünïcode file.bin", mode: OpenMode::Write { create: true, truncate: true } },
            Request::Open { path: "/a", mode: OpenMode::Write { create: false, truncate: false } },
            Request::Open { path: "/a", mode: OpenMode::Write { create: true, truncate: false } },
            Request::Open { path: "/log.txt", mode: OpenMode::Append },
            Request::Read { handle: Handle(7), max_len: ReadLen::MAX },
            Request::Read { handle: Handle(u32::MAX), max_len: ReadLen::new(1).unwrap() },
            Request::Write { handle: Handle(1), data: Chunk::new(&DATA).unwrap() },
            Request::Write { handle: Handle(1), data: Chunk::new(&[]).unwrap() },
            Request::Seek { handle: Handle(3), offset: u64::MAX },
            Request::Close { handle: Handle(0) },
            Request::Stat { path: "/" },
            Request::List { path: "/www", cursor: 12345 },
            Request::MakeDir { path: "/new" },
            Request::RemoveDir { path: "/old" },
            Request::Delete { path: "/f" },
            Request::Rename { from: "/a/b", to: "/c/d e" },
            Request::FreeSpace,
            Request::VolumeStatus,
            Request::Format { label: Label::new("BOARD").unwrap() },
            Request::Format { label: Label::new("").unwrap() },
        ]
    }

    #[test]
    fn every_request_round_trips() {
        let mut buf = [0u8; MAX_MESSAGE];
        let mut ops = std::collections::HashSet::new();
        for req in samples() {
            let n = req.emit(&mut buf).unwrap();
            assert_eq!(n, req.buffer_len(), "{req:?}");
            assert_eq!(Request::parse(&buf[..n]), Ok(req));
            // Every strict prefix is truncated, never a panic or a different request.
            for cut in 0..n {
                assert!(Request::parse(&buf[..cut]).is_err(), "{req:?} cut {cut}");
            }
            // One trailing byte is refused (one encoding per request).
            buf[n] = 0;
            assert_eq!(Request::parse(&buf[..n + 1]), Err(DecodeError::TrailingBytes));
            ops.insert(req.op());
        }
        assert_eq!(ops.len(), Op::ALL.len(), "a sample for every operation");
    }

    #[test]
    fn wire_layout_is_little_endian_with_header() {
        let mut buf = [0u8; 64];
        let req = Request::Seek { handle: Handle(0x0102_0304), offset: 0x1122_3344_5566_7788 };
        let n = req.emit(&mut buf).unwrap();
        assert_eq!(&buf[..n], &[b'S', b'Q', VERSION, 4, 4, 3, 2, 1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
        let req = Request::Open { path: "/a", mode: OpenMode::Write { create: true, truncate: true } };
        let n = req.emit(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"SQ\x02\x01\x02\x00/a\x01\x03");
    }

    #[test]
    fn garbage_is_rejected() {
        let cases: &[(&[u8], DecodeError)] = &[
            (b"", DecodeError::BadMagic),
            (b"S", DecodeError::BadMagic),
            (b"GET / HTTP/1.1\r\n", DecodeError::BadMagic),
            (b"SR\x02\x0d", DecodeError::BadMagic),
            (b"SQ", DecodeError::Truncated),
            (b"SQ\x01\x0d", DecodeError::UnsupportedVersion),
            (b"SQ\x02", DecodeError::Truncated),
            (b"SQ\x02\x00", DecodeError::UnknownKind),
            (b"SQ\x02\x0f", DecodeError::UnknownKind),
            (b"SQ\x02\xff", DecodeError::UnknownKind),
            (b"SQ\x02\x0d\x00", DecodeError::TrailingBytes),
            // Open: bad mode, flags on Read, flags out of range, bad UTF-8.
            (b"SQ\x02\x01\x01\x00/\x03\x00", DecodeError::Invalid),
            (b"SQ\x02\x01\x01\x00/\x00\x01", DecodeError::Invalid),
            (b"SQ\x02\x01\x01\x00/\x01\x04", DecodeError::Invalid),
            (b"SQ\x02\x01\x01\x00/\x02\x01", DecodeError::Invalid),
            (b"SQ\x02\x01\x01\x00\xff\x00\x00", DecodeError::Invalid),
            // Open: path length past the end.
            (b"SQ\x02\x01\xff\xff/", DecodeError::Truncated),
            // Read: max_len 0 and 16385.
            (b"SQ\x02\x02\x01\x00\x00\x00\x00\x00", DecodeError::Invalid),
            (b"SQ\x02\x02\x01\x00\x00\x00\x01\x40", DecodeError::Invalid),
            // Format: label not canonical (lowercase, trailing space), with '*', too long.
            (b"SQ\x02\x0e\x03abc", DecodeError::Invalid),
            (b"SQ\x02\x0e\x02A ", DecodeError::Invalid),
            (b"SQ\x02\x0e\x01*", DecodeError::Invalid),
            (b"SQ\x02\x0e\x0cABCDEFGHIJKL", DecodeError::Invalid),
        ];
        for (bytes, want) in cases {
            assert_eq!(Request::parse(bytes), Err(*want), "{bytes:?}");
        }
        assert!(matches!(
            Request::parse(b"SQ\x02\x0e\x03ABC"),
            Ok(Request::Format { label }) if label.as_str() == "ABC"
        ));
    }

    #[test]
    fn oversized_messages_are_rejected() {
        // A write with 4097 bytes of data: the length field is fine, the chunk is not.
        let mut msg = b"SQ\x02\x03\x01\x00\x00\x00\x01\x10\x00\x00".to_vec();
        msg.resize(msg.len() + MAX_DATA + 1, 0);
        assert_eq!(Request::parse(&msg), Err(DecodeError::Invalid));
        // Anything longer than MAX_MESSAGE, even if well-formed inside.
        let path = "/".repeat(MAX_MESSAGE);
        let req = Request::Stat { path: &path };
        let mut buf = vec![0u8; 2 * MAX_MESSAGE];
        assert_eq!(req.emit(&mut buf), Err(EncodeError::TooLong));
        let mut msg = b"SQ\x02\x06".to_vec();
        msg.extend_from_slice(&(MAX_MESSAGE as u16).to_le_bytes());
        msg.extend_from_slice(path.as_bytes());
        assert_eq!(Request::parse(&msg), Err(DecodeError::Oversized));
        // Too small an output buffer is an error, not a panic.
        assert_eq!(Request::VolumeStatus.emit(&mut [0u8; 3]), Err(EncodeError::BufferTooSmall));
    }

    #[test]
    fn decode_errors_map_to_protocol_errors() {
        use crate::Error;
        assert_eq!(Error::from(DecodeError::Truncated), Error::BadRequest);
        assert_eq!(Error::from(DecodeError::BadMagic), Error::BadRequest);
        assert_eq!(Error::from(DecodeError::Oversized), Error::BadRequest);
        assert_eq!(Error::from(DecodeError::UnknownKind), Error::Unsupported);
        assert_eq!(Error::from(DecodeError::UnsupportedVersion), Error::Unsupported);
    }

    #[test]
    fn pseudo_random_bytes_never_panic() {
        // A small deterministic fuzz; the cargo-fuzz target does the real work.
        let mut x: u32 = 0x1234_5678;
        let mut buf = [0u8; 64];
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let len = (x % 64) as usize;
            for b in buf.iter_mut().take(len) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *b = x as u8;
            }
            // Give the header a chance so bodies get exercised.
            if x & 1 == 0 && len >= 4 {
                buf[..3].copy_from_slice(b"SQ\x02");
                buf[3] = (x >> 8) as u8 % 16;
            }
            if let Ok(req) = Request::parse(&buf[..len]) {
                let mut out = [0u8; 128];
                let n = req.emit(&mut out).unwrap();
                assert_eq!(Request::parse(&out[..n]), Ok(req));
            }
        }
    }

    #[test]
    fn read_len_and_chunk_bounds() {
        assert_eq!(ReadLen::new(0), None);
        assert_eq!(ReadLen::new(MAX_READ).map(ReadLen::get), Some(MAX_READ));
        assert_eq!(ReadLen::new(MAX_READ + 1), None);
        assert_eq!(ReadLen::capped(100_000), Some(ReadLen::MAX));
        assert_eq!(ReadLen::capped(0), None);
        let big = [0u8; MAX_DATA + 10];
        assert!(Chunk::new(&big).is_none());
        assert_eq!(Chunk::prefix(&big).len(), MAX_DATA);
        assert!(Chunk::new(&[]).unwrap().is_empty());
        for op in Op::ALL {
            assert_eq!(Op::from_code(op.code()), Some(op));
        }
        assert_eq!(Op::from_code(0), None);
        assert_eq!(Op::from_code(15), None);
        assert!(OpenMode::Append.writes() && !OpenMode::Read.writes());
    }
}
