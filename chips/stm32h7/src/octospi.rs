// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! OCTOSPI1 and its IO manager (RM0468 §24-25), driving the NUCLEO-MEM's
//! APS6408L: indirect commands, the delay block under a free-running
//! clock, and memory-mapped mode at 0x9000_0000.
//!
//! The values written (DCRs, CCR/TCR/IR of every command, the IO-manager
//! port) are computed by pure code ([`Command`], [`port1_for_octospi1`],
//! `psram::plan`) and host-tested; [`Octospi1Psram`] only writes them, in
//! the order RM0468 and ST's HAL use, and waits on flags with bounded
//! polls. It is the board's implementation of [`PsramPort`]; the sequence
//! itself (`psram::bring_up`) is host-tested against a model.
//!
//! Register facts are RM0468's as the stm32-rs SVD pages for the STM32H723
//! give them (OCTOSPI1 0x5200_5000, OCTOSPIM 0x5200_B400), checked against
//! ST's HAL (`stm32h7xx_hal_ospi.c`) where the order of writes matters.

use kernel::utilities::registers::interfaces::{ReadWriteable, Readable, Writeable};
use kernel::utilities::registers::{register_bitfields, register_structs, FieldValue, ReadOnly, ReadWrite, WriteOnly};
use kernel::utilities::StaticRef;

use crate::aps6408;
use crate::dlyb::{self, Dlyb, DlybRegisters};
use crate::psram::{Plan, Psram, PsramConfig, PsramError, PsramInfo, PsramPort, Step};
use crate::psram_test::WordBus;

pub const OCTOSPI1_BASE: usize = 0x5200_5000;
pub const OCTOSPIM_BASE: usize = 0x5200_B400;
/// OCTOSPI1's memory-mapped window (RM0468 memory map: 0x9000_0000, 256 MiB).
pub const OCTOSPI1_WINDOW: usize = 0x9000_0000;

register_structs! {
    pub OctospiRegisters {
        (0x000 => cr: ReadWrite<u32, CR::Register>),
        (0x004 => _reserved0),
        (0x008 => dcr1: ReadWrite<u32, DCR1::Register>),
        (0x00C => dcr2: ReadWrite<u32, DCR2::Register>),
        (0x010 => dcr3: ReadWrite<u32, DCR3::Register>),
        (0x014 => dcr4: ReadWrite<u32>),
        (0x018 => _reserved1),
        (0x020 => sr: ReadOnly<u32, SR::Register>),
        (0x024 => fcr: WriteOnly<u32, FCR::Register>),
        (0x028 => _reserved2),
        (0x040 => dlr: ReadWrite<u32>),
        (0x044 => _reserved3),
        (0x048 => ar: ReadWrite<u32>),
        (0x04C => _reserved4),
        (0x050 => dr: ReadWrite<u32>),
        (0x054 => _reserved5),
        (0x100 => ccr: ReadWrite<u32, CCR::Register>),
        (0x104 => _reserved6),
        (0x108 => tcr: ReadWrite<u32, TCR::Register>),
        (0x10C => _reserved7),
        (0x110 => ir: ReadWrite<u32>),
        (0x114 => _reserved8),
        (0x130 => lptr: ReadWrite<u32>),
        (0x134 => _reserved9),
        (0x180 => wccr: ReadWrite<u32, CCR::Register>),
        (0x184 => _reserved10),
        (0x188 => wtcr: ReadWrite<u32, TCR::Register>),
        (0x18C => _reserved11),
        (0x190 => wir: ReadWrite<u32>),
        (0x194 => @END),
    }
}

register_structs! {
    pub OctospimRegisters {
        (0x0 => cr: ReadWrite<u32, IOM_CR::Register>),
        (0x4 => p1cr: ReadWrite<u32, PCR::Register>),
        (0x8 => p2cr: ReadWrite<u32, PCR::Register>),
        (0xC => @END),
    }
}

