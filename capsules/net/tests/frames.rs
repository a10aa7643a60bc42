//! Classification, outbound checks and kernel replies, on frames built
//! with smoltcp's emitters (an implementation this crate does not share
//! code with for these paths).

use capsules_net::frame::{
    arp_reply, check_outbound, classify, echo_reply, tcp_reset, Inbound, NetConfig, Proto, Refusal,
};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::*;

const BOARD_MAC: [u8; 6] = [0xde, 0xad, 0xbe, 0xef, 0x17, 0x64];
const PEER_MAC: [u8; 6] = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
const BOARD_IP: [u8; 4] = [10, 0, 2, 15];
const PEER_IP: [u8; 4] = [10, 0, 2, 2];

fn cfg() -> NetConfig {
    NetConfig { mac: BOARD_MAC, ipv4: BOARD_IP, prefix_len: 24, gateway: PEER_IP }
}

fn eth(dst: [u8; 6], src: [u8; 6], ethertype: EthernetProtocol, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 14 + payload.len()];
    let mut f = EthernetFrame::new_unchecked(&mut out[..]);
    EthernetRepr { src_addr: EthernetAddress(src), dst_addr: EthernetAddress(dst), ethertype }.emit(&mut f);
    f.payload_mut().copy_from_slice(payload);
    out
}

fn arp(op: ArpOperation, src_mac: [u8; 6], src_ip: [u8; 4], target_ip: [u8; 4]) -> Vec<u8> {
    let repr = ArpRepr::EthernetIpv4 {
        operation: op,
        source_hardware_addr: EthernetAddress(src_mac),
        source_protocol_addr: Ipv4Address::from(src_ip),
        target_hardware_addr: EthernetAddress([0; 6]),
        target_protocol_addr: Ipv4Address::from(target_ip),
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
    buf
}

fn ipv4(src: [u8; 4], dst: [u8; 4], proto: IpProtocol, payload: &[u8]) -> Vec<u8> {
    let repr = Ipv4Repr {
        src_addr: Ipv4Address::from(src),
        dst_addr: Ipv4Address::from(dst),
        next_header: proto,
        payload_len: payload.len(),
        hop_limit: 64,
    };
    let mut buf = vec![0u8; 20 + payload.len()];
    let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
    repr.emit(&mut p, &ChecksumCapabilities::default());
    p.payload_mut().copy_from_slice(payload);
    buf
}

#[allow(clippy::too_many_arguments)] // one argument per TCP header field the tests vary
fn tcp(
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    control: TcpControl,
    seq: i32,
    ack: Option<i32>,
    data: &[u8],
) -> Vec<u8> {
    let repr = TcpRepr {
        src_port: sport,
        dst_port: dport,
        control,
        seq_number: TcpSeqNumber(seq),
        ack_number: ack.map(TcpSeqNumber),
        window_len: 1024,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 3],
        timestamp: None,
        payload: data,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(
        &mut TcpPacket::new_unchecked(&mut buf[..]),
        &IpAddress::Ipv4(Ipv4Address::from(src)),
        &IpAddress::Ipv4(Ipv4Address::from(dst)),
        &ChecksumCapabilities::default(),
    );
    buf
}

fn udp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let repr = UdpRepr { src_port: sport, dst_port: dport };
    let mut buf = vec![0u8; 8 + data.len()];
    repr.emit(
        &mut UdpPacket::new_unchecked(&mut buf[..]),
        &IpAddress::Ipv4(Ipv4Address::from(src)),
        &IpAddress::Ipv4(Ipv4Address::from(dst)),
        data.len(),
        |p| p.copy_from_slice(data),
        &ChecksumCapabilities::default(),
    );
    buf
}

fn icmp_echo(ident: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    let repr = Icmpv4Repr::EchoRequest { ident, seq_no: seq, data };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut Icmpv4Packet::new_unchecked(&mut buf[..]), &ChecksumCapabilities::default());
    buf
}

fn inbound_tcp(dst_ip: [u8; 4], dport: u16) -> Vec<u8> {
    eth(
        BOARD_MAC,
        PEER_MAC,
        EthernetProtocol::Ipv4,
        &ipv4(PEER_IP, dst_ip, IpProtocol::Tcp, &tcp(PEER_IP, dst_ip, 40000, dport, TcpControl::Syn, 1000, None, &[])),
    )
}

