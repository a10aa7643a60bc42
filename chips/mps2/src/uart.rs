// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The CMSDK APB UART (ARM DDI 0479): a byte at a time in each direction,
//! an interrupt when the transmitter can take the next byte and when a byte
//! arrived. Buffers go out one byte per interrupt.

use core::cell::Cell;

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::hil::uart;
use kernel::utilities::cells::{OptionalCell, TakeCell};
use kernel::utilities::registers::interfaces::{ReadWriteable, Readable, Writeable};
use kernel::utilities::registers::{register_bitfields, register_structs, ReadWrite};
use kernel::utilities::StaticRef;
use kernel::ErrorCode;

register_structs! {
    pub UartRegisters {
        (0x00 => data: ReadWrite<u32>),
        (0x04 => state: ReadWrite<u32, STATE::Register>),
        (0x08 => ctrl: ReadWrite<u32, CTRL::Register>),
        /// Read: pending interrupts; write 1s: clear them.
        (0x0c => intstatus: ReadWrite<u32, INT::Register>),
        (0x10 => bauddiv: ReadWrite<u32>),
        (0x14 => @END),
    }
}

register_bitfields![u32,
    STATE [
        TX_FULL OFFSET(0) NUMBITS(1) [],
        RX_FULL OFFSET(1) NUMBITS(1) []
    ],
    CTRL [
        TX_EN OFFSET(0) NUMBITS(1) [],
        RX_EN OFFSET(1) NUMBITS(1) [],
        TX_INT_EN OFFSET(2) NUMBITS(1) [],
        RX_INT_EN OFFSET(3) NUMBITS(1) []
    ],
    INT [
        TX OFFSET(0) NUMBITS(1) [],
        RX OFFSET(1) NUMBITS(1) []
    ]
];

pub const UART0_BASE: StaticRef<UartRegisters> = unsafe { StaticRef::new(0x4000_4000 as *const UartRegisters) };

/// Smallest divider the UART accepts.
const MIN_BAUDDIV: u32 = 16;

pub struct Uart<'a> {
    registers: StaticRef<UartRegisters>,
    tx_client: OptionalCell<&'a dyn uart::TransmitClient>,
    rx_client: OptionalCell<&'a dyn uart::ReceiveClient>,
    tx_buffer: TakeCell<'static, [u8]>,
    tx_len: Cell<usize>,
    tx_sent: Cell<usize>,
    rx_buffer: TakeCell<'static, [u8]>,
    rx_len: Cell<usize>,
    rx_got: Cell<usize>,
    /// Aborted transfers whose buffers go back from a deferred call.
    tx_aborted: Cell<bool>,
    rx_aborted: Cell<bool>,
    deferred: DeferredCall,
}

impl<'a> Uart<'a> {
    pub fn new(registers: StaticRef<UartRegisters>) -> Self {
        Uart {
            registers,
            tx_client: OptionalCell::empty(),
            rx_client: OptionalCell::empty(),
            tx_buffer: TakeCell::empty(),
            tx_len: Cell::new(0),
            tx_sent: Cell::new(0),
            rx_buffer: TakeCell::empty(),
            rx_len: Cell::new(0),
            rx_got: Cell::new(0),
            tx_aborted: Cell::new(false),
            rx_aborted: Cell::new(false),
            deferred: DeferredCall::new(),
        }
    }

    /// Writes the next byte of the buffer if the transmitter has room;
    /// `true` once every byte went out.
    fn send_next(&self) -> bool {
        let sent = self.tx_sent.get();
        if sent >= self.tx_len.get() {
            return true;
        }
        if self.registers.state.is_set(STATE::TX_FULL) {
            return false;
        }
        if let Some(byte) = self.tx_buffer.map(|b| b[sent]) {
            self.registers.data.set(byte as u32);
            self.tx_sent.set(sent + 1);
        }
        false
    }

    pub fn handle_interrupt(&self) {
        let pending = self.registers.intstatus.extract();
        if pending.is_set(INT::TX) {
            self.registers.intstatus.write(INT::TX::SET);
            if self.tx_buffer.is_some() && self.send_next() {
                self.registers.ctrl.modify(CTRL::TX_INT_EN::CLEAR);
                let len = self.tx_len.get();
                if let Some(buf) = self.tx_buffer.take() {
                    self.tx_client.map(|c| c.transmitted_buffer(buf, len, Ok(())));
                }
            }
        }
        // A byte with no buffer waiting stays in the UART (QEMU holds the
        // rest of the input back) until the next receive takes it.
        if pending.is_set(INT::RX) && self.rx_buffer.is_some() {
            self.registers.intstatus.write(INT::RX::SET);
            self.take_received();
        }
    }