register_bitfields![u32,
    pub CR [
        EN OFFSET(0) NUMBITS(1) [],
        ABORT OFFSET(1) NUMBITS(1) [],
        DMAEN OFFSET(2) NUMBITS(1) [],
        /// Timeout counter (memory-mapped mode): release nCS after LPTR idle clocks
        TCEN OFFSET(3) NUMBITS(1) [],
        DMM OFFSET(6) NUMBITS(1) [],
        FSEL OFFSET(7) NUMBITS(1) [],
        /// FIFO threshold: FTF at FTHRES + 1 bytes
        FTHRES OFFSET(8) NUMBITS(5) [],
        TEIE OFFSET(16) NUMBITS(1) [],
        TCIE OFFSET(17) NUMBITS(1) [],
        FTIE OFFSET(18) NUMBITS(1) [],
        SMIE OFFSET(19) NUMBITS(1) [],
        TOIE OFFSET(20) NUMBITS(1) [],
        FMODE OFFSET(28) NUMBITS(2) [
            IndirectWrite = 0,
            IndirectRead = 1,
            AutoPolling = 2,
            MemoryMapped = 3
        ]
    ],
    pub DCR1 [
        CKMODE OFFSET(0) NUMBITS(1) [],
        /// Free-running clock: CLK toggles with no transfer
        FRCK OFFSET(1) NUMBITS(1) [],
        DLYBYP OFFSET(3) NUMBITS(1) [],
        /// nCS high for at least CSHT + 1 clocks between commands
        CSHT OFFSET(8) NUMBITS(3) [],
        /// 2^(DEVSIZE + 1) bytes
        DEVSIZE OFFSET(16) NUMBITS(5) [],
        MTYP OFFSET(24) NUMBITS(3) [
            Micron = 0,
            Macronix = 1,
            /// "Standard" in the SVD, HAL_OSPI_MEMTYPE_APMEMORY in ST's HAL
            ApMemory = 2,
            MacronixRam = 3,
            HyperBusMemory = 4,
            HyperBusRegister = 5
        ]
    ],
    pub DCR2 [
        /// CLK = kernel clock / (PRESCALER + 1)
        PRESCALER OFFSET(0) NUMBITS(8) [],
        WRAPSIZE OFFSET(16) NUMBITS(3) []
    ],
    pub DCR3 [
        MAXTRAN OFFSET(0) NUMBITS(8) [],
        /// nCS released at every 2^CSBOUND-byte boundary
        CSBOUND OFFSET(16) NUMBITS(5) []
    ],
    pub SR [
        TEF OFFSET(0) NUMBITS(1) [],
        TCF OFFSET(1) NUMBITS(1) [],
        FTF OFFSET(2) NUMBITS(1) [],
        SMF OFFSET(3) NUMBITS(1) [],
        TOF OFFSET(4) NUMBITS(1) [],
        BUSY OFFSET(5) NUMBITS(1) [],
        FLEVEL OFFSET(8) NUMBITS(6) []
    ],
    pub FCR [
        CTEF OFFSET(0) NUMBITS(1) [],
        CTCF OFFSET(1) NUMBITS(1) [],
        CSMF OFFSET(3) NUMBITS(1) [],
        CTOF OFFSET(4) NUMBITS(1) []
    ],
    pub CCR [
        IMODE OFFSET(0) NUMBITS(3) [],
        IDTR OFFSET(3) NUMBITS(1) [],
        ISIZE OFFSET(4) NUMBITS(2) [],
        ADMODE OFFSET(8) NUMBITS(3) [],
        ADDTR OFFSET(11) NUMBITS(1) [],
        ADSIZE OFFSET(12) NUMBITS(2) [],
        ABMODE OFFSET(16) NUMBITS(3) [],
        DMODE OFFSET(24) NUMBITS(3) [],
        DDTR OFFSET(27) NUMBITS(1) [],
        DQSE OFFSET(29) NUMBITS(1) [],
        SIOO OFFSET(31) NUMBITS(1) []
    ],
    pub TCR [
        DCYC OFFSET(0) NUMBITS(5) [],
        /// Outputs held a quarter clock longer (DTR): not with the delay block
        DHQC OFFSET(28) NUMBITS(1) [],
        /// Must stay 0 with DTR data
        SSHIFT OFFSET(30) NUMBITS(1) []
    ],
    pub IOM_CR [
        MUXEN OFFSET(0) NUMBITS(1) [],
        REQ2ACK_TIME OFFSET(16) NUMBITS(8) []
    ],
    pub PCR [
        CLKEN OFFSET(0) NUMBITS(1) [],
        /// 0: OCTOSPI1, 1: OCTOSPI2
        CLKSRC OFFSET(1) NUMBITS(1) [],
        DQSEN OFFSET(4) NUMBITS(1) [],
        DQSSRC OFFSET(5) NUMBITS(1) [],
        NCSEN OFFSET(8) NUMBITS(1) [],
        NCSSRC OFFSET(9) NUMBITS(1) [],
        IOLEN OFFSET(16) NUMBITS(1) [],
        /// [1]: OCTOSPI1 or 2, [0]: its IO[3:0] or IO[7:4]
        IOLSRC OFFSET(17) NUMBITS(2) [],
        IOHEN OFFSET(24) NUMBITS(1) [],
        IOHSRC OFFSET(25) NUMBITS(2) []
    ]
];

