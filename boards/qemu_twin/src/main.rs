//! Board file for the QEMU twin of the NUCLEO-H723ZG + NUCLEO-MEM.
//!
//! A QEMU RISC-V `virt` machine laid out like the real board (see
//! `layout.ld`): all process memory in the PSRAM window, device DMA only
//! from the DMA-safe window, emulated LEDs and temperature, a VirtIO block
//! device in place of the eMMC and VirtIO-net in place of the ETH MAC. A
//! faulting process is restarted; the kernel never panics because of one.

#![no_std]
#![no_main]

use capsules_core::virtualizers::virtual_alarm::{MuxAlarm, VirtualMuxAlarm};
use capsules_net::{EthernetSwitch, NetConfig};
use capsules_sysinfo::{Region, SystemInfo, Uptime};
use dma_buffer::{Coherent, DmaPool, DmaRegion};
use kernel::capabilities;
use kernel::component::Component;
use kernel::debug::PanicResources;
use kernel::hil;
use kernel::platform::{KernelResources, SyscallDriverLookup};
use kernel::utilities::registers::interfaces::ReadWriteable;
use kernel::utilities::single_thread_value::SingleThreadValue;
use kernel::{create_capability, debug, static_init};
use qemu_rv32_virt_chip::chip::{QemuRv32VirtChip, QemuRv32VirtDefaultPeripherals};
use qemu_rv32_virt_chip::virtio;
use rv32i::csr;
use rv32i::dma_fence::RiscvCoherentDmaFence;
use twin_chip::led::EmulatedLed;
use twin_chip::temperature::EmulatedTemperature;
use twin_chip::virtio_blk::VirtIOBlk;
use twin_chip::virtio_net::VirtIONet;
// Linked for its `memcpy` (faster than compiler-builtins'; see the crate).
use word_ops as _;

mod io;
mod pmp;
mod virtio_devices;

use board_common::memory_map;
use board_common::{fault_policy, process_printer};

/// Process slots: the services (http, ftp, storage; websocket and
/// telemetry to come), sysinfo, and the test image's four probes.
pub const NUM_PROCS: usize = 10;

/// Kernel protection by standard PMP, 4 user regions: see `memory_map`.
pub type ChipHw = QemuRv32VirtChip<
    'static,
    QemuRv32VirtDefaultPeripherals<'static>,
    4,
    rv32i::pmp::kernel_protection::KernelProtectionPMP<16>,
>;
type AlarmHw = qemu_rv32_virt_chip::chip::QemuRv32VirtClint<'static>;
type ProcessPrinter = process_printer::BoardProcessPrinter;
type SchedulerTimerHw = components::virtual_scheduler_timer::VirtualSchedulerTimerComponentType<AlarmHw>;
type Fence = RiscvCoherentDmaFence;
type BlkHw = VirtIOBlk<'static, Fence, Coherent>;

