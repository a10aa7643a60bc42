//! End-to-end tests of `Session` through its public API, one command line at a time.

mod common;

use common::*;
use proto_ftp::reply::is_well_formed;
use proto_ftp::{
    Facts, Failure, Feed, FsOp, LineBuffer, ListFormat, Outcome, ParseError, ReplyBuf, Session, StoreMode, MAX_NAME,
    MAX_PATH,
};

// ---------------------------------------------------------------- login

#[test]
fn greeting_and_closing() {
    let mut out = ReplyBuf::new();
    assert_eq!(checked(Session::greeting(&mut out)), "220 FTP server ready.\r\n");
    assert_eq!(checked(Session::closing(&mut out)), "421 Service closing control connection.\r\n");
}

#[test]
fn login_flow() {
    let mut c = Client::new();
    assert!(!c.s.is_logged_in());
    assert_eq!(c.s.user(), None);
    c.login("alice", "pa ss word");
    assert!(c.s.is_logged_in());
    assert_eq!(c.s.user(), Some("alice"));
    assert_eq!(c.s.failed_logins(), 0);
    assert_eq!(c.say("PWD"), "257 \"/\" is the current directory.\r\n");
}

#[test]
fn empty_password_is_passed_through() {
    let mut c = Client::new();
    c.say("USER anonymous");
    assert_eq!(c.cmd("PASS"), Got::Auth("anonymous".into(), vec![]));
}

#[test]
fn wrong_password_then_retry() {
    let mut c = Client::new();
    c.say("USER alice");
    assert_eq!(c.cmd("PASS nope"), Got::Auth("alice".into(), b"nope".to_vec()));
    assert_eq!(c.login_result(false), "530 Login incorrect.\r\n");
    assert!(!c.s.is_logged_in());
    assert_eq!(c.s.failed_logins(), 1);
    // Back to needing USER.
    assert_eq!(c.say("PASS again"), "503 Send USER first.\r\n");
    assert_eq!(c.code("PWD"), 530);
    c.say("USER alice");
    c.cmd("PASS still-wrong");
    c.login_result(false);
    assert_eq!(c.s.failed_logins(), 2);
    c.login("alice", "secret");
    assert_eq!(c.s.failed_logins(), 2);
}

#[test]
fn pass_out_of_sequence() {
    let mut c = Client::new();
    assert_eq!(c.say("PASS x"), "503 Send USER first.\r\n");
    c.login("a", "b");
    assert_eq!(c.say("PASS x"), "503 Already logged in.\r\n");
}

#[test]
fn user_again_logs_out() {
    let mut c = Client::logged_in();
    c.cd("sub");
    assert_eq!(c.say("USER bob"), "331 Password required.\r\n");
    assert!(!c.s.is_logged_in());
    assert_eq!(c.code("PWD"), 530);
    c.cmd("PASS pw");
    c.login_result(true);
    assert_eq!(c.s.user(), Some("bob"));
    assert_eq!(c.s.cwd().as_str(), "/");
}

#[test]
fn bad_user_names() {
    let mut c = Client::new();
    assert_eq!(c.say(&format!("USER {}", "u".repeat(65))), "501 User name not allowed.\r\n");
    assert_eq!(c.say("USER a\tb"), "501 User name not allowed.\r\n");
    assert_eq!(c.code("USER"), 501);
    assert_eq!(c.bytes(b"USER \xff\r\n"), reply("501 Argument is not valid UTF-8.\r\n"));
    c.login(&"u".repeat(64), "p");
}

#[test]
fn commands_before_login_get_530() {
    let mut c = Client::new();
    for line in [
        "PWD",
        "XPWD",
        "CWD /",
        "CDUP",
        "TYPE I",
        "MODE S",
        "STRU F",
        "PASV",
        "EPSV",
        "EPSV ALL",
        "PORT 1,2,3,4,5,6",
        "EPRT |1|1.2.3.4|5|",
        "LIST",
        "NLST",
        "MLSD",
        "MLST",
        "RETR a",
        "STOR a",
        "APPE a",
        "DELE a",
        "MKD a",
        "RMD a",
        "RNFR a",
        "RNTO a",
        "SIZE a",
        "MDTM a",
        "REST 5",
        "ABOR",
        "STAT",
        "ALLO 5",
    ] {
        assert_eq!(c.say(line), "530 Please log in with USER and PASS.\r\n", "{line}");
    }
    // Allowed before login.
    assert_eq!(c.code("SYST"), 215);
    assert_eq!(c.code("FEAT"), 211);
    assert_eq!(c.code("OPTS UTF8 ON"), 200);
    assert_eq!(c.code("NOOP"), 200);
    assert_eq!(c.code("HELP"), 214);
    // Syntax errors are reported as such even before login.
    assert_eq!(c.code("BOGUS"), 500);
    assert_eq!(c.code("AUTH TLS"), 502);
    assert_eq!(c.cmd("QUIT"), Got::Close("221 Goodbye.\r\n".into()));
}

