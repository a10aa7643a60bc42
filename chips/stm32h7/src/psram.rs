// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The NUCLEO-MEM's PSRAM, brought up once at boot before any process is
//! loaded into it: [`Psram::init`] plans the controller from a
//! [`PsramConfig`], resets the APS6408L, writes and checks its mode
//! registers, calibrates the read delay, tests the memory and leaves it
//! memory-mapped at 0x9000_0000, or says in one console line why not.
//!
//! The sequence runs on a [`PsramPort`]: `octospi::Octospi1Psram` on the
//! board, a simulated port on the host, where the sequence, the plan and
//! every error are tested. Nothing here touches a register.
//!
//! Boot order for the board (each step's reason in `PsramPort` and
//! `octospi`):
//! 1. RCC: OCTOSPI1's kernel clock from PLL2R (D1CCIPR.OCTOSPISEL = 0b10),
//!    the OCTOSPI1 and IO-manager bus clocks (AHB3ENR.OCTOSPI1EN, bit 14,
//!    and OCTOSPIMEN, bit 21), GPIOA/B/C/E/F clocks; the pins in their
//!    alternate functions ([`PINS`]).
//! 2. The MPU's kernel regions (the external-memory guard and the PSRAM
//!    window, `kernel-patches/0004`), so no speculative access reaches
//!    the window before it is mapped.
//! 3. `Psram::init`, with the D-cache still off (it refuses otherwise: its
//!    test must see the device, not the cache, and byte writes must reach
//!    the device's write mask).
//! 4. `cache::enable()`, then process loading into the PSRAM, only if
//!    `init` returned `Ok`.
//!
//! Caches and coherence, as assumed here:
//! - During `init` the D-cache is off (checked: SCB CCR.DC), so every test
//!   access reaches the device, byte writes included, and reads see the
//!   device, not a cached copy. The window accesses are volatile with a
//!   DSB after each write.
//! - `cache::enable()` invalidates the whole D-cache before turning it on,
//!   so no line from before (there are none: nothing was cached) survives.
//! - Afterwards the kernel (its MPU region over the window) and processes
//!   (their regions, `process_memory_attributes`) see the PSRAM as the same
//!   Normal write-back memory, so there are never two views of a line.
//! - No device ever reads or writes the PSRAM (the DMA rule in
//!   `docs/architecture.md`): it needs no cache maintenance.
//! - What the test leaves in the PSRAM is garbage; the process loader
//!   zeroes the memory it gives a process.
//! - Speculative reads of the window before it is mapped would need code
//!   holding a pointer into it; nothing holds one before `init` returns.

use core::fmt;

use crate::aps6408::{self, cmd, DriveStrength, ModeRegisters, ReadLatency, TemperatureRange, WriteLatency};
use crate::dlyb::{self, Period, Taps, Window};
use crate::octospi::{self, Command, Phase};
use crate::psram_test::{self, BurstBus, BurstError, BusTiming, Counts, Failure, WordBus};

/// Where the PSRAM is mapped, and its size.
pub const BASE: usize = octospi::OCTOSPI1_WINDOW;
pub const SIZE: usize = aps6408::SIZE as usize;

/// An OCTOSPI1 pin: port letter, pin, alternate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pin {
    pub signal: &'static str,
    pub port: char,
    pub pin: u8,
    pub af: u8,
}

/// The NUCLEO-MEM's OCTOSPI1 pins (HARDWARE.md §3, the original firmware's
/// `octospi.c`): push-pull, very high speed, no pull. PC2 and PC3 are the
/// pads with analog switches on the H723 (SYSCFG_PMCR PC2SO/PC3SO, bits
/// 26/27, which the original left alone); not verified here.
pub const PINS: [Pin; 11] = [
    Pin { signal: "IO0", port: 'F', pin: 8, af: 10 },
    Pin { signal: "IO1", port: 'F', pin: 9, af: 10 },
    Pin { signal: "IO2", port: 'E', pin: 2, af: 9 },
    Pin { signal: "IO3", port: 'F', pin: 6, af: 10 },
    Pin { signal: "IO4", port: 'E', pin: 7, af: 10 },
    Pin { signal: "IO5", port: 'C', pin: 2, af: 4 },
    Pin { signal: "IO6", port: 'C', pin: 3, af: 4 },
    Pin { signal: "IO7", port: 'E', pin: 10, af: 10 },
    Pin { signal: "NCS", port: 'E', pin: 11, af: 11 },
    Pin { signal: "CLK", port: 'A', pin: 3, af: 12 },
    Pin { signal: "DQS", port: 'B', pin: 2, af: 10 },
];

/// The fastest memory clock shown to work through the NUCLEO-MEM's pin
/// headers: the original ran 25 MHz and its README blames the headers for
/// not going faster. The part allows 133 MHz and the delay block 208 MHz;
/// raise this only when this driver's memory test passes at the new rate
/// on the board.
pub const NUCLEO_MEM_INTERCONNECT_MAX_HZ: u32 = 25_000_000;

/// What the board chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PsramConfig {
    /// OCTOSPI1's kernel clock: PLL2R (`clock::PLL2R_HZ`).
    pub kernel_clock_hz: u32,
    /// Memory clock = kernel clock / prescaler: 1 or even (DTR needs a 50 %
    /// duty cycle; an odd division holds the clock low a cycle longer).
    pub prescaler: u32,
    /// See [`NUCLEO_MEM_INTERCONNECT_MAX_HZ`].
    pub interconnect_max_hz: u32,
    pub temperature: TemperatureRange,
    pub read_latency: ReadLatency,
    pub write_latency: WriteLatency,
    /// Dummy cycles of a mode-register read: between the latency code and
    /// twice it. ST's BSP uses the code; the original used 5 with LC 4.
    pub register_read_dummy: u32,
    pub drive: DriveStrength,
}

