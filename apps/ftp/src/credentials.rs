// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! No working default password: when the settings have no `pass`, one is
//! generated from the kernel's random numbers, saved in `/config/ftp.cfg`
//! through the storage service and printed once on the console, the one
//! place only someone at the board can read. Later boots read it from the
//! file and print nothing.
//!
//! When the volume cannot be read at all (not mounted, unformatted, the
//! storage service away), the password cannot be saved: it is printed as
//! valid for this boot only, with the admin role, since `SITE FORMAT` is
//! the only way to make a volume and whoever reads the console has the
//! board in hand.

use alloc::string::String;

use libtock_rng::Rng;
use libtock_runtime::TockSyscalls;
use proto_ftp::login::PasswordBuilder;
use proto_storage::{ClientError, Error, OpenMode, StorageClient, Transport};
use say::say;

use crate::config::{Config, Source, PATH};

/// Random bytes asked per round; rejection sampling drops a few.
const RANDOM_BYTES: usize = 32;
/// Rounds before giving up (a round yields ~31 of the 16 characters needed).
const RANDOM_ROUNDS: usize = 8;

/// Gives `config` a password if its source had none. `printed` is one
/// already printed this boot (kept when the settings are read again later).
pub fn settle<T: Transport>(
    config: &mut Config,
    source: &Source,
    store: &mut StorageClient<T>,
    printed: &mut Option<String>,
) {
    if config.pass.is_some() {
        return;
    }
    let Some(pass) = printed.clone().or_else(generate) else {
        say!("ftp: no password in {} and no random numbers to make one; logins are refused", PATH);
        return;
    };
    let saved = match source {
        // The line would land past what is read at start: not found next boot.
        Source::File { truncated: true, .. } => Err(Unsaved::TooLong),
        Source::File { ends_in_newline, .. } => append(store, &pass, *ends_in_newline).map_err(Unsaved::Storage),
        Source::Missing => create(store, &pass).map_err(Unsaved::Storage),
        Source::Unavailable(e) => Err(Unsaved::NoVolume(*e)),
    };
    match saved {
        Ok(()) if printed.is_some() => say!("ftp: saved the password printed above in {}", PATH),
        Ok(()) => say!(
            "ftp: no password in {}; generated one and saved it there: user `{}`, password `{}`",
            PATH,
            config.user,
            pass
        ),
        Err(_) if printed.is_some() => {}
        Err(Unsaved::NoVolume(e)) => {
            // Whoever reads this has the board: let them format the volume.
            config.admin = true;
            say!(
                "ftp: no password in {} and no volume to save one on ({:?}); for this boot only, with the admin role: user `{}`, password `{}`",
                PATH,
                e,
                config.user,
                pass
            );
        }
        Err(why) => say!(
            "ftp: no password in {} and it cannot be saved there ({}); for this boot only: user `{}`, password `{}`",
            PATH,
            why,
            config.user,
            pass
        ),
    }
    *printed = Some(pass.clone());
    config.pass = Some(pass);
}

/// Why a generated password was not saved.
enum Unsaved {
    /// The settings file is longer than what is read at start.
    TooLong,
    /// Writing it failed.
    Storage(ClientError),
    /// The volume could not be read at all.
    NoVolume(ClientError),
}

impl core::fmt::Display for Unsaved {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Unsaved::TooLong => write!(f, "the file is longer than {} bytes", crate::config::MAX_FILE),
            Unsaved::Storage(e) | Unsaved::NoVolume(e) => write!(f, "{:?}", e),
        }
    }
}

/// A password from the kernel's random number generator.
fn generate() -> Option<String> {
    let mut builder = PasswordBuilder::new();
    let mut random = [0u8; RANDOM_BYTES];
    for _ in 0..RANDOM_ROUNDS {
        Rng::<TockSyscalls>::get_bytes_sync(&mut random, RANDOM_BYTES as u32).ok()?;
        if builder.feed(&random) {
            return builder.password().map(String::from);
        }
    }
    None
}

/// Adds the `pass` line to the end of an existing settings file.
fn append<T: Transport>(store: &mut StorageClient<T>, pass: &str, ends_in_newline: bool) -> Result<(), ClientError> {
    let handle = store.open(PATH, OpenMode::Append)?;
    let lead = if ends_in_newline { "" } else { "\n" };
    let text = alloc::format!("{lead}# Generated at first boot (there was no pass); change it here.\npass = {pass}\n");
    let written = store.write_all(handle, text.as_bytes());
    let closed = store.close(handle);
    written.and(closed)
}

/// Writes a new settings file (and `/config` if it is missing) with the password.
fn create<T: Transport>(store: &mut StorageClient<T>, pass: &str) -> Result<(), ClientError> {
    match store.mkdir("/config") {
        Ok(()) | Err(ClientError::Storage(Error::AlreadyExists)) => {}
        Err(e) => return Err(e),
    }
    let handle = store.open(PATH, OpenMode::Write { create: true, truncate: true })?;
    let text = alloc::format!(
        "# FTP settings; every key is described in the firmware's apps/ftp/ftp.cfg.\n\
         # Generated at first boot (there was no settings file); change it here.\n\
         pass = {pass}\n"
    );
    let written = store.write_all(handle, text.as_bytes());
    let closed = store.close(handle);
    written.and(closed)
}
