// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! USART (RM0468 §50), 8N1 with its 16-byte FIFOs on, for the console:
//! USART3 on PD8 (TX) / PD9 (RX), AF7, which the ST-LINK bridges to USB.
//!
//! The kernel clock is rcc_pclk1 (D2CCIP2R.USART234578SEL = 0), so the
//! divider comes from the clock plan the board applied ([`Usart::set_clock`]).
//! A transmit fills the FIFO on each "not full" interrupt; a receive takes
//! bytes on each "not empty" one. Line errors (overrun, framing, noise,
//! parity) are cleared where they are seen so they cannot hold the
//! interrupt line, and the byte in error is dropped.

use core::cell::Cell;

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::hil::uart;
use kernel::utilities::cells::{OptionalCell, TakeCell};
use kernel::utilities::registers::interfaces::{ReadWriteable, Readable, Writeable};
use kernel::utilities::registers::{register_bitfields, register_structs, ReadOnly, ReadWrite, WriteOnly};
use kernel::utilities::StaticRef;
use kernel::ErrorCode;

register_structs! {
    pub UsartRegisters {
        (0x00 => cr1: ReadWrite<u32, CR1::Register>),
        (0x04 => cr2: ReadWrite<u32>),
        (0x08 => cr3: ReadWrite<u32>),
        (0x0C => brr: ReadWrite<u32>),
        (0x10 => _reserved0),
        (0x1C => isr: ReadOnly<u32, ISR::Register>),
        (0x20 => icr: WriteOnly<u32, ISR::Register>),
        (0x24 => rdr: ReadOnly<u32>),
        (0x28 => tdr: WriteOnly<u32>),
        (0x2C => presc: ReadWrite<u32>),
        (0x30 => @END),
    }
}

register_bitfields![u32,
    CR1 [
        UE OFFSET(0) NUMBITS(1) [],
        RE OFFSET(2) NUMBITS(1) [],
        TE OFFSET(3) NUMBITS(1) [],
        /// RXFNEIE with the FIFO on.
        RXNEIE OFFSET(5) NUMBITS(1) [],
        /// TXFNFIE with the FIFO on.
        TXEIE OFFSET(7) NUMBITS(1) [],
        FIFOEN OFFSET(29) NUMBITS(1) []
    ],
    /// ISR flags; the same positions clear them in ICR.
    ISR [
        PE OFFSET(0) NUMBITS(1) [],
        FE OFFSET(1) NUMBITS(1) [],
        NE OFFSET(2) NUMBITS(1) [],
        ORE OFFSET(3) NUMBITS(1) [],
        /// RXFNE: a byte waits in RDR.
        RXNE OFFSET(5) NUMBITS(1) [],
        TC OFFSET(6) NUMBITS(1) [],
        /// TXFNF: the FIFO takes another byte.
        TXE OFFSET(7) NUMBITS(1) []
    ]
];

pub const USART3_BASE: StaticRef<UsartRegisters> =
    // SAFETY: USART3's registers (RM0468 §2.3).
    unsafe { StaticRef::new(0x4000_4800 as *const UsartRegisters) };

/// BRR for `baud` from a `kernel_hz` clock (16x oversampling), rounded to
/// nearest; `None` when the rate is out of the USART's range.
pub fn divider(kernel_hz: u32, baud: u32) -> Option<u32> {
    if baud == 0 {
        return None;
    }
    let div = (kernel_hz + baud / 2) / baud;
    (16..=0xFFFF).contains(&div).then_some(div)
}

pub struct Usart<'a> {
    registers: StaticRef<UsartRegisters>,
    kernel_hz: Cell<u32>,
    tx_client: OptionalCell<&'a dyn uart::TransmitClient>,
    rx_client: OptionalCell<&'a dyn uart::ReceiveClient>,
    tx_buffer: TakeCell<'static, [u8]>,
    tx_len: Cell<usize>,
    tx_sent: Cell<usize>,
    rx_buffer: TakeCell<'static, [u8]>,
    rx_len: Cell<usize>,
    rx_got: Cell<usize>,
    /// Line errors seen since boot (bytes dropped).
    line_errors: Cell<u32>,
    tx_aborted: Cell<bool>,
    rx_aborted: Cell<bool>,
    deferred: DeferredCall,
}

