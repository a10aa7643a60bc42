// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! What clients use beyond the basics: active mode (PORT, EPRT) and its
//! bounce check, wildcards in LIST/NLST, `STAT path`, TYPE A, QUIT during
//! a transfer, MFMT, and HELP generated from the command table.

mod common;

use core::net::{Ipv4Addr, SocketAddrV4};

use common::*;
use proto_ftp::command::COMMANDS;
use proto_ftp::{parse, Failure, ListFormat, Options, ParseError, Role, StoreMode, Verb};

const PEER: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);

fn with_peer() -> Client {
    let mut c = Client::with(Options { peer: Some(PEER), ..Options::default() });
    c.login("alice", "secret");
    c
}

// ---------------------------------------------------------------- active mode

#[test]
fn port_and_eprt_to_the_peer_set_up_the_next_transfer() {
    let mut c = with_peer();
    assert_eq!(c.cmd("PORT 10,0,2,2,195,80"), Got::Active(SocketAddrV4::new(PEER, 50_000)));
    assert_eq!(c.active_ready(), "200 PORT command successful.\r\n");
    assert!(c.say("STAT").contains(" Active data connection set up (PORT)\r\n"));
    assert_eq!(c.say("ABOR"), "226 No transfer to abort.\r\n");
    assert_eq!(c.cmd("RETR f"), Got::Retr("/f".into(), 0));
    assert_eq!(c.started(), "150 Opening BINARY mode data connection.\r\n");
    assert_eq!(c.done(Ok(())), "226 Transfer complete.\r\n");
    // Each transfer needs its own PORT.
    assert_eq!(c.say("RETR f"), "425 Use PORT, EPRT, PASV or EPSV first.\r\n");
    assert_eq!(c.cmd("EPRT |1|10.0.2.2|6000|"), Got::Active(SocketAddrV4::new(PEER, 6000)));
    assert_eq!(c.active_ready(), "200 EPRT command successful.\r\n");
    assert_eq!(c.cmd("STOR up"), Got::Stor("/up".into(), StoreMode::Replace));
    // The app could not connect: 425 after 150.
    c.started();
    assert_eq!(c.done(Err(Failure::NoDataConnection)), "425 Can't open data connection.\r\n");
    // PASV after PORT replaces it, and the other way round.
    c.cmd("PORT 10,0,2,2,23,112");
    c.active_ready();
    c.pasv();
    assert_eq!(c.say("ABOR"), "225 No transfer to abort.\r\n");
    c.cmd("PORT 10,0,2,2,23,112");
    c.active_ready();
    assert_eq!(c.say("ABOR"), "226 No transfer to abort.\r\n");
}

#[test]
fn no_ftp_bounce() {
    let mut c = with_peer();
    for line in [
        "PORT 10,0,2,3,195,80",
        "PORT 127,0,0,1,195,80",
        "PORT 0,0,0,0,195,80",
        "EPRT |1|192.168.1.1|50000|",
        "EPRT |1|10.0.2.22|50000|",
    ] {
        assert_eq!(c.say(line), "501 Data connections go only to your own address (no FTP bounce).\r\n", "{line}");
    }
    // Privileged ports of the client itself are refused too (RFC 2577).
    assert_eq!(c.say("PORT 10,0,2,2,0,25"), "501 Data port below 1024 refused.\r\n");
    assert_eq!(c.say("EPRT |1|10.0.2.2|1023|"), "501 Data port below 1024 refused.\r\n");
    assert!(!c.s.is_waiting(), "nothing was asked of the app");
    assert_eq!(c.say("RETR f"), "425 Use PORT, EPRT, PASV or EPSV first.\r\n");
    assert_eq!(c.cmd("PORT 10,0,2,2,4,0"), Got::Active(SocketAddrV4::new(PEER, 1024)));
    c.active_ready();
    // IPv6 and unknown protocols: 522; malformed: 501.
    assert_eq!(c.say("EPRT |2|::1|5000|"), "522 Network protocol not supported, use (1)\r\n");
    assert_eq!(c.code("PORT 10,0,2,2"), 501);
    assert_eq!(c.code("EPRT |1|10.0.2.2|"), 501);
}

#[test]
fn epsv_all_refuses_port_and_eprt() {
    let mut c = with_peer();
    c.say("EPSV ALL");
    assert_eq!(c.say("PORT 10,0,2,2,195,80"), "503 Only EPSV allowed after EPSV ALL.\r\n");
    assert_eq!(c.say("EPRT |1|10.0.2.2|50000|"), "503 Only EPSV allowed after EPSV ALL.\r\n");
}