#[test]
fn arp_request_for_us_is_answered_correctly() {
    let req = eth([0xff; 6], PEER_MAC, EthernetProtocol::Arp, &arp(ArpOperation::Request, PEER_MAC, PEER_IP, BOARD_IP));
    assert_eq!(classify(&req, &cfg()), Inbound::ArpRequest);
    let mut out = [0u8; 1536];
    let len = arp_reply(&req, &cfg(), &mut out).unwrap();
    assert_eq!(len, 60, "padded to the Ethernet minimum");
    let f = EthernetFrame::new_checked(&out[..len]).unwrap();
    assert_eq!(f.dst_addr(), EthernetAddress(PEER_MAC));
    assert_eq!(f.src_addr(), EthernetAddress(BOARD_MAC));
    let repr = ArpRepr::parse(&ArpPacket::new_checked(f.payload()).unwrap()).unwrap();
    assert_eq!(
        repr,
        ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Reply,
            source_hardware_addr: EthernetAddress(BOARD_MAC),
            source_protocol_addr: Ipv4Address::from(BOARD_IP),
            target_hardware_addr: EthernetAddress(PEER_MAC),
            target_protocol_addr: Ipv4Address::from(PEER_IP),
        }
    );
}

#[test]
fn arp_for_other_hosts_is_ignored_and_replies_to_us_are_shared() {
    let other =
        eth([0xff; 6], PEER_MAC, EthernetProtocol::Arp, &arp(ArpOperation::Request, PEER_MAC, PEER_IP, [10, 0, 2, 99]));
    assert_eq!(classify(&other, &cfg()), Inbound::Ignored);
    let reply = eth(BOARD_MAC, PEER_MAC, EthernetProtocol::Arp, &arp(ArpOperation::Reply, PEER_MAC, PEER_IP, BOARD_IP));
    assert_eq!(classify(&reply, &cfg()), Inbound::ArpReply);
}

#[test]
fn tcp_and_udp_go_to_their_port() {
    assert_eq!(classify(&inbound_tcp(BOARD_IP, 80), &cfg()), Inbound::ToPort { proto: Proto::Tcp, port: 80 });
    let u = eth(
        BOARD_MAC,
        PEER_MAC,
        EthernetProtocol::Ipv4,
        &ipv4(PEER_IP, BOARD_IP, IpProtocol::Udp, &udp(PEER_IP, BOARD_IP, 5000, 5353, b"hi")),
    );
    assert_eq!(classify(&u, &cfg()), Inbound::ToPort { proto: Proto::Udp, port: 5353 });
}

#[test]
fn udp_broadcast_is_delivered_but_tcp_broadcast_is_not() {
    let bc = [10, 0, 2, 255];
    let u = eth(
        [0xff; 6],
        PEER_MAC,
        EthernetProtocol::Ipv4,
        &ipv4(PEER_IP, bc, IpProtocol::Udp, &udp(PEER_IP, bc, 68, 67, b"x")),
    );
    assert_eq!(classify(&u, &cfg()), Inbound::ToPort { proto: Proto::Udp, port: 67 });
    assert_eq!(classify(&inbound_tcp(bc, 80), &cfg()), Inbound::Ignored);
}

#[test]
fn frames_not_for_us_are_ignored() {
    let mut other_mac = inbound_tcp(BOARD_IP, 80);
    other_mac[0] = 0x02;
    assert_eq!(classify(&other_mac, &cfg()), Inbound::Ignored);
    assert_eq!(classify(&inbound_tcp([10, 0, 2, 16], 80), &cfg()), Inbound::Ignored);
    let ipv6 = eth(BOARD_MAC, PEER_MAC, EthernetProtocol::Ipv6, &[0u8; 40]);
    assert_eq!(classify(&ipv6, &cfg()), Inbound::Ignored);
}

#[test]
fn fragments_and_bad_checksums_are_ignored() {
    let mut frag = inbound_tcp(BOARD_IP, 80);
    {
        let mut ip = Ipv4Packet::new_unchecked(&mut frag[14..]);
        ip.set_more_frags(true);
        ip.fill_checksum();
    }
    assert_eq!(classify(&frag, &cfg()), Inbound::Ignored);
    let mut bad = inbound_tcp(BOARD_IP, 80);
    bad[14 + 10] ^= 0xff; // IPv4 header checksum
    assert_eq!(classify(&bad, &cfg()), Inbound::Ignored);
}

