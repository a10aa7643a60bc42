// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Parsing one control line into a typed [`Command`] with borrowed arguments.
//!
//! Verbs are looked up in [`COMMANDS`], the one table of what the server
//! implements: a verb outside it never parses, and HELP prints the table,
//! so the two cannot drift apart.

mod args;
#[cfg(test)]
mod tests;
mod verbs;

use core::net::SocketAddrV4;

use crate::reply::Code;
use crate::time::DateTime;
use crate::MAX_LINE;

use args::{data_type, decimal, eprt, epsv, ls_path, mfmt, none, one_of, opt_text, opts, port, site, text};
use verbs::{lookup, NOT_IMPLEMENTED};
pub use verbs::{Verb, COMMANDS};

/// Data representation selected by `TYPE`.
///
/// `A` and `A N` are [`DataType::Ascii`] (line ends converted, see
/// [`ascii`](crate::ascii)); `I` and `L 8` are [`DataType::Image`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    /// `TYPE A` / `TYPE A N`.
    Ascii,
    /// `TYPE I` / `TYPE L 8`.
    Image,
}

/// Argument of `EPSV` (RFC 2428 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpsvArg {
    /// `EPSV ALL`: from now on only EPSV may set up data connections.
    All,
    /// `EPSV <net-prt>`: 1 = IPv4, 2 = IPv6, others unknown.
    Protocol(u16),
}

/// Argument of `OPTS` (RFC 2389) that we understand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptsArg<'a> {
    /// `OPTS UTF8 ON` (or `OPTS UTF8`): we are always in UTF-8 mode.
    Utf8On,
    /// `OPTS MLST fact;fact;...` (RFC 3659 §7.9); may be empty.
    Mlst(&'a str),
}

/// Argument of `EPRT` (RFC 2428 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EprtArg {
    /// `|1|a.b.c.d|port|`.
    V4(SocketAddrV4),
    /// A well-formed argument for another network protocol (IPv6 is `2`): 522.
    Protocol(u16),
}

/// `SITE` subcommands (RFC 959 leaves them to the server).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteCmd<'a> {
    /// `SITE HELP`.
    Help,
    /// `SITE FORMAT [label]`: erase the volume (admin role only).
    Format(Option<&'a str>),
}

