// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Board file for the NUCLEO-H723ZG with the NUCLEO-MEM shield: 8 MiB octal
//! PSRAM on OCTOSPI1, an eMMC on SDMMC1, the on-board LAN8742 Ethernet PHY.
//!
//! Boot order: clocks (from the ST-LINK's 8 MHz, 550 MHz when the part's
//! CPUFREQ_BOOST option bit allows it, else 520 MHz), the MPU's kernel
//! regions (external-memory guard, write-back PSRAM), then the caches, the
//! console, the PSRAM and its memory test, the capsules, and only then the
//! processes, whose memory is all in PSRAM. The same capsules, apps and
//! restart-on-fault policy as the twins. What has run where is in
//! `docs/hardware.md`: none of this has run on a board yet.

#![no_std]
#![no_main]

use capsules_core::virtualizers::virtual_alarm::{MuxAlarm, VirtualMuxAlarm};
use capsules_net::{EthernetSwitch, NetConfig};
use capsules_sysinfo::{Region, SystemInfo};
use cortexm::mpu::{KernelAccess, KernelRegion, MemoryAttributes};
use dma_buffer::{DmaPool, DmaRegion};
use kernel::capabilities;
use kernel::component::Component;
use kernel::debug::PanicResources;
use kernel::hil;
use kernel::hil::led::LedHigh;
use kernel::hil::time::Alarm;
use kernel::platform::chip::{Chip, InterruptService};
use kernel::platform::{KernelResources, SyscallDriverLookup};
use kernel::utilities::cells::OptionalCell;
use kernel::utilities::single_thread_value::SingleThreadValue;
use kernel::utilities::StaticRef;
use kernel::{create_capability, debug, static_init};
use stm32h7::cache::CortexM7DCache;
use stm32h7::clock::{ClockPlan, Hse};
use stm32h7::eth;
use stm32h7::gpio::{Pin, Port, Pull, Speed};
use stm32h7::rcc::{self, Gate, Outcome};

use board_common::memory_map::{self, MemoryMap};
use board_common::{fault_policy, process_printer};

mod io;

/// Process slots, as on the twins.
pub const NUM_PROCS: usize = 10;

/// The clock the board runs from: the ST-LINK's MCO as shipped. A board
/// with the 25 MHz crystal fitted at X3 uses `Hse::CRYSTAL_25MHZ`.
const HSE: Hse = Hse::NUCLEO_STLINK;

type Peripherals = stm32h7::chip::Stm32h7Peripherals<'static>;
type ChipHw = stm32h7::chip::Stm32h7<'static, BoardInterrupts>;
type Cache = CortexM7DCache;
type NetHw = eth::Ethernet<'static, Cache>;
/// Frames in flight to the MAC at once (the switch's DMA buffers).
const NET_TX_BUFFERS: usize = 4;
/// Each network process's receive and transmit queues, in its grant
/// region (PSRAM), as on the twin.
const NET_PROCESS_RX_QUEUE: usize = 32 * 1024;
const NET_PROCESS_TX_QUEUE: usize = 8 * 1024;
type NetSwitch = EthernetSwitch<'static, NetHw, NET_PROCESS_RX_QUEUE, NET_PROCESS_TX_QUEUE, NET_TX_BUFFERS>;
type BlkHw = stm32h7::sdmmc::Sdmmc<'static, Cache>;
type BlkDriver = capsules_blk::BlockDriver<'static, BlkHw, Cache>;
/// Apps that may use the block device: only the storage service.
const BLOCK_DEVICE_USERS: &[&str] = &["storage"];
type LinkPoller = eth::LinkPoller<'static, VirtualMuxAlarm<'static, AlarmHw>, Cache>;
type SwitchStats = board_common::stats::SwitchStats<NetHw, NET_PROCESS_RX_QUEUE, NET_PROCESS_TX_QUEUE, NET_TX_BUFFERS>;

/// The original firmware's network identity (HARDWARE.md section 5).
const NET_CONFIG: NetConfig =
    NetConfig { mac: eth::NUCLEO_MEM_MAC, ipv4: [192, 168, 0, 50], prefix_len: 24, gateway: [192, 168, 0, 1] };

