//! What the switch needs to know about a frame, and the replies it builds
//! itself (ARP, ICMP echo, TCP reset), on smoltcp's `wire` views.

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, Icmpv4Packet,
    Icmpv4Repr, IpAddress, IpProtocol, Ipv4Address, Ipv4Packet, Ipv4Repr, TcpControl, TcpPacket, TcpRepr, TcpSeqNumber,
    UdpPacket,
};

/// Shortest Ethernet frame without FCS; shorter replies are zero padded.
pub const MIN_FRAME: usize = 60;
const ETH_HEADER: usize = 14;
const IPV4_HEADER: usize = 20;
const TTL: u8 = 64;

/// The board's addresses on the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetConfig {
    pub mac: [u8; 6],
    pub ipv4: [u8; 4],
    pub prefix_len: u8,
    pub gateway: [u8; 4],
}

impl NetConfig {
    fn mac(&self) -> EthernetAddress {
        EthernetAddress(self.mac)
    }

    fn ip(&self) -> Ipv4Address {
        Ipv4Address::from(self.ipv4)
    }

    /// The subnet's directed broadcast address.
    fn subnet_broadcast(&self) -> Ipv4Address {
        let mask = if self.prefix_len == 0 { 0 } else { u32::MAX << (32 - self.prefix_len.min(32)) };
        Ipv4Address::from(u32::from_be_bytes(self.ipv4) | !mask)
    }
}

/// Transport protocols a process can bind ports of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    /// From the IP protocol number (6 or 17).
    pub fn from_number(n: u32) -> Option<Proto> {
        match n {
            6 => Some(Proto::Tcp),
            17 => Some(Proto::Udp),
            _ => None,
        }
    }
}

/// Where a received frame goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inbound {
    /// To the process bound to this port.
    ToPort { proto: Proto, port: u16 },
    /// An ARP request for our address: the switch answers it.
    ArpRequest,
    /// An ARP reply to us: every process with a binding learns from it.
    ArpReply,
    /// An ICMP echo request to us: the switch answers it.
    EchoRequest,
    /// Not for us, or not something we handle.
    Ignored,
}

/// Classifies a received frame (Ethernet header first, no FCS).
pub fn classify(frame: &[u8], cfg: &NetConfig) -> Inbound {
    let Ok(eth) = EthernetFrame::new_checked(frame) else { return Inbound::Ignored };
    let dst = eth.dst_addr();
    if dst != cfg.mac() && !dst.is_broadcast() {
        return Inbound::Ignored;
    }
    match eth.ethertype() {
        EthernetProtocol::Arp => classify_arp(eth.payload(), cfg),
        EthernetProtocol::Ipv4 => classify_ipv4(eth.payload(), cfg),
        _ => Inbound::Ignored,
    }
}

fn classify_arp(payload: &[u8], cfg: &NetConfig) -> Inbound {
    let Ok(packet) = ArpPacket::new_checked(payload) else { return Inbound::Ignored };
    match ArpRepr::parse(&packet) {
        Ok(ArpRepr::EthernetIpv4 { operation, target_protocol_addr, .. }) if target_protocol_addr == cfg.ip() => {
            match operation {
                ArpOperation::Request => Inbound::ArpRequest,
                ArpOperation::Reply => Inbound::ArpReply,
                _ => Inbound::Ignored,
            }
        }
        _ => Inbound::Ignored,
    }
}

fn classify_ipv4(payload: &[u8], cfg: &NetConfig) -> Inbound {
    let Ok(ip) = Ipv4Packet::new_checked(payload) else { return Inbound::Ignored };
    // Fragments are not reassembled: nothing on this board sends or needs them.
    if !ip.verify_checksum() || ip.more_frags() || ip.frag_offset() != 0 {
        return Inbound::Ignored;
    }
    let dst = ip.dst_addr();
    let unicast = dst == cfg.ip();
    let broadcast = dst == Ipv4Address::BROADCAST || dst == cfg.subnet_broadcast();
    if !unicast && !broadcast {
        return Inbound::Ignored;
    }
    match ip.next_header() {
        IpProtocol::Tcp if unicast => match TcpPacket::new_checked(ip.payload()) {
            Ok(tcp) => Inbound::ToPort { proto: Proto::Tcp, port: tcp.dst_port() },
            Err(_) => Inbound::Ignored,
        },
        IpProtocol::Udp => match UdpPacket::new_checked(ip.payload()) {
            Ok(udp) => Inbound::ToPort { proto: Proto::Udp, port: udp.dst_port() },
            Err(_) => Inbound::Ignored,
        },
        IpProtocol::Icmp if unicast => match Icmpv4Packet::new_checked(ip.payload()) {
            Ok(icmp) if icmp.verify_checksum() && icmp.msg_type() == smoltcp::wire::Icmpv4Message::EchoRequest => {
                Inbound::EchoRequest
            }
            _ => Inbound::Ignored,
        },
        _ => Inbound::Ignored,
    }
}

