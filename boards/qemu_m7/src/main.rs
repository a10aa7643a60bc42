// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Board file for the Cortex-M7 twin of the NUCLEO-H723ZG: QEMU's
//! `mps2-an500` machine (a Cortex-M7 with its MPU), laid out like the real
//! board (see `layout.ld`).
//!
//! It runs the kernel capsules that need no network or storage device
//! (console, alarm, IPC, PSRAM grants, system information, emulated LEDs
//! and temperature) and the thumbv7em builds of the apps, with all process
//! memory in the external RAM behind the patched Cortex-M MPU
//! (`kernel-patches/0004`): process regions are Normal write-back memory,
//! like the kernel's own view of that RAM, and the kernel keeps two MPU
//! regions for itself: a guard that denies the unmapped external-memory
//! space (no speculative access reaches it) and the PSRAM window. QEMU
//! models no caches: the twin proves the region layout, the permissions,
//! faults and restarts, not cache behaviour.

#![no_std]
#![no_main]

use capsules_core::virtualizers::virtual_alarm::{MuxAlarm, VirtualMuxAlarm};
use capsules_sysinfo::{Region, SystemInfo};
use cortexm::mpu::{KernelAccess, KernelRegion, MemoryAttributes};
use kernel::capabilities;
use kernel::component::Component;
use kernel::debug::PanicResources;
use kernel::hil;
use kernel::hil::time::Alarm;
use kernel::platform::chip::Chip;
use kernel::platform::{KernelResources, SyscallDriverLookup};
use kernel::utilities::single_thread_value::SingleThreadValue;
use kernel::utilities::StaticRef;
use kernel::{create_capability, debug, static_init};
use twin_chip::led::EmulatedLed;
use twin_chip::temperature::EmulatedTemperature;

use board_common::memory_map::{self, MemoryMap};
use board_common::{fault_policy, process_printer};

mod io;

/// Process slots, as on the QEMU twin.
pub const NUM_PROCS: usize = 10;

type Peripherals = mps2::chip::Mps2Peripherals<'static>;
type ChipHw = mps2::chip::Mps2<'static, Peripherals>;
type AlarmHw = mps2::dualtimer::DualTimer<'static>;
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
/// The NUCLEO-H723ZG's MPU has 16 regions: 2 for the kernel, 2 for a
/// process's memory, 1 for its flash, the rest for PSRAM grants.
const PSRAM_GRANT_LIMITS: capsules_psram::Limits = capsules_psram::Limits { bytes: 2 << 20, grants: 4 };
const SERVICE_OWNERS: &[capsules_ipc::ServiceOwner] = &[
    capsules_ipc::ServiceOwner { service: "storage", app: "storage" },
    capsules_ipc::ServiceOwner { service: "telemetry", app: "telemetry" },
];
type LedDriver = capsules_core::led::LedDriver<'static, EmulatedLed, 3>;
type TemperatureDriver = capsules_extra::temperature::TemperatureSensor<'static, EmulatedTemperature<'static, AlarmHw>>;

/// The external RAM (the board's OCTOSPI PSRAM): all process memory.
const PSRAM_START: usize = 0x6000_0000;
const PSRAM_SIZE: usize = 8 << 20;

/// The kernel's own MPU regions, below every process region.
static KERNEL_REGIONS: [KernelRegion; 2] = [
    // The whole address space, with the eighths of 0x0000_0000-0x5FFF_FFFF
    // (code, SRAM, peripherals) and 0xE000_0000- (system) left out: no
    // access to 0x6000_0000-0xDFFF_FFFF, the external memory and device
    // space, where a speculative read would reach an unmapped bus
    // (HARDWARE.md section 2; the original firmware's region 0).
    KernelRegion {
        start: 0,
        size_log2: 32,
        disabled_subregions: 0b1000_0111,
        access: KernelAccess::None,
        memory: MemoryAttributes::STRONGLY_ORDERED,
    },
    // The PSRAM window inside it, for the kernel (grants, process control
    // blocks) with the same memory type as the processes' own regions, so
    // the two views of the same lines never disagree.
    KernelRegion {
        start: PSRAM_START,
        size_log2: PSRAM_SIZE.trailing_zeros(),
        disabled_subregions: 0,
        access: KernelAccess::PrivilegedReadWrite,
        memory: MemoryAttributes::NORMAL_WRITE_BACK,
    },
];