/// Receive buffers posted to the NIC: absorbs a burst of full frames from
/// several clients while processes run (the STM32 ETH has 8 RX descriptors
/// too). 8 x 1536 B = 12 KiB of DMA SRAM.
const NET_RX_BUFFERS: usize = 8;
/// Frames in flight to the NIC at once; 4 x 1536 B = 6 KiB of DMA SRAM.
const NET_TX_BUFFERS: usize = 4;
const NET_RX_QUEUE: usize = NET_RX_BUFFERS;
/// Two descriptors (header, frame) per frame in flight.
const NET_TX_QUEUE: usize = 2 * NET_TX_BUFFERS;
/// Each network process's receive queue, in its grant region (PSRAM):
/// twenty full frames, or ~500 ACKs: 16 HTTP downloads with 32 KiB in
/// flight each are ACKed ~180 times a round trip, and 16 KiB dropped
/// hundreds while the app was busy with a pass.
const NET_PROCESS_RX_QUEUE: usize = 32 * 1024;
/// Each network process's transmit queue, used only while all NIC transmit
/// buffers are busy.
const NET_PROCESS_TX_QUEUE: usize = 8 * 1024;
type NetHw = VirtIONet<'static, Fence, Coherent, NET_RX_QUEUE, NET_TX_QUEUE, NET_RX_BUFFERS, NET_TX_BUFFERS>;
type NetSwitch = EthernetSwitch<'static, NetHw, NET_PROCESS_RX_QUEUE, NET_PROCESS_TX_QUEUE, NET_TX_BUFFERS>;
type SysInfo = SystemInfo<ProcessInfoCap>;
type Identity = hil_ext::identity::KernelProcessIdentity<ProcessInfoCap>;
type BlkDriver = capsules_blk::BlockDriver<'static, BlkHw, Coherent>;
/// Each IPC user's inbox, in its grant region: three largest messages
/// (a 4 KiB data chunk each), or many small requests.
const IPC_INBOX: usize = 16 * 1024;
/// The inbox of a process that asks for a large one (HTTP, FTP: three 16 KiB storage replies in flight).
const IPC_LARGE_INBOX: usize = 64 * 1024;
type IpcDriver = capsules_ipc::Ipc<'static, IPC_INBOX, IPC_LARGE_INBOX>;
type PsramDriver = capsules_psram::PsramGrants<ProcessInfoCap>;
/// PSRAM grant limits per process: at most 2 MiB, in at most 2 grants
/// (the QEMU twin's PMP has 4 regions per process: its flash, its memory
/// block and 2 spare).
const PSRAM_GRANT_LIMITS: capsules_psram::Limits = capsules_psram::Limits { bytes: 2 << 20, grants: 2 };
/// Apps that may use the block device: only the storage service, which
/// owns the FAT volume.
const BLOCK_DEVICE_USERS: &[&str] = &["storage"];
/// IPC service names only one app may register (any other process asking
/// for them is refused, even while the owner restarts). Other names are
/// open to the first process that asks.
const SERVICE_OWNERS: &[capsules_ipc::ServiceOwner] = &[
    capsules_ipc::ServiceOwner { service: "storage", app: "storage" },
    capsules_ipc::ServiceOwner { service: "telemetry", app: "telemetry" },
];
type LedDriver = capsules_core::led::LedDriver<'static, EmulatedLed, 3>;
type TemperatureDriver = capsules_extra::temperature::TemperatureSensor<'static, EmulatedTemperature<'static, AlarmHw>>;
type RngDriver =
    components::rng::RngRandomComponentType<virtio::devices::virtio_rng::VirtIORng<'static, 'static, Fence>>;

/// Resources the panic handler in `io.rs` prints.
static PANIC_RESOURCES: SingleThreadValue<PanicResources<ChipHw, ProcessPrinter>> = SingleThreadValue::new();

// Kernel stack; the rest of the 128 KiB kernel RAM holds static state.
kernel::stack_size! {0x3000}

kernel::define_capability_type!(ProcessConsoleCap:
    kernel::capabilities::ProcessManagementCapability,
    kernel::capabilities::ProcessStartCapability
);
kernel::define_capability_type!(ProcessInfoCap: kernel::capabilities::ProcessManagementCapability);

/// The board's address on QEMU's user-mode network (its DHCP range would
/// hand out the same); the real board uses 192.168.0.50/24.
const NET_CONFIG_IPV4: [u8; 4] = [10, 0, 2, 15];
const NET_CONFIG_PREFIX: u8 = 24;
const NET_CONFIG_GATEWAY: [u8; 4] = [10, 0, 2, 2];

/// The hart's retired-instruction counter (`minstret`/`minstreth`); QEMU
/// counts exactly under `-icount`, else it follows the host's clock.
struct RetiredInstructions;

impl hil_ext::counter::InstructionCounter for RetiredInstructions {
    fn instructions(&self) -> Option<u64> {
        use kernel::utilities::registers::interfaces::Readable;
        // The high half again after the low one: a carry between the reads
        // shows as a change, and the pair is read once more.
        loop {
            let hi = csr::CSR.minstreth.read(csr::minstret::minstreth::minstreth);
            let lo = csr::CSR.minstret.read(csr::minstret::minstret::minstret);
            if csr::CSR.minstreth.read(csr::minstret::minstreth::minstreth) == hi {
                return Some((hi as u64) << 32 | lo as u64);
            }
        }
    }
}

