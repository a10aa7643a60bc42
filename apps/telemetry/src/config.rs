// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The settings file, `/config/telemetry.cfg`: the sampling rate.
//!
//! Keys: `rate_hz` (samples a second, 0.016 to 100, up to 3 decimals) or
//! `period_ms` (10 to 60000); the last one given wins. A missing file or
//! key keeps 1 Hz; bad lines are reported on the console and ignored.

use proto_storage::{StorageClient, Transport};
use proto_telemetry::Period;
use say::say;

pub const PATH: &str = "/config/telemetry.cfg";
/// A few lines are expected; the rest of a longer file is ignored.
const MAX_FILE: usize = 1024;

/// The period the file sets, or `None` if the file could not be read
/// because the storage service was not there (ask again later).
pub fn load<T: Transport>(storage: &mut StorageClient<T>) -> Option<Period> {
    let mut buf = alloc::vec![0u8; MAX_FILE];
    let mut period = Period::DEFAULT;
    match settings::read(storage, PATH, &mut buf) {
        settings::File::Read { len, truncated } => {
            if truncated {
                say!("telemetry: {} is longer than {} bytes; the rest is ignored", PATH, MAX_FILE);
            }
            for line in settings::lines(&buf[..len]) {
                match line.entry {
                    Ok(("rate_hz", v)) => match Period::from_decimal_hz(v) {
                        Some(p) => period = p,
                        None => say!("telemetry: {} line {}: bad rate_hz (1/60 to 100); ignored", PATH, line.number),
                    },
                    Ok(("period_ms", v)) => match v.parse::<u32>().ok().and_then(Period::from_ms) {
                        Some(p) => period = p,
                        None => say!("telemetry: {} line {}: bad period_ms (10 to 60000); ignored", PATH, line.number),
                    },
                    Ok(_) => say!("telemetry: {} line {}: unknown key; ignored", PATH, line.number),
                    Err(why) => say!("telemetry: {} line {}: {}; ignored", PATH, line.number, why),
                }
            }
            Some(period)
        }
        settings::File::Missing => Some(period),
        f @ settings::File::Unavailable(_) if f.retry_later() => None,
        settings::File::Unavailable(e) => {
            say!("telemetry: cannot read {} ({:?}); sampling at 1 Hz", PATH, e);
            Some(period)
        }
    }
}