/// One parsed control command. Path arguments are raw (not yet resolved) UTF-8.
///
/// Aliases (`XPWD`, `XCWD`, `XCUP`, `XMKD`, `XRMD`) parse to the same variants.
/// Arguments that can only be accepted one way (`MODE S`, `STRU F`) are checked
/// by the parser so the variants carry nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `USER name`.
    User(&'a str),
    /// `PASS password`; raw bytes, may be empty.
    Pass(&'a [u8]),
    /// `SYST`.
    Syst,
    /// `FEAT`.
    Feat,
    /// `OPTS`.
    Opts(OptsArg<'a>),
    /// `PWD` / `XPWD`.
    Pwd,
    /// `CWD path` / `XCWD path`.
    Cwd(&'a str),
    /// `CDUP` / `XCUP`.
    Cdup,
    /// `TYPE`.
    Type(DataType),
    /// `MODE S` (the only mode offered).
    Mode,
    /// `STRU F` (the only structure offered).
    Stru,
    /// `PASV`.
    Pasv,
    /// `EPSV [arg]`.
    Epsv(Option<EpsvArg>),
    /// `PORT h1,h2,h3,h4,p1,p2`: active mode to this address.
    Port(SocketAddrV4),
    /// `EPRT |proto|address|port|`.
    Eprt(EprtArg),
    /// `LIST [-opts] [path]`; `ls` options are dropped.
    List(Option<&'a str>),
    /// `NLST [-opts] [path]`; `ls` options are dropped.
    Nlst(Option<&'a str>),
    /// `MLSD [path]`.
    Mlsd(Option<&'a str>),
    /// `MLST [path]`.
    Mlst(Option<&'a str>),
    /// `RETR path`.
    Retr(&'a str),
    /// `STOR path`.
    Stor(&'a str),
    /// `APPE path`.
    Appe(&'a str),
    /// `DELE path`.
    Dele(&'a str),
    /// `MKD path` / `XMKD path`.
    Mkd(&'a str),
    /// `RMD path` / `XRMD path`.
    Rmd(&'a str),
    /// `RNFR path`.
    Rnfr(&'a str),
    /// `RNTO path`.
    Rnto(&'a str),
    /// `SIZE path`.
    Size(&'a str),
    /// `MDTM path`.
    Mdtm(&'a str),
    /// `MFMT YYYYMMDDHHMMSS path` (draft-somers-ftp-mfxx): set a file's time.
    Mfmt(DateTime, &'a str),
    /// `REST offset` (STREAM mode byte offset).
    Rest(u64),
    /// `NOOP`.
    Noop,
    /// `ABOR`.
    Abor,
    /// `QUIT`.
    Quit,
    /// `HELP [anything]`.
    Help,
    /// `STAT`: the session's status; `STAT path`: a listing on the control connection.
    Stat(Option<&'a str>),
    /// `SITE HELP`, `SITE FORMAT [label]`.
    Site(SiteCmd<'a>),
    /// `ALLO ...` (arguments ignored; no preallocation needed).
    Allo,
}

impl Command<'_> {
    /// Commands a client may send before logging in (everything else gets 530).
    pub fn allowed_before_login(&self) -> bool {
        matches!(
            self,
            Command::User(_)
                | Command::Pass(_)
                | Command::Quit
                | Command::Feat
                | Command::Syst
                | Command::Opts(_)
                | Command::Noop
                | Command::Help
        )
    }

    /// Commands that change the volume (refused to anonymous users).
    pub fn modifies(&self) -> bool {
        matches!(
            self,
            Command::Stor(_)
                | Command::Appe(_)
                | Command::Dele(_)
                | Command::Mkd(_)
                | Command::Rmd(_)
                | Command::Rnfr(_)
                | Command::Rnto(_)
                | Command::Mfmt(..)
                | Command::Site(_)
        )
    }
}

/// Why a line is not an acceptable command; each maps to one reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Longer than [`MAX_LINE`] (500).
    TooLong,
    /// Nothing but the line terminator (500).
    Empty,
    /// Verb not recognised (500).
    Unknown,
    /// Recognised but not implemented, e.g. `AUTH`, `STOU`, `SITE CHMOD` (502).
    NotImplemented,
    /// Required argument absent (501).
    MissingArgument,
    /// Argument given to a command that takes none (501).
    UnexpectedArgument,
    /// Argument malformed (501).
    InvalidArgument,
    /// Path or name is not UTF-8; we announce UTF8 in FEAT (501).
    NotUtf8,
    /// Well-formed but unsupported parameter, e.g. `TYPE E`, `MODE B` (504).
    UnsupportedParameter,
}

impl ParseError {
    /// Reply code for this error.
    pub fn code(self) -> Code {
        match self {
            ParseError::TooLong | ParseError::Empty | ParseError::Unknown => Code::SYNTAX_ERROR,
            ParseError::NotImplemented => Code::NOT_IMPLEMENTED,
            ParseError::MissingArgument
            | ParseError::UnexpectedArgument
            | ParseError::InvalidArgument
            | ParseError::NotUtf8 => Code::BAD_ARGUMENT,
            ParseError::UnsupportedParameter => Code::BAD_PARAMETER,
        }
    }

    /// Reply text for this error.
    pub fn text(self) -> &'static str {
        match self {
            ParseError::TooLong => "Command line too long.",
            ParseError::Empty => "Empty command line.",
            ParseError::Unknown => "Unknown command.",
            ParseError::NotImplemented => "Command not implemented.",
            ParseError::MissingArgument => "Missing argument.",
            ParseError::UnexpectedArgument => "Command takes no argument.",
            ParseError::InvalidArgument => "Invalid argument.",
            ParseError::NotUtf8 => "Argument is not valid UTF-8.",
            ParseError::UnsupportedParameter => "Parameter not supported.",
        }
    }
}

/// The verb a line starts with, if it is one of [`COMMANDS`] (whatever its
/// argument), so a verb the session does not offer gets 502 even when its
/// argument would not parse.
pub fn verb_of(line: &[u8]) -> Option<Verb> {
    let word = line.split(|&b| b == b' ' || b == b'\r' || b == b'\n').next()?;
    lookup(COMMANDS, word)
}

/// Parses one control line, with or without its CRLF/LF terminator.
///
/// The verb is case-insensitive and ends at the first space; the argument is
/// every byte after that space (so names may contain spaces). Telnet commands
/// must already be stripped (see [`LineBuffer`](crate::LineBuffer)).
pub fn parse(line: &[u8]) -> Result<Command<'_>, ParseError> {
    if line.len() > MAX_LINE {
        return Err(ParseError::TooLong);
    }
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Err(ParseError::Empty);
    }
    let (word, arg) = match line.iter().position(|&b| b == b' ') {
        Some(i) => (&line[..i], Some(&line[i + 1..]).filter(|a| !a.is_empty())),
        None => (line, None),
    };
    if !(3..=4).contains(&word.len()) || !word.iter().all(u8::is_ascii_alphabetic) {
        return Err(ParseError::Unknown);
    }
    let Some(verb) = lookup(COMMANDS, word) else {
        let known = NOT_IMPLEMENTED.iter().any(|v| v.as_bytes().eq_ignore_ascii_case(word));
        return Err(if known { ParseError::NotImplemented } else { ParseError::Unknown });
    };
    let cmd = match verb {
        Verb::User => Command::User(text(arg)?),
        Verb::Pass => Command::Pass(arg.unwrap_or(b"")),
        Verb::Syst => none(arg, Command::Syst)?,
        Verb::Feat => none(arg, Command::Feat)?,
        Verb::Opts => Command::Opts(opts(arg)?),
        Verb::Pwd => none(arg, Command::Pwd)?,
        Verb::Cwd => Command::Cwd(text(arg)?),
        Verb::Cdup => none(arg, Command::Cdup)?,
        Verb::Type => Command::Type(data_type(arg)?),
        Verb::Mode => one_of(arg, b"S", b"BC", Command::Mode)?,
        Verb::Stru => one_of(arg, b"F", b"RP", Command::Stru)?,
        Verb::Pasv => none(arg, Command::Pasv)?,
        Verb::Epsv => Command::Epsv(epsv(arg)?),
        Verb::Port => Command::Port(port(arg.ok_or(ParseError::MissingArgument)?)?),
        Verb::Eprt => Command::Eprt(eprt(arg.ok_or(ParseError::MissingArgument)?)?),
        Verb::List => Command::List(ls_path(arg)?),
        Verb::Nlst => Command::Nlst(ls_path(arg)?),
        Verb::Mlsd => Command::Mlsd(opt_text(arg)?),
        Verb::Mlst => Command::Mlst(opt_text(arg)?),
        Verb::Retr => Command::Retr(text(arg)?),
        Verb::Stor => Command::Stor(text(arg)?),
        Verb::Appe => Command::Appe(text(arg)?),
        Verb::Dele => Command::Dele(text(arg)?),
        Verb::Mkd => Command::Mkd(text(arg)?),
        Verb::Rmd => Command::Rmd(text(arg)?),
        Verb::Rnfr => Command::Rnfr(text(arg)?),
        Verb::Rnto => Command::Rnto(text(arg)?),
        Verb::Size => Command::Size(text(arg)?),
        Verb::Mdtm => Command::Mdtm(text(arg)?),
        Verb::Mfmt => mfmt(text(arg)?)?,
        Verb::Rest => Command::Rest(decimal(arg.ok_or(ParseError::MissingArgument)?)?),
        Verb::Noop => none(arg, Command::Noop)?,
        Verb::Abor => none(arg, Command::Abor)?,
        Verb::Quit => none(arg, Command::Quit)?,
        Verb::Help => Command::Help,
        Verb::Stat => Command::Stat(ls_path(arg)?),
        Verb::Site => Command::Site(site(text(arg)?)?),
        Verb::Allo => Command::Allo,
    };
    Ok(cmd)
}