// ---------------------------------------------------------------- simple commands

#[test]
fn informational_commands() {
    let mut c = Client::logged_in();
    assert_eq!(c.say("SYST"), "215 UNIX Type: L8\r\n");
    assert_eq!(
        c.say("FEAT"),
        "211-Features:\r\n EPSV\r\n MDTM\r\n MLST type*;size*;modify*;perm*;\r\n PASV\r\n REST STREAM\r\n SIZE\r\n UTF8\r\n211 End\r\n"
    );
    assert_eq!(c.say("OPTS UTF8 ON"), "200 UTF8 mode is always on.\r\n");
    assert_eq!(c.say("OPTS UTF8 OFF"), "504 Parameter not supported.\r\n");
    assert_eq!(c.say("NOOP"), "200 NOOP ok.\r\n");
    assert_eq!(c.say("ALLO 1000"), "202 ALLO not needed.\r\n");
    let help = c.say("HELP");
    assert!(help.starts_with("214-") && help.ends_with("214 Help OK.\r\n") && help.contains(" RETR "));
    assert_eq!(c.code("HELP RETR"), 214);
    assert_eq!(
        c.say("STAT"),
        "211-FTP server status:\r\n Logged in as alice\r\n TYPE: BINARY; STRU: File; MODE: Stream\r\n No data connection\r\n211 End of status.\r\n"
    );
    assert_eq!(c.cmd("STAT /x"), Got::Status("/x".into(), None));
    assert_eq!(c.status_done(Ok(())), "213 End of status.\r\n");
    assert_eq!(c.say("XYZZY"), "500 Unknown command.\r\n");
    assert_eq!(c.say("SITE CHMOD 777 x"), "502 Command not implemented.\r\n");
    assert_eq!(c.say("PWD extra"), "501 Command takes no argument.\r\n");
    assert_eq!(c.say(""), "500 Empty command line.\r\n");
    assert_eq!(c.cmd("quit"), Got::Close("221 Goodbye.\r\n".into()));
}

#[test]
fn opts_mlst_selects_facts() {
    let mut c = Client::logged_in();
    assert_eq!(c.say("OPTS MLST type;modify;bogus;"), "200 MLST OPTS type;modify;\r\n");
    assert_eq!(c.s.facts(), Facts::TYPE.union(Facts::MODIFY));
    assert!(c.say("FEAT").contains(" MLST type*;size;modify*;perm;\r\n"));
    c.pasv();
    assert_eq!(c.cmd("MLSD"), Got::List("/".into(), ListFormat::Facts(Facts::TYPE.union(Facts::MODIFY))));
    c.done(Ok(()));
    assert_eq!(c.say("OPTS MLST"), "200 MLST OPTS\r\n");
    assert_eq!(c.cmd("MLST a"), Got::Stat("/a".into()));
    assert_eq!(c.stat_done(Ok(file(3))), "250-Listing /a\r\n  /a\r\n250 End.\r\n");
}

#[test]
fn type_mode_stru() {
    let mut c = Client::logged_in();
    assert_eq!(c.say("TYPE A"), "200 Type set to A.\r\n");
    assert_eq!(c.s.data_type(), proto_ftp::DataType::Ascii);
    assert!(c.say("STAT").contains("TYPE: ASCII"));
    assert_eq!(c.say("TYPE I"), "200 Type set to I.\r\n");
    assert_eq!(c.say("type a n"), "200 Type set to A.\r\n");
    assert_eq!(c.say("TYPE L 8"), "200 Type set to I.\r\n");
    assert_eq!(c.code("TYPE E"), 504);
    assert_eq!(c.code("TYPE L 16"), 504);
    assert_eq!(c.code("TYPE Q"), 501);
    assert_eq!(c.code("TYPE"), 501);
    assert_eq!(c.s.data_type(), proto_ftp::DataType::Image);
    assert_eq!(c.say("MODE S"), "200 Mode set to S.\r\n");
    assert_eq!(c.code("MODE B"), 504);
    assert_eq!(c.code("MODE Z"), 501);
    assert_eq!(c.say("STRU F"), "200 Structure set to F.\r\n");
    assert_eq!(c.code("STRU R"), 504);
    assert_eq!(c.code("STRU"), 501);
}

// ---------------------------------------------------------------- directories and PWD

#[test]
fn cwd_cdup_pwd() {
    let mut c = Client::logged_in();
    assert_eq!(c.cmd("CWD pub"), Got::ChangeDir("/pub".into()));
    assert_eq!(c.fs_done(Ok(())), "250 Directory changed.\r\n");
    assert_eq!(c.cmd("XCWD my docs"), Got::ChangeDir("/pub/my docs".into()));
    c.fs_done(Ok(()));
    assert_eq!(c.say("XPWD"), "257 \"/pub/my docs\" is the current directory.\r\n");
    assert_eq!(c.cmd("CDUP"), Got::ChangeDir("/pub".into()));
    c.fs_done(Ok(()));
    assert_eq!(c.cmd("XCUP"), Got::ChangeDir("/".into()));
    c.fs_done(Ok(()));
    assert_eq!(c.say("CDUP"), "550 Path leads above the root directory.\r\n");
    assert_eq!(c.cmd("CWD /"), Got::ChangeDir("/".into()));
    c.fs_done(Ok(()));
}