/// The lines a phase uses (CCR's xMODE encoding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    None = 0,
    One = 1,
    Two = 2,
    Four = 3,
    Eight = 4,
}

/// One phase of a command: its lines, double transfer rate, and size in
/// bytes (instruction and address phases: 1 to 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phase {
    pub lines: Lines,
    pub dtr: bool,
    pub bytes: u8,
}

impl Phase {
    pub const fn octal(dtr: bool, bytes: u8) -> Phase {
        Phase { lines: Lines::Eight, dtr, bytes }
    }
}

/// A command, as the values of CCR (or WCCR), TCR's dummy cycles and IR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command {
    pub ccr: u32,
    pub dummy: u8,
    pub instruction: u32,
    pub has_address: bool,
    pub has_data: bool,
}

impl Command {
    /// Instruction, optional address and data phases (data size comes from
    /// DLR), `dummy` cycles, and the data strobe: sampling by DQS for
    /// reads, the write mask on DQS for writes.
    pub fn new(
        instruction: u32,
        instr: Phase,
        address: Option<Phase>,
        data: Option<Phase>,
        dummy: u8,
        dqs: bool,
    ) -> Command {
        let size = |p: Phase| (p.bytes.clamp(1, 4) - 1) as u32;
        let mut ccr: FieldValue<u32, CCR::Register> = CCR::IMODE.val(instr.lines as u32)
            + CCR::IDTR.val(instr.dtr as u32)
            + CCR::ISIZE.val(size(instr))
            + CCR::DQSE.val(dqs as u32);
        if let Some(a) = address {
            ccr += CCR::ADMODE.val(a.lines as u32) + CCR::ADDTR.val(a.dtr as u32) + CCR::ADSIZE.val(size(a));
        }
        if let Some(d) = data {
            ccr += CCR::DMODE.val(d.lines as u32) + CCR::DDTR.val(d.dtr as u32);
        }
        Command {
            ccr: ccr.value,
            dummy: dummy.min(31),
            instruction,
            has_address: address.is_some(),
            has_data: data.is_some(),
        }
    }
}

/// IO-manager port 1 wired to OCTOSPI1 alone: CLK, DQS, nCS from OCTOSPI1,
/// port 1's IO[3:0] from OCTOSPI1's IO[3:0] and IO[7:4] from its IO[7:4]
/// (the source field's low bit picks the nibble, as in ST's
/// HAL_OSPIM_Config). This should also be the register's reset value
/// (0x0301_0111 as recalled from RM0468; unverified, so it is written).
pub fn port1_for_octospi1() -> u32 {
    (PCR::CLKEN::SET
        + PCR::CLKSRC.val(0)
        + PCR::DQSEN::SET
        + PCR::DQSSRC.val(0)
        + PCR::NCSEN::SET
        + PCR::NCSSRC.val(0)
        + PCR::IOLEN::SET
        + PCR::IOLSRC.val(0b00)
        + PCR::IOHEN::SET
        + PCR::IOHSRC.val(0b01))
    .value
}