/// Why a process may not send a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a well-formed Ethernet/ARP/IPv4/TCP/UDP frame.
    Malformed,
    /// Source MAC or IPv4 address is not the board's.
    NotOurAddress,
    /// A protocol processes may not send (ICMP, others: the kernel's job).
    Protocol,
    /// From a TCP/UDP port this process did not bind.
    UnboundPort,
}

/// Checks a frame a process wants to send: from the board's addresses,
/// ARP or TCP/UDP from a port `bound(proto, port)` says it holds.
pub fn check_outbound(frame: &[u8], cfg: &NetConfig, bound: impl Fn(Proto, u16) -> bool) -> Result<(), Refusal> {
    let eth = EthernetFrame::new_checked(frame).map_err(|_| Refusal::Malformed)?;
    if eth.src_addr() != cfg.mac() {
        return Err(Refusal::NotOurAddress);
    }
    match eth.ethertype() {
        EthernetProtocol::Arp => {
            let packet = ArpPacket::new_checked(eth.payload()).map_err(|_| Refusal::Malformed)?;
            match ArpRepr::parse(&packet).map_err(|_| Refusal::Malformed)? {
                ArpRepr::EthernetIpv4 { source_hardware_addr, source_protocol_addr, .. }
                    if source_hardware_addr == cfg.mac() && source_protocol_addr == cfg.ip() =>
                {
                    Ok(())
                }
                _ => Err(Refusal::NotOurAddress),
            }
        }
        EthernetProtocol::Ipv4 => {
            let ip = Ipv4Packet::new_checked(eth.payload()).map_err(|_| Refusal::Malformed)?;
            if ip.src_addr() != cfg.ip() {
                return Err(Refusal::NotOurAddress);
            }
            let (proto, port) = match ip.next_header() {
                IpProtocol::Tcp => {
                    let tcp = TcpPacket::new_checked(ip.payload()).map_err(|_| Refusal::Malformed)?;
                    (Proto::Tcp, tcp.src_port())
                }
                IpProtocol::Udp => {
                    let udp = UdpPacket::new_checked(ip.payload()).map_err(|_| Refusal::Malformed)?;
                    (Proto::Udp, udp.src_port())
                }
                _ => return Err(Refusal::Protocol),
            };
            if bound(proto, port) {
                Ok(())
            } else {
                Err(Refusal::UnboundPort)
            }
        }
        _ => Err(Refusal::Protocol),
    }
}

/// Pads a reply to the Ethernet minimum; returns its length.
fn finish(out: &mut [u8], len: usize) -> usize {
    if len < MIN_FRAME {
        out[len..MIN_FRAME].fill(0);
        MIN_FRAME
    } else {
        len
    }
}

fn emit_ethernet(out: &mut [u8], dst: EthernetAddress, cfg: &NetConfig, ethertype: EthernetProtocol) {
    let repr = EthernetRepr { src_addr: cfg.mac(), dst_addr: dst, ethertype };
    repr.emit(&mut EthernetFrame::new_unchecked(&mut out[..ETH_HEADER]));
}

/// The ARP reply to `request` (a frame [`classify`] called
/// [`Inbound::ArpRequest`]), written into `out`; returns its length.
pub fn arp_reply(request: &[u8], cfg: &NetConfig, out: &mut [u8]) -> Option<usize> {
    let eth = EthernetFrame::new_checked(request).ok()?;
    let packet = ArpPacket::new_checked(eth.payload()).ok()?;
    let ArpRepr::EthernetIpv4 { operation: ArpOperation::Request, source_hardware_addr, source_protocol_addr, .. } =
        ArpRepr::parse(&packet).ok()?
    else {
        return None;
    };
    let reply = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Reply,
        source_hardware_addr: cfg.mac(),
        source_protocol_addr: cfg.ip(),
        target_hardware_addr: source_hardware_addr,
        target_protocol_addr: source_protocol_addr,
    };
    let len = ETH_HEADER + reply.buffer_len();
    if out.len() < len.max(MIN_FRAME) {
        return None;
    }
    emit_ethernet(out, source_hardware_addr, cfg, EthernetProtocol::Arp);
    reply.emit(&mut ArpPacket::new_unchecked(&mut out[ETH_HEADER..len]));
    Some(finish(out, len))
}

