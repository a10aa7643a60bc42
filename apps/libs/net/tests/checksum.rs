//! The device's TCP checksums against smoltcp's own: a segment smoltcp
//! emits (and checksums) gets the same checksum from `fill_tcp`, passes
//! `tcp_ok`, and fails it once a byte is damaged; frames without TCP pass.

use net::checksum::{fill_tcp, tcp_ok};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, IpProtocol, Ipv4Address, Ipv4Packet, Ipv4Repr,
    TcpControl, TcpPacket, TcpRepr, TcpSeqNumber,
};

const SRC: Ipv4Address = Ipv4Address::new(10, 0, 2, 15);
const DST: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);

/// An Ethernet frame with a TCP segment carrying `payload`, checksummed by
/// smoltcp, at `offset` bytes into a buffer (the device's frames are 2 past
/// a word).
fn frame(payload: &[u8], offset: usize) -> (Vec<u8>, usize) {
    let tcp = TcpRepr {
        src_port: 80,
        dst_port: 40000,
        control: TcpControl::Psh,
        seq_number: TcpSeqNumber(0x1234_5678),
        ack_number: Some(TcpSeqNumber(0x0abc_def0)),
        window_len: 8192,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 3],
        timestamp: None,
        payload,
    };
    let ip = Ipv4Repr {
        src_addr: SRC,
        dst_addr: DST,
        next_header: IpProtocol::Tcp,
        payload_len: tcp.header_len() + payload.len(),
        hop_limit: 64,
    };
    let eth = EthernetRepr {
        src_addr: EthernetAddress([2, 0, 0, 0, 0, 1]),
        dst_addr: EthernetAddress([2, 0, 0, 0, 0, 2]),
        ethertype: EthernetProtocol::Ipv4,
    };
    let len = eth.buffer_len() + ip.buffer_len() + tcp.buffer_len();
    let mut buf = vec![0u8; offset + len];
    let caps = ChecksumCapabilities::default();
    let mut f = EthernetFrame::new_unchecked(&mut buf[offset..]);
    eth.emit(&mut f);
    let mut p = Ipv4Packet::new_unchecked(f.payload_mut());
    ip.emit(&mut p, &caps);
    let mut t = TcpPacket::new_unchecked(p.payload_mut());
    tcp.emit(&mut t, &SRC.into(), &DST.into(), &caps);
    (buf, offset)
}

#[test]
fn fill_tcp_writes_what_smoltcp_writes() {
    for len in [0usize, 1, 2, 3, 7, 536, 1459, 1460] {
        for offset in [0, 1, 2, 3] {
            let payload: Vec<u8> = (0..len as u32).map(|i| (i * 29 + 3) as u8).collect();
            let (mut buf, at) = frame(&payload, offset);
            let expected = buf.clone();
            let field = at + 14 + 20 + 16;
            buf[field] ^= 0x5a;
            buf[field + 1] = 0;
            fill_tcp(&mut buf[at..]);
            assert_eq!(buf, expected, "{len} bytes at +{offset}");
            assert!(tcp_ok(&buf[at..]));
        }
    }
}

#[test]
fn a_damaged_segment_fails_the_check() {
    let payload = vec![0x42u8; 100];
    let (mut buf, at) = frame(&payload, 2);
    assert!(tcp_ok(&buf[at..]));
    let last = buf.len() - 1;
    buf[last] ^= 0x01;
    assert!(!tcp_ok(&buf[at..]));
    // A length past the frame's end: refused, not read beyond it.
    let (mut buf, at) = frame(&payload, 2);
    buf[at + 14 + 2] = 0x40;
    assert!(!tcp_ok(&buf[at..]));
}

#[test]
fn frames_without_tcp_pass_untouched() {
    let (mut buf, at) = frame(b"hello", 2);
    buf[at + 14 + 9] = 17; // UDP now: not ours to check
    let before = buf.clone();
    assert!(tcp_ok(&buf[at..]));
    fill_tcp(&mut buf[at..]);
    assert_eq!(buf, before);
    let arp = [0u8; 42];
    assert!(tcp_ok(&arp));
    assert!(tcp_ok(&[]));
}
