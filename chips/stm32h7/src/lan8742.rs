// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The LAN8742A Ethernet PHY (the NUCLEO-H723ZG's, on RMII), as a state
//! machine over MDIO read and write results: address scan, soft reset with
//! a bounded wait, auto-negotiation advertising 100/10 Mbit/s full and half
//! duplex, and link-state tracking. No registers and no `unsafe`: the MAC
//! provides [`Mdio`], and the host tests a simulated PHY.
//!
//! Register facts are from the LAN8742A datasheet (Microchip DS00001989),
//! cross-checked with ST's `stm32-lan8742` BSP driver: basic control (0)
//! and status (1) as IEEE 802.3 clause 22, the identifiers (2, 3:
//! 0x0007/0xC13x), special modes (18, PHYAD in bits 4:0) and the PHY
//! special control/status register (31: AUTODONE bit 12, speed and duplex
//! in bits 4:2).
//!
//! [`Lan8742::poll`] is driven by the board (from an alarm): every 500 ms
//! while steady, as the original firmware's link thread, and every 10 ms
//! while a reset completes. Polling rather than the PHY's interrupt: the
//! MDIO accesses are short busy waits the board should schedule, and a
//! poll also finds a PHY that never answered.

/// MDIO access to clause-22 PHY registers.
pub trait Mdio {
    fn read(&self, phy: u8, register: u8) -> Result<u16, MdioError>;
    fn write(&self, phy: u8, register: u8, value: u16) -> Result<(), MdioError>;
}

/// The MDIO transaction never finished (MACMDIOAR.MB stayed set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MdioError;

/// PHY registers and bits.
pub mod reg {
    pub const BCR: u8 = 0;
    pub const BSR: u8 = 1;
    pub const PHYID1: u8 = 2;
    pub const PHYID2: u8 = 3;
    pub const ANAR: u8 = 4;
    pub const SMR: u8 = 18;
    pub const PSCSR: u8 = 31;

    pub const BCR_SOFT_RESET: u16 = 1 << 15;
    pub const BCR_AUTONEG_ENABLE: u16 = 1 << 12;
    pub const BCR_AUTONEG_RESTART: u16 = 1 << 9;
    /// Latched low: read twice for the present state.
    pub const BSR_LINK_UP: u16 = 1 << 2;
    pub const BSR_AUTONEG_DONE: u16 = 1 << 5;
    /// IEEE selector 00001 and 100FD, 100HD, 10FD, 10HD.
    pub const ANAR_ALL_10_100: u16 = 1 << 8 | 1 << 7 | 1 << 6 | 1 << 5 | 0x01;
    pub const PSCSR_AUTODONE: u16 = 1 << 12;
    pub const PSCSR_SPEED_MASK: u16 = 0b111 << 2;
    pub const PSCSR_10_HALF: u16 = 0b001 << 2;
    pub const PSCSR_10_FULL: u16 = 0b101 << 2;
    pub const PSCSR_100_HALF: u16 = 0b010 << 2;
    pub const PSCSR_100_FULL: u16 = 0b110 << 2;
    pub const SMR_PHYAD_MASK: u16 = 0x1F;

    /// PHY identifier of the LAN8742A; the low 4 bits are the revision.
    pub const ID1: u16 = 0x0007;
    pub const ID2: u16 = 0xC130;
    pub const ID2_MASK: u16 = 0xFFF0;
}

/// Polling periods.
pub const STEADY_POLL_MS: u32 = 500;
pub const RESET_POLL_MS: u32 = 10;
/// Polls allowed for the soft reset to clear: 50 x 10 ms = 500 ms (the
/// bound ST's BSP driver uses, LAN8742_SW_RESET_TO).
pub const RESET_POLLS: u32 = 50;
/// Steady polls between attempts after a failure (5 s).
pub const RETRY_POLLS: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    Mbps10,
    Mbps100,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Duplex {
    Half,
    Full,
}

/// What auto-negotiation settled on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkMode {
    pub speed: Speed,
    pub duplex: Duplex,
}

