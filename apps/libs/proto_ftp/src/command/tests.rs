// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Parser tests, one syntax at a time.

use core::net::{Ipv4Addr, SocketAddrV4};

use super::verbs::{lookup, NOT_IMPLEMENTED};
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
    assert_eq!(p("RETR my file .txt\r\n"), Ok(Command::Retr("my file .txt")));
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
    for bad in ["TYPE E", "TYPE A T", "TYPE A C", "TYPE E N", "TYPE L 16", "TYPE L 7"] {
        assert_eq!(p(bad), Err(ParseError::UnsupportedParameter), "{bad}");
    }
    for bad in ["TYPE X", "TYPE", "TYPE AB", "TYPE A X", "TYPE I N", "TYPE L", "TYPE L x", "TYPE A N N"] {
        assert!(matches!(p(bad), Err(ParseError::InvalidArgument | ParseError::MissingArgument)), "{bad}");
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
    assert_eq!(p("PORT 10,0,2,2,195,80"), Ok(Command::Port(addr(10, 0, 2, 2, 50_000))));
    assert_eq!(p("PORT 1, 2,3 ,4,0,21"), Ok(Command::Port(addr(1, 2, 3, 4, 21))));
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
    assert_eq!(p("EPRT |1|132.235.1.2|6275|"), Ok(Command::Eprt(EprtArg::V4(addr(132, 235, 1, 2, 6275)))));
    assert_eq!(p("EPRT !1!10.0.2.2!50000!"), Ok(Command::Eprt(EprtArg::V4(addr(10, 0, 2, 2, 50_000)))));
    assert_eq!(p("EPRT |2|1080::8:800:200C:417A|5282|"), Ok(Command::Eprt(EprtArg::Protocol(2))));
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
    assert_eq!(p("MFMT 20240229235958 a b.txt"), Ok(Command::Mfmt(t, "a b.txt")));
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
    assert_eq!(p("site format  MYDISK "), Ok(Command::Site(SiteCmd::Format(Some("MYDISK")))));
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
        assert_ne!(parse(name.as_bytes()), Err(ParseError::NotImplemented), "{name}");
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
    assert_eq!(p("REST 18446744073709551616"), Err(ParseError::InvalidArgument));
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
    assert_eq!(p("OPTS MLST type;size;"), Ok(Command::Opts(OptsArg::Mlst("type;size;"))));
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
    for v in ["AUTH TLS", "SITE CHMOD 777 x", "STOU", "REIN", "ACCT a", "PBSZ 0", "CCC", "LPSV", "MFCT 2020 x"] {
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
