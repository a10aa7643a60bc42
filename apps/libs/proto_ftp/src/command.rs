//! Parsing one control line into a typed [`Command`] with borrowed arguments.

use crate::reply::Code;
use crate::MAX_LINE;

/// Data representation selected by `TYPE`.
///
/// `A` and `A N` are [`DataType::Ascii`]; `I` and `L 8` are [`DataType::Image`].
/// Data is never converted (see the crate README), the type only changes texts.
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
    /// `PORT ...` (arguments ignored: active mode is not offered).
    Port,
    /// `EPRT ...` (arguments ignored: active mode is not offered).
    Eprt,
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
    /// `STAT` without argument.
    Stat,
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
    /// Recognised but not implemented, e.g. `AUTH`, `SITE`, `STOU` (502).
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
    let (verb, arg) = match line.iter().position(|&b| b == b' ') {
        Some(i) => (&line[..i], Some(&line[i + 1..]).filter(|a| !a.is_empty())),
        None => (line, None),
    };
    if !(3..=4).contains(&verb.len()) || !verb.iter().all(u8::is_ascii_alphabetic) {
        return Err(ParseError::Unknown);
    }
    let mut upper = [b' '; 4];
    upper[..verb.len()].copy_from_slice(verb);
    upper.make_ascii_uppercase();

    let cmd = match &upper {
        b"USER" => Command::User(text(arg)?),
        b"PASS" => Command::Pass(arg.unwrap_or(b"")),
        b"SYST" => none(arg, Command::Syst)?,
        b"FEAT" => none(arg, Command::Feat)?,
        b"OPTS" => Command::Opts(opts(arg)?),
        b"PWD " | b"XPWD" => none(arg, Command::Pwd)?,
        b"CWD " | b"XCWD" => Command::Cwd(text(arg)?),
        b"CDUP" | b"XCUP" => none(arg, Command::Cdup)?,
        b"TYPE" => Command::Type(data_type(arg)?),
        b"MODE" => one_of(arg, b"S", b"BC", Command::Mode)?,
        b"STRU" => one_of(arg, b"F", b"RP", Command::Stru)?,
        b"PASV" => none(arg, Command::Pasv)?,
        b"EPSV" => Command::Epsv(epsv(arg)?),
        b"PORT" => Command::Port,
        b"EPRT" => Command::Eprt,
        b"LIST" => Command::List(ls_path(arg)?),
        b"NLST" => Command::Nlst(ls_path(arg)?),
        b"MLSD" => Command::Mlsd(opt_text(arg)?),
        b"MLST" => Command::Mlst(opt_text(arg)?),
        b"RETR" => Command::Retr(text(arg)?),
        b"STOR" => Command::Stor(text(arg)?),
        b"APPE" => Command::Appe(text(arg)?),
        b"DELE" => Command::Dele(text(arg)?),
        b"MKD " | b"XMKD" => Command::Mkd(text(arg)?),
        b"RMD " | b"XRMD" => Command::Rmd(text(arg)?),
        b"RNFR" => Command::Rnfr(text(arg)?),
        b"RNTO" => Command::Rnto(text(arg)?),
        b"SIZE" => Command::Size(text(arg)?),
        b"MDTM" => Command::Mdtm(text(arg)?),
        b"REST" => Command::Rest(decimal(arg.ok_or(ParseError::MissingArgument)?)?),
        b"NOOP" => none(arg, Command::Noop)?,
        b"ABOR" => none(arg, Command::Abor)?,
        b"QUIT" => none(arg, Command::Quit)?,
        b"HELP" => Command::Help,
        b"STAT" if arg.is_some() => return Err(ParseError::UnsupportedParameter),
        b"STAT" => Command::Stat,
        b"ALLO" => Command::Allo,
        // RFC 959 leftovers, RFC 1639, RFC 2228 (FileZilla probes AUTH TLS),
        // RFC 2640, RFC 7151 and common extensions we do not offer.
        b"ACCT" | b"SMNT" | b"REIN" | b"STOU" | b"SITE" | b"LPRT" | b"LPSV" | b"AUTH" | b"PBSZ"
        | b"PROT" | b"CCC " | b"ADAT" | b"MIC " | b"CONF" | b"ENC " | b"LANG" | b"HOST"
        | b"MFMT" | b"MFCT" | b"MFF " | b"CLNT" => return Err(ParseError::NotImplemented),
        _ => return Err(ParseError::Unknown),
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

/// `LIST`/`NLST` argument: leading `-xyz` words are `ls` options, the rest a path.
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
        assert_eq!(p("PORT 1,2,3,4,5,6"), Ok(Command::Port));
        assert_eq!(p("EPRT |1|1.2.3.4|5|"), Ok(Command::Eprt));
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
        assert_eq!(p("STAT"), Ok(Command::Stat));
        assert_eq!(p("STAT /x"), Err(ParseError::UnsupportedParameter));
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
            "MFMT 2020 x",
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
