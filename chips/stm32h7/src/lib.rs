// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The STM32H723/733 (RM0468), for the NUCLEO-H723ZG with the NUCLEO-MEM
//! shield. Other H72x/H73x parts share the peripherals; the H74x/H75x
//! (RM0433) differ in clocks, power and OCTOSPI and are not covered.
//!
//! Each driver keeps the logic that does not touch registers apart from
//! the register code (clock-tree planning, descriptor bookkeeping, the eMMC
//! command sequence, the delay-block window choice, memory tests), so it
//! is host-tested; the register code builds for `thumbv7em-none-eabihf`
//! and is verified on hardware only (`docs/hardware.md` says what was).
//!
//! Register facts come from RM0468 (and the STM32H723 datasheet DS13313
//! for electrical limits); where a value came from elsewhere the comment
//! says so.

#![no_std]

pub mod cache;
pub mod clock;
pub mod emmc;
pub mod sdmmc;