impl LinkMode {
    /// From the PHY special control/status register, once AUTODONE is set.
    pub fn from_pscsr(pscsr: u16) -> Option<LinkMode> {
        let (speed, duplex) = match pscsr & reg::PSCSR_SPEED_MASK {
            reg::PSCSR_10_HALF => (Speed::Mbps10, Duplex::Half),
            reg::PSCSR_10_FULL => (Speed::Mbps10, Duplex::Full),
            reg::PSCSR_100_HALF => (Speed::Mbps100, Duplex::Half),
            reg::PSCSR_100_FULL => (Speed::Mbps100, Duplex::Full),
            _ => return None,
        };
        Some(LinkMode { speed, duplex })
    }
}

/// Why the PHY is not usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhyFault {
    /// No LAN8742A answered at any MDIO address.
    NotFound,
    /// The soft reset bit did not clear in time.
    ResetTimeout,
    /// An MDIO transaction did not complete.
    Mdio,
}

/// A change the driver must act on and report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkEvent {
    Up(LinkMode),
    Down,
    Fault(PhyFault),
}

impl core::fmt::Display for LinkEvent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LinkEvent::Up(mode) => {
                let speed = if mode.speed == Speed::Mbps100 { 100 } else { 10 };
                let duplex = if mode.duplex == Duplex::Full { "full" } else { "half" };
                write!(f, "link up, {} Mbit/s {} duplex", speed, duplex)
            }
            LinkEvent::Down => write!(f, "link down"),
            LinkEvent::Fault(PhyFault::NotFound) => write!(f, "no LAN8742A answers on MDIO (JP6, SB72?); retrying"),
            LinkEvent::Fault(PhyFault::ResetTimeout) => write!(f, "PHY soft reset did not complete; retrying"),
            LinkEvent::Fault(PhyFault::Mdio) => write!(f, "MDIO transaction timed out; retrying"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhyState {
    Scanning,
    Resetting {
        polls: u32,
    },
    /// Auto-negotiating, or the cable is out.
    Down,
    Up(LinkMode),
    Failed {
        fault: PhyFault,
        retry_in: u32,
    },
}

/// One poll's result: an event, if any, and when to poll next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Poll {
    pub event: Option<LinkEvent>,
    pub next_ms: u32,
}

pub struct Lan8742 {
    hint: u8,
    address: Option<u8>,
    state: PhyState,
}

impl Lan8742 {
    /// `hint` is the strapped address tried first (0 on the NUCLEO).
    pub const fn new(hint: u8) -> Self {
        Lan8742 { hint, address: None, state: PhyState::Scanning }
    }

    pub fn state(&self) -> PhyState {
        self.state
    }

    /// The MDIO address the PHY answered at.
    pub fn address(&self) -> Option<u8> {
        self.address
    }

    /// The link mode while the link is up.
    pub fn link(&self) -> Option<LinkMode> {
        match self.state {
            PhyState::Up(mode) => Some(mode),
            _ => None,
        }
    }

    pub fn poll(&mut self, mdio: &impl Mdio) -> Poll {
        let was_up = matches!(self.state, PhyState::Up(_));
        let result = self.step(mdio);
        let (state, event) = match result {
            Ok(step) => step,
            Err(fault) => {
                let event = if was_up { Some(LinkEvent::Down) } else { Some(LinkEvent::Fault(fault)) };
                (PhyState::Failed { fault, retry_in: RETRY_POLLS }, event)
            }
        };
        self.state = state;
        let next_ms = match state {
            PhyState::Resetting { .. } => RESET_POLL_MS,
            _ => STEADY_POLL_MS,
        };
        Poll { event, next_ms }
    }

