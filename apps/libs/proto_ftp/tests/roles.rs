// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Who may do what: the admin role for SITE FORMAT, anonymous read-only
//! access inside /www, enforced by the session whatever the app does.

mod common;

use common::*;
use proto_ftp::{Failure, ListFormat, Options, Role, StoreMode};

fn anonymous_on() -> Options {
    Options { anonymous: true, ..Options::default() }
}

fn anonymous_client() -> Client {
    let mut c = Client::with(anonymous_on());
    assert_eq!(c.say("USER anonymous"), "331 Anonymous login ok; send your e-mail address as password.\r\n");
    // Any password: no Authenticate outcome, the session decides.
    assert_eq!(c.say("PASS someone@example.org"), "230 Anonymous access granted: read-only, to the web files.\r\n");
    assert_eq!(c.s.role(), Some(Role::Anonymous));
    c
}

#[test]
fn site_format_needs_the_admin_role() {
    let mut user = Client::logged_in();
    assert_eq!(user.s.role(), Some(Role::User));
    assert_eq!(user.say("SITE FORMAT"), "550 Permission denied: SITE FORMAT needs the admin role.\r\n");
    assert_eq!(user.say("SITE FORMAT MYDISK"), "550 Permission denied: SITE FORMAT needs the admin role.\r\n");
    assert!(!user.s.is_waiting(), "nothing was asked of the app");
    assert_eq!(user.code("SITE HELP"), 214);
    assert_eq!(user.code("SITE CHMOD 600 x"), 502);

    let mut admin = Client::as_role(Options::default(), Role::Admin);
    assert_eq!(admin.cmd("SITE FORMAT"), Got::Format(None));
    assert_eq!(admin.code("NOOP"), 503, "one thing at a time");
    assert_eq!(admin.format_done(Ok(())), "200 Volume formatted.\r\n");
    assert_eq!(admin.cmd("site format Nucleo 2"), Got::Format(Some("Nucleo 2".into())));
    assert_eq!(
        admin.format_done(Err(Failure::BadName)),
        "501 Bad volume label (up to 11 of A-Z 0-9 and FAT's symbols).\r\n"
    );
    assert_eq!(admin.cmd("SITE FORMAT"), Got::Format(None));
    assert_eq!(admin.format_done(Err(Failure::Busy)), "450 Another session is transferring; try again later.\r\n");
    assert_eq!(admin.cmd("SITE FORMAT"), Got::Format(None));
    assert_eq!(admin.format_done(Err(Failure::Local)), "451 Local error in processing.\r\n");
    assert!(admin.say("STAT").contains(" Logged in as admin (admin)\r\n"));
    // A completion nobody asked for changes nothing.
    assert_eq!(admin.format_done(Ok(())), "503 Bad sequence of commands.\r\n");
}

#[test]
fn format_is_not_accepted_during_a_transfer() {
    let mut admin = Client::as_role(Options::default(), Role::Admin);
    admin.pasv();
    assert!(matches!(admin.cmd("RETR x"), Got::Retr(..)));
    admin.started();
    assert_eq!(admin.code("SITE FORMAT"), 503);
}

#[test]
fn anonymous_is_off_by_default() {
    let mut c = Client::new();
    assert_eq!(c.say("USER anonymous"), "331 Password required.\r\n");
    // An ordinary login attempt the app will refuse (and count).
    assert_eq!(c.cmd("PASS guest@"), Got::Auth("anonymous".into(), b"guest@".to_vec()));
    assert_eq!(c.login_result(false), "530 Login incorrect.\r\n");
    assert_eq!(c.s.failed_logins(), 1);
    assert!(!c.s.is_logged_in());
}