/// DCR1: AP Memory type, `devsize_log2` bytes, nCS high `cs_high` clocks,
/// delay block in use, clock low between commands (mode 0), no
/// free-running clock.
pub fn dcr1(devsize_log2: u32, cs_high: u32) -> u32 {
    (DCR1::MTYP::ApMemory
        + DCR1::DEVSIZE.val(devsize_log2 - 1)
        + DCR1::CSHT.val(cs_high.clamp(1, 8) - 1)
        + DCR1::DLYBYP::CLEAR
        + DCR1::FRCK::CLEAR
        + DCR1::CKMODE::CLEAR)
        .value
}

/// DCR2: the prescaler (1-256), no wrapped commands (the M7's wrapping
/// line fills are split by the controller).
pub fn dcr2(prescaler: u32) -> u32 {
    (DCR2::PRESCALER.val(prescaler.clamp(1, 256) - 1) + DCR2::WRAPSIZE.val(0)).value
}

/// DCR3: nCS released at every `boundary_log2`-byte boundary; no
/// arbitration between the two OCTOSPIs (MAXTRAN 0).
pub fn dcr3(boundary_log2: u32) -> u32 {
    (DCR3::CSBOUND.val(boundary_log2) + DCR3::MAXTRAN.val(0)).value
}

/// The SCB's CCR and its D-cache enable bit (ARMv7-M ARM B3.2.8).
#[cfg(all(target_arch = "arm", target_os = "none"))]
const SCB_CCR: usize = 0xE000_ED14;
#[cfg(all(target_arch = "arm", target_os = "none"))]
const SCB_CCR_DC: u32 = 1 << 16;

/// Flag polls before a step is declared stuck: SR reads take a few bus
/// clocks, so this is tens of milliseconds, far beyond any transfer here.
const POLLS: u32 = 2_000_000;
/// The FIFO (RM0468: 32 bytes), and the threshold used (4 bytes).
const FIFO_BYTES: u32 = 32;
const FIFO_THRESHOLD: u32 = 4;

const OCTOSPI1: StaticRef<OctospiRegisters> =
    // SAFETY: OCTOSPI1's register block, from RM0468's memory map.
    unsafe { StaticRef::new(OCTOSPI1_BASE as *const OctospiRegisters) };
const OCTOSPIM: StaticRef<OctospimRegisters> =
    // SAFETY: the OCTOSPI IO manager's register block.
    unsafe { StaticRef::new(OCTOSPIM_BASE as *const OctospimRegisters) };
const DLYB_OCTOSPI1: StaticRef<DlybRegisters> =
    // SAFETY: OCTOSPI1's delay block.
    unsafe { StaticRef::new(dlyb::DLYB_OCTOSPI1_BASE as *const DlybRegisters) };

/// OCTOSPI1 with the APS6408L on IO-manager port 1: the board's
/// [`PsramPort`]. Made once; used only by `psram::Psram::init`.
pub struct Octospi1Psram {
    ospi: StaticRef<OctospiRegisters>,
    iom: StaticRef<OctospimRegisters>,
    dlyb: Dlyb,
    cpu_hz: u32,
    plan: Option<Plan>,
    window: MappedWindow,
}

impl Octospi1Psram {
    /// # Safety
    /// One instance, at boot: it owns OCTOSPI1, the IO manager, DLYB_OCTOSPI1
    /// and the window at 0x9000_0000. OCTOSPI2 must be off (the IO manager
    /// is reconfigured) and nothing may use the window until `init` is done.
    pub const unsafe fn new(cpu_hz: u32) -> Octospi1Psram {
        Octospi1Psram {
            ospi: OCTOSPI1,
            iom: OCTOSPIM,
            dlyb: Dlyb::new(DLYB_OCTOSPI1),
            cpu_hz,
            plan: None,
            window: MappedWindow { base: OCTOSPI1_WINDOW },
        }
    }