// ---------------------------------------------------------------- wildcards and STAT

#[test]
fn wildcards_filter_list_and_nlst() {
    let mut c = with_peer();
    c.cd("/pub");
    for (line, want) in [
        ("NLST *.txt", Got::Glob("/pub".into(), ListFormat::Names, "*.txt".into(), "".into())),
        ("NLST sub/a?c*", Got::Glob("/pub/sub".into(), ListFormat::Names, "a?c*".into(), "sub/".into())),
        ("NLST /*", Got::Glob("/".into(), ListFormat::Names, "*".into(), "/".into())),
        ("LIST -la ../*.TXT", Got::Glob("/".into(), ListFormat::Long, "*.TXT".into(), "../".into())),
        // No wildcard: the argument is a path, as before.
        ("NLST sub", Got::List("/pub/sub".into(), ListFormat::Names)),
    ] {
        c.pasv();
        assert_eq!(c.cmd(line), want, "{line}");
        c.started();
        c.done(Ok(()));
    }
    // Wildcards only in the last name; MLSD takes none (the storage refuses the name).
    c.pasv();
    assert_eq!(c.say("NLST */x"), "550 Wildcards are allowed in the last name only.\r\n");
    assert_eq!(c.say("LIST ../../*"), "550 Path leads above the root directory.\r\n");
    assert_eq!(c.bytes(b"NLST a\x01*"), reply("553 File name not allowed (control character or backslash).\r\n"));
    assert_eq!(c.cmd("MLSD *.txt"), Got::List("/pub/*.txt".into(), ListFormat::Facts(proto_ftp::Facts::ALL)));
}

#[test]
fn stat_path_lists_on_the_control_connection() {
    let mut c = with_peer();
    assert_eq!(c.cmd("STAT /docs"), Got::Status("/docs".into(), None));
    assert_eq!(c.code("NOOP"), 503, "the listing is still being sent");
    assert_eq!(c.status_started(), "213-Status of /docs:\r\n");
    assert_eq!(c.status_done(Ok(())), "213 End of status.\r\n");
    // With a wildcard, and failures before and after the listing started.
    assert_eq!(c.cmd("STAT -l *.log"), Got::Status("/".into(), Some(("*.log".into(), "".into()))));
    c.status_started();
    assert_eq!(c.status_done(Err(Failure::Local)), "213 End of status; the listing is incomplete.\r\n");
    assert_eq!(c.cmd("STAT missing"), Got::Status("/missing".into(), None));
    assert_eq!(c.status_done(Err(Failure::NotFound)), "550 No such file or directory.\r\n");
    assert_eq!(c.say("STAT ../x"), "550 Path leads above the root directory.\r\n");
    // No data connection is needed or used.
    assert_eq!(c.say("RETR x"), "425 Use PORT, EPRT, PASV or EPSV first.\r\n");
    assert_eq!(c.status_started(), "503 Bad sequence of commands.\r\n");
}

// ---------------------------------------------------------------- TYPE A

#[test]
fn ascii_mode_refuses_restart_and_sizes_stored_bytes() {
    let mut c = with_peer();
    c.say("TYPE A");
    // SIZE reports the stored size in TYPE A too (ftplib's nlst() leaves TYPE A).
    assert_eq!(c.cmd("SIZE f"), Got::Stat("/f".into()));
    assert_eq!(c.stat_done(Ok(file(12))), "213 12\r\n");
    c.say("REST 10");
    c.pasv();
    assert_eq!(c.say("RETR f"), "550 Restart is not available in ASCII mode; use TYPE I.\r\n");
    // REST was used up; the listener is still there.
    assert_eq!(c.cmd("RETR f"), Got::Retr("/f".into(), 0));
    assert_eq!(c.started(), "150 Opening ASCII mode data connection.\r\n");
    c.done(Ok(()));
    c.say("REST 10");
    c.pasv();
    assert_eq!(c.code("STOR f"), 550);
    // Listings ignore REST (and TYPE).
    c.say("REST 10");
    assert_eq!(c.cmd("LIST"), Got::List("/".into(), ListFormat::Long));
    c.done(Ok(()));
}

// ---------------------------------------------------------------- QUIT during a transfer

