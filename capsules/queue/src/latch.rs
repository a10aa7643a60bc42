// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! When a queue's "something is waiting" upcall is raised.
//!
//! Tock queues at most 10 upcalls per process and drops the rest, the
//! alarm's and every driver's alike. A queue that raised its upcall each
//! time it went from empty to not empty flooded that task queue under load
//! and, worse, lost the wake-up for good when the kernel could not queue
//! the upcall (the queue then stayed non-empty, so no later edge came and
//! the process slept on a full inbox). The rule here: raise the upcall
//! once, and not again until the process has read the queue empty; if the
//! kernel refused it, try again with the next item.

/// One queue's upcall state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WakeLatch {
    /// The upcall was queued and the process has not read the queue empty
    /// since: it will read on, so another upcall would only fill its task
    /// queue.
    raised: bool,
}

impl WakeLatch {
    /// An item was queued: calls `schedule` (which queues the upcall and
    /// says whether the kernel took it) unless the process was told already.
    pub fn item_queued(&mut self, schedule: impl FnOnce() -> bool) {
        if !self.raised {
            self.raised = schedule();
        }
    }

    /// A receive found the queue empty: the next item needs an upcall.
    pub fn read_empty(&mut self) {
        self.raised = false;
    }

    /// Whether an upcall is outstanding.
    pub fn is_raised(&self) -> bool {
        self.raised
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;

    #[test]
    fn one_upcall_until_the_queue_is_read_empty() {
        let raised = Cell::new(0);
        let kernel_takes = || {
            raised.set(raised.get() + 1);
            true
        };
        let mut latch = WakeLatch::default();
        for _ in 0..100 {
            latch.item_queued(kernel_takes);
        }
        assert_eq!(raised.get(), 1, "a burst of items is one upcall");
        latch.read_empty();
        latch.item_queued(kernel_takes);
        assert_eq!(raised.get(), 2);
    }

    #[test]
    fn a_refused_upcall_is_tried_again_with_the_next_item() {
        // The process's task queue was full: the kernel refused the upcall.
        // An edge rule (raise only when the queue was empty) would never
        // raise it again, since the queue now holds an item.
        let attempts = Cell::new(0);
        let mut latch = WakeLatch::default();
        latch.item_queued(|| {
            attempts.set(attempts.get() + 1);
            false
        });
        assert!(!latch.is_raised());
        latch.item_queued(|| {
            attempts.set(attempts.get() + 1);
            true
        });
        assert_eq!(attempts.get(), 2);
        assert!(latch.is_raised());
    }
}
