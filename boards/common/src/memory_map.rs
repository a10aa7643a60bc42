//! A board's memory map, from its linker script, and the boot-time report
//! of what uses each region. Every board's `layout.ld` defines the same
//! symbols (kernel flash, app flash, settings, kernel RAM, DMA-safe SRAM,
//! PSRAM), with the NUCLEO-H723ZG's sizes.

use core::fmt::{self, Write as _};

use kernel::capabilities::ProcessManagementCapability;
use kernel::debug;

extern "C" {
    static _sflash: u8;
    static _stext: u8;
    static _etext: u8;
    static _srelocate: u8;
    static _erelocate: u8;
    static _sstack: u8;
    static _estack: u8;
    static _szero: u8;
    static _ezero: u8;
    static _sapps: u8;
    static _eapps: u8;
    static _ssettings: u8;
    static _esettings: u8;
    static _skram: u8;
    static _ekram: u8;
    static _sdma: u8;
    static _edma: u8;
    static _sdma_free: u8;
    static mut _spsram: u8;
    static _epsram: u8;
    static _sattributes: u8;
    static _eattributes: u8;
}

pub fn addr(sym: *const u8) -> usize {
    sym as usize
}

/// A contiguous memory range.
#[derive(Clone, Copy)]
pub struct Region {
    pub start: usize,
    pub len: usize,
}

impl Region {
    fn between(start: *const u8, end: *const u8) -> Region {
        Region { start: addr(start), len: addr(end) - addr(start) }
    }
}

/// Bytes, printed as B, KiB or MiB with one decimal.
pub struct Size(pub usize);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        let (unit, div) = if b >= 1 << 20 {
            ("MiB", 1 << 20)
        } else if b >= 1 << 10 {
            ("KiB", 1 << 10)
        } else {
            ("B", 1)
        };
        let tenths = (b * 10 + div / 2) / div;
        let mut text = TextBuf::default();
        let _ = if div == 1 || tenths.is_multiple_of(10) {
            write!(text, "{} {}", tenths / 10, unit)
        } else {
            write!(text, "{}.{} {}", tenths / 10, tenths % 10, unit)
        };
        // `pad` so that callers' width and alignment apply.
        f.pad(text.as_str())
    }
}

/// A few bytes of formatted text, for padding numbers in tables.
#[derive(Default)]
struct TextBuf {
    buf: [u8; 16],
    len: usize,
}

impl TextBuf {
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }
}

impl fmt::Write for TextBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Every region of the map, and the kernel's static use of them.
pub struct MemoryMap {
    pub kernel_flash: Region,
    pub app_flash: Region,
    pub settings: Region,
    pub kernel_ram: Region,
    pub dma: Region,
    pub psram: Region,
    dma_free: usize,
    text: usize,
    relocate: usize,
    attributes: usize,
    stack: usize,
    bss: usize,
}

impl MemoryMap {
    pub fn from_linker() -> MemoryMap {
        // Only the addresses of linker symbols are taken, never their values.
        {
            MemoryMap {
                kernel_flash: Region::between(&raw const _sflash, &raw const _sapps),
                app_flash: Region::between(&raw const _sapps, &raw const _eapps),
                settings: Region::between(&raw const _ssettings, &raw const _esettings),
                kernel_ram: Region::between(&raw const _skram, &raw const _ekram),
                dma: Region::between(&raw const _sdma, &raw const _edma),
                psram: Region::between(&raw const _spsram, &raw const _epsram),
                dma_free: addr(&raw const _sdma_free),
                text: addr(&raw const _etext) - addr(&raw const _stext),
                relocate: addr(&raw const _erelocate) - addr(&raw const _srelocate),
                attributes: addr(&raw const _eattributes) - addr(&raw const _sattributes),
                stack: addr(&raw const _estack) - addr(&raw const _sstack),
                bss: addr(&raw const _ezero) - addr(&raw const _szero),
            }
        }
    }

