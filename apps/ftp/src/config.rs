//! The settings file, `/config/ftp.cfg`: login, roles and passive mode.
//!
//! Lines are `key = value` (the `settings` crate's format). Keys are
//! `user`, `pass`, `admin` and `anonymous` (`yes`/`no`), `pasv_ports`
//! (`first-last` or one port), `pasv_address` (dotted IPv4),
//! `idle_timeout` and `data_timeout` (seconds). Unknown keys, bad values
//! and a missing file are reported on the console (never a password) and
//! the defaults below apply to whatever is missing; a missing `pass` is
//! generated and saved ([`crate::credentials`]), never a default.

use alloc::string::String;
use core::net::Ipv4Addr;

use proto_storage::{ClientError, StorageClient, Transport};

/// Where the settings live on the volume.
pub const PATH: &str = "/config/ftp.cfg";
/// User name when the file or the key is missing (documented in `ftp.cfg`);
/// there is no default password.
pub const DEFAULT_USER: &str = "user";
/// Passive ports when the file or the key is missing: the range the twin's
/// QEMU forwards one to one.
pub const DEFAULT_PASV_PORTS: (u16, u16) = (50_000, 50_009);
/// Idle control connection timeout when the key is missing: the usual
/// default (vsftpd, ProFTPD); why it matters: `control::Slot`.
pub const DEFAULT_IDLE_TIMEOUT_S: u32 = 300;
/// A data connection on which nothing moves is dropped after this long.
pub const DEFAULT_DATA_TIMEOUT_S: u32 = 60;
/// Longest timeout accepted (a day): longer is a typo, not a policy.
const MAX_TIMEOUT_S: u32 = 86_400;
/// Longest settings file read (a few lines are expected); the rest is ignored.
pub const MAX_FILE: usize = 4096;
/// Longest user name and password kept (`proto_ftp::MAX_USER` for names).
const MAX_CREDENTIAL: usize = proto_ftp::MAX_USER;

pub struct Config {
    pub user: String,
    /// `None` until one is read or generated: no login succeeds without one.
    pub pass: Option<String>,
    /// The user has the admin role (`SITE FORMAT`).
    pub admin: bool,
    /// `anonymous`/`ftp` may read `/www` (RFC 1635 style).
    pub anonymous: bool,
    /// Inclusive range of passive data ports.
    pub pasv_ports: (u16, u16),
    /// Address PASV advertises; `None`: the board's own.
    pub pasv_address: Option<Ipv4Addr>,
    /// Seconds without a command before a session is closed with 421.
    pub idle_timeout_s: u32,
    /// Seconds without progress before a transfer is dropped with 426.
    pub data_timeout_s: u32,
}

/// Which keys a file set, so the console can say which defaults apply.
#[derive(Default)]
pub struct Seen {
    pub user: bool,
    pub pass: bool,
    pub admin: bool,
    pub anonymous: bool,
    pub pasv_ports: bool,
    pub pasv_address: bool,
    pub idle_timeout: bool,
    pub data_timeout: bool,
}

/// Where the settings came from.
pub enum Source {
    /// Read from [`PATH`] (with `truncated` if it was longer than
    /// [`MAX_FILE`]); `ends_in_newline` tells whether a line may be appended as is.
    File { seen: Seen, truncated: bool, ends_in_newline: bool },
    /// No such file: all defaults.
    Missing,
    /// The storage service could not be asked (not running, no volume): all defaults.
    Unavailable(ClientError),
}

impl Config {
    pub fn defaults() -> Config {
        Config {
            user: String::from(DEFAULT_USER),
            pass: None,
            admin: false,
            anonymous: false,
            pasv_ports: DEFAULT_PASV_PORTS,
            pasv_address: None,
            idle_timeout_s: DEFAULT_IDLE_TIMEOUT_S,
            data_timeout_s: DEFAULT_DATA_TIMEOUT_S,
        }
    }

    pub fn idle_timeout_ms(&self) -> u64 {
        u64::from(self.idle_timeout_s) * 1000
    }

    pub fn data_timeout_ms(&self) -> u64 {
        u64::from(self.data_timeout_s) * 1000
    }