/// Every DMA buffer of the board, in AXI SRAM, as one link-time static (so
/// the link map is the whole DMA budget): ETH descriptors (one 32-byte
/// line each), its 8 receive buffers, the switch's transmit buffers, the
/// eMMC driver's EXT_CSD buffer and the block driver's bounce buffer.
const fn lines(bytes: usize) -> usize {
    bytes.div_ceil(32) * 32
}
const DMA_BYTES: usize = lines(eth::RX_DESCRIPTORS * 32)
    + lines(eth::TX_DESCRIPTORS * 32)
    + eth::RX_BUFFERS * lines(eth::RX_BUFFER_LEN)
    + NET_TX_BUFFERS * lines(syscall_abi::net::MAX_FRAME)
    + EXT_CSD_LEN
    + capsules_blk::BOUNCE_LEN;
/// The eMMC driver's own buffer: EXT_CSD is read before any client exists.
const EXT_CSD_LEN: usize = 512;
#[repr(C, align(32))]
struct DmaMemory([u8; DMA_BYTES]);
#[link_section = ".dma_sram"]
static mut DMA_MEMORY: DmaMemory = DmaMemory([0; DMA_BYTES]);
type AlarmHw = stm32h7::tim2::Tim2<'static>;
type ProcessPrinter = process_printer::BoardProcessPrinter;
type FaultPolicy = fault_policy::RestartOnFault<NUM_PROCS>;
type Uptime = board_common::uptime::ExtendedUptime<'static, VirtualMuxAlarm<'static, AlarmHw>>;
type SysInfo = SystemInfo<ProcessInfoCap>;
type Identity = hil_ext::identity::KernelProcessIdentity<ProcessInfoCap>;
const IPC_INBOX: usize = 16 * 1024;
/// The inbox of a process that asks for a large one (HTTP, FTP: three 16 KiB storage replies in flight).
const IPC_LARGE_INBOX: usize = 64 * 1024;
type IpcDriver = capsules_ipc::Ipc<'static, IPC_INBOX, IPC_LARGE_INBOX>;
type PsramDriver = capsules_psram::PsramGrants<ProcessInfoCap>;
type GrantStats = board_common::stats::GrantStats<ProcessInfoCap>;
/// 16 MPU regions: 2 for the kernel, 2 for a process's memory, 1 for its
/// flash, the rest for PSRAM grants (as on the Cortex-M7 twin).
const PSRAM_GRANT_LIMITS: capsules_psram::Limits = capsules_psram::Limits { bytes: 2 << 20, grants: 4 };
const SERVICE_OWNERS: &[capsules_ipc::ServiceOwner] = &[
    capsules_ipc::ServiceOwner { service: "storage", app: "storage" },
    capsules_ipc::ServiceOwner { service: "telemetry", app: "telemetry" },
];
type Led = LedHigh<'static, Pin>;
type LedDriver = capsules_core::led::LedDriver<'static, Led, 3>;
type TemperatureDriver = capsules_extra::temperature::TemperatureSensor<'static, stm32h7::dts::Dts<'static>>;
type RngDriver = components::rng::RngComponentType<stm32h7::rng::Rng<'static>>;

/// The OCTOSPI PSRAM, memory-mapped: all process memory.
const PSRAM_START: usize = 0x9000_0000;
const PSRAM_SIZE: usize = 8 << 20;

/// The kernel's own MPU regions, below every process region.
static KERNEL_REGIONS: [KernelRegion; 2] = [
    // No access to 0x6000_0000-0xDFFF_FFFF (FMC and OCTOSPI windows, most of
    // them unmapped): a speculative read there would stall the bus
    // (HARDWARE.md section 2, the original firmware's region 0). The
    // eighths for code, SRAM, peripherals and the system space are left to
    // the default map.
    KernelRegion {
        start: 0,
        size_log2: 32,
        disabled_subregions: 0b1000_0111,
        access: KernelAccess::None,
        memory: MemoryAttributes::STRONGLY_ORDERED,
    },
    // The PSRAM for the kernel (grants, process control blocks) with the
    // processes' own memory type, so the two views never disagree.
    KernelRegion {
        start: PSRAM_START,
        size_log2: PSRAM_SIZE.trailing_zeros(),
        disabled_subregions: 0,
        access: KernelAccess::PrivilegedReadWrite,
        memory: MemoryAttributes::NORMAL_WRITE_BACK,
    },
];

/// The memory type of a process region: write-back in PSRAM (as the kernel
/// sees it), write-through in flash (the default map's).
fn process_memory_attributes(start: *const u8, size: usize) -> MemoryAttributes {
    let (s, e) = (start as usize, start as usize + size);
    if s >= PSRAM_START && e <= PSRAM_START + PSRAM_SIZE {
        MemoryAttributes::NORMAL_WRITE_BACK
    } else if s >= 0x0800_0000 && e <= 0x0810_0000 {
        MemoryAttributes::NORMAL_WRITE_THROUGH
    } else {
        MemoryAttributes::STRONGLY_ORDERED
    }
}