#[test]
fn cwd_failures_keep_cwd() {
    let mut c = Client::logged_in();
    c.cd("/a");
    assert_eq!(c.cmd("CWD missing"), Got::ChangeDir("/a/missing".into()));
    assert_eq!(c.fs_done(Err(Failure::NotFound)), "550 No such file or directory.\r\n");
    assert_eq!(c.cmd("CWD file.txt"), Got::ChangeDir("/a/file.txt".into()));
    assert_eq!(c.fs_done(Err(Failure::NotADirectory)), "550 Not a directory.\r\n");
    assert_eq!(c.s.cwd().as_str(), "/a");
    assert_eq!(c.say("CWD ../../etc"), "550 Path leads above the root directory.\r\n");
    assert_eq!(c.say("CWD"), "501 Missing argument.\r\n");
    assert_eq!(c.s.cwd().as_str(), "/a");
}

#[test]
fn pwd_doubles_quotes() {
    let mut c = Client::logged_in();
    c.cd("say \"hi\"");
    assert_eq!(c.say("PWD"), "257 \"/say \"\"hi\"\"\" is the current directory.\r\n");
}

#[test]
fn mkd_rmd_dele() {
    let mut c = Client::logged_in();
    c.cd("/docs");
    assert_eq!(c.cmd("MKD new \"dir\""), Got::MakeDir("/docs/new \"dir\"".into()));
    assert_eq!(c.fs_done(Ok(())), "257 \"/docs/new \"\"dir\"\"\" created.\r\n");
    assert_eq!(c.cmd("XMKD /x"), Got::MakeDir("/x".into()));
    assert_eq!(c.fs_done(Err(Failure::AlreadyExists)), "550 File exists.\r\n");
    assert_eq!(c.cmd("MKD y"), Got::MakeDir("/docs/y".into()));
    assert_eq!(c.fs_done(Err(Failure::NoSpace)), "452 Insufficient storage space.\r\n");
    assert_eq!(c.cmd("MKD bad:name"), Got::MakeDir("/docs/bad:name".into()));
    assert_eq!(c.fs_done(Err(Failure::BadName)), "553 File name not allowed.\r\n");
    assert_eq!(c.cmd("RMD old"), Got::RemoveDir("/docs/old".into()));
    assert_eq!(c.fs_done(Ok(())), "250 Directory removed.\r\n");
    assert_eq!(c.cmd("XRMD full"), Got::RemoveDir("/docs/full".into()));
    assert_eq!(c.fs_done(Err(Failure::NotEmpty)), "550 Directory not empty.\r\n");
    assert_eq!(c.cmd("DELE f.txt"), Got::Delete("/docs/f.txt".into()));
    assert_eq!(c.fs_done(Ok(())), "250 File deleted.\r\n");
    assert_eq!(c.cmd("DELE ro.txt"), Got::Delete("/docs/ro.txt".into()));
    assert_eq!(c.fs_done(Err(Failure::PermissionDenied)), "550 Permission denied.\r\n");
    assert_eq!(c.cmd("DELE sub"), Got::Delete("/docs/sub".into()));
    assert_eq!(c.fs_done(Err(Failure::IsADirectory)), "550 Is a directory.\r\n");
    assert_eq!(c.cmd("DELE busy"), Got::Delete("/docs/busy".into()));
    assert_eq!(c.fs_done(Err(Failure::Busy)), "450 File busy; try again later.\r\n");
    assert_eq!(c.cmd("DELE io"), Got::Delete("/docs/io".into()));
    assert_eq!(c.fs_done(Err(Failure::Local)), "451 Local error in processing.\r\n");
    for line in ["DELE /", "RMD ..", "MKD /"] {
        assert_eq!(c.say(line), "550 Not allowed on the root directory.\r\n", "{line}");
    }
    assert_eq!(c.code("DELE"), 501);
    assert_eq!(c.code("MKD"), 501);
}

// ---------------------------------------------------------------- SIZE / MDTM / MLST

