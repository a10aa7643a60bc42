//! Texts and multi-line replies the session produces (FEAT, HELP, STAT, MLST, errors).

use crate::command::{DataType, Verb, COMMANDS};
use crate::cursor::{Cursor, FormatError};
use crate::list::{put_fact_names, put_facts, Facts, Metadata};
use crate::outcome::{Failure, Outcome};
use crate::path::PathError;
use crate::reply::{put_line, put_time_val, Code, ReplyBuf};
use crate::session::Role;
use crate::time::DateTime;

/// A single-line reply as an outcome.
pub(crate) fn reply<'a>(out: &'a mut ReplyBuf, code: Code, text: &str) -> Outcome<'a> {
    Outcome::Reply(out.set(code, text))
}

/// Reply for a completion call that matches no pending operation (an app bug).
pub(crate) fn unexpected(out: &mut ReplyBuf) -> &str {
    out.set(Code::BAD_SEQUENCE, "Bad sequence of commands.")
}

/// Reply for a refused path argument; climbing above `/` is called out as such.
pub(crate) fn path_error(e: PathError, out: &mut ReplyBuf) -> Outcome<'_> {
    let (code, text) = match e {
        PathError::AboveRoot => (Code::FILE_UNAVAILABLE, "Path leads above the root directory."),
        PathError::InvalidChar => (Code::BAD_FILE_NAME, "File name not allowed (control character or backslash)."),
        PathError::NameTooLong => (Code::BAD_FILE_NAME, "File name not allowed (name too long)."),
        PathError::PathTooLong => (Code::BAD_FILE_NAME, "File name not allowed (path too long)."),
    };
    reply(out, code, text)
}

/// Maps a failure to its reply; `streaming` turns "no space" into 552.
pub(crate) fn failure_reply(f: Failure, streaming: bool, out: &mut ReplyBuf) -> &str {
    let (code, text) = failure_text(f, streaming);
    out.set(code, text)
}

/// The code and text [`failure_reply`] sends.
pub(crate) fn failure_text(f: Failure, streaming: bool) -> (Code, &'static str) {
    match f {
        Failure::NotFound => (Code::FILE_UNAVAILABLE, "No such file or directory."),
        Failure::PermissionDenied => (Code::FILE_UNAVAILABLE, "Permission denied."),
        Failure::AlreadyExists => (Code::FILE_UNAVAILABLE, "File exists."),
        Failure::NotEmpty => (Code::FILE_UNAVAILABLE, "Directory not empty."),
        Failure::NotADirectory => (Code::FILE_UNAVAILABLE, "Not a directory."),
        Failure::IsADirectory => (Code::FILE_UNAVAILABLE, "Is a directory."),
        Failure::NoSpace if streaming => (Code::STORAGE_EXCEEDED, "Disk full; transfer aborted."),
        Failure::NoSpace => (Code::INSUFFICIENT_STORAGE, "Insufficient storage space."),
        Failure::BadName => (Code::BAD_FILE_NAME, "File name not allowed."),
        Failure::Busy => (Code::FILE_BUSY, "File busy; try again later."),
        Failure::NoDataConnection => (Code::CANT_OPEN_DATA, "Can't open data connection."),
        Failure::ConnectionClosed => (Code::TRANSFER_ABORTED, "Connection closed; transfer aborted."),
        Failure::Local => (Code::LOCAL_ERROR, "Local error in processing."),
    }
}

/// FEAT (RFC 2389): one indented line per feature, facts starred when selected.
pub(crate) fn write_feat(b: &mut [u8], facts: Facts, mfmt: bool) -> Result<usize, FormatError> {
    let mut c = Cursor::new(b);
    put_line(&mut c, Code::SYSTEM_STATUS, b'-', "Features:")?;
    c.str(" EPSV\r\n MDTM\r\n")?;
    if mfmt {
        c.str(" MFMT\r\n")?;
    }
    c.str(" MLST ")?;
    put_fact_names(&mut c, facts, true)?;
    c.str("\r\n PASV\r\n REST STREAM\r\n SIZE\r\n UTF8\r\n")?;
    put_line(&mut c, Code::SYSTEM_STATUS, b' ', "End")?;
    Ok(c.len())
}