impl<'a> Usart<'a> {
    pub fn new(registers: StaticRef<UsartRegisters>) -> Self {
        Usart {
            registers,
            kernel_hz: Cell::new(64_000_000),
            tx_client: OptionalCell::empty(),
            rx_client: OptionalCell::empty(),
            tx_buffer: TakeCell::empty(),
            tx_len: Cell::new(0),
            tx_sent: Cell::new(0),
            rx_buffer: TakeCell::empty(),
            rx_len: Cell::new(0),
            rx_got: Cell::new(0),
            line_errors: Cell::new(0),
            tx_aborted: Cell::new(false),
            rx_aborted: Cell::new(false),
            deferred: DeferredCall::new(),
        }
    }

    /// The USART's kernel clock (the plan's APB1 clock).
    pub fn set_clock(&self, kernel_hz: u32) {
        self.kernel_hz.set(kernel_hz);
    }

    pub fn line_errors(&self) -> u32 {
        self.line_errors.get()
    }

    /// Fills the FIFO from the buffer; `true` once every byte is in.
    fn fill(&self) -> bool {
        let len = self.tx_len.get();
        while self.tx_sent.get() < len && self.registers.isr.is_set(ISR::TXE) {
            let sent = self.tx_sent.get();
            if let Some(byte) = self.tx_buffer.map(|b| b[sent]) {
                self.registers.tdr.set(byte as u32);
            }
            self.tx_sent.set(sent + 1);
        }
        self.tx_sent.get() >= len
    }

    pub fn handle_interrupt(&self) {
        let isr = self.registers.isr.extract();
        if isr.matches_any(&[ISR::ORE::SET, ISR::FE::SET, ISR::NE::SET, ISR::PE::SET]) {
            self.registers.icr.write(ISR::ORE::SET + ISR::FE::SET + ISR::NE::SET + ISR::PE::SET);
            self.line_errors.set(self.line_errors.get().wrapping_add(1));
        }
        if self.tx_buffer.is_some() && self.registers.cr1.is_set(CR1::TXEIE) && self.fill() {
            self.registers.cr1.modify(CR1::TXEIE::CLEAR);
            let len = self.tx_len.get();
            if let Some(buf) = self.tx_buffer.take() {
                self.tx_client.map(|c| c.transmitted_buffer(buf, len, Ok(())));
            }
        }
        if self.rx_buffer.is_some() {
            self.drain();
        } else if isr.is_set(ISR::RXNE) {
            // Nobody is reading: the byte is dropped rather than left to
            // raise the interrupt forever.
            let _ = self.registers.rdr.get();
        }
    }

    /// Moves waiting bytes into the buffer; completes it when full.
    fn drain(&self) {
        while self.registers.isr.is_set(ISR::RXNE) {
            let byte = self.registers.rdr.get() as u8;
            let got = self.rx_got.get();
            let Some(done) = self.rx_buffer.map(|b| {
                b[got] = byte;
                got + 1 == self.rx_len.get()
            }) else {
                return;
            };
            self.rx_got.set(got + 1);
            if done {
                self.registers.cr1.modify(CR1::RXNEIE::CLEAR);
                let len = self.rx_len.get();
                if let Some(buf) = self.rx_buffer.take() {
                    self.rx_client.map(|c| c.received_buffer(buf, len, Ok(()), uart::Error::None));
                }
                return;
            }
        }
    }
}

impl uart::Configure for Usart<'_> {
    fn configure(&self, params: uart::Parameters) -> Result<(), ErrorCode> {
        if params.width != uart::Width::Eight
            || params.parity != uart::Parity::None
            || params.stop_bits != uart::StopBits::One
            || params.hw_flow_control
        {
            return Err(ErrorCode::NOSUPPORT);
        }
        let div = divider(self.kernel_hz.get(), params.baud_rate).ok_or(ErrorCode::INVAL)?;
        let r = &self.registers;
        r.cr1.write(CR1::UE::CLEAR);
        r.presc.set(0);
        r.brr.set(div);
        r.cr2.set(0);
        r.cr3.set(0);
        r.cr1.write(CR1::FIFOEN::SET + CR1::TE::SET + CR1::RE::SET + CR1::UE::SET);
        Ok(())
    }
}