    fn step(&mut self, mdio: &impl Mdio) -> Result<(PhyState, Option<LinkEvent>), PhyFault> {
        match self.state {
            PhyState::Scanning => {
                let address = self.scan(mdio).ok_or(PhyFault::NotFound)?;
                self.address = Some(address);
                write(mdio, address, reg::BCR, reg::BCR_SOFT_RESET)?;
                Ok((PhyState::Resetting { polls: 0 }, None))
            }
            PhyState::Resetting { polls } => {
                let address = self.address.ok_or(PhyFault::NotFound)?;
                if read(mdio, address, reg::BCR)? & reg::BCR_SOFT_RESET != 0 {
                    return if polls + 1 >= RESET_POLLS {
                        Err(PhyFault::ResetTimeout)
                    } else {
                        Ok((PhyState::Resetting { polls: polls + 1 }, None))
                    };
                }
                write(mdio, address, reg::ANAR, reg::ANAR_ALL_10_100)?;
                write(mdio, address, reg::BCR, reg::BCR_AUTONEG_ENABLE | reg::BCR_AUTONEG_RESTART)?;
                Ok((PhyState::Down, None))
            }
            PhyState::Down => match self.negotiated(mdio)? {
                Some(mode) => Ok((PhyState::Up(mode), Some(LinkEvent::Up(mode)))),
                None => Ok((PhyState::Down, None)),
            },
            PhyState::Up(mode) => match self.negotiated(mdio)? {
                Some(now) if now == mode => Ok((PhyState::Up(mode), None)),
                // Renegotiated to another mode without our seeing it drop.
                Some(now) => Ok((PhyState::Up(now), Some(LinkEvent::Up(now)))),
                None => Ok((PhyState::Down, Some(LinkEvent::Down))),
            },
            PhyState::Failed { fault, retry_in } => {
                if retry_in > 1 {
                    Ok((PhyState::Failed { fault, retry_in: retry_in - 1 }, None))
                } else {
                    self.address = None;
                    Ok((PhyState::Scanning, None))
                }
            }
        }
    }

    /// The first address, the hint first, where a LAN8742A answers with its
    /// identifier. An absent PHY reads 0xFFFF (MDIO idles high), which ST's
    /// driver, matching SMR.PHYAD, takes for a PHY at address 31.
    fn scan(&self, mdio: &impl Mdio) -> Option<u8> {
        core::iter::once(self.hint).chain((0..32).filter(|a| *a != self.hint)).find(|&a| {
            let id1 = mdio.read(a, reg::PHYID1);
            let id2 = mdio.read(a, reg::PHYID2);
            matches!((id1, id2), (Ok(reg::ID1), Ok(id2)) if id2 & reg::ID2_MASK == reg::ID2)
        })
    }

    /// The link mode if the link is up and negotiated, `None` otherwise.
    fn negotiated(&self, mdio: &impl Mdio) -> Result<Option<LinkMode>, PhyFault> {
        let address = self.address.ok_or(PhyFault::NotFound)?;
        // The first read returns (and clears) a latched drop.
        read(mdio, address, reg::BSR)?;
        if read(mdio, address, reg::BSR)? & reg::BSR_LINK_UP == 0 {
            return Ok(None);
        }
        let pscsr = read(mdio, address, reg::PSCSR)?;
        if pscsr & reg::PSCSR_AUTODONE == 0 {
            return Ok(None);
        }
        Ok(LinkMode::from_pscsr(pscsr))
    }
}

fn read(mdio: &impl Mdio, phy: u8, register: u8) -> Result<u16, PhyFault> {
    mdio.read(phy, register).map_err(|_| PhyFault::Mdio)
}