/// The memory type of a process region: write-back in PSRAM (as the
/// kernel sees it), write-through in flash (the default map's code region).
fn process_memory_attributes(start: *const u8, size: usize) -> MemoryAttributes {
    let (s, e) = (start as usize, start as usize + size);
    if s >= PSRAM_START && e <= PSRAM_START + PSRAM_SIZE {
        MemoryAttributes::NORMAL_WRITE_BACK
    } else if e <= 0x0010_0000 {
        MemoryAttributes::NORMAL_WRITE_THROUGH
    } else {
        MemoryAttributes::STRONGLY_ORDERED
    }
}

const MPU_BASE: StaticRef<cortexm::mpu::MpuRegisters> =
    unsafe { StaticRef::new(0xE000_ED90 as *const cortexm::mpu::MpuRegisters) };

/// Resources the panic handler in `io.rs` prints.
static PANIC_RESOURCES: SingleThreadValue<PanicResources<ChipHw, ProcessPrinter>> = SingleThreadValue::new();

// Kernel stack; the rest of the 128 KiB kernel RAM holds static state.
kernel::stack_size! {0x3000}

kernel::define_capability_type!(ProcessConsoleCap:
    kernel::capabilities::ProcessManagementCapability,
    kernel::capabilities::ProcessStartCapability
);
kernel::define_capability_type!(ProcessInfoCap: kernel::capabilities::ProcessManagementCapability);

struct QemuM7 {
    console: &'static capsules_core::console::Console<'static>,
    alarm: &'static capsules_core::alarm::AlarmDriver<'static, VirtualMuxAlarm<'static, AlarmHw>>,
    lldb: &'static capsules_core::low_level_debug::LowLevelDebug<
        'static,
        capsules_core::virtualizers::virtual_uart::UartDevice<'static>,
    >,
    led: &'static LedDriver,
    temperature: &'static TemperatureDriver,
    ipc: &'static IpcDriver,
    psram: &'static PsramDriver,
    sysinfo: &'static SysInfo,
    fault_policy: &'static FaultPolicy,
    scheduler: &'static capsules_system::scheduler::round_robin::RoundRobinSched<'static>,
    systick: cortexm7::systick::SysTick,
}

impl SyscallDriverLookup for QemuM7 {
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
            capsules_sysinfo::DRIVER_NUM => f(Some(self.sysinfo)),
            capsules_ipc::DRIVER_NUM => f(Some(self.ipc)),
            capsules_psram::DRIVER_NUM => f(Some(self.psram)),
            _ => f(None),
        }
    }
}

