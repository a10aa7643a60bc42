//! Parsing one control line into a typed [`Command`] with borrowed arguments.
//!
//! Verbs are looked up in [`COMMANDS`], the one table of what the server
//! implements: a verb outside it never parses, and HELP prints the table,
//! so the two cannot drift apart.

use core::net::{Ipv4Addr, SocketAddrV4};

use crate::reply::Code;
use crate::time::DateTime;
use crate::MAX_LINE;

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

/// What a verb is, whatever its spelling (aliases share one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// `ABOR`
    Abor,
    /// `ALLO`
    Allo,
    /// `APPE`
    Appe,
    /// `CDUP`, `XCUP`
    Cdup,
    /// `CWD`, `XCWD`
    Cwd,
    /// `DELE`
    Dele,
    /// `EPRT`
    Eprt,
    /// `EPSV`
    Epsv,
    /// `FEAT`
    Feat,
    /// `HELP`
    Help,
    /// `LIST`
    List,
    /// `MDTM`
    Mdtm,
    /// `MFMT`: offered only when the app can set times ([`Options::set_times`](crate::session::Options::set_times)).
    Mfmt,
    /// `MKD`, `XMKD`
    Mkd,
    /// `MLSD`
    Mlsd,
    /// `MLST`
    Mlst,
    /// `MODE`
    Mode,
    /// `NLST`
    Nlst,
    /// `NOOP`
    Noop,
    /// `OPTS`
    Opts,
    /// `PASS`
    Pass,
    /// `PASV`
    Pasv,
    /// `PORT`
    Port,
    /// `PWD`, `XPWD`
    Pwd,
    /// `QUIT`
    Quit,
    /// `REST`
    Rest,
    /// `RETR`
    Retr,
    /// `RMD`, `XRMD`
    Rmd,
    /// `RNFR`
    Rnfr,
    /// `RNTO`
    Rnto,
    /// `SITE`
    Site,
    /// `SIZE`
    Size,
    /// `STAT`
    Stat,
    /// `STOR`
    Stor,
    /// `STRU`
    Stru,
    /// `SYST`
    Syst,
    /// `TYPE`
    Type,
    /// `USER`
    User,
}

/// Every verb the server implements, in HELP order (alphabetical).
pub const COMMANDS: &[(&str, Verb)] = &[
    ("ABOR", Verb::Abor),
    ("ALLO", Verb::Allo),
    ("APPE", Verb::Appe),
    ("CDUP", Verb::Cdup),
    ("CWD", Verb::Cwd),
    ("DELE", Verb::Dele),
    ("EPRT", Verb::Eprt),
    ("EPSV", Verb::Epsv),
    ("FEAT", Verb::Feat),
    ("HELP", Verb::Help),
    ("LIST", Verb::List),
    ("MDTM", Verb::Mdtm),
    ("MFMT", Verb::Mfmt),
    ("MKD", Verb::Mkd),
    ("MLSD", Verb::Mlsd),
    ("MLST", Verb::Mlst),
    ("MODE", Verb::Mode),
    ("NLST", Verb::Nlst),
    ("NOOP", Verb::Noop),
    ("OPTS", Verb::Opts),
    ("PASS", Verb::Pass),
    ("PASV", Verb::Pasv),
    ("PORT", Verb::Port),
    ("PWD", Verb::Pwd),
    ("QUIT", Verb::Quit),
    ("REST", Verb::Rest),
    ("RETR", Verb::Retr),
    ("RMD", Verb::Rmd),
    ("RNFR", Verb::Rnfr),
    ("RNTO", Verb::Rnto),
    ("SITE", Verb::Site),
    ("SIZE", Verb::Size),
    ("STAT", Verb::Stat),
    ("STOR", Verb::Stor),
    ("STRU", Verb::Stru),
    ("SYST", Verb::Syst),
    ("TYPE", Verb::Type),
    ("USER", Verb::User),
    ("XCUP", Verb::Cdup),
    ("XCWD", Verb::Cwd),
    ("XMKD", Verb::Mkd),
    ("XPWD", Verb::Pwd),
    ("XRMD", Verb::Rmd),
];

