// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The restart note (`fat_volume::RestartNote`) kept in the kernel's sysinfo driver.

use fat_volume::RestartNote;
use libtock_runtime::TockSyscalls;
use system::SystemInfo;

type Sys = SystemInfo<TockSyscalls>;

/// This instance's note; the kernel's copy is written only when it changes.
pub struct Note {
    now: RestartNote,
}

impl Note {
    /// Reads what the last instance left (nothing: a healthy start) and starts from it.
    pub fn load() -> Note {
        let left = RestartNote::from_word(Sys::restart_note().unwrap_or(0));
        let note = Note { now: left.after_restart() };
        // Written at once: the kernel must not keep the last instance's "inside".
        let _ = Sys::set_restart_note(note.now.word());
        note
    }

    pub fn is_faulty(&self) -> bool {
        self.now.is_faulty()
    }

    pub fn deaths(&self) -> u8 {
        self.now.deaths()
    }

    /// Runs volume code with the note saying so.
    pub fn inside<R>(&mut self, f: impl FnOnce() -> R) -> R {
        self.set(self.now.entering());
        let r = f();
        self.set(self.now.leaving());
        r
    }

    /// The service served and went idle: the count of deaths starts again.
    pub fn idle(&mut self) {
        self.set(self.now.idle());
    }

    fn set(&mut self, next: RestartNote) {
        if next != self.now {
            self.now = next;
            // A kernel without notes: the service works as before, never faulty.
            let _ = Sys::set_restart_note(next.word());
        }
    }
}