    /// Moves the received byte into the buffer; completes it when full.
    fn take_received(&self) {
        {
            // The byte is read only into a buffer (the callers check one waits).
            let byte = self.registers.data.get() as u8;
            let got = self.rx_got.get();
            if let Some(done) = self.rx_buffer.map(|b| {
                b[got] = byte;
                got + 1 == self.rx_len.get()
            }) {
                self.rx_got.set(got + 1);
                if done {
                    self.registers.ctrl.modify(CTRL::RX_INT_EN::CLEAR);
                    let len = self.rx_len.get();
                    if let Some(buf) = self.rx_buffer.take() {
                        self.rx_client.map(|c| c.received_buffer(buf, len, Ok(()), uart::Error::None));
                    }
                }
            }
        }
    }
}

impl uart::Configure for Uart<'_> {
    fn configure(&self, params: uart::Parameters) -> Result<(), ErrorCode> {
        if params.baud_rate == 0 || params.width != uart::Width::Eight || params.hw_flow_control {
            return Err(ErrorCode::NOSUPPORT);
        }
        let div = crate::SYSCLK_HZ / params.baud_rate;
        if div < MIN_BAUDDIV {
            return Err(ErrorCode::INVAL);
        }
        self.registers.bauddiv.set(div);
        self.registers.ctrl.write(CTRL::TX_EN::SET + CTRL::RX_EN::SET);
        Ok(())
    }
}

impl<'a> uart::Transmit<'a> for Uart<'a> {
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
        self.registers.ctrl.modify(CTRL::TX_INT_EN::SET);
        self.send_next();
        Ok(())
    }

    fn transmit_word(&self, _word: u32) -> Result<(), ErrorCode> {
        Err(ErrorCode::FAIL)
    }

    fn transmit_abort(&self) -> Result<(), ErrorCode> {
        if self.tx_buffer.is_none() {
            return Ok(());
        }
        self.registers.ctrl.modify(CTRL::TX_INT_EN::CLEAR);
        self.tx_aborted.set(true);
        self.deferred.set();
        Err(ErrorCode::BUSY)
    }
}

impl<'a> uart::Receive<'a> for Uart<'a> {
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
        self.registers.ctrl.modify(CTRL::RX_INT_EN::SET);
        // A byte that arrived while no buffer was waiting raised no
        // interrupt we saw: it is taken from a deferred call.
        if self.registers.state.is_set(STATE::RX_FULL) {
            self.deferred.set();
        }
        Ok(())
    }

    fn receive_word(&self) -> Result<(), ErrorCode> {
        Err(ErrorCode::FAIL)
    }

    fn receive_abort(&self) -> Result<(), ErrorCode> {
        if self.rx_buffer.is_none() {
            return Ok(());
        }
        self.registers.ctrl.modify(CTRL::RX_INT_EN::CLEAR);
        self.rx_aborted.set(true);
        self.deferred.set();
        Err(ErrorCode::BUSY)
    }
}

impl DeferredCallClient for Uart<'_> {
    fn handle_deferred_call(&self) {
        if self.rx_buffer.is_some() && !self.rx_aborted.get() && self.registers.state.is_set(STATE::RX_FULL) {
            self.registers.intstatus.write(INT::RX::SET);
            self.take_received();
        }
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

/// The panic handler's writer: polls the transmitter, byte by byte, with
/// interrupts off (whatever state the driver was in).
pub struct UartPanicWriter {
    registers: StaticRef<UartRegisters>,
}

impl kernel::utilities::io_write::IoWrite for UartPanicWriter {
    fn write(&mut self, buf: &[u8]) -> usize {
        for &b in buf {
            while self.registers.state.is_set(STATE::TX_FULL) {}
            self.registers.data.set(b as u32);
        }
        buf.len()
    }
}

impl core::fmt::Write for UartPanicWriter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        kernel::utilities::io_write::IoWrite::write(self, s.as_bytes());
        Ok(())
    }
}

impl kernel::platform::chip::PanicWriter for UartPanicWriter {
    type Config = ();

    unsafe fn create_panic_writer(_config: ()) -> impl kernel::utilities::io_write::IoWrite + core::fmt::Write {
        let registers = UART0_BASE;
        registers.ctrl.write(CTRL::TX_EN::SET);
        UartPanicWriter { registers }
    }
}
