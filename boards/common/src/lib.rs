// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! What the boards of this project share (the QEMU twin, the Cortex-M7
//! twin, the NUCLEO-H723ZG): the memory map read from the linker script and
//! its boot report, the restart-on-fault policy, the process printer, and
//! the capsules' figures for system information.

#![no_std]

pub mod fault_policy;
pub mod memory_map;
pub mod process_printer;
pub mod stats;
pub mod uptime;