/// Uptime from the machine timer (64-bit, never wraps in practice).
struct MachineTimerUptime(&'static AlarmHw);

impl Uptime for MachineTimerUptime {
    fn uptime_ms(&self) -> u64 {
        use kernel::hil::time::{Frequency, Time};
        let ticks = self.0.now().into_u64();
        ticks * 1000 / <AlarmHw as Time>::Frequency::frequency() as u64
    }
}

type GrantStats = board_common::stats::GrantStats<ProcessInfoCap>;
type SwitchStats = board_common::stats::SwitchStats<NetHw, NET_PROCESS_RX_QUEUE, NET_PROCESS_TX_QUEUE, NET_TX_BUFFERS>;
type FaultPolicy = fault_policy::RestartOnFault<NUM_PROCS>;

/// Syscall drivers and kernel resources of the twin.
struct QemuTwin {
    console: &'static capsules_core::console::Console<'static>,
    alarm: &'static capsules_core::alarm::AlarmDriver<'static, VirtualMuxAlarm<'static, AlarmHw>>,
    lldb: &'static capsules_core::low_level_debug::LowLevelDebug<
        'static,
        capsules_core::virtualizers::virtual_uart::UartDevice<'static>,
    >,
    led: &'static LedDriver,
    temperature: &'static TemperatureDriver,
    rng: Option<&'static RngDriver>,
    net: Option<&'static NetSwitch>,
    blk: Option<&'static BlkDriver>,
    ipc: &'static IpcDriver,
    psram: &'static PsramDriver,
    sysinfo: &'static SysInfo,
    fault_policy: &'static FaultPolicy,
    scheduler: &'static capsules_system::scheduler::round_robin::RoundRobinSched<'static>,
    scheduler_timer: &'static SchedulerTimerHw,
}

impl SyscallDriverLookup for QemuTwin {
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
            capsules_core::rng::DRIVER_NUM => match self.rng {
                Some(rng) => f(Some(rng)),
                None => f(None),
            },
            capsules_net::DRIVER_NUM => match self.net {
                Some(net) => f(Some(net)),
                None => f(None),
            },
            capsules_sysinfo::DRIVER_NUM => f(Some(self.sysinfo)),
            capsules_blk::DRIVER_NUM => match self.blk {
                Some(blk) => f(Some(blk)),
                None => f(None),
            },
            capsules_ipc::DRIVER_NUM => f(Some(self.ipc)),
            capsules_psram::DRIVER_NUM => f(Some(self.psram)),
            _ => f(None),
        }
    }
}

impl KernelResources<ChipHw> for QemuTwin {
    type SyscallDriverLookup = Self;
    type SyscallFilter = ();
    type ProcessFault = ();
    type Scheduler = capsules_system::scheduler::round_robin::RoundRobinSched<'static>;
    type SchedulerTimer = SchedulerTimerHw;
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
        self.scheduler_timer
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
    let (board_kernel, board, chip) = start();

    let process_mgmt_cap = create_capability!(capabilities::ProcessManagementCapability);
    let main_loop_cap = create_capability!(capabilities::MainLoopCapability);