impl PsramConfig {
    /// The original firmware's working setup: 200 MHz / 8 = 25 MHz, fixed
    /// read latency 4 (8 clocks), write latency 5, full drive.
    pub const NUCLEO_MEM: PsramConfig = PsramConfig {
        kernel_clock_hz: crate::clock::PLL2R_HZ,
        prescaler: 8,
        interconnect_max_hz: NUCLEO_MEM_INTERCONNECT_MAX_HZ,
        temperature: TemperatureRange::Standard,
        read_latency: ReadLatency::Lc4,
        write_latency: WriteLatency::Wl5,
        register_read_dummy: 5,
        drive: DriveStrength::Full,
    };
}

/// How long nCS may stay low, in memory clocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refresh {
    /// DCR4.REFRESH: nCS is released every REFRESH + 1 clocks when writing
    /// and REFRESH + 4 when reading (RM0468 DCR4).
    pub field: u32,
    /// LPTR.TIMEOUT: in memory-mapped mode nCS stays low this many clocks
    /// after the clock stops (prefetch) before it rises.
    pub timeout: u32,
    /// The longest nCS can stay low: a read window, the timeout after it,
    /// and a slack of 2 clocks.
    pub max_cs_low_clocks: u32,
    pub max_cs_low_ns: u32,
    pub tcem_ns: u32,
}

/// Parts of the tCEM budget.
const TCEM_MARGIN_PERCENT: u64 = 20;
const CS_SLACK_CLOCKS: u32 = 2;
const READ_EXTENSION_CLOCKS: u32 = 4;
/// The original's (and ST's BSP) memory-mapped timeout.
const TIMEOUT_MAX_CLOCKS: u32 = 0x34;
/// A 16-bit DTR instruction and a 32-bit DTR address.
const COMMAND_CLOCKS: u32 = 3;
/// A read window must carry at least 8 bytes after its command and latency.
const MIN_DATA_CLOCKS: u32 = 4;

/// REFRESH and the memory-mapped timeout for a memory clock, a tCEM and a
/// read latency. Whether the controller's refresh counter keeps counting
/// while the clock is stopped during a prefetch is not documented, so the
/// timeout is counted on top of a whole read window: the budget (tCEM less
/// 20 %) holds a read window of REFRESH + 4 clocks, the timeout (a quarter
/// of the budget, at most the original's 0x34) and 2 clocks of slack.
pub fn refresh(memory_clock_hz: u32, tcem_ns: u32, read_dummy: u32) -> Result<Refresh, PlanError> {
    let budget = (tcem_ns as u64 * (100 - TCEM_MARGIN_PERCENT) * memory_clock_hz as u64 / 100 / 1_000_000_000) as u32;
    let timeout = (budget / 4).clamp(1, TIMEOUT_MAX_CLOCKS);
    let needed = COMMAND_CLOCKS + read_dummy + MIN_DATA_CLOCKS;
    let field = budget.saturating_sub(timeout + READ_EXTENSION_CLOCKS + CS_SLACK_CLOCKS);
    if field + READ_EXTENSION_CLOCKS < needed {
        return Err(PlanError::RefreshTooShort {
            memory_clock_hz,
            tcem_ns,
            window_clocks: field + READ_EXTENSION_CLOCKS,
            needed_clocks: needed,
        });
    }
    let max_cs_low_clocks = field + READ_EXTENSION_CLOCKS + timeout + CS_SLACK_CLOCKS;
    Ok(Refresh {
        field,
        timeout,
        max_cs_low_clocks,
        max_cs_low_ns: (max_cs_low_clocks as u64 * 1_000_000_000 / memory_clock_hz as u64) as u32,
        tcem_ns,
    })
}

/// The commands, as their register values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commands {
    pub reset: Command,
    pub mr_write: Command,
    pub mr_read: Command,
    pub array_read: Command,
    pub array_write: Command,
}

impl Commands {
    /// Register commands: 8-bit SDR instruction on 8 lines (the device
    /// samples it on both edges), 32-bit DTR address, 2 bytes of DTR data,
    /// DQS for reads only (ST's BSP). Array commands: the 16-bit DTR
    /// instructions 0x0000 and 0x8080, DQS both ways: it strobes read data
    /// and is the write mask while writing (the original's "workaround": an
    /// undriven mask may drop bytes).
    pub fn new(read_dummy: u32, write_dummy: u32, register_read_dummy: u32) -> Commands {
        let sdr8 = Phase::octal(false, 1);
        let dtr16 = Phase::octal(true, 2);
        let address = Some(Phase::octal(true, 4));
        let data = Some(Phase::octal(true, 1));
        Commands {
            reset: Command::new(cmd::GLOBAL_RESET as u32, sdr8, None, None, 0, false),
            mr_write: Command::new(cmd::MODE_REGISTER_WRITE as u32, sdr8, address, data, 0, false),
            mr_read: Command::new(cmd::MODE_REGISTER_READ as u32, sdr8, address, data, register_read_dummy as u8, true),
            array_read: Command::new(
                aps6408::dtr_instruction(cmd::SYNC_READ),
                dtr16,
                address,
                data,
                read_dummy as u8,
                true,
            ),
            array_write: Command::new(
                aps6408::dtr_instruction(cmd::SYNC_WRITE),
                dtr16,
                address,
                data,
                write_dummy as u8,
                true,
            ),
        }
    }
}

/// Everything the controller and the device are set to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub memory_clock_hz: u32,
    pub prescaler: u32,
    pub dcr1: u32,
    pub dcr2: u32,
    pub dcr3: u32,
    pub refresh: Refresh,
    pub cs_high_clocks: u32,
    pub mode: ModeRegisters,
    pub commands: Commands,
    pub timing: BusTiming,
}

