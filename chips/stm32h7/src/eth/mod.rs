// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The ETH MAC (a Synopsys DWC Ethernet QoS, RM0468 §61) with the
//! NUCLEO-H723ZG's LAN8742A PHY over RMII.

pub mod config;
pub mod datapath;
pub mod regs;
pub mod ring;

#[cfg(test)]
mod dma_model;