/// The ICMP echo reply to `request`, written into `out`; returns its length.
pub fn echo_reply(request: &[u8], cfg: &NetConfig, out: &mut [u8]) -> Option<usize> {
    let caps = ChecksumCapabilities::default();
    let eth = EthernetFrame::new_checked(request).ok()?;
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    let ip_repr = Ipv4Repr::parse(&ip, &caps).ok()?;
    let icmp = Icmpv4Packet::new_checked(ip.payload()).ok()?;
    let Icmpv4Repr::EchoRequest { ident, seq_no, data } = Icmpv4Repr::parse(&icmp, &caps).ok()? else {
        return None;
    };
    let reply = Icmpv4Repr::EchoReply { ident, seq_no, data };
    let ip_reply = Ipv4Repr {
        src_addr: cfg.ip(),
        dst_addr: ip_repr.src_addr,
        next_header: IpProtocol::Icmp,
        payload_len: reply.buffer_len(),
        hop_limit: TTL,
    };
    let len = ETH_HEADER + IPV4_HEADER + reply.buffer_len();
    if out.len() < len.max(MIN_FRAME) {
        return None;
    }
    emit_ethernet(out, eth.src_addr(), cfg, EthernetProtocol::Ipv4);
    let mut ip_out = Ipv4Packet::new_unchecked(&mut out[ETH_HEADER..len]);
    ip_reply.emit(&mut ip_out, &caps);
    reply.emit(&mut Icmpv4Packet::new_unchecked(ip_out.payload_mut()), &caps);
    Some(finish(out, len))
}

/// The TCP reset answering `segment` (to a port nobody bound), written into
/// `out`, as RFC 9293 section 3.10.7.1 says; `None` for a reset (never
/// answered) or a malformed segment.
pub fn tcp_reset(segment: &[u8], cfg: &NetConfig, out: &mut [u8]) -> Option<usize> {
    let caps = ChecksumCapabilities::default();
    let eth = EthernetFrame::new_checked(segment).ok()?;
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    let ip_repr = Ipv4Repr::parse(&ip, &caps).ok()?;
    let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
    let (src, dst) = (IpAddress::Ipv4(ip_repr.src_addr), IpAddress::Ipv4(ip_repr.dst_addr));
    let seg = TcpRepr::parse(&tcp, &src, &dst, &caps).ok()?;
    if seg.control == TcpControl::Rst {
        return None;
    }
    let (seq_number, ack_number) = match seg.ack_number {
        Some(ack) => (ack, None),
        None => (TcpSeqNumber(0), Some(seg.seq_number + seg.segment_len())),
    };
    let reset = TcpRepr {
        src_port: seg.dst_port,
        dst_port: seg.src_port,
        control: TcpControl::Rst,
        seq_number,
        ack_number,
        window_len: 0,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 3],
        timestamp: None,
        payload: &[],
    };
    let ip_reply = Ipv4Repr {
        src_addr: cfg.ip(),
        dst_addr: ip_repr.src_addr,
        next_header: IpProtocol::Tcp,
        payload_len: reset.buffer_len(),
        hop_limit: TTL,
    };
    let len = ETH_HEADER + IPV4_HEADER + reset.buffer_len();
    if out.len() < len.max(MIN_FRAME) {
        return None;
    }
    emit_ethernet(out, eth.src_addr(), cfg, EthernetProtocol::Ipv4);
    let mut ip_out = Ipv4Packet::new_unchecked(&mut out[ETH_HEADER..len]);
    ip_reply.emit(&mut ip_out, &caps);
    let (me, them) = (IpAddress::Ipv4(cfg.ip()), IpAddress::Ipv4(ip_repr.src_addr));
    reset.emit(&mut TcpPacket::new_unchecked(ip_out.payload_mut()), &me, &them, &caps);
    Some(finish(out, len))
}