/// `200 MLST OPTS type;size;` listing the facts now selected (RFC 3659 §7.9).
pub(crate) fn write_opts_mlst(b: &mut [u8], facts: Facts) -> Result<usize, FormatError> {
    let mut c = Cursor::new(b);
    c.str("200 MLST OPTS")?;
    if facts != Facts::NONE {
        c.byte(b' ')?;
        put_fact_names(&mut c, facts, false)?;
    }
    c.bytes(b"\r\n")?;
    Ok(c.len())
}

/// `350 Restarting at N. Send RETR or STOR.`
pub(crate) fn write_rest(b: &mut [u8], offset: u64) -> Result<usize, FormatError> {
    let mut c = Cursor::new(b);
    c.str("350 Restarting at ")?;
    c.dec(offset)?;
    c.str(". Send RETR or STOR.\r\n")?;
    Ok(c.len())
}

/// `213 Modify=YYYYMMDDHHMMSS; path` (draft-somers-ftp-mfxx §3).
pub(crate) fn write_mfmt(b: &mut [u8], time: &DateTime, path: &str) -> Result<usize, FormatError> {
    let mut c = Cursor::new(b);
    c.str("213 Modify=")?;
    put_time_val(&mut c, time)?;
    c.str("; ")?;
    c.text(path)?;
    c.bytes(b"\r\n")?;
    Ok(c.len())
}

/// MLST reply (RFC 3659 §7.2): the fact line sits between 250 lines.
pub(crate) fn write_mlst(b: &mut [u8], path: &str, meta: &Metadata, facts: Facts) -> Result<usize, FormatError> {
    let mut c = Cursor::new(b);
    c.str("250-Listing ")?;
    c.text(path)?;
    c.str("\r\n ")?;
    put_facts(&mut c, meta, facts)?;
    c.byte(b' ')?;
    c.text(path)?;
    c.bytes(b"\r\n")?;
    put_line(&mut c, Code::FILE_ACTION_OK, b' ', "End.")?;
    Ok(c.len())
}

/// HELP: every verb of the command table this session offers, the
/// table itself being what the parser accepts, so nothing else can appear.
pub(crate) fn write_help(b: &mut [u8], offers: impl Fn(Verb) -> bool) -> Result<usize, FormatError> {
    /// Names per line, each in a 5-column cell.
    const PER_LINE: usize = 14;
    let mut c = Cursor::new(b);
    put_line(&mut c, Code::HELP, b'-', "The following commands are recognized:")?;
    let (mut on_line, mut prev_len) = (0, 0);
    for &(name, _) in COMMANDS.iter().filter(|(_, v)| offers(*v)) {
        if on_line == 0 {
            c.byte(b' ')?;
        } else {
            for _ in prev_len..5 {
                c.byte(b' ')?;
            }
        }
        c.str(name)?;
        prev_len = name.len();
        on_line += 1;
        if on_line == PER_LINE {
            c.bytes(b"\r\n")?;
            on_line = 0;
        }
    }
    if on_line > 0 {
        c.bytes(b"\r\n")?;
    }
    put_line(&mut c, Code::HELP, b' ', "Help OK.")?;
    Ok(c.len())
}

/// `211` multi-line STAT reply; `data` is the data-connection line.
pub(crate) fn write_status(
    b: &mut [u8],
    user: Option<&str>,
    role: Option<Role>,
    data_type: DataType,
    data: &str,
) -> Result<usize, FormatError> {
    let mut c = Cursor::new(b);
    put_line(&mut c, Code::SYSTEM_STATUS, b'-', "FTP server status:")?;
    match user {
        Some(user) => {
            c.str(" Logged in as ")?;
            c.text(user)?;
            c.str(match role {
                Some(Role::Anonymous) => " (anonymous, read-only)",
                Some(Role::Admin) => " (admin)",
                _ => "",
            })?;
            c.bytes(b"\r\n")?;
        }
        None => c.str(" Not logged in\r\n")?,
    }
    c.str(match data_type {
        DataType::Ascii => " TYPE: ASCII; STRU: File; MODE: Stream\r\n",
        DataType::Image => " TYPE: BINARY; STRU: File; MODE: Stream\r\n",
    })?;
    c.text(data)?;
    c.bytes(b"\r\n")?;
    put_line(&mut c, Code::SYSTEM_STATUS, b' ', "End of status.")?;
    Ok(c.len())
}