#[test]
fn size_mdtm_mlst() {
    let mut c = Client::logged_in();
    assert_eq!(c.cmd("SIZE a.bin"), Got::Stat("/a.bin".into()));
    assert_eq!(c.stat_done(Ok(file(1_234_567))), "213 1234567\r\n");
    assert_eq!(c.cmd("SIZE sub"), Got::Stat("/sub".into()));
    assert_eq!(c.stat_done(Ok(dir())), "550 Not a regular file.\r\n");
    assert_eq!(c.cmd("SIZE nope"), Got::Stat("/nope".into()));
    assert_eq!(c.stat_done(Err(Failure::NotFound)), "550 No such file or directory.\r\n");
    assert_eq!(c.cmd("MDTM a.bin"), Got::Stat("/a.bin".into()));
    assert_eq!(c.stat_done(Ok(file(1))), "213 20240305060708\r\n");
    assert_eq!(c.cmd("MDTM sub"), Got::Stat("/sub".into()));
    assert_eq!(c.stat_done(Ok(dir())), "213 20010203040506\r\n");
    assert_eq!(c.cmd("MLST a b.txt"), Got::Stat("/a b.txt".into()));
    assert_eq!(
        c.stat_done(Ok(file(42))),
        "250-Listing /a b.txt\r\n type=file;size=42;modify=20240305060708;perm=adfrw; /a b.txt\r\n250 End.\r\n"
    );
    assert_eq!(c.cmd("MLST"), Got::Stat("/".into()));
    assert_eq!(
        c.stat_done(Ok(dir())),
        "250-Listing /\r\n type=dir;modify=20010203040506;perm=cdeflmp; /\r\n250 End.\r\n"
    );
    assert_eq!(c.code("SIZE"), 501);
    assert_eq!(c.code("MDTM ../x"), 550);
}

// ---------------------------------------------------------------- rename

#[test]
fn rnfr_rnto_happy_path() {
    let mut c = Client::logged_in();
    c.cd("/d");
    assert_eq!(c.cmd("RNFR old name.txt"), Got::Stat("/d/old name.txt".into()));
    assert_eq!(c.stat_done(Ok(file(1))), "350 Ready for RNTO.\r\n");
    assert_eq!(c.cmd("RNTO ../new.txt"), Got::Rename("/d/old name.txt".into(), "/new.txt".into()));
    assert_eq!(c.fs_done(Ok(())), "250 Rename successful.\r\n");
    // Consumed: a second RNTO needs a new RNFR.
    assert_eq!(c.say("RNTO again"), "503 Send RNFR first.\r\n");
}

#[test]
fn rnto_without_rnfr_and_cleared_rnfr() {
    let mut c = Client::logged_in();
    assert_eq!(c.say("RNTO x"), "503 Send RNFR first.\r\n");
    // Any other command in between clears the pending name.
    for between in ["NOOP", "PWD", "TYPE I", "BOGUS", "RNTO"] {
        c.cmd("RNFR a");
        c.stat_done(Ok(file(1)));
        c.say(between);
        assert_eq!(c.say("RNTO b"), "503 Send RNFR first.\r\n", "after {between}");
    }
    // A too-long line clears it too.
    c.cmd("RNFR a");
    c.stat_done(Ok(file(1)));
    let mut out = ReplyBuf::new();
    assert_eq!(checked(c.s.reject(ParseError::TooLong, &mut out)), "500 Command line too long.\r\n");
    assert_eq!(c.say("RNTO b"), "503 Send RNFR first.\r\n");
}

#[test]
fn rename_failures() {
    let mut c = Client::logged_in();
    c.cmd("RNFR missing");
    assert_eq!(c.stat_done(Err(Failure::NotFound)), "550 No such file or directory.\r\n");
    assert_eq!(c.say("RNTO b"), "503 Send RNFR first.\r\n");
    c.cmd("RNFR a");
    c.stat_done(Ok(dir()));
    assert_eq!(c.cmd("RNTO b"), Got::Rename("/a".into(), "/b".into()));
    assert_eq!(c.fs_done(Err(Failure::AlreadyExists)), "550 File exists.\r\n");
    assert_eq!(c.say("RNTO c"), "503 Send RNFR first.\r\n");
    // Bad target: the source is still consumed.
    c.cmd("RNFR a");
    c.stat_done(Ok(file(1)));
    assert_eq!(c.code("RNTO ../../x"), 550);
    assert_eq!(c.say("RNTO c"), "503 Send RNFR first.\r\n");
    assert_eq!(c.say("RNFR /"), "550 Cannot rename the root directory.\r\n");
    c.cmd("RNFR a");
    c.stat_done(Ok(file(1)));
    assert_eq!(c.say("RNTO /"), "550 Not allowed on the root directory.\r\n");
}

// ---------------------------------------------------------------- passive mode

#[test]
fn pasv_and_epsv_replies() {
    let mut c = Client::logged_in();
    c.pasv();
    assert!(c.say("STAT").contains(" Passive listener open\r\n"));
    assert_eq!(c.cmd("EPSV"), Got::OpenPassive(true));
    assert_eq!(c.passive_ready(), "229 Entering Extended Passive Mode (|||50001|)\r\n");
    assert_eq!(c.cmd("EPSV 1"), Got::OpenPassive(true));
    assert_eq!(c.passive_ready(), "229 Entering Extended Passive Mode (|||50001|)\r\n");
    assert_eq!(c.say("EPSV 2"), "522 Network protocol not supported, use (1)\r\n");
    assert_eq!(c.code("EPSV foo"), 501);
    assert_eq!(c.code("PASV now"), 501);
}

