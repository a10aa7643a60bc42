// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The kernel's memory protection on the twin (RISC-V standard PMP).

use rv32i::pmp::kernel_protection::{FlashRegion, KernelProtectionPMP, KernelTextRegion, MMIORegion, RAMRegion};
use rv32i::pmp::{NAPOTRegionSpec, TORRegionSpec};

extern "C" {
    static _sflash: u8;
    static _eflash: u8;
    static _stext: u8;
    static _etext: u8;
    static _ssram: u8;
    static _esram: u8;
}

/// The kernel's PMP: R over all flash, RW over all RAM (kernel RAM, DMA
/// SRAM, PSRAM), RW over MMIO, X over kernel text only, locked; user mode
/// gets nothing but its process's regions.
pub fn kernel_protection() -> KernelProtectionPMP<16> {
    // Only the addresses of linker symbols are taken, never their values.
    let (flash, ram, text) = (
        NAPOTRegionSpec::from_start_end(&raw const _sflash, &raw const _eflash),
        NAPOTRegionSpec::from_start_end(&raw const _ssram, &raw const _esram),
        TORRegionSpec::from_start_end(&raw const _stext, &raw const _etext),
    );
    let mmio = NAPOTRegionSpec::from_start_size(core::ptr::null::<u8>(), 0x2000_0000);
    // SAFETY: called once at boot, before any process exists; the regions
    // cover exactly the memory the layout gives the kernel.
    unsafe {
        KernelProtectionPMP::new(
            FlashRegion(flash.expect("layout.ld: flash is not a NAPOT region")),
            RAMRegion(ram.expect("layout.ld: RAM (kernel, DMA, PSRAM) is not a NAPOT region")),
            MMIORegion(mmio.expect("MMIO region")),
            KernelTextRegion(text.expect("layout.ld: kernel text is not word aligned")),
        )
    }
    .expect("PMP configuration refused")
}