    let map = memory_map::MemoryMap::from_linker();
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

/// Everything before process loading. In its own, never-inlined function so
/// the stack used by `static_init!` is given back before the main loop.
#[inline(never)]
unsafe fn start() -> (&'static kernel::Kernel, QemuTwin, &'static ChipHw) {
    let _ = PANIC_RESOURCES
        .bind_to_thread::<<ChipHw as kernel::platform::chip::Chip>::ThreadIdProvider>(PanicResources::new());
    rv32i::configure_trap_handler();
    kernel::deferred_call::initialize_deferred_call_state::<<ChipHw as kernel::platform::chip::Chip>::ThreadIdProvider>(
    );

    let map = memory_map::MemoryMap::from_linker();
    // Kernel memory protection first, so the rest of boot runs under it.
    let epmp = pmp::kernel_protection();

    let memory_allocation_cap = create_capability!(capabilities::MemoryAllocationCapability);
    let processes = components::process_array::ProcessArrayComponent::new()
        .finalize(components::process_array_component_static!(NUM_PROCS));
    if let Some(r) = PANIC_RESOURCES.get() {
        r.processes.put(processes.as_slice())
    }
    let board_kernel = static_init!(kernel::Kernel, kernel::Kernel::new(processes.as_slice()));

    let peripherals = static_init!(QemuRv32VirtDefaultPeripherals, QemuRv32VirtDefaultPeripherals::new());

    // Console UART shared by the process console, app console and debug!.
    let uart_mux = components::console::UartMuxComponent::new(&peripherals.uart0, 115200)
        .finalize(components::uart_mux_component_static!());

    // Time: the machine timer, virtualised.
    let hardware_timer = static_init!(
        qemu_rv32_virt_chip::chip::QemuRv32VirtClint,
        qemu_rv32_virt_chip::chip::QemuRv32VirtClint::new(&qemu_rv32_virt_chip::clint::CLINT_BASE)
    );
    let mux_alarm = static_init!(MuxAlarm<'static, AlarmHw>, MuxAlarm::new(hardware_timer));
    hil::time::Alarm::set_alarm_client(hardware_timer, mux_alarm);
    let alarm = components::alarm::AlarmDriverComponent::new(
        board_kernel,
        capsules_core::alarm::DRIVER_NUM,
        mux_alarm,
        create_capability!(capabilities::MemoryAllocationCapability),
    )
    .finalize(components::alarm_component_static!(AlarmHw));

    // DMA-safe SRAM: statics placed by the linker, the rest carved at boot.
    // SAFETY: the linker's DMA window, reachable by the VirtIO devices and
    // used by nothing else.
    let region = unsafe { DmaRegion::<Coherent>::new(map.dma.start, map.dma.len) };
    let mut dma = DmaPool::new(region, map.dma_free()).unwrap_or_else(|e| panic!("DMA window: {}", e));
    let devices = virtio_devices::probe(peripherals);
    let mark = dma.used();
    let blk: Option<&'static BlkHw> = devices.blk.map(|idx| virtio_devices::block_device(peripherals, idx, &mut dma));
    let dma_blk_driver = dma.used() - mark;
    let mark = dma.used();
    let rng = devices.rng.map(|idx| virtio_devices::rng(peripherals, idx, &mut dma));
    let dma_rng = dma.used() - mark;
    let mark = dma.used();
    let identity =
        static_init!(Identity, Identity::new(board_kernel, kernel::mint_defined_capability!(ProcessInfoCap)));
    let blk_driver = blk.map(|device| {
        let bounce = dma.alloc(capsules_blk::BOUNCE_LEN).unwrap_or_else(|e| panic!("block bounce buffer: {}", e));
        let driver = static_init!(
            BlkDriver,
            capsules_blk::BlockDriver::new(
                device,
                identity,
                BLOCK_DEVICE_USERS,
                board_kernel.create_grant(capsules_blk::DRIVER_NUM, &memory_allocation_cap),
                bounce,
            )
        );
        hil_ext::block::BlockDevice::set_client(device, driver);
        &*driver
    });
    let ipc = static_init!(
        IpcDriver,
        capsules_ipc::Ipc::new(
            board_kernel.create_grant(capsules_ipc::DRIVER_NUM, &memory_allocation_cap),
            identity,
            SERVICE_OWNERS
        )
    );
    let dma_blk = dma_blk_driver + dma.used() - mark;
    let mark = dma.used();
    let nic = devices.net.map(|idx| virtio_devices::network_card(peripherals, idx, &mut dma));
    let net = nic.map(|nic| {
        let config = NetConfig {
            mac: nic.mac_address(),
            ipv4: NET_CONFIG_IPV4,
            prefix_len: NET_CONFIG_PREFIX,
            gateway: NET_CONFIG_GATEWAY,
        };
        let tx = core::array::from_fn(|_| {
            dma.alloc(syscall_abi::net::MAX_FRAME)
                .unwrap_or_else(|e| panic!("network transmit buffer: {}", e))
                .into_device()
        });
        let switch = static_init!(
            NetSwitch,
            EthernetSwitch::new(
                nic,
                config,
                board_kernel.create_grant(capsules_net::DRIVER_NUM, &memory_allocation_cap),
                tx
            )
        );
        kernel::hil::ethernet::EthernetAdapterDatapath::set_client(nic, switch);
        switch.start();
        &*switch
    });

    let chip = static_init!(ChipHw, QemuRv32VirtChip::new(peripherals, hardware_timer, epmp));
    if let Some(r) = PANIC_RESOURCES.get() {
        r.chip.put(chip)
    }
    chip.enable_plic_interrupts();
    csr::CSR.mie.modify(csr::mie::mie::mext::SET + csr::mie::mie::msoft::SET + csr::mie::mie::mtimer::SET);
    csr::CSR.mstatus.modify(csr::mstatus::mstatus::mie::SET);

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
        static_init!(EmulatedTemperature<'static, AlarmHw>, EmulatedTemperature::new(hardware_timer));
    kernel::deferred_call::DeferredCallClient::register(temperature_sensor);
    let temperature = components::temperature::TemperatureComponent::new(
        board_kernel,
        capsules_extra::temperature::DRIVER_NUM,
        temperature_sensor,
        create_capability!(capabilities::MemoryAllocationCapability),
    )
    .finalize(components::temperature_component_static!(EmulatedTemperature<'static, AlarmHw>));

    let rng = rng.map(|rng| {
        components::rng::RngRandomComponent::new(
            board_kernel,
            capsules_core::rng::DRIVER_NUM,
            rng,
            create_capability!(capabilities::MemoryAllocationCapability),
        )
        .finalize(components::rng_random_component_static!(
            virtio::devices::virtio_rng::VirtIORng<'static, 'static, Fence>
        ))
    });

    let dma_net = dma.used() - mark;
    let regions = static_init!([Region; 6], map.sysinfo_regions(dma.used()));
    let uptime = static_init!(MachineTimerUptime, MachineTimerUptime(hardware_timer));
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
    let switch_stats: Option<&'static SwitchStats> =
        net.map(|switch| &*static_init!(SwitchStats, board_common::stats::SwitchStats(switch)));
    if let Some(stats) = switch_stats {
        sysinfo.set_net(stats);
    }
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
    sysinfo.set_instruction_counter(static_init!(RetiredInstructions, RetiredInstructions));
    process_printer.set_sources(grant_stats, switch_stats.map(|s| s as &'static dyn capsules_sysinfo::NetStats));

    let scheduler = components::sched::round_robin::RoundRobinComponent::new(processes)
        .finalize(components::round_robin_component_static!(NUM_PROCS));
    let scheduler_timer = components::virtual_scheduler_timer::VirtualSchedulerTimerComponent::new(mux_alarm)
        .finalize(components::virtual_scheduler_timer_component_static!(AlarmHw));

    debug!(
        "NUCLEO-MEM twin: Tock {}.{} on QEMU RISC-V virt",
        kernel::KERNEL_MAJOR_VERSION,
        kernel::KERNEL_MINOR_VERSION
    );
    map.print(dma.used());
    debug!(
        "  DMA SRAM: rings {}, network {} ({} rx + {} tx frame buffers), block {} (incl. {} bounce), rng {}",
        memory_map::Size(map.dma_used(0)),
        memory_map::Size(dma_net),
        NET_RX_BUFFERS,
        NET_TX_BUFFERS,
        memory_map::Size(dma_blk),
        memory_map::Size(capsules_blk::BOUNCE_LEN),
        memory_map::Size(dma_rng)
    );
    match net {
        Some(switch) => {
            let c = switch.config();
            debug!(
                "net: VirtIO network card, MAC {}, IPv4 {}.{}.{}.{}/{} via {}.{}.{}.{}",
                virtio_devices::MacAddress(c.mac),
                c.ipv4[0],
                c.ipv4[1],
                c.ipv4[2],
                c.ipv4[3],
                c.prefix_len,
                c.gateway[0],
                c.gateway[1],
                c.gateway[2],
                c.gateway[3]
            );
        }
        None => debug!("net: no VirtIO network card"),
    }
    match blk_driver {
        Some(driver) => driver.check_device(),
        None => debug!("blk: no VirtIO block device (the eMMC image); storage disabled"),
    }
    if rng.is_none() {
        debug!("rng: no VirtIO entropy source");
    }

    let _ = pconsole.start();

    let board = QemuTwin {
        console,
        alarm,
        lldb,
        led,
        temperature,
        rng,
        net,
        blk: blk_driver,
        ipc,
        psram,
        sysinfo,
        fault_policy,
        scheduler,
        scheduler_timer,
    };
    (board_kernel, board, chip)
}