#[test]
fn quit_during_a_transfer_waits_for_its_end() {
    for (result, want) in [
        (Ok(()), "226 Transfer complete.\r\n221 Goodbye.\r\n"),
        (Err(Failure::ConnectionClosed), "426 Connection closed; transfer aborted.\r\n221 Goodbye.\r\n"),
        (Err(Failure::NoSpace), "552 Disk full; transfer aborted.\r\n221 Goodbye.\r\n"),
    ] {
        let mut c = with_peer();
        c.pasv();
        c.cmd("STOR big");
        c.started();
        assert_eq!(c.cmd("QUIT"), Got::QuitAfter);
        assert!(c.s.quitting());
        assert_eq!(c.code("NOOP"), 200, "still answered meanwhile");
        assert_eq!(c.done(result), want);
    }
    // ABOR after QUIT: the abort's two replies, then 221.
    let mut c = with_peer();
    c.pasv();
    c.cmd("RETR big");
    c.started();
    assert_eq!(c.cmd("QUIT"), Got::QuitAfter);
    assert_eq!(c.cmd("ABOR"), Got::Abort);
    assert_eq!(
        c.done(Err(Failure::ConnectionClosed)),
        "426 Transfer aborted.\r\n226 ABOR successful.\r\n221 Goodbye.\r\n"
    );
    // QUIT with no transfer closes at once.
    let mut c = with_peer();
    assert_eq!(c.cmd("QUIT"), Got::Close("221 Goodbye.\r\n".into()));
    assert!(!c.s.quitting());
}

// ---------------------------------------------------------------- MFMT

#[test]
fn mfmt_only_when_the_app_can_set_times() {
    let mut c = with_peer();
    assert_eq!(c.say("MFMT 20240102030405 f"), "502 Command not implemented.\r\n");
    assert!(!c.say("FEAT").contains("MFMT"));
    assert!(!c.say("HELP").contains("MFMT"));

    let mut c = Client::with(Options { set_times: true, ..Options::default() });
    c.login("alice", "secret");
    assert!(c.say("FEAT").contains("\r\n MFMT\r\n"));
    assert!(c.say("HELP").contains(" MFMT"));
    let time = t(2024, 1, 2, 3, 4, 5);
    assert_eq!(c.cmd("MFMT 20240102030405 a b.txt"), Got::SetModified("/a b.txt".into(), time));
    assert_eq!(c.fs_done(Ok(())), "213 Modify=20240102030405; /a b.txt\r\n");
    assert_eq!(c.cmd("MFMT 20240102030405 gone"), Got::SetModified("/gone".into(), time));
    assert_eq!(c.fs_done(Err(Failure::NotFound)), "550 No such file or directory.\r\n");
    assert_eq!(c.say("MFMT 20240102030405 /"), "550 Not allowed on the root directory.\r\n");
    assert_eq!(c.code("MFMT 2024 x"), 501);
    // Anonymous users may not.
    let mut anon = Client::with(Options { set_times: true, anonymous: true, ..Options::default() });
    anon.say("USER ftp");
    anon.say("PASS x");
    assert_eq!(anon.code("MFMT 20240102030405 index.html"), 550);
}

// ---------------------------------------------------------------- HELP

/// The verbs a HELP reply lists.
fn help_words(help: &str) -> Vec<String> {
    let lines: Vec<&str> = help.split("\r\n").collect();
    assert!(lines[0].starts_with("214-") && help.ends_with("214 Help OK.\r\n"));
    lines[1..lines.len() - 2].iter().flat_map(|l| l.split_whitespace()).map(String::from).collect()
}

#[test]
fn help_lists_exactly_what_parses() {
    let mut c = with_peer();
    let words = help_words(&c.say("HELP"));
    let offered: Vec<String> = COMMANDS.iter().filter(|(_, v)| *v != Verb::Mfmt).map(|(n, _)| n.to_string()).collect();
    assert_eq!(words, offered);
    // Every listed verb is implemented: it parses (an argument may be missing).
    for w in &words {
        let got = parse(w.as_bytes());
        assert!(!matches!(got, Err(ParseError::Unknown | ParseError::NotImplemented)), "{w}: {got:?}");
    }
    // And verbs we only recognise are not listed.
    for w in ["AUTH", "STOU", "REIN", "LPSV", "ACCT"] {
        assert!(!words.iter().any(|x| x == w), "{w}");
        assert_eq!(parse(w.as_bytes()), Err(ParseError::NotImplemented));
    }
    for w in ["PORT", "EPRT", "STAT", "SITE", "HELP"] {
        assert!(words.iter().any(|x| x == w), "{w}");
    }
    // Lines fit 80 columns, and the role changes nothing (SITE is one verb).
    let help = c.say("HELP");
    assert!(help.split("\r\n").all(|l| l.len() <= 80));
    let mut admin = Client::as_role(Options::default(), Role::Admin);
    assert_eq!(admin.say("HELP"), help);
}