    /// The app flash region, where process binaries (TBFs) are.
    pub fn app_flash(&self) -> &'static [u8] {
        // SAFETY: the linker reserves this range for apps; nothing writes it.
        unsafe { core::slice::from_raw_parts(self.app_flash.start as *const u8, self.app_flash.len) }
    }

    /// The lower half of PSRAM: every process's memory block (stack, data,
    /// heap, grants), where `apps/layout.toml` places them.
    pub fn process_memory(&self) -> &'static mut [u8] {
        // SAFETY: this half of PSRAM is used for nothing else, and this is
        // called once, to hand it to the process loader.
        unsafe { core::slice::from_raw_parts_mut(&raw mut _spsram, self.psram.len / 2) }
    }

    /// The upper half of PSRAM: the pool of run-time PSRAM grants.
    pub fn psram_grant_pool(&self) -> &'static [core::cell::Cell<u32>] {
        let half = self.psram.len / 2;
        // SAFETY: this half of PSRAM is used for nothing else and called
        // once; the capsule only touches it through `Cell`s (processes
        // write the blocks mapped to them between kernel entries).
        let words = unsafe { core::slice::from_raw_parts_mut((self.psram.start + half) as *mut u32, half / 4) };
        core::cell::Cell::from_mut(words).as_slice_of_cells()
    }

    /// The part of the DMA-safe window not taken by linker-placed statics.
    pub fn dma_free(&self) -> &'static mut [u8] {
        let end = self.dma.start + self.dma.len;
        // SAFETY: the linker reserves [_sdma_free, _edma) in the DMA window
        // and places nothing there; this is called once at boot.
        unsafe { core::slice::from_raw_parts_mut(self.dma_free as *mut u8, end - self.dma_free) }
    }

    /// Kernel flash in use: code, constants, the `.data` image, attributes.
    pub fn kernel_flash_used(&self) -> usize {
        self.text + self.relocate + self.attributes
    }

    /// Kernel RAM in use: stack, data, bss.
    pub fn kernel_ram_used(&self) -> usize {
        self.stack + self.relocate + self.bss
    }

    /// DMA SRAM in use: linker-placed rings plus what the pool carved.
    pub fn dma_used(&self, dma_carved: usize) -> usize {
        (self.dma_free - self.dma.start) + dma_carved
    }

    /// Prints every region with its size and use. `dma_carved` is what the
    /// DMA pool handed out to drivers.
    /// The regions `sysinfo` reports, with the uses known at boot;
    /// `dma_carved` as for [`MemoryMap::dma_used`].
    pub fn sysinfo_regions(&self, dma_carved: usize) -> [capsules_sysinfo::Region; 6] {
        use capsules_sysinfo::{Region as R, Use};
        let r = |name, region: Region, used| R { name, start: region.start as u32, size: region.len as u32, used };
        [
            r("kernel flash", self.kernel_flash, Use::Fixed(self.kernel_flash_used() as u32)),
            r("app flash", self.app_flash, Use::ProcessFlash),
            r("settings", self.settings, Use::Fixed(0)),
            r("kernel RAM", self.kernel_ram, Use::Fixed(self.kernel_ram_used() as u32)),
            r("DMA SRAM", self.dma, Use::Fixed(self.dma_used(dma_carved) as u32)),
            r("PSRAM", self.psram, Use::ProcessMemory),
        ]
    }

    pub fn print(&self, dma_carved: usize) {
        let flash_used = self.kernel_flash_used();
        let ram_used = self.kernel_ram_used();
        let dma_used = self.dma_used(dma_carved);
        debug!("memory map (NUCLEO-H723ZG budgets):");
        debug!("  region        start       size      used      holds");
        row("kernel flash", self.kernel_flash, Some(flash_used), "kernel code and constants (flash)");
        row("app flash", self.app_flash, None, "process binaries, TBF (flash)");
        row("settings", self.settings, Some(0), "reserved for settings (flash sector 7)");
        row("kernel RAM", self.kernel_ram, Some(ram_used), "kernel stack, data, bss (DTCM)");
        row("DMA SRAM", self.dma, Some(dma_used), "device rings and buffers (AXI SRAM)");
        row("PSRAM", self.psram, None, "process blocks 4 MiB + grant pool 4 MiB (OCTOSPI1)");
        debug!("  kernel RAM: stack {}, data {}, bss {}", Size(self.stack), Size(self.relocate), Size(self.bss));
    }
}

fn row(name: &str, r: Region, used: Option<usize>, holds: &str) {
    match used {
        Some(u) => debug!("  {:<12}  {:#010x}  {:>8}  {:>8}  {}", name, r.start, Size(r.len), Size(u), holds),
        None => debug!("  {:<12}  {:#010x}  {:>8}  {:>8}  {}", name, r.start, Size(r.len), "-", holds),
    }
}

/// Lists the loaded processes with their flash and PSRAM, and the totals.
pub fn print_processes(kernel: &'static kernel::Kernel, cap: &dyn ProcessManagementCapability) {
    let map = MemoryMap::from_linker();
    let (mut flash, mut ram, mut count) = (0, 0, 0);
    debug!("processes:");
    kernel.process_each_capability(cap, |p| {
        let a = p.get_addresses();
        let (f, r) = (a.flash_end - a.flash_start, a.sram_end - a.sram_start);
        debug!(
            "  {:<12}  flash {:#010x} {:>8}   memory {:#010x} {:>8}  (in PSRAM: {})",
            p.get_process_name(),
            a.flash_start,
            Size(f),
            a.sram_start,
            Size(r),
            if in_region(map.psram, a.sram_start, r) { "yes" } else { "NO" }
        );
        flash += f;
        ram += r;
        count += 1;
    });
    debug!(
        "  {} processes: app flash {} of {}, PSRAM {} of {}",
        count,
        Size(flash),
        Size(map.app_flash.len),
        Size(ram),
        Size(map.psram.len)
    );
}

fn in_region(r: Region, start: usize, len: usize) -> bool {
    start >= r.start && start + len <= r.start + r.len
}