    /// Reads [`PATH`] through the storage service (at most `buf.len()`,
    /// i.e. [`MAX_FILE`], bytes).
    pub fn load<T: Transport>(storage: &mut StorageClient<T>, buf: &mut [u8]) -> (Config, Source) {
        let mut config = Config::defaults();
        match settings::read(storage, PATH, buf) {
            settings::File::Read { len, truncated } => {
                let seen = config.apply(&buf[..len], |line, problem| {
                    say::say!("ftp: {} line {}: {}; ignored", PATH, line, problem);
                });
                let ends_in_newline = len == 0 || buf[len - 1] == b'\n';
                (config, Source::File { seen, truncated, ends_in_newline })
            }
            settings::File::Missing => (config, Source::Missing),
            settings::File::Unavailable(e) => (config, Source::Unavailable(e)),
        }
    }

    /// Applies the settings text; `warn(line number, problem)` for each
    /// line that is not understood. Returns which keys were set.
    pub fn apply(&mut self, text: &[u8], mut warn: impl FnMut(usize, &str)) -> Seen {
        let mut seen = Seen::default();
        for line in settings::lines(text) {
            let line_no = line.number;
            let (key, value) = match line.entry {
                Ok(kv) => kv,
                Err(why) => {
                    warn(line_no, why);
                    continue;
                }
            };
            match key {
                "user" => match credential(value) {
                    Some(v) => {
                        self.user = v;
                        seen.user = true;
                    }
                    None => warn(line_no, "bad user value (1 to 64 printable characters)"),
                },
                "pass" => match credential(value) {
                    Some(v) => {
                        self.pass = Some(v);
                        seen.pass = true;
                    }
                    // The value itself is never echoed.
                    None => warn(line_no, "bad pass value (1 to 64 printable characters)"),
                },
                "admin" => match yes_no(value) {
                    Some(v) => {
                        self.admin = v;
                        seen.admin = true;
                    }
                    None => warn(line_no, "bad admin value (yes or no)"),
                },
                "anonymous" => match yes_no(value) {
                    Some(v) => {
                        self.anonymous = v;
                        seen.anonymous = true;
                    }
                    None => warn(line_no, "bad anonymous value (yes or no)"),
                },
                "pasv_ports" => match port_range(value) {
                    Some(r) => {
                        self.pasv_ports = r;
                        seen.pasv_ports = true;
                    }
                    None => warn(line_no, "bad pasv_ports value (`first-last`, 1024..=65535)"),
                },
                "pasv_address" => match value.parse::<Ipv4Addr>() {
                    Ok(a) if !a.is_unspecified() && !a.is_broadcast() => {
                        self.pasv_address = Some(a);
                        seen.pasv_address = true;
                    }
                    _ => warn(line_no, "bad pasv_address value (dotted IPv4 address)"),
                },
                "idle_timeout" => match settings::seconds(value, 1..=MAX_TIMEOUT_S) {
                    Some(v) => {
                        self.idle_timeout_s = v;
                        seen.idle_timeout = true;
                    }
                    None => warn(line_no, "bad idle_timeout value (seconds, 1 to 86400)"),
                },
                "data_timeout" => match settings::seconds(value, 1..=MAX_TIMEOUT_S) {
                    Some(v) => {
                        self.data_timeout_s = v;
                        seen.data_timeout = true;
                    }
                    None => warn(line_no, "bad data_timeout value (seconds, 1 to 86400)"),
                },
                _ => warn(line_no, "unknown key"),
            }
        }
        seen
    }
}

/// A user name or password: 1 to 64 bytes, no control characters.
fn credential(value: &str) -> Option<String> {
    let ok = !value.is_empty() && value.len() <= MAX_CREDENTIAL && !value.chars().any(char::is_control);
    ok.then(|| String::from(value))
}

/// `yes` or `no` (any case).
fn yes_no(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if value.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

/// `first-last` (inclusive) or a single port, all of them >= 1024.
fn port_range(value: &str) -> Option<(u16, u16)> {
    let (a, b) = value.split_once('-').unwrap_or((value, value));
    let (a, b) = (a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?);
    (1024 <= a && a <= b).then_some((a, b))
}