/// Verbs of RFC 959 leftovers, RFC 1639, RFC 2228 (FileZilla probes AUTH
/// TLS), RFC 2640, RFC 7151 and common extensions that we recognise but do
/// not offer: 502 rather than 500.
const NOT_IMPLEMENTED: &[&str] = &[
    "ACCT", "SMNT", "REIN", "STOU", "LPRT", "LPSV", "AUTH", "PBSZ", "PROT", "CCC", "ADAT", "MIC",
    "CONF", "ENC", "LANG", "HOST", "MFCT", "MFF", "CLNT",
];

/// The verb of a table, if `word` spells one (ASCII case ignored).
fn lookup<T: Copy>(table: &[(&str, T)], word: &[u8]) -> Option<T> {
    table
        .iter()
        .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(word))
        .map(|&(_, v)| v)
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
    let word = line
        .split(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .next()?;
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
        let known = NOT_IMPLEMENTED
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(word));
        return Err(if known {
            ParseError::NotImplemented
        } else {
            ParseError::Unknown
        });
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

/// The command must not have an argument.
fn none(arg: Option<&[u8]>, cmd: Command<'static>) -> Result<Command<'static>, ParseError> {
    match arg {
        None => Ok(cmd),
        Some(_) => Err(ParseError::UnexpectedArgument),
    }
}

/// A required UTF-8 argument.
fn text(arg: Option<&[u8]>) -> Result<&str, ParseError> {
    let arg = arg.ok_or(ParseError::MissingArgument)?;
    core::str::from_utf8(arg).map_err(|_| ParseError::NotUtf8)
}

/// An optional UTF-8 argument.
fn opt_text(arg: Option<&[u8]>) -> Result<Option<&str>, ParseError> {
    arg.map(|a| text(Some(a))).transpose()
}

/// `LIST`/`NLST`/`STAT` argument: leading `-xyz` words are `ls` options, the rest a path.
///
/// Many clients send `LIST -a` or `LIST -la dir`; a file whose name starts with
/// `-` can still be listed through its parent directory.
fn ls_path(arg: Option<&[u8]>) -> Result<Option<&str>, ParseError> {
    let Some(mut rest) = opt_text(arg)? else {
        return Ok(None);
    };
    loop {
        rest = rest.trim_start_matches(' ');
        if !rest.starts_with('-') {
            break;
        }
        rest = rest.find(' ').map_or("", |i| &rest[i..]);
    }
    Ok(Some(rest).filter(|r| !r.is_empty()))
}

/// Single-letter argument: `ok` accepted, `unsupported` is 504, anything else 501.
fn one_of(
    arg: Option<&[u8]>,
    ok: &[u8],
    unsupported: &[u8],
    cmd: Command<'static>,
) -> Result<Command<'static>, ParseError> {
    match arg.ok_or(ParseError::MissingArgument)? {
        [c] if ok.contains(&c.to_ascii_uppercase()) => Ok(cmd),
        [c] if unsupported.contains(&c.to_ascii_uppercase()) => {
            Err(ParseError::UnsupportedParameter)
        }
        _ => Err(ParseError::InvalidArgument),
    }
}

/// `TYPE A [N] | I | L 8`; other valid RFC 959 types are 504.
fn data_type(arg: Option<&[u8]>) -> Result<DataType, ParseError> {
    let arg = arg.ok_or(ParseError::MissingArgument)?;
    let mut words = arg.split(|&b| b == b' ');
    let code = words.next().unwrap_or(b"");
    let param = words.next();
    if words.next().is_some() {
        return Err(ParseError::InvalidArgument);
    }
    let upper = |w: &[u8]| -> Option<u8> {
        match w {
            [c] => Some(c.to_ascii_uppercase()),
            _ => None,
        }
    };
    match (upper(code), param) {
        (Some(b'A'), None) => Ok(DataType::Ascii),
        (Some(b'A'), Some(p)) => match upper(p) {
            Some(b'N') => Ok(DataType::Ascii),
            Some(b'T' | b'C') => Err(ParseError::UnsupportedParameter),
            _ => Err(ParseError::InvalidArgument),
        },
        (Some(b'I'), None) => Ok(DataType::Image),
        (Some(b'E'), None) => Err(ParseError::UnsupportedParameter),
        (Some(b'E'), Some(p)) => match upper(p) {
            Some(b'N' | b'T' | b'C') => Err(ParseError::UnsupportedParameter),
            _ => Err(ParseError::InvalidArgument),
        },
        (Some(b'L'), Some(b"8")) => Ok(DataType::Image),
        (Some(b'L'), Some(p)) if !p.is_empty() && p.iter().all(u8::is_ascii_digit) => {
            Err(ParseError::UnsupportedParameter)
        }
        _ => Err(ParseError::InvalidArgument),
    }
}