#[test]
fn passive_failure_gives_425() {
    let mut c = Client::logged_in();
    assert_eq!(c.cmd("PASV"), Got::OpenPassive(false));
    assert_eq!(checked(c.s.passive_failed(&mut c.out)), "425 Can't open passive data connection.\r\n");
    assert_eq!(c.say("RETR a"), "425 Use PORT, EPRT, PASV or EPSV first.\r\n");
}

#[test]
fn epsv_all_locks_out_pasv() {
    let mut c = Client::logged_in();
    assert_eq!(c.say("EPSV ALL"), "200 EPSV ALL ok.\r\n");
    assert_eq!(c.say("PASV"), "503 Only EPSV allowed after EPSV ALL.\r\n");
    assert_eq!(c.cmd("EPSV"), Got::OpenPassive(true));
}

#[test]
fn active_mode_needs_the_peer_address() {
    // Without the control connection's peer (the app did not say), no active mode.
    let mut c = Client::logged_in();
    assert_eq!(c.say("PORT 10,0,0,1,4,1"), "502 Active mode not available; use PASV.\r\n");
    assert_eq!(c.say("EPRT |1|10.0.0.1|1025|"), "502 Active mode not available; use PASV.\r\n");
}

// ---------------------------------------------------------------- transfers

#[test]
fn retr_requires_pasv_each_time() {
    let mut c = Client::logged_in();
    assert_eq!(c.say("RETR a.txt"), "425 Use PORT, EPRT, PASV or EPSV first.\r\n");
    c.pasv();
    assert_eq!(c.cmd("RETR a.txt"), Got::Retr("/a.txt".into(), 0));
    assert!(c.s.in_transfer());
    assert_eq!(c.started(), "150 Opening BINARY mode data connection.\r\n");
    assert_eq!(c.done(Ok(())), "226 Transfer complete.\r\n");
    assert!(!c.s.in_transfer());
    // The listener was used up by that transfer.
    assert_eq!(c.say("RETR a.txt"), "425 Use PORT, EPRT, PASV or EPSV first.\r\n");
    assert_eq!(c.say("LIST"), "425 Use PORT, EPRT, PASV or EPSV first.\r\n");
}

#[test]
fn ascii_type_text() {
    let mut c = Client::logged_in();
    c.say("TYPE A");
    c.pasv();
    c.cmd("RETR a");
    assert_eq!(c.started(), "150 Opening ASCII mode data connection.\r\n");
}

#[test]
fn rest_applies_once() {
    let mut c = Client::logged_in();
    assert_eq!(c.say("REST 100"), "350 Restarting at 100. Send RETR or STOR.\r\n");
    c.pasv(); // Commands between REST and RETR keep the offset.
    c.say("TYPE I");
    assert_eq!(c.cmd("RETR big.bin"), Got::Retr("/big.bin".into(), 100));
    c.started();
    c.done(Ok(()));
    c.pasv();
    assert_eq!(c.cmd("RETR big.bin"), Got::Retr("/big.bin".into(), 0));
    c.done(Err(Failure::NotFound));

    c.say("REST 7");
    c.pasv();
    assert_eq!(c.cmd("STOR up.bin"), Got::Stor("/up.bin".into(), StoreMode::Resume(7)));
    c.done(Ok(()));
    c.pasv();
    assert_eq!(c.cmd("STOR up.bin"), Got::Stor("/up.bin".into(), StoreMode::Replace));
    c.done(Ok(()));

    // REST 0 means "from the start".
    c.say("REST 0");
    c.pasv();
    assert_eq!(c.cmd("STOR z"), Got::Stor("/z".into(), StoreMode::Replace));
    c.done(Ok(()));

    // Consumed by any transfer command, even a failing or non-file one.
    c.say("REST 9");
    assert_eq!(c.code("RETR x"), 425);
    c.pasv();
    assert_eq!(c.cmd("RETR x"), Got::Retr("/x".into(), 0));
    c.done(Ok(()));
    c.say("REST 9");
    c.pasv();
    assert_eq!(c.cmd("APPE log"), Got::Stor("/log".into(), StoreMode::Append));
    c.done(Ok(()));
    c.say("REST 9");
    c.pasv();
    c.cmd("LIST");
    c.done(Ok(()));
    c.pasv();
    assert_eq!(c.cmd("RETR x"), Got::Retr("/x".into(), 0));
    assert_eq!(c.code("REST"), 501);
    assert_eq!(c.code("REST -5"), 501);
}

#[test]
fn stor_appe_paths() {
    let mut c = Client::logged_in();
    c.cd("/up");
    c.pasv();
    assert_eq!(c.cmd("STOR my file.txt"), Got::Stor("/up/my file.txt".into(), StoreMode::Replace));
    assert_eq!(c.started(), "150 Opening BINARY mode data connection.\r\n");
    assert_eq!(c.done(Ok(())), "226 Transfer complete.\r\n");
    c.pasv();
    assert_eq!(c.say("STOR /"), "553 File name not allowed.\r\n");
    assert_eq!(c.say("APPE .."), "553 File name not allowed.\r\n");
    assert_eq!(c.cmd("APPE log.txt"), Got::Stor("/up/log.txt".into(), StoreMode::Append));
}