    fn poll(&self, step: Step, done: impl Fn(&OctospiRegisters) -> bool) -> Result<(), PsramError> {
        for _ in 0..POLLS {
            if done(&self.ospi) {
                return Ok(());
            }
        }
        Err(PsramError::Timeout(step))
    }

    /// Stops whatever runs (a command, memory-mapped mode, the free-running
    /// clock) and waits until the controller is idle.
    fn abort(&self, step: Step) -> Result<(), PsramError> {
        if self.ospi.sr.is_set(SR::BUSY) {
            self.ospi.cr.modify(CR::ABORT::SET);
            self.poll(step, |r| !r.cr.is_set(CR::ABORT) && !r.sr.is_set(SR::BUSY))?;
        }
        self.ospi.fcr.write(FCR::CTCF::SET + FCR::CTEF::SET + FCR::CTOF::SET + FCR::CSMF::SET);
        Ok(())
    }

    fn plan(&self) -> Result<&Plan, PsramError> {
        self.plan.as_ref().ok_or(PsramError::Timeout(Step::Configure))
    }

    /// Sets up `command` in indirect `mode` for `bytes` of data; writing IR
    /// (no address) or AR starts it (RM0468 indirect mode).
    fn start(
        &self,
        step: Step,
        mode: FieldValue<u32, CR::Register>,
        command: &Command,
        address: u32,
        bytes: u32,
    ) -> Result<(), PsramError> {
        self.poll(step, |r| !r.sr.is_set(SR::BUSY))?;
        self.ospi.fcr.write(FCR::CTCF::SET + FCR::CTEF::SET);
        self.ospi.cr.modify(mode);
        if command.has_data {
            self.ospi.dlr.set(bytes - 1);
        }
        self.ospi.tcr.write(TCR::DCYC.val(command.dummy as u32));
        self.ospi.ccr.set(command.ccr);
        self.ospi.ir.set(command.instruction);
        if command.has_address {
            self.ospi.ar.set(address);
        }
        Ok(())
    }

    /// Waits for the end of a command; a transfer error (an address beyond
    /// DEVSIZE) fails it.
    fn finish(&self, step: Step) -> Result<(), PsramError> {
        self.poll(step, |r| r.sr.is_set(SR::TCF) || r.sr.is_set(SR::TEF))?;
        let error = self.ospi.sr.is_set(SR::TEF);
        self.ospi.fcr.write(FCR::CTCF::SET + FCR::CTEF::SET);
        self.poll(step, |r| !r.sr.is_set(SR::BUSY))?;
        if error {
            Err(PsramError::TransferError(step))
        } else {
            Ok(())
        }
    }

    /// The DR register for 16-bit accesses (a half-word access moves 2
    /// bytes through the FIFO, RM0468 OCTOSPI_DR).
    fn dr16(&self) -> *mut u16 {
        &self.ospi.dr as *const ReadWrite<u32> as *mut u16
    }

    /// Runs `f` with OCTOSPI1's clock free-running, then stops it.
    ///
    /// The delay block's input is OCTOSPI1's CLK, which toggles only during
    /// a transfer unless DCR1.FRCK is set: its length sampling needs a
    /// steady clock, and a new SEL/UNIT reaches the delayed output through
    /// that clock, so every DLYB change is made under FRCK, with the
    /// controller idle. FRCK is set with the controller enabled and idle
    /// and cleared with it disabled (ST's HAL_OSPI_Init/DeInit order), after
    /// an abort, which the original firmware (and ST's HAL for the U5 around
    /// its DLYB calls) needed to clear BUSY. This is the original's wrap
    /// around every DLYB access, done in one place.
    ///
    /// Why the original needed it at all: it measured the delay, then
    /// de-initialised and re-initialised the OCTOSPI (HAL DeInit disables
    /// it and the user's MspDeInit gates its clocks; MspInit resets it),
    /// after which UNIT read 54 instead of 34.
    /// A UNIT is only meaningful for the clock it was measured with and
    /// nothing guarantees it survives an OCTOSPI reset. Here the controller
    /// is configured once, with its final prescaler, before the delay is
    /// measured; it is never reset or reconfigured afterwards; and every
    /// (UNIT, SEL) written is read back (`select_delay`). Whether the
    /// OCTOSPI1 reset also resets DLYB_OCTOSPI1 was not verified.
    fn with_free_running_clock<T>(&self, step: Step, f: impl FnOnce(&Self) -> T) -> Result<T, PsramError> {
        self.poll(step, |r| !r.sr.is_set(SR::BUSY))?;
        self.ospi.dcr1.modify(DCR1::FRCK::SET);
        let result = f(self);
        // The clock is stopped even if the abort times out.
        let aborted = self.abort(step);
        self.ospi.cr.modify(CR::EN::CLEAR);
        self.ospi.dcr1.modify(DCR1::FRCK::CLEAR);
        self.ospi.cr.modify(CR::EN::SET);
        aborted.map(|()| result)
    }
}

