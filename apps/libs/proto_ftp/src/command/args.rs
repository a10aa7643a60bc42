// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Argument parsers of the commands, one per syntax.

use core::net::{Ipv4Addr, SocketAddrV4};

use super::{Command, DataType, EprtArg, EpsvArg, OptsArg, ParseError, SiteCmd};
use crate::time::DateTime;

/// The command must not have an argument.
pub(super) fn none(arg: Option<&[u8]>, cmd: Command<'static>) -> Result<Command<'static>, ParseError> {
    match arg {
        None => Ok(cmd),
        Some(_) => Err(ParseError::UnexpectedArgument),
    }
}

/// A required UTF-8 argument.
pub(super) fn text(arg: Option<&[u8]>) -> Result<&str, ParseError> {
    let arg = arg.ok_or(ParseError::MissingArgument)?;
    core::str::from_utf8(arg).map_err(|_| ParseError::NotUtf8)
}

/// An optional UTF-8 argument.
pub(super) fn opt_text(arg: Option<&[u8]>) -> Result<Option<&str>, ParseError> {
    arg.map(|a| text(Some(a))).transpose()
}

/// `LIST`/`NLST`/`STAT` argument: leading `-xyz` words are `ls` options, the rest a path.
///
/// Many clients send `LIST -a` or `LIST -la dir`; a file whose name starts with
/// `-` can still be listed through its parent directory.
pub(super) fn ls_path(arg: Option<&[u8]>) -> Result<Option<&str>, ParseError> {
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
pub(super) fn one_of(
    arg: Option<&[u8]>,
    ok: &[u8],
    unsupported: &[u8],
    cmd: Command<'static>,
) -> Result<Command<'static>, ParseError> {
    match arg.ok_or(ParseError::MissingArgument)? {
        [c] if ok.contains(&c.to_ascii_uppercase()) => Ok(cmd),
        [c] if unsupported.contains(&c.to_ascii_uppercase()) => Err(ParseError::UnsupportedParameter),
        _ => Err(ParseError::InvalidArgument),
    }
}

/// `TYPE A [N] | I | L 8`; other valid RFC 959 types are 504.
pub(super) fn data_type(arg: Option<&[u8]>) -> Result<DataType, ParseError> {
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
pub(super) fn epsv(arg: Option<&[u8]>) -> Result<Option<EpsvArg>, ParseError> {
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
pub(super) fn port(arg: &[u8]) -> Result<SocketAddrV4, ParseError> {
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
pub(super) fn eprt(arg: &[u8]) -> Result<EprtArg, ParseError> {
    let arg = core::str::from_utf8(arg).map_err(|_| ParseError::InvalidArgument)?;
    let delim = arg.chars().next().ok_or(ParseError::InvalidArgument)?;
    if !delim.is_ascii_graphic() || delim.is_ascii_digit() {
        return Err(ParseError::InvalidArgument);
    }
    let mut parts = arg.split(delim);
    let (Some(""), Some(proto), Some(addr), Some(port), Some(""), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::InvalidArgument);
    };
    let proto = decimal(proto.as_bytes())?;
    let port = match decimal(port.as_bytes())? {
        p @ 1..=0xffff => p as u16,
        _ => return Err(ParseError::InvalidArgument),
    };
    match proto {
        1 => {
            let ip = addr.parse::<Ipv4Addr>().map_err(|_| ParseError::InvalidArgument)?;
            Ok(EprtArg::V4(SocketAddrV4::new(ip, port)))
        }
        2..=0xffff if !addr.is_empty() => Ok(EprtArg::Protocol(proto as u16)),
        _ => Err(ParseError::InvalidArgument),
    }
}

/// `MFMT time-val path`: `YYYYMMDDHHMMSS[.fff]` (UTC, fraction ignored), a space, the path.
pub(super) fn mfmt(arg: &str) -> Result<Command<'_>, ParseError> {
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
pub(super) fn site(arg: &str) -> Result<SiteCmd<'_>, ParseError> {
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
pub(super) fn opts(arg: Option<&[u8]>) -> Result<OptsArg<'_>, ParseError> {
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
pub(super) fn decimal(arg: &[u8]) -> Result<u64, ParseError> {
    if arg.is_empty() {
        return Err(ParseError::InvalidArgument);
    }
    arg.iter().try_fold(0u64, |acc, &b| {
        let digit = match b {
            b'0'..=b'9' => u64::from(b - b'0'),
            _ => return Err(ParseError::InvalidArgument),
        };
        acc.checked_mul(10).and_then(|v| v.checked_add(digit)).ok_or(ParseError::InvalidArgument)
    })
}