/// Why a configuration cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanError {
    Prescaler { prescaler: u32 },
    OddPrescaler { prescaler: u32 },
    AboveDevice { hz: u32 },
    AboveInterconnect { hz: u32, limit_hz: u32 },
    AboveLatency { hz: u32, limit_hz: u32, write: bool },
    BelowDelayBlock { hz: u32 },
    RegisterReadDummy { dummy: u32, min: u32, max: u32 },
    RefreshTooShort { memory_clock_hz: u32, tcem_ns: u32, window_clocks: u32, needed_clocks: u32 },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let mhz = |hz: u32| hz as f32 / 1e6;
        match *self {
            PlanError::Prescaler { prescaler } => write!(f, "prescaler {prescaler} is outside 1-256"),
            PlanError::OddPrescaler { prescaler } => {
                write!(f, "prescaler {prescaler} is odd: the DTR clock needs a 50 % duty cycle (use 1 or an even value)")
            }
            PlanError::AboveDevice { hz } => {
                write!(f, "{} MHz is above the APS6408L-3OBM's {} MHz", mhz(hz), mhz(aps6408::F_MAX_HZ))
            }
            PlanError::AboveInterconnect { hz, limit_hz } => write!(
                f,
                "{} MHz is above the {} MHz the board's wiring is known to carry (raise interconnect_max_hz only after testing)",
                mhz(hz),
                mhz(limit_hz)
            ),
            PlanError::AboveLatency { hz, limit_hz, write } => write!(
                f,
                "{} MHz needs a longer {} latency (this one allows {} MHz)",
                mhz(hz),
                if write { "write" } else { "read" },
                mhz(limit_hz)
            ),
            PlanError::BelowDelayBlock { hz } => write!(
                f,
                "{} MHz is below the delay block's {} MHz: it could not span a clock period",
                mhz(hz),
                mhz(dlyb::MIN_INPUT_HZ)
            ),
            PlanError::RegisterReadDummy { dummy, min, max } => {
                write!(f, "{dummy} register-read dummy cycles: use {min} to {max}")
            }
            PlanError::RefreshTooShort { memory_clock_hz, tcem_ns, window_clocks, needed_clocks } => write!(
                f,
                "at {} MHz a tCEM of {} ns leaves {} clocks per read, fewer than the {} a read needs \
                 (raise the clock or lower the read latency)",
                mhz(memory_clock_hz),
                tcem_ns,
                window_clocks,
                needed_clocks
            ),
        }
    }
}

/// The controller and device settings for `c`, checked.
pub fn plan(c: &PsramConfig) -> Result<Plan, PlanError> {
    if !(1..=256).contains(&c.prescaler) {
        return Err(PlanError::Prescaler { prescaler: c.prescaler });
    }
    if c.prescaler > 1 && c.prescaler % 2 == 1 {
        return Err(PlanError::OddPrescaler { prescaler: c.prescaler });
    }
    let hz = c.kernel_clock_hz / c.prescaler;
    if hz > aps6408::F_MAX_HZ {
        return Err(PlanError::AboveDevice { hz });
    }
    if hz > c.interconnect_max_hz {
        return Err(PlanError::AboveInterconnect { hz, limit_hz: c.interconnect_max_hz });
    }
    if hz > c.read_latency.max_hz() {
        return Err(PlanError::AboveLatency { hz, limit_hz: c.read_latency.max_hz(), write: false });
    }
    if hz > c.write_latency.max_hz() {
        return Err(PlanError::AboveLatency { hz, limit_hz: c.write_latency.max_hz(), write: true });
    }
    if hz < dlyb::MIN_INPUT_HZ {
        return Err(PlanError::BelowDelayBlock { hz });
    }
    let (min, max) = (c.read_latency.clocks(), c.read_latency.fixed_clocks());
    if !(min..=max).contains(&c.register_read_dummy) {
        return Err(PlanError::RegisterReadDummy { dummy: c.register_read_dummy, min, max });
    }
    let read_dummy = c.read_latency.fixed_clocks();
    let write_dummy = c.write_latency.dummy_cycles();
    let refresh = refresh(hz, c.temperature.tcem_ns(), read_dummy)?;
    let cs_high_clocks = ((aps6408::T_CPH_NS as u64 * hz as u64).div_ceil(1_000_000_000) as u32).clamp(2, 8);
    let bytes_per_select =
        (2 * (refresh.field + READ_EXTENSION_CLOCKS - COMMAND_CLOCKS - read_dummy)).min(aps6408::ROW_BYTES);
    Ok(Plan {
        memory_clock_hz: hz,
        prescaler: c.prescaler,
        dcr1: octospi::dcr1(aps6408::SIZE.trailing_zeros(), cs_high_clocks),
        dcr2: octospi::dcr2(c.prescaler),
        dcr3: octospi::dcr3(aps6408::ROW_BYTES.trailing_zeros()),
        refresh,
        cs_high_clocks,
        mode: ModeRegisters::new(c.read_latency, c.write_latency, c.drive),
        commands: Commands::new(read_dummy, write_dummy, c.register_read_dummy),
        timing: BusTiming { memory_clock_hz: hz, read_dummy, write_dummy, cs_high: cs_high_clocks, bytes_per_select },
    })
}

/// A step of the bring-up, for the messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Configure,
    GlobalReset,
    ModeRegisterWrite(u8),
    ModeRegisterRead(u8),
    ArrayWrite { offset: u32 },
    ArrayRead { offset: u32 },
    DelaySampling,
    DelayUnit(u8),
    DelaySelect,
    MemoryMapped,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match *self {
            Step::Configure => f.write_str("configuring OCTOSPI1"),
            Step::GlobalReset => f.write_str("the global reset command"),
            Step::ModeRegisterWrite(mr) => write!(f, "writing MR{mr}"),
            Step::ModeRegisterRead(mr) => write!(f, "reading MR{mr}"),
            Step::ArrayWrite { offset } => write!(f, "an indirect write at {:#010x}", BASE + offset as usize),
            Step::ArrayRead { offset } => write!(f, "an indirect read at {:#010x}", BASE + offset as usize),
            Step::DelaySampling => f.write_str("delay-block length sampling"),
            Step::DelayUnit(unit) => write!(f, "delay-block length sampling at UNIT {unit}"),
            Step::DelaySelect => f.write_str("selecting the delay tap"),
            Step::MemoryMapped => f.write_str("entering memory-mapped mode"),
        }
    }
}