const MPU_BASE: StaticRef<cortexm::mpu::MpuRegisters> =
    // SAFETY: the Cortex-M7's MPU registers (ARMv7-M ARM B3.5).
    unsafe { StaticRef::new(0xE000_ED90 as *const cortexm::mpu::MpuRegisters) };

/// Resources the panic handler in `io.rs` prints.
static PANIC_RESOURCES: SingleThreadValue<PanicResources<ChipHw, ProcessPrinter>> = SingleThreadValue::new();

// Kernel stack; the rest of the 128 KiB DTCM holds static state.
kernel::stack_size! {0x3000}

kernel::define_capability_type!(ProcessConsoleCap:
    kernel::capabilities::ProcessManagementCapability,
    kernel::capabilities::ProcessStartCapability
);
kernel::define_capability_type!(ProcessInfoCap: kernel::capabilities::ProcessManagementCapability);

/// The chip's own peripherals plus the devices the board wires.
struct BoardInterrupts {
    chip: &'static Peripherals,
    eth: OptionalCell<&'static NetHw>,
    sdmmc: OptionalCell<&'static BlkHw>,
}

impl InterruptService for BoardInterrupts {
    fn service_interrupt(&self, interrupt: u32) -> bool {
        match interrupt {
            eth::ETH_IRQ => self.eth.map_or(false, |e| {
                e.handle_interrupt();
                true
            }),
            stm32h7::sdmmc::SDMMC1_IRQ => self.sdmmc.map_or(false, |d| {
                d.handle_interrupt();
                true
            }),
            _ => self.chip.service_interrupt(interrupt),
        }
    }
}

struct NucleoH723 {
    console: &'static capsules_core::console::Console<'static>,
    alarm: &'static capsules_core::alarm::AlarmDriver<'static, VirtualMuxAlarm<'static, AlarmHw>>,
    lldb: &'static capsules_core::low_level_debug::LowLevelDebug<
        'static,
        capsules_core::virtualizers::virtual_uart::UartDevice<'static>,
    >,
    led: &'static LedDriver,
    temperature: &'static TemperatureDriver,
    rng: &'static RngDriver,
    net: Option<&'static NetSwitch>,
    blk: &'static BlkDriver,
    ipc: &'static IpcDriver,
    psram: &'static PsramDriver,
    sysinfo: &'static SysInfo,
    fault_policy: &'static FaultPolicy,
    scheduler: &'static capsules_system::scheduler::round_robin::RoundRobinSched<'static>,
    systick: cortexm7::systick::SysTick,
}

impl SyscallDriverLookup for NucleoH723 {
    fn with_driver<F, R>(&self, driver_num: usize, f: F) -> R
    where
        F: FnOnce(Option<&dyn kernel::syscall::SyscallDriver>) -> R,
    {
        match driver_num {
            capsules_core::console::DRIVER_NUM => f(Some(self.console)),
            capsules_core::alarm::DRIVER_NUM => f(Some(self.alarm)),
            capsules_core::low_level_debug::DRIVER_NUM => f(Some(self.lldb)),
            capsules_core::led::DRIVER_NUM => f(Some(self.led)),
            capsules_extra::temperature::DRIVER_NUM => f(Some(self.temperature)),
            capsules_core::rng::DRIVER_NUM => f(Some(self.rng)),
            capsules_net::DRIVER_NUM => match self.net {
                Some(net) => f(Some(net)),
                None => f(None),
            },
            capsules_blk::DRIVER_NUM => f(Some(self.blk)),
            capsules_sysinfo::DRIVER_NUM => f(Some(self.sysinfo)),
            capsules_ipc::DRIVER_NUM => f(Some(self.ipc)),
            capsules_psram::DRIVER_NUM => f(Some(self.psram)),
            _ => f(None),
        }
    }
}

impl KernelResources<ChipHw> for NucleoH723 {
    type SyscallDriverLookup = Self;
    type SyscallFilter = ();
    type ProcessFault = ();
    type Scheduler = capsules_system::scheduler::round_robin::RoundRobinSched<'static>;
    type SchedulerTimer = cortexm7::systick::SysTick;
    type WatchDog = ();
    type ContextSwitchCallback = ();

