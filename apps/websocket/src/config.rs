// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The settings file, `/config/websocket.cfg` (`settings` crate format).
//!
//! - `origins`: comma-separated `scheme://host[:port]` values a browser
//!   page may connect from; empty or missing: any (requests without an
//!   `Origin`, i.e. not from a browser, are always accepted);
//! - `ping_interval`: seconds of silence from a client before the server
//!   pings it (default 30);
//! - `pong_timeout`: seconds to wait for the pong before closing with 1008
//!   (default 10);
//! - `send_timeout`: seconds a client may leave its send queue full before
//!   it is closed with 1008 (default 5).

use alloc::string::String;
use alloc::vec::Vec;

use proto_storage::{StorageClient, Transport};
use say::say;

pub const PATH: &str = "/config/websocket.cfg";
const MAX_FILE: usize = 2048;
/// Longest timeout accepted: an hour.
const MAX_SECONDS: u32 = 3600;
/// Most origins kept.
const MAX_ORIGINS: usize = 8;

pub struct Config {
    pub origins: Vec<String>,
    pub ping_interval_ms: u64,
    pub pong_timeout_ms: u64,
    pub send_timeout_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config { origins: Vec::new(), ping_interval_ms: 30_000, pong_timeout_ms: 10_000, send_timeout_ms: 5_000 }
    }
}

/// The settings, or `None` if the storage service was not there (ask again).
pub fn load<T: Transport>(storage: &mut StorageClient<T>) -> Option<Config> {
    let mut buf = alloc::vec![0u8; MAX_FILE];
    let mut config = Config::default();
    match settings::read(storage, PATH, &mut buf) {
        settings::File::Read { len, .. } => {
            for line in settings::lines(&buf[..len]) {
                let warn = |what: &str| say!("websocket: {} line {}: {}; ignored", PATH, line.number, what);
                let seconds = |v| settings::seconds(v, 1..=MAX_SECONDS).map(|s| u64::from(s) * 1000);
                match line.entry {
                    Ok(("origins", v)) => {
                        config.origins = v
                            .split(',')
                            .map(str::trim)
                            .filter(|o| !o.is_empty())
                            .take(MAX_ORIGINS)
                            .map(String::from)
                            .collect();
                    }
                    Ok(("ping_interval", v)) => match seconds(v) {
                        Some(ms) => config.ping_interval_ms = ms,
                        None => warn("bad ping_interval (seconds, 1 to 3600)"),
                    },
                    Ok(("pong_timeout", v)) => match seconds(v) {
                        Some(ms) => config.pong_timeout_ms = ms,
                        None => warn("bad pong_timeout (seconds, 1 to 3600)"),
                    },
                    Ok(("send_timeout", v)) => match seconds(v) {
                        Some(ms) => config.send_timeout_ms = ms,
                        None => warn("bad send_timeout (seconds, 1 to 3600)"),
                    },
                    Ok(_) => warn("unknown key"),
                    Err(why) => warn(why),
                }
            }
            Some(config)
        }
        settings::File::Missing => Some(config),
        f if f.retry_later() => None,
        settings::File::Unavailable(e) => {
            say!("websocket: cannot read {} ({:?}); defaults apply", PATH, e);
            Some(config)
        }
    }
}
