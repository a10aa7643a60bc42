//! The one error enum every reply can carry, with stable wire codes.

use core::fmt;

/// Why a storage request failed.
///
/// The numeric [`code`](Error::code) is part of the wire format and never
/// changes meaning; new errors get new codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// No file or directory at that path.
    NotFound,
    /// Something already exists at the target path.
    AlreadyExists,
    /// The directory still has entries.
    NotEmpty,
    /// A path component (or the target) is a file where a directory is needed.
    NotADirectory,
    /// The target is a directory where a file is needed.
    IsADirectory,
    /// The volume (or the 4 GiB FAT file size limit) is full.
    NoSpace,
    /// The access policy forbids this client the operation on this path.
    PermissionDenied,
    /// Path refused: traversal above `/`, bad characters, too long, not absolute.
    BadPath,
    /// The open-file table (or this client's share of it) is full.
    TooManyOpenFiles,
    /// Unknown handle, another client's handle, or wrong direction for it.
    BadHandle,
    /// The block device reported an error.
    Io,
    /// No volume is mounted (see `VolumeStatus` for why).
    NotMounted,
    /// The file system structures are inconsistent.
    Corrupt,
    /// The request message could not be decoded.
    BadRequest,
    /// A well-formed request this service does not implement (version, operation).
    Unsupported,
    /// The file or directory is open through another handle.
    Busy,
}

impl Error {
    /// Every error, in code order.
    pub const ALL: [Error; 16] = [
        Error::NotFound,
        Error::AlreadyExists,
        Error::NotEmpty,
        Error::NotADirectory,
        Error::IsADirectory,
        Error::NoSpace,
        Error::PermissionDenied,
        Error::BadPath,
        Error::TooManyOpenFiles,
        Error::BadHandle,
        Error::Io,
        Error::NotMounted,
        Error::Corrupt,
        Error::BadRequest,
        Error::Unsupported,
        Error::Busy,
    ];

    /// The stable wire code (never 0, which means success nowhere but is kept unused).
    pub const fn code(self) -> u8 {
        match self {
            Error::NotFound => 1,
            Error::AlreadyExists => 2,
            Error::NotEmpty => 3,
            Error::NotADirectory => 4,
            Error::IsADirectory => 5,
            Error::NoSpace => 6,
            Error::PermissionDenied => 7,
            Error::BadPath => 8,
            Error::TooManyOpenFiles => 9,
            Error::BadHandle => 10,
            Error::Io => 11,
            Error::NotMounted => 12,
            Error::Corrupt => 13,
            Error::BadRequest => 14,
            Error::Unsupported => 15,
            Error::Busy => 16,
        }
    }

    /// The error with this wire code, if any.
    pub const fn from_code(code: u8) -> Option<Error> {
        match code {
            1..=16 => Some(Error::ALL[code as usize - 1]),
            _ => None,
        }
    }

    /// A short human-readable text (English, no trailing period).
    pub const fn text(self) -> &'static str {
        match self {
            Error::NotFound => "no such file or directory",
            Error::AlreadyExists => "already exists",
            Error::NotEmpty => "directory not empty",
            Error::NotADirectory => "not a directory",
            Error::IsADirectory => "is a directory",
            Error::NoSpace => "no space left on volume",
            Error::PermissionDenied => "permission denied",
            Error::BadPath => "invalid path",
            Error::TooManyOpenFiles => "too many open files",
            Error::BadHandle => "bad file handle",
            Error::Io => "device I/O error",
            Error::NotMounted => "no volume mounted",
            Error::Corrupt => "file system corrupt",
            Error::BadRequest => "malformed request",
            Error::Unsupported => "unsupported request",
            Error::Busy => "file is in use",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        for (i, e) in Error::ALL.iter().enumerate() {
            assert_eq!(usize::from(e.code()), i + 1);
            assert_eq!(Error::from_code(e.code()), Some(*e));
            assert!(!e.text().is_empty());
        }
        assert_eq!(Error::from_code(0), None);
        assert_eq!(Error::from_code(17), None);
        assert_eq!(Error::from_code(255), None);
    }
}