    fn syscall_driver_lookup(&self) -> &Self::SyscallDriverLookup {
        self
    }
    fn syscall_filter(&self) -> &Self::SyscallFilter {
        &()
    }
    fn process_fault(&self) -> &Self::ProcessFault {
        &()
    }
    fn scheduler(&self) -> &Self::Scheduler {
        self.scheduler
    }
    fn scheduler_timer(&self) -> &Self::SchedulerTimer {
        &self.systick
    }
    fn watchdog(&self) -> &Self::WatchDog {
        &()
    }
    fn context_switch_callback(&self) -> &Self::ContextSwitchCallback {
        &()
    }
}

/// Boot: bring up the board, wire the capsules, load the apps, run.
///
/// # Safety
/// Called once, by the reset handler, with RAM initialized.
#[no_mangle]
pub unsafe fn main() {
    let (board_kernel, board, chip, psram_ok) = unsafe { start() };
    let process_mgmt_cap = create_capability!(capabilities::ProcessManagementCapability);
    let main_loop_cap = create_capability!(capabilities::MainLoopCapability);
    if psram_ok {
        let map = MemoryMap::from_linker();
        kernel::process::load_processes(
            board_kernel,
            chip,
            map.app_flash(),
            map.process_memory(),
            board.fault_policy,
            &process_mgmt_cap,
        )
        .unwrap_or_else(|err| {
            debug!("Error loading processes: {:?}", err);
        });
        memory_map::print_processes(board_kernel, &process_mgmt_cap);
    } else {
        debug!("processes: not loaded (all process memory is in the PSRAM, which failed its test)");
    }
    board_kernel.kernel_loop(&board, chip, None::<&kernel::ipc::IPC<0>>, &main_loop_cap);
}

/// The clock plan for this part, applied; what was applied and how it went.
unsafe fn clocks() -> (ClockPlan, bool, Outcome) {
    let boost = rcc::boost_enabled();
    let plan = match stm32h7::clock::plan(HSE, boost) {
        Ok(plan) => plan,
        // A board constant no plan fits: stay on the HSI, say so below.
        Err(_) => return (ClockPlan::hsi(HSE), boost, Outcome::NoHse),
    };
    // SAFETY: once, at boot, before any peripheral runs.
    match unsafe { rcc::apply(&plan) } {
        Outcome::Planned => (plan, boost, Outcome::Planned),
        other => (ClockPlan::hsi(HSE), boost, other),
    }
}

/// The ST-LINK console: USART3 on PD8 (TX) and PD9 (RX), AF7.
fn console_pins() {
    for n in [8, 9] {
        let pin = Pin::new(Port::D, n);
        pin.enable_port();
        pin.set_alternate(7, Speed::Low, Pull::None);
    }
}

/// LD1 green PB0, LD2 yellow PE1, LD3 red PB14, active high.
unsafe fn led_pins() -> [&'static Pin; 3] {
    let pins = static_init!([Pin; 3], [Pin::new(Port::B, 0), Pin::new(Port::E, 1), Pin::new(Port::B, 14)]);
    for pin in pins.iter() {
        pin.enable_port();
    }
    let [green, yellow, red] = pins;
    [green, yellow, red]
}