/// Why the PSRAM cannot be used. Every one means: load no process there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PsramError {
    Plan(PlanError),
    /// The D-cache is on: the test would test the cache.
    DCacheEnabled,
    /// A register read back differently: its bus clock is off.
    NotClocked {
        wrote: u32,
        read: u32,
    },
    Timeout(Step),
    /// SR.TEF: the controller refused an address.
    TransferError(Step),
    NoDelayPeriod,
    DelayReadBack {
        wrote: (u8, u8),
        read: (u8, u8),
    },
    /// MR1 never read as AP Memory's ID at any delay tap, and only as
    /// all ones or all zeros (a floating bus).
    NoDevice {
        mr1: u8,
    },
    /// The device answers (MR1 reads something), but no tap reads MR1, MR0
    /// and the sweep block right.
    NoDelayWindow {
        unit: u8,
        taps: u8,
        passes: u16,
    },
    ModeRegister {
        mr: u8,
        wrote: u8,
        read: u8,
    },
    MemoryTest(Failure),
}

impl From<PlanError> for PsramError {
    fn from(e: PlanError) -> PsramError {
        PsramError::Plan(e)
    }
}

impl fmt::Display for PsramError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("psram: ")?;
        match *self {
            PsramError::Plan(e) => write!(f, "configuration refused: {e}")?,
            PsramError::DCacheEnabled => f.write_str("the D-cache is on; call Psram::init before cache::enable")?,
            PsramError::NotClocked { wrote, read } => write!(
                f,
                "OCTOSPI1 or its IO manager ignores writes (wrote {wrote:#010x}, read {read:#010x}): \
                 are RCC_AHB3ENR.OCTOSPI1EN (bit 14) and OCTOSPIMEN (bit 21) set?"
            )?,
            PsramError::Timeout(step) => write!(f, "timed out in {step}")?,
            PsramError::TransferError(step) => write!(f, "transfer error in {step}")?,
            PsramError::NoDelayPeriod => f.write_str(
                "the delay block found no UNIT spanning one memory clock period (clock below 25 MHz or not running)",
            )?,
            PsramError::DelayReadBack { wrote, read } => write!(
                f,
                "the delay block reads UNIT {} SEL {} after UNIT {} SEL {} was written",
                read.0, read.1, wrote.0, wrote.1
            )?,
            PsramError::NoDevice { mr1 } => write!(
                f,
                "no APS6408L answers: MR1 reads {mr1:#04x} at every delay tap, not AP Memory's {:#04x} \
                 (is the NUCLEO-MEM fitted, are the pins right?)",
                aps6408::VENDOR_AP_MEMORY
            )?,
            PsramError::NoDelayWindow { unit, taps, passes } => write!(
                f,
                "the device answers but no delay tap 0-{taps} (UNIT {unit}) reads data back (pass mask {passes:#06x})"
            )?,
            PsramError::ModeRegister { mr, wrote, read } => {
                write!(f, "MR{mr} reads {read:#04x} after {wrote:#04x} was written")?
            }
            PsramError::MemoryTest(failure) => write!(f, "{}", failure.at(BASE))?,
        }
        f.write_str("; no process will be loaded into PSRAM")
    }
}

/// The delay calibration's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelayCalibration {
    pub period: Period,
    /// Taps 0..taps_tested were tried; bit n of `passes` is tap n.
    pub taps_tested: u8,
    pub passes: u16,
    pub window: Window,
}

/// What `init` found and set, for the boot log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PsramInfo {
    pub base: usize,
    pub size: usize,
    pub memory_clock_hz: u32,
    pub prescaler: u32,
    pub refresh: Refresh,
    pub delay: DelayCalibration,
    /// The mode registers as read back.
    pub mode: ModeRegisters,
    pub vendor: u8,
    pub density: u8,
    pub test: Counts,
    /// The memory test's estimated bus time at this clock.
    pub test_estimate_us: u32,
}

impl fmt::Display for PsramInfo {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let d = &self.delay;
        write!(
            f,
            "psram: {} MiB at {:#010x}, {} MHz (kernel clock / {}); nCS low at most {} ns of tCEM {} ns \
             (REFRESH {}, timeout {}); delay UNIT {}, taps 0-{} pass {:#06x}, window {}-{}, tap {}; \
             MR0 {:#04x} MR4 {:#04x} MR8 {:#04x}, vendor {:#04x}, density {:#05b}; \
             memory test passed ({} KiB in bursts, {} single accesses, about {} µs)",
            self.size >> 20,
            self.base,
            self.memory_clock_hz / 1_000_000,
            self.prescaler,
            self.refresh.max_cs_low_ns,
            self.refresh.tcem_ns,
            self.refresh.field,
            self.refresh.timeout,
            d.period.unit,
            d.taps_tested - 1,
            d.passes,
            d.window.first,
            d.window.last,
            d.window.centre,
            self.mode.mr0,
            self.mode.mr4,
            self.mode.mr8,
            self.vendor,
            self.density,
            self.test.burst_bytes / 1024,
            self.test.single_reads + self.test.single_writes,
            self.test_estimate_us
        )
    }
}