fn write(mdio: &impl Mdio, phy: u8, register: u8, value: u16) -> Result<(), PhyFault> {
    mdio.write(phy, register, value).map_err(|_| PhyFault::Mdio)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::{Cell, RefCell};

    /// A simulated LAN8742A at one address: reset takes `reset_reads`
    /// reads of BCR, negotiation ends `autoneg_polls` BSR reads after it
    /// starts, the cable can be pulled, and the whole PHY can be mute.
    struct SimPhy {
        address: u8,
        regs: RefCell<[u16; 32]>,
        reset_reads_left: Cell<u32>,
        reset_reads: u32,
        cable: Cell<bool>,
        partner: Cell<u16>,
        autoneg_left: Cell<u32>,
        autoneg_polls: u32,
        latched_drop: Cell<bool>,
        mute: Cell<bool>,
        mdio_timeout: Cell<bool>,
        writes: RefCell<Vec<(u8, u16)>>,
    }

    impl SimPhy {
        fn new(address: u8, reset_reads: u32, autoneg_polls: u32) -> Self {
            let mut regs = [0u16; 32];
            regs[reg::PHYID1 as usize] = 0x0007;
            regs[reg::PHYID2 as usize] = 0xC131;
            regs[reg::SMR as usize] = address as u16;
            SimPhy {
                address,
                regs: RefCell::new(regs),
                reset_reads_left: Cell::new(0),
                reset_reads,
                cable: Cell::new(true),
                partner: Cell::new(reg::PSCSR_100_FULL),
                autoneg_left: Cell::new(u32::MAX),
                autoneg_polls,
                latched_drop: Cell::new(false),
                mute: Cell::new(false),
                mdio_timeout: Cell::new(false),
                writes: RefCell::new(Vec::new()),
            }
        }

        fn unplug(&self) {
            self.cable.set(false);
            self.latched_drop.set(true);
        }

        fn plug(&self) {
            self.cable.set(true);
            self.autoneg_left.set(self.autoneg_polls);
        }

        fn link(&self) -> bool {
            self.cable.get() && self.autoneg_left.get() == 0
        }
    }

    extern crate std;
    use std::vec::Vec;

    impl Mdio for SimPhy {
        fn read(&self, phy: u8, register: u8) -> Result<u16, MdioError> {
            if self.mdio_timeout.get() {
                return Err(MdioError);
            }
            if self.mute.get() || phy != self.address {
                return Ok(0xFFFF);
            }
            Ok(match register {
                reg::BCR => {
                    let left = self.reset_reads_left.get();
                    if left > 0 {
                        self.reset_reads_left.set(left - 1);
                        reg::BCR_SOFT_RESET
                    } else {
                        self.regs.borrow()[0]
                    }
                }
                reg::BSR => {
                    let left = self.autoneg_left.get();
                    if self.cable.get() && left > 0 && left != u32::MAX {
                        self.autoneg_left.set(left - 1);
                    }
                    let up = self.link() && !self.latched_drop.get();
                    self.latched_drop.set(false);
                    let done = if self.link() { reg::BSR_AUTONEG_DONE } else { 0 };
                    0x7809 | done | if up { reg::BSR_LINK_UP } else { 0 }
                }
                reg::PSCSR => {
                    if self.link() {
                        reg::PSCSR_AUTODONE | self.partner.get()
                    } else {
                        0x0040
                    }
                }
                r => self.regs.borrow()[r as usize],
            })
        }

        fn write(&self, phy: u8, register: u8, value: u16) -> Result<(), MdioError> {
            if self.mdio_timeout.get() {
                return Err(MdioError);
            }
            if self.mute.get() || phy != self.address {
                return Ok(());
            }
            self.writes.borrow_mut().push((register, value));
            if register == reg::BCR && value & reg::BCR_SOFT_RESET != 0 {
                self.reset_reads_left.set(self.reset_reads);
                self.autoneg_left.set(u32::MAX);
                return Ok(());
            }
            if register == reg::BCR && value & reg::BCR_AUTONEG_RESTART != 0 {
                self.autoneg_left.set(self.autoneg_polls);
            }
            self.regs.borrow_mut()[register as usize] = value & !reg::BCR_AUTONEG_RESTART;
            Ok(())
        }
    }

    /// Polls until an event or `limit` polls; returns the event and polls used.
    fn poll_until_event(phy: &mut Lan8742, sim: &SimPhy, limit: u32) -> (Option<LinkEvent>, u32) {
        for n in 1..=limit {
            if let Some(e) = phy.poll(sim).event {
                return (Some(e), n);
            }
        }
        (None, limit)
    }

    const FAST_100_FULL: LinkMode = LinkMode { speed: Speed::Mbps100, duplex: Duplex::Full };

    #[test]
    fn finds_the_phy_resets_it_and_reports_the_negotiated_link() {
        let sim = SimPhy::new(0, 3, 2);
        let mut phy = Lan8742::new(0);
        let first = phy.poll(&sim);
        assert_eq!(phy.address(), Some(0));
        assert_eq!(first, Poll { event: None, next_ms: RESET_POLL_MS });
        // Three polls see the reset bit still set, the fourth configures.
        for _ in 0..3 {
            assert_eq!(phy.poll(&sim).next_ms, RESET_POLL_MS);
        }
        assert_eq!(phy.poll(&sim), Poll { event: None, next_ms: STEADY_POLL_MS });
        assert_eq!(
            *sim.writes.borrow(),
            vec![(reg::BCR, reg::BCR_SOFT_RESET), (reg::ANAR, 0x01E1), (reg::BCR, 0x1200)]
        );
        let (event, _) = poll_until_event(&mut phy, &sim, 5);
        assert_eq!(event, Some(LinkEvent::Up(FAST_100_FULL)));
        assert_eq!(phy.link(), Some(FAST_100_FULL));
        assert_eq!(phy.poll(&sim).event, None, "steady link: no event");
    }

    use std::vec;

    #[test]
    fn scans_past_silent_addresses() {
        let sim = SimPhy::new(1, 0, 1);
        let mut phy = Lan8742::new(0);
        phy.poll(&sim);
        assert_eq!(phy.address(), Some(1));
        assert_eq!(poll_until_event(&mut phy, &sim, 6).0, Some(LinkEvent::Up(FAST_100_FULL)));
    }

    #[test]
    fn a_pulled_cable_reports_down_and_a_slower_partner_reports_its_mode() {
        let sim = SimPhy::new(0, 0, 1);
        let mut phy = Lan8742::new(0);
        assert!(matches!(poll_until_event(&mut phy, &sim, 6).0, Some(LinkEvent::Up(_))));
        sim.unplug();
        assert_eq!(phy.poll(&sim).event, Some(LinkEvent::Down));
        assert_eq!(phy.poll(&sim).event, None, "down stays down quietly");
        sim.partner.set(reg::PSCSR_10_HALF);
        sim.plug();
        let (event, _) = poll_until_event(&mut phy, &sim, 6);
        assert_eq!(event, Some(LinkEvent::Up(LinkMode { speed: Speed::Mbps10, duplex: Duplex::Half })));
    }

    #[test]
    fn a_momentary_drop_latched_between_polls_is_not_a_link_change() {
        let sim = SimPhy::new(0, 0, 1);
        let mut phy = Lan8742::new(0);
        poll_until_event(&mut phy, &sim, 6);
        // Unplugged and replugged between polls, negotiation already done.
        sim.latched_drop.set(true);
        assert_eq!(phy.poll(&sim).event, None, "the second BSR read shows the present state");
        assert!(phy.link().is_some());
    }

    #[test]
    fn a_phy_that_never_answers_is_reported_and_retried() {
        let sim = SimPhy::new(0, 0, 1);
        sim.mute.set(true);
        let mut phy = Lan8742::new(0);
        assert_eq!(phy.poll(&sim).event, Some(LinkEvent::Fault(PhyFault::NotFound)));
        assert_eq!(phy.address(), None);
        for _ in 0..RETRY_POLLS {
            assert_eq!(phy.poll(&sim).event, None);
        }
        assert_eq!(phy.state(), PhyState::Scanning);
        sim.mute.set(false);
        assert_eq!(poll_until_event(&mut phy, &sim, 6).0, Some(LinkEvent::Up(FAST_100_FULL)));
    }

    #[test]
    fn a_reset_that_never_completes_times_out() {
        let sim = SimPhy::new(0, u32::MAX, 1);
        let mut phy = Lan8742::new(0);
        let (event, polls) = poll_until_event(&mut phy, &sim, 100);
        assert_eq!(event, Some(LinkEvent::Fault(PhyFault::ResetTimeout)));
        // The scan and write, then RESET_POLLS polls of 10 ms: 500 ms.
        assert_eq!(polls, 1 + RESET_POLLS);
    }

    #[test]
    fn an_mdio_timeout_with_the_link_up_reports_down() {
        let sim = SimPhy::new(0, 0, 1);
        let mut phy = Lan8742::new(0);
        poll_until_event(&mut phy, &sim, 6);
        sim.mdio_timeout.set(true);
        assert_eq!(phy.poll(&sim).event, Some(LinkEvent::Down));
        assert!(matches!(phy.state(), PhyState::Failed { fault: PhyFault::Mdio, .. }));
    }

    #[test]
    fn link_events_read_well_on_the_console() {
        use std::string::ToString;
        assert_eq!(LinkEvent::Up(FAST_100_FULL).to_string(), "link up, 100 Mbit/s full duplex");
        assert_eq!(LinkEvent::Down.to_string(), "link down");
    }

    #[test]
    fn speed_and_duplex_come_from_the_special_status_register() {
        assert_eq!(LinkMode::from_pscsr(0x1058), Some(FAST_100_FULL));
        assert_eq!(LinkMode::from_pscsr(0x0014), Some(LinkMode { speed: Speed::Mbps10, duplex: Duplex::Full }));
        assert_eq!(LinkMode::from_pscsr(0x0008), Some(LinkMode { speed: Speed::Mbps100, duplex: Duplex::Half }));
        assert_eq!(LinkMode::from_pscsr(0), None);
    }
}