/// Everything before process loading, in its own never-inlined function so
/// the stack used by `static_init!` is given back before the main loop.
#[inline(never)]
unsafe fn start() -> (&'static kernel::Kernel, NucleoH723, &'static ChipHw, bool) {
    let _ = PANIC_RESOURCES
        .bind_to_thread::<<ChipHw as kernel::platform::chip::Chip>::ThreadIdProvider>(PanicResources::new());
    kernel::deferred_call::initialize_deferred_call_state::<<ChipHw as kernel::platform::chip::Chip>::ThreadIdProvider>(
    );
    <ChipHw as kernel::platform::chip::Chip>::init();

    // SAFETY: once, at boot.
    let (plan, boost, clock_outcome) = unsafe { clocks() };

    // The MPU before the caches (HARDWARE.md section 2's order), so the
    // guard is in place before anything may be fetched speculatively.
    // SAFETY: the one MPU, made once; the kernel regions are checked before
    // they are enabled.
    let mpu = unsafe { cortexm7::mpu::MPU::new_with_policy(MPU_BASE, process_memory_attributes, &KERNEL_REGIONS) };
    if unsafe { mpu.enable_kernel_regions() }.is_err() {
        panic!("MPU: the kernel regions do not fit this MPU");
    }
    // The PSRAM is calibrated with the D-cache still off (its test must
    // reach the memory, not the cache); then the caches go on.
    // SAFETY: once, at boot, after the MPU and the clocks.
    let external_ram = unsafe { external_ram::bring_up(plan.cpu_hz) };
    // SAFETY: once, at boot, after the MPU; no DMA buffer is in use yet.
    unsafe { stm32h7::cache::enable() };

    let memory_allocation_cap = create_capability!(capabilities::MemoryAllocationCapability);
    let processes = components::process_array::ProcessArrayComponent::new()
        .finalize(components::process_array_component_static!(NUM_PROCS));
    if let Some(r) = PANIC_RESOURCES.get() {
        r.processes.put(processes.as_slice())
    }
    let board_kernel = static_init!(kernel::Kernel, kernel::Kernel::new(processes.as_slice()));

    for gate in [Gate::USART3, Gate::TIM2, Gate::RNG, Gate::DTS, Gate::SYSCFG] {
        gate.enable();
    }
    console_pins();
    let peripherals = static_init!(Peripherals, Peripherals::new());
    peripherals.usart3.set_clock(plan.apb_hz);
    kernel::deferred_call::DeferredCallClient::register(&peripherals.usart3);
    kernel::deferred_call::DeferredCallClient::register(&peripherals.dts);
    let Some(prescaler) = plan.alarm_prescaler() else {
        panic!("TIM2: no 1 MHz prescaler from {} Hz", plan.timer_hz);
    };
    peripherals.tim2.start(prescaler);
    peripherals.dts.start();

    let uart_mux = components::console::UartMuxComponent::new(&peripherals.usart3, 115200)
        .finalize(components::uart_mux_component_static!());

    let mux_alarm = static_init!(MuxAlarm<'static, AlarmHw>, MuxAlarm::new(&peripherals.tim2));
    hil::time::Alarm::set_alarm_client(&peripherals.tim2, mux_alarm);
    let alarm = components::alarm::AlarmDriverComponent::new(
        board_kernel,
        capsules_core::alarm::DRIVER_NUM,
        mux_alarm,
        create_capability!(capabilities::MemoryAllocationCapability),
    )
    .finalize(components::alarm_component_static!(AlarmHw));

    let uptime_alarm = static_init!(VirtualMuxAlarm<'static, AlarmHw>, VirtualMuxAlarm::new(mux_alarm));
    uptime_alarm.setup();
    let uptime = static_init!(Uptime, Uptime::new(uptime_alarm));
    uptime_alarm.set_alarm_client(uptime);
    uptime.start();

    let identity =
        static_init!(Identity, Identity::new(board_kernel, kernel::mint_defined_capability!(ProcessInfoCap)));
    let ipc = static_init!(
        IpcDriver,
        capsules_ipc::Ipc::new(
            board_kernel.create_grant(capsules_ipc::DRIVER_NUM, &memory_allocation_cap),
            identity,
            SERVICE_OWNERS
        )
    );

    // DMA memory: cacheable AXI SRAM, maintained by address (docs/hardware.md).
    // SAFETY: the one reference to the board's DMA static, taken once.
    let dma_memory: &'static mut [u8] = unsafe { &mut (*core::ptr::addr_of_mut!(DMA_MEMORY)).0 };
    let map = MemoryMap::from_linker();
    // SAFETY: the linker's AXI SRAM window (`.dma_sram`), which ETH and
    // SDMMC reach, used by nothing else; `Cache` is the D-cache over it.
    let region = unsafe { DmaRegion::<Cache>::new(map.dma.start, map.dma.len) };
    let mut dma = DmaPool::new(region, dma_memory).unwrap_or_else(|e| panic!("DMA memory: {}", e));

    let interrupts = static_init!(
        BoardInterrupts,
        BoardInterrupts { chip: peripherals, eth: OptionalCell::empty(), sdmmc: OptionalCell::empty() }
    );
    let net = network(board_kernel, &mut dma, region, &plan, mux_alarm, &memory_allocation_cap);
    if let Some((nic, _)) = net {
        interrupts.eth.set(nic);
    }
    let net = net.map(|(_, switch)| switch);
    let blk = storage(board_kernel, &mut dma, region, &plan, identity, &memory_allocation_cap);
    interrupts.sdmmc.set(blk.0);
    let blk = blk.1;

    let chip = static_init!(ChipHw, stm32h7::chip::Stm32h7::new(interrupts, mpu));
    if let Some(r) = PANIC_RESOURCES.get() {
        r.chip.put(chip)
    }

    let process_printer = static_init!(ProcessPrinter, ProcessPrinter::new());
    if let Some(r) = PANIC_RESOURCES.get() {
        r.printer.put(process_printer)
    }
    let pconsole = components::process_console::ProcessConsoleComponent::new(
        board_kernel,
        uart_mux,
        mux_alarm,
        process_printer,
        None,
        kernel::mint_defined_capability!(ProcessConsoleCap),
    )
    .finalize(components::process_console_component_static!(AlarmHw, ProcessConsoleCap));
    let console = components::console::ConsoleComponent::new(
        board_kernel,
        capsules_core::console::DRIVER_NUM,
        uart_mux,
        create_capability!(capabilities::MemoryAllocationCapability),
    )
    .finalize(components::console_component_static!());
    components::debug_writer::DebugWriterComponent::new::<<ChipHw as kernel::platform::chip::Chip>::ThreadIdProvider>(
        uart_mux,
        create_capability!(capabilities::SetDebugWriterCapability),
    )
    .finalize(components::debug_writer_component_static!());
    let lldb = components::lldb::LowLevelDebugComponent::new(
        board_kernel,
        capsules_core::low_level_debug::DRIVER_NUM,
        uart_mux,
        create_capability!(capabilities::MemoryAllocationCapability),
    )
    .finalize(components::low_level_debug_component_static!());

    let [green, yellow, red] = unsafe { led_pins() };
    let led = components::led::LedsComponent::new().finalize(components::led_component_static!(
        Led,
        LedHigh::new(green),
        LedHigh::new(yellow),
        LedHigh::new(red),
    ));
    let temperature = components::temperature::TemperatureComponent::new(
        board_kernel,
        capsules_extra::temperature::DRIVER_NUM,
        &peripherals.dts,
        create_capability!(capabilities::MemoryAllocationCapability),
    )
    .finalize(components::temperature_component_static!(stm32h7::dts::Dts<'static>));
    let rng = components::rng::RngComponent::new(
        board_kernel,
        capsules_core::rng::DRIVER_NUM,
        &peripherals.rng,
        create_capability!(capabilities::MemoryAllocationCapability),
    )
    .finalize(components::rng_component_static!(stm32h7::rng::Rng<'static>));

    let regions = static_init!([Region; 6], map.sysinfo_regions(0));
    let fault_policy = static_init!(FaultPolicy, FaultPolicy::new());
    fault_policy.set_clock(uptime);
    let sysinfo = static_init!(
        SysInfo,
        SystemInfo::new(
            board_kernel,
            kernel::mint_defined_capability!(ProcessInfoCap),
            uptime,
            regions,
            board_kernel.create_grant(capsules_sysinfo::DRIVER_NUM, &memory_allocation_cap),
        )
    );
    let psram = static_init!(
        PsramDriver,
        capsules_psram::PsramGrants::new(
            board_kernel,
            kernel::mint_defined_capability!(ProcessInfoCap),
            map.psram_grant_pool(),
            PSRAM_GRANT_LIMITS,
        )
    );
    let grant_stats = static_init!(GrantStats, board_common::stats::GrantStats(psram));
    sysinfo.set_psram(grant_stats);
    let switch_stats: Option<&'static SwitchStats> =
        net.map(|switch| &*static_init!(SwitchStats, board_common::stats::SwitchStats(switch)));
    if let Some(stats) = switch_stats {
        sysinfo.set_net(stats);
    }
    process_printer.set_sources(grant_stats, switch_stats.map(|s| s as &'static dyn capsules_sysinfo::NetStats));

    let scheduler = components::sched::round_robin::RoundRobinComponent::new(processes)
        .finalize(components::round_robin_component_static!(NUM_PROCS));
    let systick = cortexm7::systick::SysTick::new_with_calibration(plan.cpu_hz);

    debug!("NUCLEO-MEM on the NUCLEO-H723ZG: Tock {}.{}", kernel::KERNEL_MAJOR_VERSION, kernel::KERNEL_MINOR_VERSION);
    match clock_outcome {
        Outcome::Planned => debug!(
            "clocks: {} MHz CPU ({}), {} MHz AXI/AHB, {}.{} MHz APB, HSE {} MHz {}, PLL2R {} MHz",
            plan.cpu_hz / 1_000_000,
            if boost { "CPUFREQ_BOOST set" } else { "CPUFREQ_BOOST not set: 520 MHz" },
            plan.ahb_hz / 1_000_000,
            plan.apb_hz / 1_000_000,
            plan.apb_hz / 100_000 % 10,
            plan.hse.hz / 1_000_000,
            if plan.hse.bypass { "bypass (ST-LINK MCO)" } else { "crystal" },
            plan.pll2.r_hz().unwrap_or(0) / 1_000_000,
        ),
        Outcome::NoHse => debug!(
            "clocks: the {} MHz HSE did not start (is the ST-LINK's MCO or a crystal fitted?): running at 64 MHz on the HSI",
            HSE.hz / 1_000_000
        ),
        Outcome::Stuck { step } => debug!("clocks: bring-up step {} did not complete: running at 64 MHz on the HSI", step),
    }
    match &external_ram {
        Ok(info) => debug!("{}", info),
        Err(e) => debug!("{}", e),
    }
    let psram_ok = external_ram.is_ok();
    map.print(0);
    debug!(
        "mpu: {} regions: {} for the kernel (external-memory guard, PSRAM write-back), the rest for processes",
        chip.mpu().hardware_regions(),
        KERNEL_REGIONS.len()
    );
    let _ = pconsole.start();

    let board = NucleoH723 {
        console,
        alarm,
        lldb,
        led,
        temperature,
        rng,
        net,
        blk,
        ipc,
        psram,
        sysinfo,
        fault_policy,
        scheduler,
        systick,
    };
    (board_kernel, board, chip, psram_ok)
}

/// The ETH MAC and the LAN8742 behind the network switch; `None` (and a
/// console line) when the MAC does not come out of reset, which means the
/// PHY gives no 50 MHz reference clock (jumpers JP6 and SB72).
unsafe fn network(
    board_kernel: &'static kernel::Kernel,
    dma: &mut DmaPool<Cache>,
    region: DmaRegion<Cache>,
    plan: &ClockPlan,
    mux_alarm: &'static MuxAlarm<'static, AlarmHw>,
    memory_allocation_cap: &dyn capabilities::MemoryAllocationCapability,
) -> Option<(&'static NetHw, &'static NetSwitch)> {
    let mut alloc = |len: usize| dma.alloc(len).unwrap_or_else(|e| panic!("DMA memory: {}", e));
    let rx_descriptors = eth::DmaDescriptors::new(alloc(eth::RX_DESCRIPTORS * 32), eth::RX_DESCRIPTORS);
    let tx_descriptors = eth::DmaDescriptors::new(alloc(eth::TX_DESCRIPTORS * 32), eth::TX_DESCRIPTORS);
    let rx_buffers = core::array::from_fn(|_| alloc(eth::RX_BUFFER_LEN));
    let tx = core::array::from_fn(|_| alloc(syscall_abi::net::MAX_FRAME).into_device());
    // SAFETY: once, at boot; nothing else owns RCC's ETH bits, SYSCFG_PMCR
    // or the RMII pins.
    unsafe { eth::enable_rmii() };
    let mac = static_init!(eth::EthMac, eth::EthMac::new());
    let nic = static_init!(
        NetHw,
        eth::Ethernet::new(
            mac,
            region,
            rx_descriptors,
            tx_descriptors,
            rx_buffers,
            NET_CONFIG.mac,
            plan.ahb_hz,
            eth::NUCLEO_PHY_ADDRESS,
        )
    );
    if let Err(e) = nic.init() {
        debug!("eth: the MAC did not come out of reset ({:?}): no 50 MHz RMII clock? (JP6, SB72); network off", e);
        return None;
    }
    let switch = static_init!(
        NetSwitch,
        EthernetSwitch::new(
            nic,
            NET_CONFIG,
            board_kernel.create_grant(capsules_net::DRIVER_NUM, memory_allocation_cap),
            tx
        )
    );
    kernel::hil::ethernet::EthernetAdapterDatapath::set_client(nic, switch);
    switch.start();
    let poll_alarm = static_init!(VirtualMuxAlarm<'static, AlarmHw>, VirtualMuxAlarm::new(mux_alarm));
    poll_alarm.setup();
    let poller = static_init!(LinkPoller, eth::LinkPoller::new(poll_alarm, nic));
    poll_alarm.set_alarm_client(poller);
    poller.start();
    debug!(
        "net: ETH + LAN8742 (RMII), MAC {:02x?}, IPv4 {}.{}.{}.{}/{}",
        NET_CONFIG.mac,
        NET_CONFIG.ipv4[0],
        NET_CONFIG.ipv4[1],
        NET_CONFIG.ipv4[2],
        NET_CONFIG.ipv4[3],
        NET_CONFIG.prefix_len
    );
    Some((nic, switch))
}

/// Checks the medium (sector 0) once the card is identified: the block
/// driver asks the device's capacity, which is known only then.
struct CardReady(&'static BlkDriver);

impl stm32h7::sdmmc::SdmmcCardClient for CardReady {
    fn card_ready(&self, result: Result<u64, stm32h7::emmc::EmmcError>) {
        match result {
            Ok(_) => self.0.check_device(),
            Err(e) => debug!("emmc: not usable ({:?}); storage has no volume (nothing was written)", e),
        }
    }
}

/// The eMMC on SDMMC1 (8-bit, AF12) behind the block driver; identification
/// runs on interrupts from here on.
unsafe fn storage(
    board_kernel: &'static kernel::Kernel,
    dma: &mut DmaPool<Cache>,
    region: DmaRegion<Cache>,
    plan: &ClockPlan,
    identity: &'static Identity,
    memory_allocation_cap: &dyn capabilities::MemoryAllocationCapability,
) -> (&'static BlkHw, &'static BlkDriver) {
    Gate::SDMMC1.enable();
    // D0-D3 PC8-PC11, D4 PB8, D5 PB9, D6 PC6, D7 PC7, CK PC12, CMD PD2.
    for (port, n) in [
        (Port::C, 8),
        (Port::C, 9),
        (Port::C, 10),
        (Port::C, 11),
        (Port::B, 8),
        (Port::B, 9),
        (Port::C, 6),
        (Port::C, 7),
        (Port::C, 12),
        (Port::D, 2),
    ] {
        let pin = Pin::new(port, n);
        pin.enable_port();
        pin.set_alternate(12, Speed::VeryHigh, Pull::None);
    }
    let mut alloc = |len: usize| dma.alloc(len).unwrap_or_else(|e| panic!("DMA memory: {}", e));
    let ext_csd = alloc(EXT_CSD_LEN);
    let bounce = alloc(capsules_blk::BOUNCE_LEN);
    let device = static_init!(
        BlkHw,
        stm32h7::sdmmc::Sdmmc::new(
            stm32h7::sdmmc::SDMMC1_BASE,
            region,
            plan.pll2.r_hz().unwrap_or(0),
            stm32h7::emmc::EmmcConfig::NUCLEO_MEM,
            ext_csd,
        )
    );
    let driver = static_init!(
        BlkDriver,
        capsules_blk::BlockDriver::new(
            device,
            identity,
            BLOCK_DEVICE_USERS,
            board_kernel.create_grant(capsules_blk::DRIVER_NUM, memory_allocation_cap),
            bounce,
        )
    );
    hil_ext::block::BlockDevice::set_client(device, driver);
    let ready = static_init!(CardReady, CardReady(driver));
    device.set_card_client(ready);
    if let Err(e) = device.init() {
        debug!("emmc: SDMMC1 did not start ({:?}); storage has no volume", e);
    }
    (device, driver)
}

/// The OCTOSPI PSRAM: clocks, pins, bring-up, calibration, memory test.
mod external_ram {
    use stm32h7::gpio::{Pin, Port, Pull, Speed};
    use stm32h7::psram::{PsramConfig, PsramError, PsramInfo, PINS};
    use stm32h7::rcc::Gate;

    fn port(letter: char) -> Port {
        match letter {
            'A' => Port::A,
            'B' => Port::B,
            'C' => Port::C,
            'E' => Port::E,
            _ => Port::F,
        }
    }

    /// The PSRAM mapped at 0x90000000 and tested, or what failed (printed
    /// by the board once the console runs: nothing prints this early).
    ///
    /// # Safety
    /// Once, at boot, with the D-cache off and the MPU's PSRAM region set.
    pub unsafe fn bring_up(cpu_hz: u32) -> Result<PsramInfo, PsramError> {
        Gate::OCTOSPI1.enable();
        Gate::OCTOSPIM.enable();
        for p in PINS {
            let pin = Pin::new(port(p.port), p.pin);
            pin.enable_port();
            pin.set_alternate(p.af, Speed::VeryHigh, Pull::None);
        }
        // SAFETY: the caller's promise; OCTOSPI1 is this driver's alone.
        unsafe { stm32h7::octospi::init_psram(cpu_hz, &PsramConfig::NUCLEO_MEM) }
    }
}