impl PsramPort for Octospi1Psram {
    type Window = MappedWindow;

    fn dcache_enabled(&self) -> bool {
        #[cfg(all(target_arch = "arm", target_os = "none"))]
        {
            // SAFETY: reading the SCB's CCR has no side effects.
            let ccr = unsafe { core::ptr::read_volatile(SCB_CCR as *const u32) };
            ccr & SCB_CCR_DC != 0
        }
        #[cfg(not(all(target_arch = "arm", target_os = "none")))]
        false
    }

    fn configure(&mut self, plan: &Plan) -> Result<(), PsramError> {
        // Nothing runs and the controller is off while the IO manager and
        // the device configuration change (ST's HAL_OSPIM_Config disables
        // both OCTOSPIs; OCTOSPI2 is unused and off).
        self.abort(Step::Configure)?;
        self.ospi.cr.modify(CR::EN::CLEAR);
        self.iom.cr.write(IOM_CR::MUXEN::CLEAR);
        let port = port1_for_octospi1();
        self.iom.p1cr.set(port);
        if self.iom.p1cr.get() != port {
            return Err(PsramError::NotClocked { wrote: port, read: self.iom.p1cr.get() });
        }
        self.ospi.dcr1.set(plan.dcr1);
        if self.ospi.dcr1.get() != plan.dcr1 {
            return Err(PsramError::NotClocked { wrote: plan.dcr1, read: self.ospi.dcr1.get() });
        }
        self.ospi.dcr2.set(plan.dcr2);
        self.ospi.dcr3.set(plan.dcr3);
        self.ospi.dcr4.set(plan.refresh.field);
        self.ospi.tcr.write(TCR::DCYC.val(0) + TCR::DHQC::CLEAR + TCR::SSHIFT::CLEAR);
        self.ospi.cr.write(CR::FTHRES.val(FIFO_THRESHOLD - 1) + CR::FMODE::IndirectWrite + CR::DMM::CLEAR);
        self.ospi.cr.modify(CR::EN::SET);
        self.plan = Some(*plan);
        Ok(())
    }

    fn wait_us(&mut self, us: u32) {
        // A loop iteration takes at least one CPU cycle: this waits at least `us`.
        let iterations = us as u64 * (self.cpu_hz as u64 / 1_000_000).max(1);
        for _ in 0..iterations {
            core::hint::spin_loop();
        }
    }

    fn global_reset(&mut self) -> Result<(), PsramError> {
        let command = self.plan()?.commands.reset;
        self.start(Step::GlobalReset, CR::FMODE::IndirectWrite, &command, 0, 0)?;
        self.finish(Step::GlobalReset)
    }

    fn write_mode_register(&mut self, mr: u8, value: u8) -> Result<(), PsramError> {
        let step = Step::ModeRegisterWrite(mr);
        let command = self.plan()?.commands.mr_write;
        // Two bytes, as DTR needs: the register, then a 0 the device ignores.
        self.start(step, CR::FMODE::IndirectWrite, &command, mr as u32, 2)?;
        // SAFETY: a half-word write to OCTOSPI1's DR pushes 2 bytes into its FIFO.
        unsafe { core::ptr::write_volatile(self.dr16(), value as u16) };
        self.finish(step)
    }