#[test]
fn transfer_failure_replies() {
    let cases: &[(bool, Failure, &str)] = &[
        (false, Failure::NotFound, "550 No such file or directory.\r\n"),
        (false, Failure::PermissionDenied, "550 Permission denied.\r\n"),
        (false, Failure::IsADirectory, "550 Is a directory.\r\n"),
        (false, Failure::NoSpace, "452 Insufficient storage space.\r\n"),
        (true, Failure::NoSpace, "552 Disk full; transfer aborted.\r\n"),
        (false, Failure::BadName, "553 File name not allowed.\r\n"),
        (true, Failure::NoDataConnection, "425 Can't open data connection.\r\n"),
        (true, Failure::ConnectionClosed, "426 Connection closed; transfer aborted.\r\n"),
        (true, Failure::Local, "451 Local error in processing.\r\n"),
        (false, Failure::Busy, "450 File busy; try again later.\r\n"),
    ];
    let mut c = Client::logged_in();
    for &(started, failure, want) in cases {
        c.pasv();
        c.cmd("STOR f");
        if started {
            c.started();
        }
        assert_eq!(c.done(Err(failure)), want, "{failure:?} started={started}");
        assert!(!c.s.in_transfer());
    }
}

#[test]
fn listings() {
    let mut c = Client::logged_in();
    c.cd("/pub");
    for (line, path, format) in [
        ("LIST", "/pub", ListFormat::Long),
        ("LIST -a", "/pub", ListFormat::Long),
        ("LIST -la sub dir", "/pub/sub dir", ListFormat::Long),
        ("LIST /", "/", ListFormat::Long),
        ("NLST", "/pub", ListFormat::Names),
        ("NLST -1 ..", "/", ListFormat::Names),
        ("MLSD", "/pub", ListFormat::Facts(Facts::ALL)),
        ("MLSD x", "/pub/x", ListFormat::Facts(Facts::ALL)),
    ] {
        c.pasv();
        assert_eq!(c.cmd(line), Got::List(path.into(), format), "{line}");
        c.started();
        assert_eq!(c.done(Ok(())), "226 Transfer complete.\r\n");
    }
    c.pasv();
    assert_eq!(c.cmd("MLSD file"), Got::List("/pub/file".into(), ListFormat::Facts(Facts::ALL)));
    assert_eq!(c.done(Err(Failure::NotADirectory)), "550 Not a directory.\r\n");
    c.pasv();
    assert_eq!(c.say("LIST ../.."), "550 Path leads above the root directory.\r\n");
}

#[test]
fn abort_during_transfer() {
    let mut c = Client::logged_in();
    c.pasv();
    c.cmd("RETR big");
    c.started();
    assert_eq!(c.cmd("ABOR"), Got::Abort);
    assert_eq!(c.done(Err(Failure::ConnectionClosed)), "426 Transfer aborted.\r\n226 ABOR successful.\r\n");
    // Transfer had already finished when ABOR arrived.
    c.pasv();
    c.cmd("RETR small");
    c.started();
    assert_eq!(c.cmd("ABOR"), Got::Abort);
    assert_eq!(c.done(Ok(())), "226 Transfer complete.\r\n226 ABOR successful.\r\n");
    // ABOR before the 150.
    c.pasv();
    c.cmd("STOR x");
    assert_eq!(c.cmd("ABOR"), Got::Abort);
    assert_eq!(c.done(Err(Failure::Local)), "426 Transfer aborted.\r\n226 ABOR successful.\r\n");
    assert_eq!(c.code("NOOP"), 200);
}

#[test]
fn abort_without_transfer() {
    let mut c = Client::logged_in();
    assert_eq!(c.say("ABOR"), "226 No transfer to abort.\r\n");
    c.pasv();
    assert_eq!(c.say("ABOR"), "225 No transfer to abort.\r\n");
    assert_eq!(c.cmd("RETR still-usable"), Got::Retr("/still-usable".into(), 0));
}

#[test]
fn commands_during_transfer() {
    let mut c = Client::logged_in();
    c.pasv();
    c.cmd("RETR big");
    c.started();
    assert_eq!(c.say("NOOP"), "200 NOOP ok.\r\n");
    assert_eq!(c.say("STAT"), "211 Transfer in progress.\r\n");
    assert_eq!(c.say("PWD"), "503 Transfer in progress; wait or send ABOR.\r\n");
    assert_eq!(c.say("RETR other"), "503 Transfer in progress; wait or send ABOR.\r\n");
    assert_eq!(c.code("GARBAGE"), 500);
    assert_eq!(c.say("STAT /"), "503 Transfer in progress; wait or send ABOR.\r\n");
    assert!(c.s.in_transfer());
    // QUIT lets the transfer finish (RFC 959 §4.1.1); its 226 comes first.
    assert_eq!(c.cmd("QUIT"), Got::QuitAfter);
    assert!(c.s.in_transfer() && c.s.quitting());
    assert_eq!(c.done(Ok(())), "226 Transfer complete.\r\n221 Goodbye.\r\n");
    assert!(!c.s.in_transfer());
}

