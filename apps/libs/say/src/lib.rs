//! Whole-line console output.
//!
//! `write!` to the console issues one syscall per formatted piece, and the
//! kernel interleaves pieces of different processes. [`say!`] formats the
//! line into a stack buffer first and writes it with one syscall, which the
//! console prints contiguously. Lines longer than [`LINE_MAX`] are cut.

#![no_std]

use core::fmt::{self, Write};

use libtock_console::Console;
use libtock_runtime::TockSyscalls;

/// Longest line written at once.
pub const LINE_MAX: usize = 256;

/// A line being formatted.
pub struct Line {
    buf: [u8; LINE_MAX],
    len: usize,
}

impl Line {
    pub fn new() -> Self {
        Line { buf: [0; LINE_MAX], len: 0 }
    }

    /// Writes the line and a newline to the console.
    pub fn emit(mut self) {
        if self.len == LINE_MAX {
            self.len -= 1;
        }
        self.buf[self.len] = b'\n';
        let _ = Console::<TockSyscalls>::write(&self.buf[..self.len + 1]);
    }
}

impl Default for Line {
    fn default() -> Self {
        Self::new()
    }
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(LINE_MAX - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Prints one line on the console in a single write.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        let mut line = $crate::Line::new();
        let _ = core::fmt::Write::write_fmt(&mut line, format_args!($($arg)*));
        line.emit();
    }};
}