    fn read_mode_registers(&mut self, mr: u8) -> Result<[u8; 2], PsramError> {
        let step = Step::ModeRegisterRead(mr);
        let command = self.plan()?.commands.mr_read;
        self.start(step, CR::FMODE::IndirectRead, &command, mr as u32, 2)?;
        self.poll(step, |r| r.sr.read(SR::FLEVEL) >= 2 || r.sr.is_set(SR::TCF))?;
        // SAFETY: a half-word read of OCTOSPI1's DR pops 2 bytes from its FIFO.
        let pair = unsafe { core::ptr::read_volatile(self.dr16()) };
        self.finish(step)?;
        Ok(pair.to_le_bytes())
    }

    fn write_array(&mut self, offset: u32, words: u32, word: &mut dyn FnMut(u32) -> u32) -> Result<(), PsramError> {
        let step = Step::ArrayWrite { offset };
        let command = self.plan()?.commands.array_write;
        self.start(step, CR::FMODE::IndirectWrite, &command, offset, 4 * words)?;
        for i in 0..words {
            self.poll(step, |r| r.sr.read(SR::FLEVEL) <= FIFO_BYTES - 4)?;
            self.ospi.dr.set(word(i));
        }
        self.finish(step)
    }

    fn read_array(&mut self, offset: u32, words: u32, sink: &mut dyn FnMut(u32, u32)) -> Result<(), PsramError> {
        let step = Step::ArrayRead { offset };
        let command = self.plan()?.commands.array_read;
        self.start(step, CR::FMODE::IndirectRead, &command, offset, 4 * words)?;
        for i in 0..words {
            self.poll(step, |r| r.sr.read(SR::FLEVEL) >= 4)?;
            sink(i, self.ospi.dr.get());
        }
        self.finish(step)
    }

    fn measure_delay(&mut self) -> Result<dlyb::Period, PsramError> {
        let found = self.with_free_running_clock(Step::DelaySampling, |this| {
            dlyb::find_period(|unit| this.dlyb.sample_length(unit))
        })?;
        found.map_err(|e| match e {
            dlyb::PeriodError::NoPeriod => PsramError::NoDelayPeriod,
            dlyb::PeriodError::Sample { unit, .. } => PsramError::Timeout(Step::DelayUnit(unit)),
        })
    }

    fn select_delay(&mut self, unit: u8, tap: u8) -> Result<(), PsramError> {
        self.with_free_running_clock(Step::DelaySelect, |this| this.dlyb.select(unit, tap))?;
        match self.dlyb.selected() {
            (u, s) if (u, s) == (unit, tap) => Ok(()),
            read => Err(PsramError::DelayReadBack { wrote: (unit, tap), read }),
        }
    }

    fn enter_memory_mapped(&mut self) -> Result<(), PsramError> {
        let plan = *self.plan()?;
        self.poll(Step::MemoryMapped, |r| !r.sr.is_set(SR::BUSY))?;
        // Both directions are set before the mode is entered (ST's HAL
        // insists on it): write command, then read command.
        let (w, r) = (plan.commands.array_write, plan.commands.array_read);
        self.ospi.wccr.set(w.ccr);
        self.ospi.wtcr.write(TCR::DCYC.val(w.dummy as u32));
        self.ospi.wir.set(w.instruction);
        self.ospi.ccr.set(r.ccr);
        self.ospi.tcr.write(TCR::DCYC.val(r.dummy as u32));
        self.ospi.ir.set(r.instruction);
        // nCS rises after this many idle clocks; it is part of the tCEM budget.
        self.ospi.lptr.set(plan.refresh.timeout);
        self.ospi.fcr.write(FCR::CTOF::SET);
        self.ospi.cr.modify(CR::TCEN::SET + CR::FMODE::MemoryMapped);
        Ok(())
    }

    fn window(&mut self) -> &mut MappedWindow {
        &mut self.window
    }
}