/// What the bring-up needs from the hardware. Every call is synchronous
/// and bounded; all but `wait_us` and `window` report their failure.
pub trait PsramPort {
    type Window: WordBus;
    fn dcache_enabled(&self) -> bool;
    /// The IO manager's port 1 for OCTOSPI1 and the controller as `plan`
    /// says, enabled and idle (it checks the registers took the values).
    fn configure(&mut self, plan: &Plan) -> Result<(), PsramError>;
    fn wait_us(&mut self, us: u32);
    fn global_reset(&mut self) -> Result<(), PsramError>;
    fn write_mode_register(&mut self, mr: u8, value: u8) -> Result<(), PsramError>;
    /// The registers at even address `mr` and `mr + 1`.
    fn read_mode_registers(&mut self, mr: u8) -> Result<[u8; 2], PsramError>;
    /// One indirect write command of `words` words from `offset`.
    fn write_array(&mut self, offset: u32, words: u32, word: &mut dyn FnMut(u32) -> u32) -> Result<(), PsramError>;
    /// One indirect read command of `words` words from `offset`.
    fn read_array(&mut self, offset: u32, words: u32, sink: &mut dyn FnMut(u32, u32)) -> Result<(), PsramError>;
    /// The delay block's length sampling (with the clock it needs).
    fn measure_delay(&mut self) -> Result<Period, PsramError>;
    /// Selects `tap` cells of `unit`, and checks it took.
    fn select_delay(&mut self, unit: u8, tap: u8) -> Result<(), PsramError>;
    fn enter_memory_mapped(&mut self) -> Result<(), PsramError>;
    /// The mapped window (after `enter_memory_mapped`).
    fn window(&mut self) -> &mut Self::Window;
}

/// The indirect commands as the memory test's long transfers.
struct Indirect<'a, P: PsramPort>(&'a mut P);

impl<P: PsramPort> BurstBus for Indirect<'_, P> {
    type Error = PsramError;
    fn write_burst(&mut self, offset: u32, words: u32, word: &mut dyn FnMut(u32) -> u32) -> Result<(), PsramError> {
        self.0.write_array(offset, words, word)
    }
    fn read_burst(&mut self, offset: u32, words: u32, sink: &mut dyn FnMut(u32, u32)) -> Result<(), PsramError> {
        self.0.read_array(offset, words, sink)
    }
}

/// The delay sweep's block: 256 bytes at the start of the device (within
/// one row), words that toggle every line on both edges.
const SWEEP_OFFSET: u32 = 0;
const SWEEP_WORDS: u32 = 64;

fn sweep_word(i: u32) -> u32 {
    match i % 4 {
        0 => 0xFF00_FF00,
        1 => 0x00FF_00FF,
        2 => 0xA55A_5AA5,
        _ => psram_test::pattern(4 * i, 0xD1B5_4A32),
    }
}

/// The PSRAM on `P`.
pub struct Psram<P: PsramPort> {
    port: P,
}

impl<P: PsramPort> Psram<P> {
    pub fn new(port: P) -> Psram<P> {
        Psram { port }
    }

    /// The whole bring-up (see the module comment for what must come
    /// before). On `Ok` the 8 MiB at [`BASE`] are mapped and tested.
    pub fn init(&mut self, config: &PsramConfig) -> Result<PsramInfo, PsramError> {
        bring_up(&mut self.port, config)
    }
}

/// The bring-up sequence.
pub fn bring_up<P: PsramPort>(port: &mut P, config: &PsramConfig) -> Result<PsramInfo, PsramError> {
    let plan = plan(config)?;
    if port.dcache_enabled() {
        return Err(PsramError::DCacheEnabled);
    }
    port.configure(&plan)?;
    port.wait_us(aps6408::PU_WAIT_US);
    port.global_reset()?;
    port.wait_us(aps6408::RST_WAIT_US);
    // Register writes need no read timing: they come before the delay is known.
    for (mr, value) in [(aps6408::MR0, plan.mode.mr0), (aps6408::MR4, plan.mode.mr4), (aps6408::MR8, plan.mode.mr8)] {
        port.write_mode_register(mr, value)?;
    }
    let delay = calibrate_delay(port, &plan)?;

    // The registers, at the chosen tap.
    let [mr0, mr1] = port.read_mode_registers(aps6408::MR0)?;
    let [mr2, _] = port.read_mode_registers(aps6408::MR2)?;
    let [mr4, _] = port.read_mode_registers(aps6408::MR4)?;
    let [mr8, _] = port.read_mode_registers(aps6408::MR8)?;
    for (mr, wrote, read) in [(0, plan.mode.mr0, mr0), (4, plan.mode.mr4, mr4), (8, plan.mode.mr8, mr8)] {
        if read != wrote {
            return Err(PsramError::ModeRegister { mr, wrote, read });
        }
    }
    if mr1 & aps6408::MR1_VENDOR_MASK != aps6408::VENDOR_AP_MEMORY {
        return Err(PsramError::NoDevice { mr1 });
    }

    let mut test = psram_test::run_burst_phase(&mut Indirect(port), aps6408::SIZE).map_err(|e| match e {
        BurstError::Bus(e) => e,
        BurstError::Data(f) => PsramError::MemoryTest(f),
    })?;
    port.enter_memory_mapped()?;
    let window = psram_test::run_window_phase(port.window(), aps6408::SIZE).map_err(PsramError::MemoryTest)?;
    test.single_reads += window.single_reads;
    test.single_writes += window.single_writes;

    Ok(PsramInfo {
        base: BASE,
        size: SIZE,
        memory_clock_hz: plan.memory_clock_hz,
        prescaler: plan.prescaler,
        refresh: plan.refresh,
        delay,
        mode: ModeRegisters { mr0, mr4, mr8 },
        vendor: mr1 & aps6408::MR1_VENDOR_MASK,
        density: mr2 & aps6408::MR2_DENSITY_MASK,
        test,
        test_estimate_us: psram_test::estimate_us(&test, &plan.timing),
    })
}

