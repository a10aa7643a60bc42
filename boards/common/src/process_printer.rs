//! What the process console (`process <name>`) and the panic report print
//! about a process: upstream's memory map, then this board's figures:
//! the process's PSRAM grants and its network traffic.

use core::fmt::Write;

use capsules_system::process_printer::ProcessPrinterText;
use capsules_system::write_to_binary::WriteToBinaryOffsetWrapper;
use kernel::process::{Process, ProcessPrinter, ProcessPrinterContext};
use kernel::utilities::binary_write::BinaryWrite;
use kernel::utilities::cells::OptionalCell;

use crate::stats::GrantFigures;
use capsules_sysinfo::NetStats;

/// Offsets at and above this continue our part; below, upstream's.
const OURS: usize = 1 << 30;

pub struct BoardProcessPrinter {
    text: ProcessPrinterText,
    psram: OptionalCell<&'static dyn GrantFigures>,
    net: OptionalCell<&'static dyn NetStats>,
}

impl BoardProcessPrinter {
    pub fn new() -> Self {
        BoardProcessPrinter {
            text: ProcessPrinterText::new(),
            psram: OptionalCell::empty(),
            net: OptionalCell::empty(),
        }
    }

    pub fn set_sources(&self, psram: &'static dyn GrantFigures, net: Option<&'static dyn NetStats>) {
        self.psram.set(psram);
        if let Some(n) = net {
            self.net.set(n);
        }
    }
}

impl Default for BoardProcessPrinter {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessPrinter for BoardProcessPrinter {
    fn print_overview(
        &self,
        process: &dyn Process,
        writer: &mut dyn BinaryWrite,
        context: Option<ProcessPrinterContext>,
    ) -> Option<ProcessPrinterContext> {
        let offset = context.map_or(0, |c| c.offset);
        if offset < OURS {
            if let Some(more) = self.text.print_overview(process, writer, context) {
                return Some(more);
            }
        }
        let mut w = WriteToBinaryOffsetWrapper::new(writer);
        w.set_offset(offset.saturating_sub(OURS));
        let pid = process.processid();
        self.psram.map(|psram| {
            let (bytes, count) = psram.process_grants(pid);
            let _ = write!(
                w,
                " PSRAM grants: {} ({} bytes); grant pool: {} of {} bytes in use\r\n",
                count,
                bytes,
                psram.pool_used(),
                psram.pool_size()
            );
        });
        self.net.map(|net| {
            if let Some((c, ports)) = net.process_counters(pid) {
                let _ = write!(
                    w,
                    " Network: {} ports; rx {} frames {} bytes, {} dropped; tx {} frames {} bytes, {} dropped, {} refused\r\n",
                    ports, c.rx_frames, c.rx_bytes, c.rx_dropped, c.tx_frames, c.tx_bytes, c.tx_dropped, c.tx_refused
                );
            }
        });
        w.bytes_remaining().then(|| ProcessPrinterContext { offset: OURS + w.get_index() })
    }
}
