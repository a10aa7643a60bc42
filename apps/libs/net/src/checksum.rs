//! TCP checksums, done by [`crate::NetDevice`] instead of smoltcp (the
//! device's `ChecksumCapabilities` say it does them): a word at a time
//! (`inet_checksum`) against smoltcp's 16 bits per step, about a third of
//! the instructions per byte of every segment. On the board the STM32 ETH
//! could insert them itself; the twin's user-mode network offers VirtIO no
//! checksum offload.

use core::ops::Range;

use inet_checksum::ones_complement_sum;
use smoltcp::wire::{checksum, EthernetFrame, EthernetProtocol, IpProtocol, Ipv4Packet};

/// Offset of the checksum in a TCP header.
const TCP_CHECKSUM: usize = 16;
const TCP_HEADER_MIN: usize = 20;
const IPV4_HEADER_MIN: usize = 20;

/// What a frame is, as far as its TCP checksum goes.
enum Segment {
    /// Not IPv4 carrying TCP: no TCP checksum.
    NotTcp,
    /// IPv4 and TCP, but its lengths do not add up.
    Malformed,
    /// The TCP segment's place in the frame and its pseudo-header's sum.
    Tcp { at: Range<usize>, pseudo: u16 },
}

fn segment(frame: &[u8]) -> Segment {
    let Ok(eth) = EthernetFrame::new_checked(frame) else { return Segment::NotTcp };
    let ip = eth.payload();
    if eth.ethertype() != EthernetProtocol::Ipv4 || ip.len() < IPV4_HEADER_MIN {
        return Segment::NotTcp;
    }
    let unchecked = Ipv4Packet::new_unchecked(ip);
    if unchecked.version() != 4 || unchecked.next_header() != IpProtocol::Tcp {
        return Segment::NotTcp;
    }
    let Ok(ip) = Ipv4Packet::new_checked(ip) else { return Segment::Malformed };
    let (header, total) = (usize::from(ip.header_len()), usize::from(ip.total_len()));
    if header < IPV4_HEADER_MIN || total < header + TCP_HEADER_MIN {
        return Segment::Malformed;
    }
    let pseudo = checksum::pseudo_header_v4(&ip.src_addr(), &ip.dst_addr(), IpProtocol::Tcp, (total - header) as u32);
    let start = EthernetFrame::<&[u8]>::header_len() + header;
    Segment::Tcp { at: start..start + total - header, pseudo }
}

/// Writes the TCP checksum of an outgoing frame (a frame that is not an
/// IPv4 TCP segment is left as it is).
pub fn fill_tcp(frame: &mut [u8]) {
    let Segment::Tcp { at, pseudo } = segment(frame) else { return };
    let field = at.start + TCP_CHECKSUM..at.start + TCP_CHECKSUM + 2;
    frame[field.clone()].copy_from_slice(&[0, 0]);
    let checksum = !checksum::combine(&[pseudo, ones_complement_sum(&frame[at])]);
    frame[field].copy_from_slice(&checksum.to_be_bytes());
}

/// Whether an incoming frame may go to the stack: its TCP checksum is
/// right, or it carries no TCP (smoltcp checks everything else itself).
pub fn tcp_ok(frame: &[u8]) -> bool {
    match segment(frame) {
        Segment::NotTcp => true,
        Segment::Malformed => false,
        Segment::Tcp { at, pseudo } => checksum::combine(&[pseudo, ones_complement_sum(&frame[at])]) == 0xffff,
    }
}
