//! netprobe (test image only): a second network process that tries what
//! isolation must refuse, and reports each outcome on the console:
//!
//! - binding TCP port 80 while the HTTP app holds it;
//! - sending a UDP datagram from a port it did not bind;
//! - sending one from the UDP port it did bind (allowed);
//! - a transmit batch of three frames, the middle one from a port it did
//!   not bind (the kernel skips and counts it, sends the other two), and
//!   a malformed batch (refused whole).
//!
//! It then stays bound to UDP 7777 and counts what it receives, so tests
//! can check that traffic for other ports never reaches it.

#![no_main]
#![no_std]

extern crate panic_restart;

use libtock_runtime::{set_main, stack_size, TockSyscalls};
use net::{Net, Protocol};
use say::say;
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, IpAddress, IpProtocol, Ipv4Address, Ipv4Packet,
    Ipv4Repr, UdpPacket, UdpRepr,
};
use system::SystemInfo;

set_main! {main}
stack_size! {0x1000}

type N = Net<TockSyscalls>;

const OWN_PORT: u16 = 7777;

fn main() {
    let Ok(config) = N::config() else {
        say!("netprobe: no network");
        return;
    };
    // Let the HTTP app claim its port first, so the test is deterministic.
    for _ in 0..100 {
        if http_holds_port() {
            break;
        }
        let _ = timing::sleep_ms::<TockSyscalls>(100);
    }
    match N::bind(Protocol::Tcp, 80) {
        Ok(()) => {
            say!("netprobe: bind tcp/80: ACCEPTED (isolation broken)");
        }
        Err(e) => {
            say!("netprobe: bind tcp/80: refused ({:?})", e);
        }
    }
    let bound = N::bind(Protocol::Udp, OWN_PORT);
    say!("netprobe: bind udp/{}: {:?}", OWN_PORT, bound);

    let mut frame = [0u8; 64];
    let len = udp_frame(&mut frame, &config, 9999);
    say!("netprobe: send from unbound udp/9999: {:?}", N::transmit(&frame[..len]));
    let len = udp_frame(&mut frame, &config, OWN_PORT);
    say!("netprobe: send from bound udp/{}: {:?}", OWN_PORT, N::transmit(&frame[..len]));

    let mut records = [0u8; 256];
    let mut batch = net::TxBatch::new(&mut records);
    for port in [OWN_PORT, 9999, OWN_PORT] {
        if let Some(slot) = batch.append(udp_frame(&mut frame, &config, port)) {
            slot.copy_from_slice(&frame[..slot.len()]);
        }
    }
    let flags = 0;
    let sent = N::transmit_batch(batch.records(), flags);
    say!("netprobe: batch of {} records ({} bytes): {:?}", batch.frames(), batch.records().len(), sent);
    // A record of length 0 first: malformed, nothing taken.
    let malformed = [0u8; 8];
    say!("netprobe: malformed batch: {:?}", N::transmit_batch(&malformed, flags));

    let mut buf = [0u8; net::MAX_FRAME];
    let mut received = 0u32;
    loop {
        while let Ok((n, _)) = N::receive(&mut buf) {
            if n == 0 {
                break;
            }
            received += 1;
            say!("netprobe: received frame #{}: {}", received, describe(&buf[..n]));
        }
        let _ = timing::sleep_ms::<TockSyscalls>(500);
    }
}

/// What a received frame is: `arp`, `udp/<dst port>`, `tcp/<dst port>` or
/// `other`, so tests can check nothing for another port arrives here.
fn describe(frame: &[u8]) -> &'static str {
    let Ok(eth) = EthernetFrame::new_checked(frame) else { return "other" };
    match eth.ethertype() {
        EthernetProtocol::Arp => "arp",
        EthernetProtocol::Ipv4 => match Ipv4Packet::new_checked(eth.payload()) {
            Ok(ip) if ip.next_header() == IpProtocol::Udp => match UdpPacket::new_checked(ip.payload()) {
                Ok(udp) if udp.dst_port() == OWN_PORT => "udp/7777",
                _ => "udp/other",
            },
            Ok(ip) if ip.next_header() == IpProtocol::Tcp => "tcp",
            _ => "other",
        },
        _ => "other",
    }
}

fn http_holds_port() -> bool {
    let count = SystemInfo::<TockSyscalls>::process_count().unwrap_or(0);
    (0..count).filter_map(|i| SystemInfo::<TockSyscalls>::process(i).ok()).any(|p| p.name() == "http" && p.ports > 0)
}

/// A UDP datagram from `src_port` to the gateway's discard port.
fn udp_frame(out: &mut [u8], config: &net::Config, src_port: u16) -> usize {
    let payload = b"netprobe";
    let caps = ChecksumCapabilities::default();
    let (src, dst) = (Ipv4Address::from(config.ipv4), Ipv4Address::from(config.gateway));
    let udp = UdpRepr { src_port, dst_port: 9 };
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Udp,
        payload_len: 8 + payload.len(),
        hop_limit: 64,
    };
    let len = 14 + 20 + 8 + payload.len();
    let mut eth = EthernetFrame::new_unchecked(&mut out[..len]);
    EthernetRepr {
        src_addr: EthernetAddress(config.mac),
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EthernetProtocol::Ipv4,
    }
    .emit(&mut eth);
    let mut ip_packet = Ipv4Packet::new_unchecked(eth.payload_mut());
    ip.emit(&mut ip_packet, &caps);
    udp.emit(
        &mut UdpPacket::new_unchecked(ip_packet.payload_mut()),
        &IpAddress::Ipv4(src),
        &IpAddress::Ipv4(dst),
        payload.len(),
        |p| p.copy_from_slice(payload),
        &caps,
    );
    len
}