/// `EPSV`, `EPSV ALL` or `EPSV <protocol number>`.
fn epsv(arg: Option<&[u8]>) -> Result<Option<EpsvArg>, ParseError> {
    let Some(arg) = arg else {
        return Ok(None);
    };
    if arg.eq_ignore_ascii_case(b"ALL") {
        return Ok(Some(EpsvArg::All));
    }
    match decimal(arg)? {
        n @ 0..=0xffff => Ok(Some(EpsvArg::Protocol(n as u16))),
        _ => Err(ParseError::InvalidArgument),
    }
}

/// `PORT h1,h2,h3,h4,p1,p2` (RFC 959 §4.1.2): six decimal bytes; port 0 is 501.
fn port(arg: &[u8]) -> Result<SocketAddrV4, ParseError> {
    let mut bytes = [0u8; 6];
    let mut fields = arg.split(|&b| b == b',');
    for byte in bytes.iter_mut() {
        let field = fields.next().ok_or(ParseError::InvalidArgument)?;
        let field = field.trim_ascii();
        if field.len() > 3 {
            return Err(ParseError::InvalidArgument);
        }
        *byte = u8::try_from(decimal(field)?).map_err(|_| ParseError::InvalidArgument)?;
    }
    if fields.next().is_some() {
        return Err(ParseError::InvalidArgument);
    }
    let [a, b, c, d, hi, lo] = bytes;
    let port = u16::from_be_bytes([hi, lo]);
    if port == 0 {
        return Err(ParseError::InvalidArgument);
    }
    Ok(SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), port))
}

/// `EPRT <d>proto<d>address<d>port<d>` with any printable delimiter (RFC 2428 §2).
fn eprt(arg: &[u8]) -> Result<EprtArg, ParseError> {
    let arg = core::str::from_utf8(arg).map_err(|_| ParseError::InvalidArgument)?;
    let delim = arg.chars().next().ok_or(ParseError::InvalidArgument)?;
    if !delim.is_ascii_graphic() || delim.is_ascii_digit() {
        return Err(ParseError::InvalidArgument);
    }
    let mut parts = arg.split(delim);
    let (Some(""), Some(proto), Some(addr), Some(port), Some(""), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(ParseError::InvalidArgument);
    };
    let proto = decimal(proto.as_bytes())?;
    let port = match decimal(port.as_bytes())? {
        p @ 1..=0xffff => p as u16,
        _ => return Err(ParseError::InvalidArgument),
    };
    match proto {
        1 => {
            let ip = addr
                .parse::<Ipv4Addr>()
                .map_err(|_| ParseError::InvalidArgument)?;
            Ok(EprtArg::V4(SocketAddrV4::new(ip, port)))
        }
        2..=0xffff if !addr.is_empty() => Ok(EprtArg::Protocol(proto as u16)),
        _ => Err(ParseError::InvalidArgument),
    }
}

/// `MFMT time-val path`: `YYYYMMDDHHMMSS[.fff]` (UTC, fraction ignored), a space, the path.
fn mfmt(arg: &str) -> Result<Command<'_>, ParseError> {
    let (time, path) = arg.split_once(' ').ok_or(ParseError::MissingArgument)?;
    if path.is_empty() {
        return Err(ParseError::MissingArgument);
    }
    let (whole, fraction) = time.split_once('.').unwrap_or((time, "0"));
    let digits = whole.as_bytes();
    if digits.len() != 14 || fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::InvalidArgument);
    }
    let num = |r: core::ops::Range<usize>| decimal(&digits[r]);
    let time = DateTime::new(
        u16::try_from(num(0..4)?).map_err(|_| ParseError::InvalidArgument)?,
        num(4..6)? as u8,
        num(6..8)? as u8,
        num(8..10)? as u8,
        num(10..12)? as u8,
        num(12..14)? as u8,
    )
    .ok_or(ParseError::InvalidArgument)?;
    Ok(Command::Mfmt(time, path))
}

