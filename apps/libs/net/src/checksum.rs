//! TCP checksums, done by [`crate::NetDevice`] instead of smoltcp (the
//! device's `ChecksumCapabilities` say it does them): a word at a time
//! (`inet_checksum`) against smoltcp's 16 bits per step, about a third of
//! the instructions per byte of every segment. On the board the STM32 ETH
//! could insert them itself; the twin's user-mode network offers VirtIO no
//! checksum offload.

use core::ops::Range;

use inet_checksum::ones_complement_sum;

const ETHERNET_LEN: usize = 14;
const ETHERTYPE_IPV4: [u8; 2] = [0x08, 0x00];
const PROTO_TCP: u8 = 6;
/// Offset of the checksum in a TCP header.
const TCP_CHECKSUM: usize = 16;
const TCP_HEADER_MIN: usize = 20;

/// What a frame is, as far as its TCP checksum goes.
enum Segment {
    /// Not IPv4 carrying TCP: no TCP checksum.
    NotTcp,
    /// IPv4 and TCP, but its lengths do not add up.
    Malformed,
    /// The TCP segment's place in the frame and the pseudo-header's
    /// addresses (source then destination).
    Tcp { at: Range<usize>, addresses: [u8; 8] },
}

fn segment(frame: &[u8]) -> Segment {
    let Some(ip) = frame.get(ETHERNET_LEN..).filter(|_| frame.get(12..14) == Some(&ETHERTYPE_IPV4[..])) else {
        return Segment::NotTcp;
    };
    let (Some(&version_ihl), Some(&protocol)) = (ip.first(), ip.get(9)) else { return Segment::NotTcp };
    if version_ihl >> 4 != 4 || protocol != PROTO_TCP {
        return Segment::NotTcp;
    }
    let header = (version_ihl & 0x0f) as usize * 4;
    let total = ip.get(2..4).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) as usize);
    let Some(addresses) = ip.get(12..20).and_then(|a| <[u8; 8]>::try_from(a).ok()) else {
        return Segment::Malformed;
    };
    if header < 20 || total < header + TCP_HEADER_MIN || total > ip.len() {
        return Segment::Malformed;
    }
    Segment::Tcp { at: ETHERNET_LEN + header..ETHERNET_LEN + total, addresses }
}

/// The one's-complement sum of the pseudo-header and the segment.
fn sum(segment: &[u8], addresses: &[u8; 8]) -> u16 {
    let len = (segment.len() as u16).to_be_bytes();
    let mut pseudo = [0u8; 12];
    pseudo[..8].copy_from_slice(addresses);
    pseudo[9] = PROTO_TCP;
    pseudo[10..].copy_from_slice(&len);
    let total = ones_complement_sum(&pseudo) as u32 + ones_complement_sum(segment) as u32;
    ((total & 0xffff) + (total >> 16)) as u16
}

/// Writes the TCP checksum of an outgoing frame (a frame that is not an
/// IPv4 TCP segment is left as it is).
pub fn fill_tcp(frame: &mut [u8]) {
    let Segment::Tcp { at, addresses } = segment(frame) else { return };
    let field = at.start + TCP_CHECKSUM..at.start + TCP_CHECKSUM + 2;
    frame[field.clone()].copy_from_slice(&[0, 0]);
    let checksum = !sum(&frame[at], &addresses);
    frame[field].copy_from_slice(&checksum.to_be_bytes());
}

/// Whether an incoming frame may go to the stack: its TCP checksum is
/// right, or it carries no TCP (smoltcp checks everything else itself).
pub fn tcp_ok(frame: &[u8]) -> bool {
    match segment(frame) {
        Segment::NotTcp => true,
        Segment::Malformed => false,
        Segment::Tcp { at, addresses } => sum(&frame[at], &addresses) == 0xffff,
    }
}
