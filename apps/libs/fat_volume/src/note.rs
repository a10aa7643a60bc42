// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The storage service's restart note: did the last instance die inside volume code?
//!
//! A process's memory does not survive its restart; the kernel keeps one word
//! per app for it (`capsules/sysinfo`, "Restart notes"). The service marks the
//! word while volume code runs and unmarks it after, so the next instance
//! knows how its predecessor ended. [`FAULTY_AFTER`] such deaths in a row,
//! with no idle moment between them, mean the volume itself kills the
//! service: the next instance stays away from it (see
//! [`StorageServer::faulty`](crate::StorageServer::faulty)) instead of
//! dying on it until the kernel's crash-loop rule stops it for good.
//!
//! Word layout: bits 0..8 the count of consecutive deaths inside volume
//! code, bit 8 set while volume code runs. 0 (never set) is a healthy start.

/// Consecutive deaths inside volume code after which the volume is faulty.
///
/// Three, not one or two: a console `fault storage` (the system tests use
/// it) can land while a request runs, and should not condemn a sound volume;
/// an idle moment in between starts the count again.
pub const FAULTY_AFTER: u8 = 3;

const INSIDE: u32 = 1 << 8;

/// One instance's view of the note; [`word`](Self::word) is what the kernel keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartNote {
    deaths: u8,
    inside: bool,
}

impl RestartNote {
    /// The note as the kernel kept it (unknown bits are ignored).
    pub fn from_word(word: u32) -> RestartNote {
        RestartNote { deaths: word as u8, inside: word & INSIDE != 0 }
    }

    /// The word to store.
    pub fn word(self) -> u32 {
        u32::from(self.deaths) | if self.inside { INSIDE } else { 0 }
    }

    /// A new instance's note, from the one its predecessor left: one more
    /// death if it died inside volume code, none if it died elsewhere; a
    /// faulty verdict stands (its instances never enter volume code) until
    /// a format or a reboot.
    pub fn after_restart(self) -> RestartNote {
        let deaths = match (self.inside, self.is_faulty()) {
            (true, _) => self.deaths.saturating_add(1),
            (false, true) => self.deaths,
            (false, false) => 0,
        };
        RestartNote { deaths, inside: false }
    }

    /// Consecutive deaths inside volume code so far.
    pub fn deaths(self) -> u8 {
        self.deaths
    }

    /// Whether the volume should be left alone (and reported faulty).
    pub fn is_faulty(self) -> bool {
        self.deaths >= FAULTY_AFTER
    }

    /// The note while volume code runs.
    pub fn entering(self) -> RestartNote {
        RestartNote { inside: true, ..self }
    }

    /// The note once volume code returned.
    pub fn leaving(self) -> RestartNote {
        RestartNote { inside: false, ..self }
    }

    /// The note once the service served and went idle: the count starts again.
    pub fn idle(self) -> RestartNote {
        RestartNote { deaths: 0, inside: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the next instance sees if this one dies now.
    fn die(n: RestartNote) -> RestartNote {
        RestartNote::from_word(n.word()).after_restart()
    }

    #[test]
    fn three_deaths_inside_volume_code_in_a_row_make_the_volume_faulty() {
        let mut n = RestartNote::from_word(0).after_restart();
        assert_eq!((n.deaths(), n.is_faulty()), (0, false));
        for deaths in 1..=FAULTY_AFTER {
            n = die(n.entering());
            assert_eq!(n.deaths(), deaths);
        }
        assert!(n.is_faulty());
        // A faulty instance never enters volume code; dying keeps the verdict.
        assert!(die(n).is_faulty() && die(die(n)).deaths() == FAULTY_AFTER);
        assert!(!die(n.idle()).is_faulty(), "formatted, served, idle: healthy again");
    }

    #[test]
    fn deaths_elsewhere_or_an_idle_moment_start_the_count_again() {
        let n = die(die(RestartNote::from_word(0).entering()).entering());
        assert_eq!(n.deaths(), 2);
        assert_eq!(die(n.entering().leaving()).deaths(), 0, "died between requests");
        assert_eq!(die(n.idle().entering()).deaths(), 1, "served and went idle first");
        assert_eq!(RestartNote::from_word(0x0000_0103).after_restart().deaths(), 4);
        assert_eq!(RestartNote::from_word(0x1FF).after_restart().deaths(), 255);
    }
}