// ---------------------------------------------------------------- sequencing of completions

#[test]
fn commands_while_waiting_for_the_app() {
    let mut c = Client::new();
    c.say("USER a");
    c.cmd("PASS b");
    assert!(c.s.is_waiting());
    assert_eq!(c.say("NOOP"), "503 Previous command still in progress.\r\n");
    assert_eq!(c.say("USER z"), "503 Previous command still in progress.\r\n");
    assert_eq!(c.login_result(true), "230 User logged in.\r\n");
    assert_eq!(c.s.user(), Some("a"));
    c.cmd("CWD x");
    assert_eq!(c.say("PWD"), "503 Previous command still in progress.\r\n");
    assert_eq!(c.cmd("QUIT"), Got::Close("221 Goodbye.\r\n".into()));
    assert!(!c.s.is_waiting());
}

#[test]
fn mismatched_completions_are_503_and_harmless() {
    let mut c = Client::logged_in();
    let bad = "503 Bad sequence of commands.\r\n";
    assert_eq!(c.login_result(true), bad);
    assert_eq!(c.passive_ready(), bad);
    assert_eq!(checked(c.s.passive_failed(&mut c.out)), bad);
    assert_eq!(c.stat_done(Ok(file(1))), bad);
    assert_eq!(c.fs_done(Ok(())), bad);
    assert_eq!(c.started(), bad);
    assert_eq!(c.done(Ok(())), bad);
    // Wrong kind of completion for what is pending: state is kept.
    c.cmd("SIZE a");
    assert_eq!(c.fs_done(Ok(())), bad);
    assert_eq!(c.done(Ok(())), bad);
    assert_eq!(c.stat_done(Ok(file(5))), "213 5\r\n");
    c.pasv();
    c.cmd("RETR a");
    c.started();
    assert_eq!(c.started(), bad);
    assert_eq!(c.done(Ok(())), "226 Transfer complete.\r\n");
    assert!(c.s.is_logged_in());
}

// ---------------------------------------------------------------- paths and encodings

#[test]
fn path_arguments_through_the_session() {
    let mut c = Client::logged_in();
    c.cd("/a/b");
    let cases: &[(&str, Result<&str, &str>)] = &[
        ("SIZE ../etc", Ok("/a/etc")),
        ("SIZE ../../../etc/passwd", Err("550 Path leads above the root directory.\r\n")),
        ("SIZE /../x", Err("550 Path leads above the root directory.\r\n")),
        ("SIZE x/../../../..", Err("550 Path leads above the root directory.\r\n")),
        ("SIZE ./././..", Ok("/a")),
        ("SIZE //x//y/", Ok("/x/y")),
        ("SIZE name with  spaces ", Ok("/a/b/name with  spaces ")),
        ("SIZE Ünïcödé/日本語.txt", Ok("/a/b/Ünïcödé/日本語.txt")),
        ("SIZE a\\b", Err("553 File name not allowed (control character or backslash).\r\n")),
        ("SIZE a\tb", Err("553 File name not allowed (control character or backslash).\r\n")),
    ];
    for (line, want) in cases {
        match want {
            Ok(path) => {
                assert_eq!(c.cmd(line), Got::Stat(path.to_string()), "{line}");
                c.stat_done(Err(Failure::NotFound));
            }
            Err(r) => assert_eq!(c.say(line), *r, "{line}"),
        }
    }
    let long = "x".repeat(MAX_NAME + 1);
    assert_eq!(c.say(&format!("MKD {long}")), "553 File name not allowed (name too long).\r\n");
    let fits = "y".repeat(MAX_NAME);
    assert_eq!(c.say(&format!("MKD {fits}")), "553 File name not allowed (path too long).\r\n");
    assert_eq!(c.cmd(&format!("MKD /{fits}")), Got::MakeDir(format!("/{fits}")));
    c.fs_done(Ok(()));
    assert_eq!(c.bytes(b"RETR caf\xe9.txt\r\n"), reply("501 Argument is not valid UTF-8.\r\n"));
    assert_eq!(c.bytes(b"CWD \xff\xfe\r\n"), reply("501 Argument is not valid UTF-8.\r\n"));
}