#[test]
fn echo_request_gets_a_valid_reply_with_the_same_data() {
    let data = b"ping payload 0123456789";
    let req = eth(
        BOARD_MAC,
        PEER_MAC,
        EthernetProtocol::Ipv4,
        &ipv4(PEER_IP, BOARD_IP, IpProtocol::Icmp, &icmp_echo(7, 3, data)),
    );
    assert_eq!(classify(&req, &cfg()), Inbound::EchoRequest);
    let mut out = [0u8; 1536];
    let len = echo_reply(&req, &cfg(), &mut out).unwrap();
    let f = EthernetFrame::new_checked(&out[..len]).unwrap();
    assert_eq!(f.dst_addr(), EthernetAddress(PEER_MAC));
    let caps = ChecksumCapabilities::default();
    let ip = Ipv4Packet::new_checked(f.payload()).unwrap();
    let ip_repr = Ipv4Repr::parse(&ip, &caps).expect("valid IPv4 header checksum");
    assert_eq!(ip_repr.src_addr, Ipv4Address::from(BOARD_IP));
    assert_eq!(ip_repr.dst_addr, Ipv4Address::from(PEER_IP));
    let icmp =
        Icmpv4Repr::parse(&Icmpv4Packet::new_checked(ip.payload()).unwrap(), &caps).expect("valid ICMP checksum");
    assert_eq!(icmp, Icmpv4Repr::EchoReply { ident: 7, seq_no: 3, data });
}

#[test]
fn large_echo_request_is_answered_in_full() {
    let data = vec![0x5a; 1472];
    let req = eth(
        BOARD_MAC,
        PEER_MAC,
        EthernetProtocol::Ipv4,
        &ipv4(PEER_IP, BOARD_IP, IpProtocol::Icmp, &icmp_echo(1, 1, &data)),
    );
    let mut out = [0u8; 1536];
    assert_eq!(echo_reply(&req, &cfg(), &mut out), Some(req.len()));
}

fn parse_reset(out: &[u8]) -> TcpRepr<'_> {
    let f = EthernetFrame::new_checked(out).unwrap();
    let ip = Ipv4Packet::new_checked(f.payload()).unwrap();
    let caps = ChecksumCapabilities::default();
    let ip_repr = Ipv4Repr::parse(&ip, &caps).unwrap();
    let tcp = TcpPacket::new_checked(&f.payload()[20..20 + ip_repr.payload_len]).unwrap();
    TcpRepr::parse(&tcp, &IpAddress::Ipv4(ip_repr.src_addr), &IpAddress::Ipv4(ip_repr.dst_addr), &caps)
        .expect("valid TCP checksum")
}

#[test]
fn syn_to_closed_port_gets_rst_ack() {
    let syn = inbound_tcp(BOARD_IP, 81);
    let mut out = [0u8; 1536];
    let len = tcp_reset(&syn, &cfg(), &mut out).unwrap();
    let rst = parse_reset(&out[..len]);
    assert_eq!(rst.control, TcpControl::Rst);
    assert_eq!((rst.src_port, rst.dst_port), (81, 40000));
    assert_eq!(rst.seq_number, TcpSeqNumber(0));
    assert_eq!(rst.ack_number, Some(TcpSeqNumber(1001)), "SYN counts one");
}

#[test]
fn ack_to_closed_port_gets_rst_at_its_ack_number() {
    let seg = eth(
        BOARD_MAC,
        PEER_MAC,
        EthernetProtocol::Ipv4,
        &ipv4(
            PEER_IP,
            BOARD_IP,
            IpProtocol::Tcp,
            &tcp(PEER_IP, BOARD_IP, 40000, 81, TcpControl::None, 5, Some(777), b"data"),
        ),
    );
    let mut out = [0u8; 1536];
    let len = tcp_reset(&seg, &cfg(), &mut out).unwrap();
    let rst = parse_reset(&out[..len]);
    assert_eq!(rst.seq_number, TcpSeqNumber(777));
    assert_eq!(rst.ack_number, None);
}