/// The board's one call: brings the NUCLEO-MEM's PSRAM up with `config`
/// (`PsramConfig::NUCLEO_MEM`), `cpu_hz` timing the boot-time waits.
///
/// # Safety
/// As [`Octospi1Psram::new`]: once, at boot, before anything uses the window.
pub unsafe fn init_psram(cpu_hz: u32, config: &PsramConfig) -> Result<PsramInfo, PsramError> {
    // SAFETY: the caller's promise.
    Psram::new(unsafe { Octospi1Psram::new(cpu_hz) }).init(config)
}

/// The memory-mapped window, as the memory test uses it: every access
/// volatile, offsets kept inside the 8 MiB, and a DSB after every write so
/// it has reached the controller before the next read is issued (an
/// aliasing fault must not be hidden by a read overtaking a write).
pub struct MappedWindow {
    base: usize,
}

impl MappedWindow {
    fn at(&self, offset: u32) -> usize {
        self.base + (offset & (aps6408::SIZE - 1)) as usize
    }
}

fn dsb() {
    #[cfg(all(target_arch = "arm", target_os = "none"))]
    // SAFETY: a barrier changes no state.
    unsafe {
        core::arch::asm!("dsb", options(nostack, preserves_flags));
    }
}

impl WordBus for MappedWindow {
    fn read8(&mut self, offset: u32) -> u8 {
        // SAFETY: inside the 8 MiB window, which `init` has mapped and owns.
        unsafe { core::ptr::read_volatile(self.at(offset) as *const u8) }
    }
    fn write8(&mut self, offset: u32, value: u8) {
        // SAFETY: as above.
        unsafe { core::ptr::write_volatile(self.at(offset) as *mut u8, value) };
        dsb();
    }
    fn read32(&mut self, offset: u32) -> u32 {
        // SAFETY: as above; the offset is word-aligned by the tests.
        unsafe { core::ptr::read_volatile(self.at(offset & !3) as *const u32) }
    }
    fn write32(&mut self, offset: u32, value: u32) {
        // SAFETY: as above.
        unsafe { core::ptr::write_volatile(self.at(offset & !3) as *mut u32, value) };
        dsb();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port1_carries_octospi1_alone() {
        // CLKEN, DQSEN, NCSEN, IOLEN, IOHEN and IOHSRC = 01.
        assert_eq!(port1_for_octospi1(), 0x0301_0111);
    }

    #[test]
    fn device_configuration_registers_of_the_original() {
        // HAL values DeviceSize 23, ChipSelectHighTime 2, prescaler 8,
        // CSBOUND 10: fields 22, 1, 7, 10.
        assert_eq!(dcr1(23, 2), 2 << 24 | 22 << 16 | 1 << 8);
        assert_eq!(dcr2(8), 7);
        assert_eq!(dcr3(10), 10 << 16);
    }

    #[test]
    fn command_encodings() {
        let octal_dtr_addr = Some(Phase::octal(true, 4));
        let octal_dtr_data = Some(Phase::octal(true, 1));
        // Memory read: 16-bit DTR instruction, 32-bit DTR address, DTR data, DQS.
        let read = Command::new(0x0000, Phase::octal(true, 2), octal_dtr_addr, octal_dtr_data, 8, true);
        assert_eq!(read.ccr, 0x2C00_3C1C);
        assert_eq!((read.dummy, read.has_address, read.has_data), (8, true, true));
        // Register write: 8-bit SDR instruction, no DQS.
        let mr_write = Command::new(0xC0, Phase::octal(false, 1), octal_dtr_addr, octal_dtr_data, 0, false);
        assert_eq!(mr_write.ccr, 0x0C00_3C04);
        // Global reset: instruction only.
        let reset = Command::new(0xFF, Phase::octal(false, 1), None, None, 0, false);
        assert_eq!(reset.ccr, 0x0000_0004);
        assert!(!reset.has_address && !reset.has_data);
        assert_eq!(Command::new(0, Phase::octal(false, 1), None, None, 40, false).dummy, 31);
    }
}