#[test]
fn largest_replies_fit() {
    let mut c = Client::logged_in();
    // A cwd of MAX_PATH bytes made almost entirely of quotes.
    let name = "\"".repeat(MAX_NAME);
    c.cd(&format!("/{name}"));
    assert_eq!(c.s.cwd().len(), MAX_PATH);
    let pwd = c.say("PWD");
    assert!(pwd.starts_with("257 \"/\"\"\"\"") && pwd.ends_with("\" is the current directory.\r\n"));
    // `257 "` + `/` + every quote doubled + `" is the current directory.` + CRLF.
    assert_eq!(pwd.len(), 5 + 1 + 2 * MAX_NAME + " is the current directory.".len() + 1 + 2);
    c.cmd("MLST .");
    let mlst = c.stat_done(Ok(file(u64::MAX)));
    assert!(mlst.starts_with("250-Listing /\"") && mlst.ends_with("250 End.\r\n"));
    assert_eq!(c.cmd("CDUP"), Got::ChangeDir("/".into()));
    c.fs_done(Ok(()));
    c.cmd(&format!("MKD {name}"));
    let mkd = c.fs_done(Ok(()));
    assert!(mkd.ends_with("\" created.\r\n") && !mkd.starts_with("451"));
}

#[test]
fn over_long_and_garbage_lines() {
    let mut c = Client::logged_in();
    let long = format!("RETR {}\r\n", "a".repeat(600));
    assert_eq!(c.say(&long), "500 Command line too long.\r\n");
    assert_eq!(c.bytes(b"\x00\x01\x02"), reply("500 Unknown command.\r\n"));
    assert_eq!(c.bytes(b"RETR a\rb\r\n"), reply("425 Use PORT, EPRT, PASV or EPSV first.\r\n"));
    c.pasv();
    assert_eq!(c.bytes(b"RETR a\rb\r\n"), reply("553 File name not allowed (control character or backslash).\r\n"));
}

// ---------------------------------------------------------------- whole conversation

#[test]
fn scripted_conversation_through_line_buffer() {
    let script: &[u8] = b"user alice\r\nPASS secret\r\nSYST\r\nFEAT\r\nTYPE I\r\nCWD music\r\nPWD\r\nEPSV\r\nLIST -la\r\n\
REST 10\r\nPASV\r\nRETR song one.mp3\r\nSIZE song one.mp3\r\nMDTM song one.mp3\r\nRNFR song one.mp3\r\nRNTO song 1.mp3\r\n\
\xff\xf4\xff\xf2NOOP\r\n" ;
    let mut s = Session::new();
    let mut out = ReplyBuf::new();
    let mut lb = LineBuffer::new();
    let mut transcript = String::new();
    let mut input = script;
    // Feed in 7-byte segments to exercise framing across reads.
    let mut pending: Vec<u8> = Vec::new();
    while !input.is_empty() || !pending.is_empty() {
        if pending.is_empty() {
            let n = input.len().min(7);
            pending.extend_from_slice(&input[..n]);
            input = &input[n..];
        }
        let (used, feed) = lb.feed(&pending);
        let line = match feed {
            Feed::NeedMore => None,
            Feed::Line(l) => Some(l.to_vec()),
            Feed::TooLong => panic!("too long"),
        };
        pending.drain(..used);
        let Some(line) = line else { continue };
        let text = match s.handle_line(&line, &mut out) {
            Outcome::Reply(r) | Outcome::Close(r) => r.to_string(),
            Outcome::Authenticate { user, pass } => {
                let ok = user == "alice" && pass == b"secret";
                s.login_result(ok, &mut out).to_string()
            }
            Outcome::OpenPassive { .. } => s.passive_ready(ADDR, &mut out).to_string(),
            Outcome::Transfer(_) => {
                let mut r = s.transfer_started(&mut out).to_string();
                r += s.transfer_done(Ok(()), &mut out);
                r
            }
            Outcome::Fs(FsOp::Stat { .. }) => s.stat_done(Ok(file(99)), &mut out).to_string(),
            Outcome::Fs(_) => s.fs_done(Ok(()), &mut out).to_string(),
            Outcome::AbortTransfer => s.transfer_done(Ok(()), &mut out).to_string(),
            other => panic!("not in this script: {other:?}"),
        };
        assert!(is_well_formed(text.as_bytes()), "{text:?}");
        transcript += &text;
    }
    let want = "331 Password required.\r\n\
230 User logged in.\r\n\
215 UNIX Type: L8\r\n\
211-Features:\r\n EPSV\r\n MDTM\r\n MLST type*;size*;modify*;perm*;\r\n PASV\r\n REST STREAM\r\n SIZE\r\n UTF8\r\n211 End\r\n\
200 Type set to I.\r\n\
250 Directory changed.\r\n\
257 \"/music\" is the current directory.\r\n\
229 Entering Extended Passive Mode (|||50001|)\r\n\
150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n\
350 Restarting at 10. Send RETR or STOR.\r\n\
227 Entering Passive Mode (10,0,0,7,195,81).\r\n\
150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n\
213 99\r\n\
213 20240305060708\r\n\
350 Ready for RNTO.\r\n\
250 Rename successful.\r\n\
200 NOOP ok.\r\n";
    assert_eq!(transcript, want);
}