/// `SITE HELP` or `SITE FORMAT [label]`; other subcommands are 502.
fn site(arg: &str) -> Result<SiteCmd<'_>, ParseError> {
    let arg = arg.trim_matches(' ');
    let (sub, rest) = arg.split_once(' ').unwrap_or((arg, ""));
    let rest = rest.trim_matches(' ');
    if sub.eq_ignore_ascii_case("HELP") {
        Ok(SiteCmd::Help)
    } else if sub.eq_ignore_ascii_case("FORMAT") {
        Ok(SiteCmd::Format(Some(rest).filter(|r| !r.is_empty())))
    } else if sub.is_empty() {
        Err(ParseError::MissingArgument)
    } else {
        Err(ParseError::NotImplemented)
    }
}

/// `OPTS UTF8 [ON]` and `OPTS MLST facts`.
fn opts(arg: Option<&[u8]>) -> Result<OptsArg<'_>, ParseError> {
    let arg = text(arg)?;
    let (name, value) = arg.split_once(' ').unwrap_or((arg, ""));
    if name.eq_ignore_ascii_case("UTF8") {
        return match value {
            "" => Ok(OptsArg::Utf8On),
            v if v.eq_ignore_ascii_case("ON") => Ok(OptsArg::Utf8On),
            v if v.eq_ignore_ascii_case("OFF") => Err(ParseError::UnsupportedParameter),
            _ => Err(ParseError::InvalidArgument),
        };
    }
    if name.eq_ignore_ascii_case("MLST") {
        return Ok(OptsArg::Mlst(value));
    }
    Err(ParseError::InvalidArgument)
}