impl KernelResources<ChipHw> for QemuM7 {
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

/// Boot: bring up the machine, wire the capsules, load the apps, run.
///
/// # Safety
/// Called once, by the reset handler, with RAM initialized.
#[no_mangle]
pub unsafe fn main() {
    let (board_kernel, board, chip) = unsafe { start() };
    let process_mgmt_cap = create_capability!(capabilities::ProcessManagementCapability);
    let main_loop_cap = create_capability!(capabilities::MainLoopCapability);
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
    board_kernel.kernel_loop(&board, chip, None::<&kernel::ipc::IPC<0>>, &main_loop_cap);
}

/// Everything before process loading, in its own never-inlined function so
/// the stack used by `static_init!` is given back before the main loop.
#[inline(never)]
unsafe fn start() -> (&'static kernel::Kernel, QemuM7, &'static ChipHw) {
    let _ = PANIC_RESOURCES
        .bind_to_thread::<<ChipHw as kernel::platform::chip::Chip>::ThreadIdProvider>(PanicResources::new());
    kernel::deferred_call::initialize_deferred_call_state::<<ChipHw as kernel::platform::chip::Chip>::ThreadIdProvider>(
    );
    <ChipHw as kernel::platform::chip::Chip>::init();

    // SAFETY: the one MPU, made once; the kernel regions are checked before
    // they are enabled (a bad layout stops the boot here, loudly).
    let mpu = unsafe { cortexm7::mpu::MPU::new_with_policy(MPU_BASE, process_memory_attributes, &KERNEL_REGIONS) };
    if unsafe { mpu.enable_kernel_regions() }.is_err() {
        panic!("MPU: the kernel regions do not fit this MPU (are there 16 regions?)");
    }

    let memory_allocation_cap = create_capability!(capabilities::MemoryAllocationCapability);
    let processes = components::process_array::ProcessArrayComponent::new()
        .finalize(components::process_array_component_static!(NUM_PROCS));
    if let Some(r) = PANIC_RESOURCES.get() {
        r.processes.put(processes.as_slice())
    }
    let board_kernel = static_init!(kernel::Kernel, kernel::Kernel::new(processes.as_slice()));

    let peripherals = static_init!(Peripherals, Peripherals::new());
    kernel::deferred_call::DeferredCallClient::register(&peripherals.uart0);
    peripherals.timer.start();

    let uart_mux = components::console::UartMuxComponent::new(&peripherals.uart0, 115200)
        .finalize(components::uart_mux_component_static!());

    let mux_alarm = static_init!(MuxAlarm<'static, AlarmHw>, MuxAlarm::new(&peripherals.timer));
    hil::time::Alarm::set_alarm_client(&peripherals.timer, mux_alarm);
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

    let chip = static_init!(ChipHw, mps2::chip::Mps2::new(peripherals, mpu));
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

    // LD1 green, LD2 yellow, LD3 red, as on the NUCLEO board.
    let led = components::led::LedsComponent::new().finalize(components::led_component_static!(
        EmulatedLed,
        EmulatedLed::new("green"),
        EmulatedLed::new("yellow"),
        EmulatedLed::new("red"),
    ));
    let temperature_sensor =
        static_init!(EmulatedTemperature<'static, AlarmHw>, EmulatedTemperature::new(&peripherals.timer));
    kernel::deferred_call::DeferredCallClient::register(temperature_sensor);
    let temperature = components::temperature::TemperatureComponent::new(
        board_kernel,
        capsules_extra::temperature::DRIVER_NUM,
        temperature_sensor,
        create_capability!(capabilities::MemoryAllocationCapability),
    )
    .finalize(components::temperature_component_static!(EmulatedTemperature<'static, AlarmHw>));

    let map = MemoryMap::from_linker();
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
    process_printer.set_sources(grant_stats, None);

    let scheduler = components::sched::round_robin::RoundRobinComponent::new(processes)
        .finalize(components::round_robin_component_static!(NUM_PROCS));
    let systick = cortexm7::systick::SysTick::new_with_calibration(mps2::SYSCLK_HZ);

    debug!(
        "NUCLEO-MEM Cortex-M7 twin: Tock {}.{} on QEMU mps2-an500",
        kernel::KERNEL_MAJOR_VERSION,
        kernel::KERNEL_MINOR_VERSION
    );
    map.print(0);
    debug!(
        "mpu: {} regions: {} for the kernel (external-memory guard, PSRAM write-back), the rest for processes (write-back in PSRAM)",
        chip.mpu().hardware_regions(),
        KERNEL_REGIONS.len()
    );
    let _ = pconsole.start();

    let board =
        QemuM7 { console, alarm, lldb, led, temperature, ipc, psram, sysinfo, fault_policy, scheduler, systick };
    (board_kernel, board, chip)
}