impl<'a> uart::Transmit<'a> for Usart<'a> {
    fn set_transmit_client(&self, client: &'a dyn uart::TransmitClient) {
        self.tx_client.set(client);
    }

    fn transmit_buffer(&self, buffer: &'static mut [u8], len: usize) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if self.tx_buffer.is_some() || self.tx_aborted.get() {
            return Err((ErrorCode::BUSY, buffer));
        }
        if len == 0 || len > buffer.len() {
            return Err((ErrorCode::SIZE, buffer));
        }
        self.tx_buffer.replace(buffer);
        self.tx_len.set(len);
        self.tx_sent.set(0);
        // The completion always comes from the interrupt, never from here.
        self.registers.cr1.modify(CR1::TXEIE::SET);
        Ok(())
    }

    fn transmit_word(&self, _word: u32) -> Result<(), ErrorCode> {
        Err(ErrorCode::FAIL)
    }

    fn transmit_abort(&self) -> Result<(), ErrorCode> {
        if self.tx_buffer.is_none() {
            return Ok(());
        }
        self.registers.cr1.modify(CR1::TXEIE::CLEAR);
        self.tx_aborted.set(true);
        self.deferred.set();
        Err(ErrorCode::BUSY)
    }
}

impl<'a> uart::Receive<'a> for Usart<'a> {
    fn set_receive_client(&self, client: &'a dyn uart::ReceiveClient) {
        self.rx_client.set(client);
    }

    fn receive_buffer(&self, buffer: &'static mut [u8], len: usize) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if self.rx_buffer.is_some() || self.rx_aborted.get() {
            return Err((ErrorCode::BUSY, buffer));
        }
        if len == 0 || len > buffer.len() {
            return Err((ErrorCode::SIZE, buffer));
        }
        self.rx_buffer.replace(buffer);
        self.rx_len.set(len);
        self.rx_got.set(0);
        self.registers.cr1.modify(CR1::RXNEIE::SET);
        Ok(())
    }

    fn receive_word(&self) -> Result<(), ErrorCode> {
        Err(ErrorCode::FAIL)
    }

    fn receive_abort(&self) -> Result<(), ErrorCode> {
        if self.rx_buffer.is_none() {
            return Ok(());
        }
        self.registers.cr1.modify(CR1::RXNEIE::CLEAR);
        self.rx_aborted.set(true);
        self.deferred.set();
        Err(ErrorCode::BUSY)
    }
}

impl DeferredCallClient for Usart<'_> {
    fn handle_deferred_call(&self) {
        if self.tx_aborted.replace(false) {
            let sent = self.tx_sent.get();
            if let Some(buf) = self.tx_buffer.take() {
                self.tx_client.map(|c| c.transmitted_buffer(buf, sent, Err(ErrorCode::CANCEL)));
            }
        }
        if self.rx_aborted.replace(false) {
            let got = self.rx_got.get();
            if let Some(buf) = self.rx_buffer.take() {
                self.rx_client.map(|c| c.received_buffer(buf, got, Err(ErrorCode::CANCEL), uart::Error::Aborted));
            }
        }
    }

    fn register(&'static self) {
        self.deferred.register(self);
    }
}

/// The panic handler's writer: polls the FIFO with interrupts off, at
/// whatever divider the console was given.
pub struct UsartPanicWriter {
    registers: StaticRef<UsartRegisters>,
}

impl kernel::utilities::io_write::IoWrite for UsartPanicWriter {
    fn write(&mut self, buf: &[u8]) -> usize {
        for &b in buf {
            while !self.registers.isr.is_set(ISR::TXE) {}
            self.registers.tdr.set(b as u32);
        }
        buf.len()
    }
}

impl core::fmt::Write for UsartPanicWriter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        kernel::utilities::io_write::IoWrite::write(self, s.as_bytes());
        Ok(())
    }
}

impl kernel::platform::chip::PanicWriter for UsartPanicWriter {
    type Config = ();

    unsafe fn create_panic_writer(_config: ()) -> impl kernel::utilities::io_write::IoWrite + core::fmt::Write {
        let registers = USART3_BASE;
        registers.cr1.modify(CR1::TXEIE::CLEAR + CR1::RXNEIE::CLEAR + CR1::TE::SET + CR1::UE::SET);
        UsartPanicWriter { registers }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_dividers_from_the_planned_clocks() {
        // 137.5 MHz (550 MHz plan): 1194 gives 115159 baud, 0.04 % slow.
        assert_eq!(divider(137_500_000, 115_200), Some(1194));
        // 130 MHz (520 MHz plan) and the HSI fallback's 64 MHz.
        assert_eq!(divider(130_000_000, 115_200), Some(1128));
        assert_eq!(divider(64_000_000, 115_200), Some(556));
        for (hz, div) in [(137_500_000, 1194), (130_000_000, 1128), (64_000_000, 556)] {
            let err = (hz / div) as i64 - 115_200;
            assert!(err.abs() * 100 / 115_200 < 1, "{hz}: {err}");
        }
        assert_eq!(divider(64_000_000, 0), None);
        assert_eq!(divider(64_000_000, 5_000_000), None);
    }
}