#[test]
fn reset_is_never_answered() {
    let rst = eth(
        BOARD_MAC,
        PEER_MAC,
        EthernetProtocol::Ipv4,
        &ipv4(PEER_IP, BOARD_IP, IpProtocol::Tcp, &tcp(PEER_IP, BOARD_IP, 40000, 81, TcpControl::Rst, 5, None, &[])),
    );
    assert_eq!(tcp_reset(&rst, &cfg(), &mut [0u8; 1536]), None);
}

fn outbound_tcp(src_mac: [u8; 6], src_ip: [u8; 4], sport: u16) -> Vec<u8> {
    eth(
        PEER_MAC,
        src_mac,
        EthernetProtocol::Ipv4,
        &ipv4(
            src_ip,
            PEER_IP,
            IpProtocol::Tcp,
            &tcp(src_ip, PEER_IP, sport, 40000, TcpControl::None, 1, Some(1), b"x"),
        ),
    )
}

#[test]
fn processes_send_only_from_bound_ports_and_our_addresses() {
    let bound = |p: Proto, port: u16| p == Proto::Tcp && port == 80;
    assert_eq!(check_outbound(&outbound_tcp(BOARD_MAC, BOARD_IP, 80), &cfg(), bound), Ok(()));
    assert_eq!(check_outbound(&outbound_tcp(BOARD_MAC, BOARD_IP, 81), &cfg(), bound), Err(Refusal::UnboundPort));
    assert_eq!(check_outbound(&outbound_tcp(PEER_MAC, BOARD_IP, 80), &cfg(), bound), Err(Refusal::NotOurAddress));
    assert_eq!(
        check_outbound(&outbound_tcp(BOARD_MAC, [10, 0, 2, 99], 80), &cfg(), bound),
        Err(Refusal::NotOurAddress)
    );
    let udp80 = eth(
        PEER_MAC,
        BOARD_MAC,
        EthernetProtocol::Ipv4,
        &ipv4(BOARD_IP, PEER_IP, IpProtocol::Udp, &udp(BOARD_IP, PEER_IP, 80, 9, b"x")),
    );
    assert_eq!(check_outbound(&udp80, &cfg(), bound), Err(Refusal::UnboundPort), "TCP 80 does not cover UDP 80");
}

#[test]
fn processes_may_send_arp_but_not_icmp_or_spoofed_arp() {
    let none = |_: Proto, _: u16| false;
    let ours =
        eth([0xff; 6], BOARD_MAC, EthernetProtocol::Arp, &arp(ArpOperation::Request, BOARD_MAC, BOARD_IP, PEER_IP));
    assert_eq!(check_outbound(&ours, &cfg(), none), Ok(()));
    let spoofed =
        eth([0xff; 6], BOARD_MAC, EthernetProtocol::Arp, &arp(ArpOperation::Reply, BOARD_MAC, [10, 0, 2, 1], PEER_IP));
    assert_eq!(check_outbound(&spoofed, &cfg(), none), Err(Refusal::NotOurAddress));
    let ping = eth(
        PEER_MAC,
        BOARD_MAC,
        EthernetProtocol::Ipv4,
        &ipv4(BOARD_IP, PEER_IP, IpProtocol::Icmp, &icmp_echo(1, 1, b"x")),
    );
    assert_eq!(check_outbound(&ping, &cfg(), none), Err(Refusal::Protocol));
}

#[test]
fn truncated_frames_never_panic() {
    let frames = [
        inbound_tcp(BOARD_IP, 80),
        eth([0xff; 6], PEER_MAC, EthernetProtocol::Arp, &arp(ArpOperation::Request, PEER_MAC, PEER_IP, BOARD_IP)),
        eth(
            BOARD_MAC,
            PEER_MAC,
            EthernetProtocol::Ipv4,
            &ipv4(PEER_IP, BOARD_IP, IpProtocol::Icmp, &icmp_echo(7, 3, b"abc")),
        ),
    ];
    let mut out = [0u8; 1536];
    for f in &frames {
        for n in 0..=f.len() {
            let part = &f[..n];
            let _ = classify(part, &cfg());
            let _ = check_outbound(part, &cfg(), |_, _| true);
            let _ = arp_reply(part, &cfg(), &mut out);
            let _ = echo_reply(part, &cfg(), &mut out);
            let _ = tcp_reset(part, &cfg(), &mut out);
        }
    }
}
