//! The fatfs types as instantiated here, and the mapping of fatfs errors.

use fatfs::LossyOemCpConverter;
use proto_storage::Error;

use crate::clock::FatClock;
use crate::stream::{Disk, StreamError};

pub(crate) type Fs<B, C> = fatfs::FileSystem<Disk<B>, FatClock<C>, LossyOemCpConverter>;
pub(crate) type FatFile<'a, B, C> = fatfs::File<'a, Disk<B>, FatClock<C>, LossyOemCpConverter>;
pub(crate) type FatDir<'a, B, C> = fatfs::Dir<'a, Disk<B>, FatClock<C>, LossyOemCpConverter>;
pub(crate) type FatEntry<'a, B, C> = fatfs::DirEntry<'a, Disk<B>, FatClock<C>, LossyOemCpConverter>;
pub(crate) type FsError = fatfs::Error<StreamError>;

/// The protocol error for a fatfs error.
pub(crate) fn fs_err(e: FsError) -> Error {
    use fatfs::Error as E;
    match e {
        E::Io(StreamError::Io(_) | StreamError::Busy) => Error::Io,
        // Data ends before the size says, or a chain leads off the device.
        E::Io(StreamError::UnexpectedEof | StreamError::Endless) | E::UnexpectedEof | E::CorruptedFileSystem => {
            Error::Corrupt
        }
        // No progress on a write: the 4 GiB file limit.
        E::Io(StreamError::WriteZero) | E::WriteZero | E::NotEnoughSpace => Error::NoSpace,
        E::NotFound => Error::NotFound,
        E::AlreadyExists => Error::AlreadyExists,
        E::DirectoryIsNotEmpty => Error::NotEmpty,
        E::InvalidFileNameLength | E::UnsupportedFileNameCharacter => Error::BadPath,
        E::InvalidInput => Error::BadRequest,
        _ => Error::Io,
    }
}