#[test]
fn anonymous_reads_inside_www_only() {
    let mut c = anonymous_client();
    assert_eq!(c.say("PWD"), "257 \"/\" is the current directory.\r\n");
    assert_eq!(c.s.cwd().as_str(), "/www");
    // Reads: paths handed to the app are real, replies show them from inside /www.
    c.pasv();
    assert_eq!(c.cmd("RETR index.html"), Got::Retr("/www/index.html".into(), 0));
    c.started();
    c.done(Ok(()));
    c.pasv();
    assert_eq!(c.cmd("LIST /"), Got::List("/www".into(), ListFormat::Long));
    c.started();
    c.done(Ok(()));
    c.pasv();
    assert_eq!(c.cmd("NLST"), Got::List("/www".into(), ListFormat::Names));
    c.started();
    c.done(Ok(()));
    c.pasv();
    assert!(matches!(c.cmd("MLSD"), Got::List(p, ListFormat::Facts(_)) if p == "/www"));
    c.started();
    c.done(Ok(()));
    assert_eq!(c.cmd("SIZE app.js"), Got::Stat("/www/app.js".into()));
    assert_eq!(c.stat_done(Ok(file(7))), "213 7\r\n");
    assert_eq!(c.cmd("MDTM /app.js"), Got::Stat("/www/app.js".into()));
    c.stat_done(Ok(file(7)));
    assert_eq!(c.cmd("MLST /app.js"), Got::Stat("/www/app.js".into()));
    assert!(c.stat_done(Ok(file(7))).starts_with("250-Listing /app.js\r\n"));
    assert_eq!(c.cmd("CWD img"), Got::ChangeDir("/www/img".into()));
    c.fs_done(Ok(()));
    assert_eq!(c.say("PWD"), "257 \"/img\" is the current directory.\r\n");
    assert_eq!(c.cmd("CDUP"), Got::ChangeDir("/www".into()));
    c.fs_done(Ok(()));
    assert_eq!(c.cmd("STAT /img"), Got::Status("/www/img".into(), None));
    assert_eq!(c.status_started(), "213-Status of /img:\r\n");
    c.status_done(Ok(()));

    // Nothing reaches outside /www, however it is spelled.
    for line in ["CWD ..", "CDUP", "SIZE ../config/ftp.cfg", "MDTM /../config/ftp.cfg", "CWD /../.."] {
        assert_eq!(c.say(line), "550 Path leads above the root directory.\r\n", "{line}");
    }
    c.pasv();
    assert_eq!(c.code("RETR ../config/ftp.cfg"), 550);
    assert_eq!(c.cmd("RETR /config/ftp.cfg"), Got::Retr("/www/config/ftp.cfg".into(), 0));
    c.done(Err(Failure::NotFound));
    assert_eq!(c.s.cwd().as_str(), "/www");
}

#[test]
fn anonymous_may_not_change_anything() {
    let mut c = anonymous_client();
    c.pasv();
    for line in [
        "STOR new.txt",
        "APPE index.html",
        "DELE index.html",
        "MKD d",
        "RMD img",
        "RNFR index.html",
        "RNTO x",
        "SITE FORMAT",
        "SITE HELP",
    ] {
        assert_eq!(c.say(line), "550 Permission denied: anonymous access is read-only.\r\n", "{line}");
    }
    assert!(!c.s.is_waiting());
    // The passive listener is still there for a read.
    assert_eq!(c.cmd("RETR a"), Got::Retr("/www/a".into(), 0));
    assert!(c.say_stat().contains("(anonymous, read-only)"));
}

#[test]
fn anonymous_names_and_logging_out() {
    let mut c = Client::with(anonymous_on());
    assert_eq!(c.code("USER FTP"), 331);
    assert_eq!(c.code("PASS"), 230, "even an empty password");
    assert_eq!(c.s.role(), Some(Role::Anonymous));
    // A new USER logs out; the configured user is outside the chroot again.
    assert_eq!(c.say("USER alice"), "331 Password required.\r\n");
    assert_eq!(c.s.root().as_str(), "/");
    assert_eq!(c.cmd("PASS pw"), Got::Auth("alice".into(), b"pw".to_vec()));
    c.login_result(true);
    assert_eq!(c.s.role(), Some(Role::User));
    c.pasv();
    assert_eq!(c.cmd("STOR /config/x"), Got::Stor("/config/x".into(), StoreMode::Replace));
}

trait SayStat {
    fn say_stat(&mut self) -> String;
}

impl SayStat for Client {
    fn say_stat(&mut self) -> String {
        // STAT is refused during the transfer the last test started; finish it.
        self.done(Ok(()));
        self.say("STAT")
    }
}