/// Measures the delay line, then reads the sweep block and the mode
/// registers at every tap within one period (the block is written once:
/// writes do not go through the read delay) and keeps the centre of the
/// widest passing window. A tap passes when MR1 is AP Memory's ID, MR0 is
/// what was written and the block reads back whole.
fn calibrate_delay<P: PsramPort>(port: &mut P, plan: &Plan) -> Result<DelayCalibration, PsramError> {
    let period = port.measure_delay()?;
    port.select_delay(period.unit, period.quarter())?;
    port.write_array(SWEEP_OFFSET, SWEEP_WORDS, &mut sweep_word)?;
    let taps_tested = period.taps.min(dlyb::MAX_SEL) + 1;
    let mut passes = [false; dlyb::MAX_SEL as usize + 1];
    let (mut vendor_seen, mut answered, mut last_mr1, mut mr0_at_vendor) = (false, false, 0u8, None);
    for tap in 0..taps_tested {
        port.select_delay(period.unit, tap)?;
        let [mr0, mr1] = port.read_mode_registers(aps6408::MR0)?;
        let vendor = mr1 & aps6408::MR1_VENDOR_MASK == aps6408::VENDOR_AP_MEMORY;
        last_mr1 = mr1;
        // A missing device leaves the bus floating at all ones or zeros.
        answered |= mr1 != 0x00 && mr1 != 0xFF;
        if vendor {
            vendor_seen = true;
            mr0_at_vendor = Some(mr0);
        }
        let mut data = true;
        port.read_array(SWEEP_OFFSET, SWEEP_WORDS, &mut |i, v| data &= v == sweep_word(i))?;
        passes[tap as usize] = vendor && mr0 == plan.mode.mr0 && data;
    }
    let tested = &passes[..taps_tested as usize];
    let mask = tested.iter().enumerate().fold(0u16, |m, (i, &p)| m | (p as u16) << i);
    let window = match dlyb::choose_window(tested, Taps::Line, Some(period.quarter())) {
        Ok(w) => w,
        Err(dlyb::NoWindow) if !vendor_seen && !answered => return Err(PsramError::NoDevice { mr1: last_mr1 }),
        Err(dlyb::NoWindow) => {
            return Err(match mr0_at_vendor {
                // The device is there but kept other latencies: the data
                // reads failed because the timing was not the one planned.
                Some(read) if read != plan.mode.mr0 => {
                    PsramError::ModeRegister { mr: aps6408::MR0, wrote: plan.mode.mr0, read }
                }
                _ => PsramError::NoDelayWindow { unit: period.unit, taps: taps_tested - 1, passes: mask },
            });
        }
    };
    port.select_delay(period.unit, window.centre)?;
    Ok(DelayCalibration { period, taps_tested, passes: mask, window })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::psram_model::{Fault, ModelPort, PortFault, SimPsram};
    use std::format;

    #[test]
    fn the_nucleo_mem_plan() {
        let p = plan(&PsramConfig::NUCLEO_MEM).unwrap();
        assert_eq!((p.memory_clock_hz, p.prescaler), (25_000_000, 8));
        assert_eq!(p.dcr1, 2 << 24 | 22 << 16 | 1 << 8, "AP Memory, 8 MiB, nCS high 2 clocks");
        assert_eq!((p.dcr2, p.dcr3), (7, 10 << 16), "prescaler 8, 1 KiB boundary");
        assert_eq!(p.mode, ModeRegisters { mr0: 0x24, mr4: 0x40, mr8: 0x0B });
        assert_eq!((p.commands.array_read.dummy, p.commands.array_write.dummy, p.commands.mr_read.dummy), (8, 4, 5));
        assert_eq!((p.commands.array_read.instruction, p.commands.array_write.instruction), (0x0000, 0x8080));
        assert_eq!(p.commands.array_read.ccr, 0x2C00_3C1C);
        assert_eq!(p.commands.array_write.ccr, 0x2C00_3C1C, "DQS on for writes: the write mask");
        assert_eq!(p.commands.mr_read.ccr, 0x2C00_3C04);
        assert_eq!(p.commands.mr_write.ccr, 0x0C00_3C04);
        assert_eq!(p.commands.reset.ccr, 0x0000_0004);
        // 4 µs less 20 % is 80 clocks: 20 of timeout, 2 of slack, 58 of read.
        assert_eq!((p.refresh.field, p.refresh.timeout, p.refresh.max_cs_low_clocks), (54, 20, 80));
        assert_eq!(p.refresh.max_cs_low_ns, 3_200);
        assert_eq!(p.timing.bytes_per_select, 94);
    }

    #[test]
    fn the_originals_refresh_had_no_margin() {
        // REFRESH 99 with the 0x34 timeout: up to 99 + 4 + 52 clocks low,
        // 6.2 µs at 25 MHz, over the 4 µs of tCEM; and over 1 µs above 85 °C.
        let original_ns = (99 + 4 + 0x34) * 40;
        assert!(original_ns > TemperatureRange::Standard.tcem_ns());
        let ours = refresh(25_000_000, TemperatureRange::Standard.tcem_ns(), 8).unwrap();
        assert!(ours.max_cs_low_ns <= TemperatureRange::Standard.tcem_ns() * 8 / 10);
    }

    #[test]
    fn refresh_follows_the_clock_and_the_temperature() {
        for hz in [25_000_000, 50_000_000, 100_000_000] {
            for t in [TemperatureRange::Standard, TemperatureRange::Extended] {
                let Ok(r) = refresh(hz, t.tcem_ns(), 8) else { continue };
                assert!(r.max_cs_low_ns <= t.tcem_ns() * 8 / 10, "{hz} {t:?}: {r:?}");
                assert!(r.field + 4 >= 3 + 8 + 4, "a read window carries data");
                assert!(r.timeout >= 1 && r.timeout <= 0x34);
            }
        }
        // Above 85 °C at 25 MHz: 20 clocks of budget cannot hold a read.
        let e = refresh(25_000_000, TemperatureRange::Extended.tcem_ns(), 8).unwrap_err();
        assert_eq!(
            e,
            PlanError::RefreshTooShort {
                memory_clock_hz: 25_000_000,
                tcem_ns: 1_000,
                window_clocks: 13,
                needed_clocks: 15
            }
        );
        // At 50 MHz it fits: 40 clocks, 10 of timeout, REFRESH 24.
        let r = refresh(50_000_000, TemperatureRange::Extended.tcem_ns(), 8).unwrap();
        assert_eq!((r.field, r.timeout, r.max_cs_low_ns), (24, 10, 800));
        // And the plan says so in words.
        let extended = PsramConfig { temperature: TemperatureRange::Extended, ..PsramConfig::NUCLEO_MEM };
        let text = format!("{}", PsramError::from(plan(&extended).unwrap_err()));
        assert!(text.contains("leaves 13 clocks per read, fewer than the 15"), "{text}");
    }

    #[test]
    fn clocks_outside_the_limits_are_refused() {
        let c = PsramConfig::NUCLEO_MEM;
        let at = |prescaler, interconnect_max_hz| PsramConfig { prescaler, interconnect_max_hz, ..c };
        assert_eq!(plan(&at(0, 25_000_000)), Err(PlanError::Prescaler { prescaler: 0 }));
        assert_eq!(plan(&at(3, 200_000_000)), Err(PlanError::OddPrescaler { prescaler: 3 }));
        assert_eq!(plan(&at(1, 200_000_000)), Err(PlanError::AboveDevice { hz: 200_000_000 }));
        assert_eq!(
            plan(&at(4, 25_000_000)),
            Err(PlanError::AboveInterconnect { hz: 50_000_000, limit_hz: 25_000_000 })
        );
        assert_eq!(plan(&at(16, 25_000_000)), Err(PlanError::BelowDelayBlock { hz: 12_500_000 }));
        // 100 MHz through better wiring: LC 4 and WL 5 allow it...
        assert!(plan(&at(2, 133_000_000)).is_ok());
        // ...LC 3 does not.
        let lc3 = PsramConfig { read_latency: ReadLatency::Lc3, register_read_dummy: 3, ..at(2, 133_000_000) };
        assert_eq!(plan(&lc3), Err(PlanError::AboveLatency { hz: 100_000_000, limit_hz: 66_000_000, write: false }));
        let wl3 = PsramConfig { write_latency: WriteLatency::Wl3, ..at(2, 133_000_000) };
        assert_eq!(plan(&wl3), Err(PlanError::AboveLatency { hz: 100_000_000, limit_hz: 66_000_000, write: true }));
        let bad_dummy = PsramConfig { register_read_dummy: 9, ..c };
        assert_eq!(plan(&bad_dummy), Err(PlanError::RegisterReadDummy { dummy: 9, min: 4, max: 8 }));
        // 50 MHz: half the time per clock, CS high still 2 clocks.
        let fifty = plan(&at(4, 50_000_000)).unwrap();
        assert_eq!((fifty.memory_clock_hz, fifty.cs_high_clocks, fifty.dcr2), (50_000_000, 2, 3));
        // 100 MHz: 20 ns of tCPH is 2 clocks; at 133 MHz it would be 3.
        assert_eq!(plan(&at(2, 133_000_000)).unwrap().cs_high_clocks, 2);
    }

    #[test]
    fn bring_up_on_a_healthy_model() {
        let mut port = ModelPort::healthy();
        let info = Psram::new(&mut port).init(&PsramConfig::NUCLEO_MEM).unwrap();
        assert_eq!((info.base, info.size), (0x9000_0000, 8 << 20));
        assert_eq!(info.delay.window, dlyb::Window { first: 2, last: 4, width: 3, centre: 3 });
        assert_eq!(info.delay.passes, 0b11100);
        assert_eq!(info.delay.taps_tested, info.delay.period.taps + 1);
        assert_eq!((port.unit, port.tap), (info.delay.period.unit, 3), "left at the centre");
        assert_eq!(info.mode, ModeRegisters { mr0: 0x24, mr4: 0x40, mr8: 0x0B });
        assert_eq!((info.vendor, info.density), (0x0D, 0b011));
        assert!(port.mapped);
        assert!(port.waited_us >= (aps6408::T_PU_US + aps6408::T_RST_US) as u64);
        assert!((1_000..20_000).contains(&info.test_estimate_us), "{}", info.test_estimate_us);
        // The order: configure, power-up wait, reset, wait, the three mode
        // registers, then the delay, the tests, and memory-mapped mode last.
        assert_eq!(
            &port.log[..8],
            ["configure", "wait", "reset", "wait", "mr write", "mr write", "mr write", "dlyb measure"]
        );
        let mapped = port.log.iter().position(|s| *s == "memory-mapped").unwrap();
        assert!(port.log[mapped + 1..].is_empty(), "the window tests use no indirect command");
        assert!(port.log[..mapped].iter().filter(|s| **s == "array write").count() >= 7, "sweep block and 6 bursts");
        let text = format!("{info}");
        assert!(
            text.starts_with("psram: 8 MiB at 0x90000000, 25 MHz (kernel clock / 8); nCS low at most 3200 ns"),
            "{text}"
        );
        assert!(text.contains("window 2-4, tap 3; MR0 0x24 MR4 0x40 MR8 0x0b, vendor 0x0d"), "{text}");
    }

    impl<P: PsramPort> PsramPort for &mut P {
        type Window = P::Window;
        fn dcache_enabled(&self) -> bool {
            (**self).dcache_enabled()
        }
        fn configure(&mut self, plan: &Plan) -> Result<(), PsramError> {
            (**self).configure(plan)
        }
        fn wait_us(&mut self, us: u32) {
            (**self).wait_us(us)
        }
        fn global_reset(&mut self) -> Result<(), PsramError> {
            (**self).global_reset()
        }
        fn write_mode_register(&mut self, mr: u8, value: u8) -> Result<(), PsramError> {
            (**self).write_mode_register(mr, value)
        }
        fn read_mode_registers(&mut self, mr: u8) -> Result<[u8; 2], PsramError> {
            (**self).read_mode_registers(mr)
        }
        fn write_array(&mut self, offset: u32, words: u32, word: &mut dyn FnMut(u32) -> u32) -> Result<(), PsramError> {
            (**self).write_array(offset, words, word)
        }
        fn read_array(&mut self, offset: u32, words: u32, sink: &mut dyn FnMut(u32, u32)) -> Result<(), PsramError> {
            (**self).read_array(offset, words, sink)
        }
        fn measure_delay(&mut self) -> Result<Period, PsramError> {
            (**self).measure_delay()
        }
        fn select_delay(&mut self, unit: u8, tap: u8) -> Result<(), PsramError> {
            (**self).select_delay(unit, tap)
        }
        fn enter_memory_mapped(&mut self) -> Result<(), PsramError> {
            (**self).enter_memory_mapped()
        }
        fn window(&mut self) -> &mut P::Window {
            (**self).window()
        }
    }

    fn init(port: &mut ModelPort) -> Result<PsramInfo, PsramError> {
        bring_up(port, &PsramConfig::NUCLEO_MEM)
    }

    #[test]
    fn a_narrow_or_shifted_eye_moves_the_tap() {
        let mut port = ModelPort { eye: (6, 6), ..ModelPort::healthy() };
        let info = init(&mut port).unwrap();
        assert_eq!((info.delay.window.width, info.delay.window.centre, port.tap), (1, 6, 6));
        let mut port = ModelPort { eye: (0, 9), ..ModelPort::healthy() };
        assert_eq!(init(&mut port).unwrap().delay.window.centre, 4);
    }

    #[test]
    fn errors_name_their_cause() {
        type Case = (&'static [PortFault], fn(&PsramError) -> bool, &'static str);
        let cases: [Case; 6] = [
            (&[PortFault::DCacheOn], |e| *e == PsramError::DCacheEnabled, "before cache::enable"),
            (&[PortFault::NotClocked], |e| matches!(e, PsramError::NotClocked { .. }), "OCTOSPI1EN (bit 14)"),
            (&[PortFault::NoDevice], |e| *e == PsramError::NoDevice { mr1: 0xFF }, "MR1 reads 0xff at every delay tap"),
            (
                &[PortFault::ModeRegistersStuck],
                |e| *e == PsramError::ModeRegister { mr: 0, wrote: 0x24, read: 0x09 },
                "MR0 reads 0x09 after 0x24 was written",
            ),
            (&[PortFault::NoEye], |e| matches!(e, PsramError::NoDelayWindow { passes: 0, .. }), "no delay tap 0-10"),
            (&[PortFault::NoDelayPeriod], |e| *e == PsramError::NoDelayPeriod, "no UNIT spanning"),
        ];
        for (faults, is, words) in cases {
            let mut port = ModelPort::with(faults);
            let e = init(&mut port).unwrap_err();
            assert!(is(&e), "{faults:?}: {e:?}");
            let text = format!("{e}");
            assert!(text.starts_with("psram: ") && text.contains(words), "{text}");
            assert!(text.ends_with("; no process will be loaded into PSRAM"));
            assert!(!port.mapped, "a failed bring-up never maps the window");
        }
        // The D-cache check comes before any register is touched.
        let mut port = ModelPort::with(&[PortFault::DCacheOn]);
        let _ = init(&mut port);
        assert!(port.log.is_empty());
    }

    #[test]
    fn a_hung_controller_times_out_at_a_named_step() {
        let mut port = ModelPort::with(&[PortFault::HangAfter(0)]);
        assert_eq!(init(&mut port), Err(PsramError::Timeout(Step::GlobalReset)));
        let mut port = ModelPort::with(&[PortFault::HangAfter(2)]);
        let e = init(&mut port).unwrap_err();
        assert_eq!(e, PsramError::Timeout(Step::ModeRegisterWrite(4)));
        assert!(format!("{e}").contains("timed out in writing MR4"));
    }

    #[test]
    fn a_memory_fault_stops_the_bring_up_with_its_address() {
        let mut port = ModelPort { memory: SimPsram::new(aps6408::SIZE, &[Fault::RowWrap]), ..ModelPort::healthy() };
        let e = init(&mut port).unwrap_err();
        let PsramError::MemoryTest(f) = e else { panic!("{e:?}") };
        assert_eq!(f.test, psram_test::Test::Burst);
        let text = format!("{e}");
        assert!(text.starts_with("psram: burst pattern across row boundaries failed at 0x90000200"), "{text}");
        assert!(!port.mapped);

        let mut port = ModelPort {
            memory: SimPsram::new(aps6408::SIZE, &[Fault::AddressShort { a: 14, b: 20 }]),
            ..ModelPort::healthy()
        };
        let e = init(&mut port).unwrap_err();
        assert!(format!("{e}").contains("(address bits A14 and A20 shorted)"), "{e}");
        assert!(port.mapped, "found by the window tests");
    }

    #[test]
    fn a_plan_error_touches_nothing() {
        let mut port = ModelPort::healthy();
        let e = init_with(&mut port, PsramConfig { prescaler: 5, ..PsramConfig::NUCLEO_MEM }).unwrap_err();
        assert_eq!(e, PsramError::Plan(PlanError::OddPrescaler { prescaler: 5 }));
        assert!(port.log.is_empty());
    }

    fn init_with(port: &mut ModelPort, config: PsramConfig) -> Result<PsramInfo, PsramError> {
        bring_up(port, &config)
    }

    #[test]
    fn the_pins_are_all_distinct() {
        for (i, a) in PINS.iter().enumerate() {
            for b in &PINS[i + 1..] {
                assert!((a.port, a.pin) != (b.port, b.pin), "{a:?} {b:?}");
            }
        }
    }
}