/// Unsigned decimal without sign or spaces that fits in a `u64`.
fn decimal(arg: &[u8]) -> Result<u64, ParseError> {
    if arg.is_empty() {
        return Err(ParseError::InvalidArgument);
    }
    arg.iter().try_fold(0u64, |acc, &b| {
        let digit = match b {
            b'0'..=b'9' => u64::from(b - b'0'),
            _ => return Err(ParseError::InvalidArgument),
        };
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(digit))
            .ok_or(ParseError::InvalidArgument)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Result<Command<'_>, ParseError> {
        parse(line.as_bytes())
    }

    #[test]
    fn verbs_case_insensitive_and_aliases() {
        assert_eq!(p("user bob\r\n"), Ok(Command::User("bob")));
        assert_eq!(p("UsEr bob\n"), Ok(Command::User("bob")));
        assert_eq!(p("XPWD"), Ok(Command::Pwd));
        assert_eq!(p("pwd\r\n"), Ok(Command::Pwd));
        assert_eq!(p("XCWD /a"), Ok(Command::Cwd("/a")));
        assert_eq!(p("xcup"), Ok(Command::Cdup));
        assert_eq!(p("XMKD d"), Ok(Command::Mkd("d")));
        assert_eq!(p("XRMD d"), Ok(Command::Rmd("d")));
        assert_eq!(p("noop"), Ok(Command::Noop));
    }

    #[test]
    fn arguments_keep_spaces() {
        assert_eq!(
            p("RETR my file .txt\r\n"),
            Ok(Command::Retr("my file .txt"))
        );
        assert_eq!(p("STOR  lead"), Ok(Command::Stor(" lead")));
        assert_eq!(p("DELE trail \r\n"), Ok(Command::Dele("trail ")));
        assert_eq!(p("CWD 日本"), Ok(Command::Cwd("日本")));
        assert_eq!(p("PASS  sp ace "), Ok(Command::Pass(b" sp ace ")));
        assert_eq!(parse(b"PASS \xff\xfe"), Ok(Command::Pass(b"\xff\xfe")));
    }

    #[test]
    fn framing_errors() {
        assert_eq!(p(""), Err(ParseError::Empty));
        assert_eq!(p("\r\n"), Err(ParseError::Empty));
        assert_eq!(p(" NOOP"), Err(ParseError::Unknown));
        assert_eq!(p("NO"), Err(ParseError::Unknown));
        assert_eq!(p("NOOPS"), Err(ParseError::Unknown));
        assert_eq!(p("NO1P"), Err(ParseError::Unknown));
        assert_eq!(p("FOO bar"), Err(ParseError::Unknown));
        assert_eq!(parse(b"\xffNOOP"), Err(ParseError::Unknown));
        let long = format!("NOOP {}\r\n", "x".repeat(MAX_LINE));
        assert_eq!(p(&long), Err(ParseError::TooLong));
        let ok = format!("RETR {}\r\n", "x".repeat(MAX_LINE - 7));
        assert!(p(&ok).is_ok());
    }

    #[test]
    fn argument_errors() {
        assert_eq!(p("RETR"), Err(ParseError::MissingArgument));
        assert_eq!(p("RETR "), Err(ParseError::MissingArgument));
        assert_eq!(p("USER"), Err(ParseError::MissingArgument));
        assert_eq!(p("PWD x"), Err(ParseError::UnexpectedArgument));
        assert_eq!(p("PASV 1"), Err(ParseError::UnexpectedArgument));
        assert_eq!(parse(b"RETR \xc3\x28"), Err(ParseError::NotUtf8));
        assert_eq!(parse(b"CWD a\xffb"), Err(ParseError::NotUtf8));
        assert_eq!(p("PASS"), Ok(Command::Pass(b"")));
    }

    #[test]
    fn type_mode_stru() {
        assert_eq!(p("TYPE A"), Ok(Command::Type(DataType::Ascii)));
        assert_eq!(p("type a n"), Ok(Command::Type(DataType::Ascii)));
        assert_eq!(p("TYPE I"), Ok(Command::Type(DataType::Image)));
        assert_eq!(p("TYPE L 8"), Ok(Command::Type(DataType::Image)));
        for bad in [
            "TYPE E",
            "TYPE A T",
            "TYPE A C",
            "TYPE E N",
            "TYPE L 16",
            "TYPE L 7",
        ] {
            assert_eq!(p(bad), Err(ParseError::UnsupportedParameter), "{bad}");
        }
        for bad in [
            "TYPE X",
            "TYPE",
            "TYPE AB",
            "TYPE A X",
            "TYPE I N",
            "TYPE L",
            "TYPE L x",
            "TYPE A N N",
        ] {
            assert!(
                matches!(
                    p(bad),
                    Err(ParseError::InvalidArgument | ParseError::MissingArgument)
                ),
                "{bad}"
            );
        }
        assert_eq!(p("MODE s"), Ok(Command::Mode));
        assert_eq!(p("MODE B"), Err(ParseError::UnsupportedParameter));
        assert_eq!(p("MODE C"), Err(ParseError::UnsupportedParameter));
        assert_eq!(p("MODE X"), Err(ParseError::InvalidArgument));
        assert_eq!(p("MODE"), Err(ParseError::MissingArgument));
        assert_eq!(p("STRU F"), Ok(Command::Stru));
        assert_eq!(p("STRU R"), Err(ParseError::UnsupportedParameter));
        assert_eq!(p("STRU P"), Err(ParseError::UnsupportedParameter));
        assert_eq!(p("STRU FF"), Err(ParseError::InvalidArgument));
    }

    #[test]
    fn passive_and_active() {
        assert_eq!(p("EPSV"), Ok(Command::Epsv(None)));
        assert_eq!(p("EPSV all"), Ok(Command::Epsv(Some(EpsvArg::All))));
        assert_eq!(p("EPSV 1"), Ok(Command::Epsv(Some(EpsvArg::Protocol(1)))));
        assert_eq!(p("EPSV 2"), Ok(Command::Epsv(Some(EpsvArg::Protocol(2)))));
        assert_eq!(p("EPSV x"), Err(ParseError::InvalidArgument));
        assert_eq!(p("EPSV 99999"), Err(ParseError::InvalidArgument));
    }

    #[test]
    fn port_and_eprt_addresses() {
        let addr = |a, b, c, d, port| SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), port);
        assert_eq!(
            p("PORT 10,0,2,2,195,80"),
            Ok(Command::Port(addr(10, 0, 2, 2, 50_000)))
        );
        assert_eq!(
            p("PORT 1, 2,3 ,4,0,21"),
            Ok(Command::Port(addr(1, 2, 3, 4, 21)))
        );
        for bad in [
            "PORT 1,2,3,4,5",
            "PORT 1,2,3,4,5,6,7",
            "PORT 256,2,3,4,5,6",
            "PORT 1,2,3,4,0,0",
            "PORT a,b,c,d,e,f",
            "PORT 1,2,3,4,-1,6",
            "PORT 0001,2,3,4,5,6",
            "PORT 1,2,3,4,,6",
        ] {
            assert_eq!(p(bad), Err(ParseError::InvalidArgument), "{bad}");
        }
        assert_eq!(p("PORT"), Err(ParseError::MissingArgument));
        assert_eq!(
            p("EPRT |1|132.235.1.2|6275|"),
            Ok(Command::Eprt(EprtArg::V4(addr(132, 235, 1, 2, 6275))))
        );
        assert_eq!(
            p("EPRT !1!10.0.2.2!50000!"),
            Ok(Command::Eprt(EprtArg::V4(addr(10, 0, 2, 2, 50_000))))
        );
        assert_eq!(
            p("EPRT |2|1080::8:800:200C:417A|5282|"),
            Ok(Command::Eprt(EprtArg::Protocol(2)))
        );
        for bad in [
            "EPRT |1|132.235.1.2|6275",
            "EPRT |1|132.235.1.2|0|",
            "EPRT |1|132.235.1.2|65536|",
            "EPRT |1|1080::8|5282|",
            "EPRT |1|132.235.1.2|6275||",
            "EPRT 1|1|1.2.3.4|5|",
            "EPRT |x|1.2.3.4|5|",
            "EPRT | 1|1.2.3.4|5|",
            "EPRT |2||5|",
            "EPRT |",
        ] {
            assert_eq!(p(bad), Err(ParseError::InvalidArgument), "{bad}");
        }
    }

    #[test]
    fn mfmt_and_site() {
        let t = DateTime::new(2024, 2, 29, 23, 59, 58).unwrap();
        assert_eq!(
            p("MFMT 20240229235958 a b.txt"),
            Ok(Command::Mfmt(t, "a b.txt"))
        );
        assert_eq!(p("MFMT 20240229235958.123 x"), Ok(Command::Mfmt(t, "x")));
        for bad in [
            "MFMT 20230229235958 x",
            "MFMT 2024022923595 x",
            "MFMT 2024022923595x x",
            "MFMT 20240229235958. x",
            "MFMT 20240229246000 x",
        ] {
            assert_eq!(p(bad), Err(ParseError::InvalidArgument), "{bad}");
        }
        assert_eq!(p("MFMT 20240229235958"), Err(ParseError::MissingArgument));
        assert_eq!(p("MFMT 20240229235958 "), Err(ParseError::MissingArgument));
        assert_eq!(p("SITE help"), Ok(Command::Site(SiteCmd::Help)));
        assert_eq!(p("SITE FORMAT"), Ok(Command::Site(SiteCmd::Format(None))));
        assert_eq!(
            p("site format  MYDISK "),
            Ok(Command::Site(SiteCmd::Format(Some("MYDISK"))))
        );
        assert_eq!(p("SITE"), Err(ParseError::MissingArgument));
        assert_eq!(p("SITE  "), Err(ParseError::MissingArgument));
        assert_eq!(p("SITE CHMOD 777 x"), Err(ParseError::NotImplemented));
        assert!(p("SITE HELP").unwrap().modifies());
        assert!(!p("RETR x").unwrap().modifies());
    }

    #[test]
    fn the_table_is_the_parser() {
        // Every table verb parses (maybe with an argument error), nothing else does.
        for (name, _) in COMMANDS {
            assert_ne!(parse(name.as_bytes()), Err(ParseError::Unknown), "{name}");
            assert_ne!(
                parse(name.as_bytes()),
                Err(ParseError::NotImplemented),
                "{name}"
            );
            let lower = name.to_ascii_lowercase();
            assert_ne!(parse(lower.as_bytes()), Err(ParseError::Unknown), "{name}");
        }
        let mut names: Vec<&str> = COMMANDS.iter().map(|(n, _)| *n).collect();
        let sorted = {
            let mut s = names.clone();
            s.sort_unstable();
            s
        };
        assert_eq!(names, sorted, "COMMANDS is in HELP (alphabetical) order");
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len());
        for v in NOT_IMPLEMENTED {
            assert!(lookup(COMMANDS, v.as_bytes()).is_none(), "{v}");
        }
    }

    #[test]
    fn listing_options_are_dropped() {
        assert_eq!(p("LIST"), Ok(Command::List(None)));
        assert_eq!(p("LIST -a"), Ok(Command::List(None)));
        assert_eq!(p("LIST -la"), Ok(Command::List(None)));
        assert_eq!(p("LIST -l -a  dir"), Ok(Command::List(Some("dir"))));
        assert_eq!(p("LIST -la /my dir"), Ok(Command::List(Some("/my dir"))));
        assert_eq!(p("LIST *.txt"), Ok(Command::List(Some("*.txt"))));
        assert_eq!(p("NLST -1 sub"), Ok(Command::Nlst(Some("sub"))));
        assert_eq!(p("LIST -"), Ok(Command::List(None)));
        assert_eq!(p("MLSD"), Ok(Command::Mlsd(None)));
        assert_eq!(p("MLSD -a"), Ok(Command::Mlsd(Some("-a"))));
        assert_eq!(p("MLST x y"), Ok(Command::Mlst(Some("x y"))));
    }

    #[test]
    fn rest_offsets() {
        assert_eq!(p("REST 0"), Ok(Command::Rest(0)));
        assert_eq!(p("REST 18446744073709551615"), Ok(Command::Rest(u64::MAX)));
        assert_eq!(
            p("REST 18446744073709551616"),
            Err(ParseError::InvalidArgument)
        );
        assert_eq!(p("REST -1"), Err(ParseError::InvalidArgument));
        assert_eq!(p("REST 1 2"), Err(ParseError::InvalidArgument));
        assert_eq!(p("REST"), Err(ParseError::MissingArgument));
    }

    #[test]
    fn opts_stat_help_allo() {
        assert_eq!(p("OPTS UTF8 ON"), Ok(Command::Opts(OptsArg::Utf8On)));
        assert_eq!(p("opts utf8 on"), Ok(Command::Opts(OptsArg::Utf8On)));
        assert_eq!(p("OPTS UTF8"), Ok(Command::Opts(OptsArg::Utf8On)));
        assert_eq!(p("OPTS UTF8 OFF"), Err(ParseError::UnsupportedParameter));
        assert_eq!(p("OPTS UTF8 MAYBE"), Err(ParseError::InvalidArgument));
        assert_eq!(
            p("OPTS MLST type;size;"),
            Ok(Command::Opts(OptsArg::Mlst("type;size;")))
        );
        assert_eq!(p("OPTS MLST"), Ok(Command::Opts(OptsArg::Mlst(""))));
        assert_eq!(p("OPTS FOO"), Err(ParseError::InvalidArgument));
        assert_eq!(p("OPTS"), Err(ParseError::MissingArgument));
        assert_eq!(p("STAT"), Ok(Command::Stat(None)));
        assert_eq!(p("STAT /x"), Ok(Command::Stat(Some("/x"))));
        assert_eq!(p("STAT -la *.txt"), Ok(Command::Stat(Some("*.txt"))));
        assert_eq!(p("HELP ME"), Ok(Command::Help));
        assert_eq!(p("ALLO 100 R 10"), Ok(Command::Allo));
    }

    #[test]
    fn known_but_unimplemented() {
        for v in [
            "AUTH TLS",
            "SITE CHMOD 777 x",
            "STOU",
            "REIN",
            "ACCT a",
            "PBSZ 0",
            "CCC",
            "LPSV",
            "MFCT 2020 x",
        ] {
            assert_eq!(p(v), Err(ParseError::NotImplemented), "{v}");
            assert_eq!(ParseError::NotImplemented.code().get(), 502);
        }
    }

    #[test]
    fn error_codes() {
        assert_eq!(ParseError::TooLong.code().get(), 500);
        assert_eq!(ParseError::Unknown.code().get(), 500);
        assert_eq!(ParseError::MissingArgument.code().get(), 501);
        assert_eq!(ParseError::NotUtf8.code().get(), 501);
        assert_eq!(ParseError::UnsupportedParameter.code().get(), 504);
        assert_eq!(ParseError::TooLong.text(), "Command line too long.");
    }

    #[test]
    fn login_gate() {
        assert!(p("USER a").unwrap().allowed_before_login());
        assert!(p("FEAT").unwrap().allowed_before_login());
        assert!(p("OPTS UTF8 ON").unwrap().allowed_before_login());
        assert!(!p("PWD").unwrap().allowed_before_login());
        assert!(!p("PASV").unwrap().allowed_before_login());
        assert!(!p("STAT").unwrap().allowed_before_login());
    }
}
