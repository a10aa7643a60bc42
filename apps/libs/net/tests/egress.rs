//! Fair egress: two smoltcp stacks on a link that carries one frame per
//! millisecond from the board to the client. The board's transmit queue
//! holds two frames, so most polls end at a refused token, as on the
//! switch under load. Four connections send as fast as they may.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use net::egress::rotate;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet, SocketStorage};
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, IpEndpoint};

type Queue = Rc<RefCell<VecDeque<Vec<u8>>>>;

/// One end of the link: frames out (up to `room` queued, then refused) and in.
struct End {
    out: Queue,
    inbox: Queue,
    room: usize,
    refused: bool,
}

struct Rx(Vec<u8>);
struct Tx(Queue);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0; len];
        let r = f(&mut frame);
        self.0.borrow_mut().push_back(frame);
        r
    }
}

impl Device for End {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx;

    fn receive(&mut self, _: Instant) -> Option<(Rx, Tx)> {
        let frame = self.inbox.borrow_mut().pop_front()?;
        Some((Rx(frame), Tx(self.out.clone())))
    }

    fn transmit(&mut self, _: Instant) -> Option<Tx> {
        if self.out.borrow().len() >= self.room {
            self.refused = true;
            return None;
        }
        Some(Tx(self.out.clone()))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = 1514;
        caps
    }
}

const CONNECTIONS: usize = 4;
const BOARD: [u8; 4] = [10, 0, 0, 1];
const CLIENT: [u8; 4] = [10, 0, 0, 2];

fn stack(mac: u8, ip: [u8; 4], device: &mut End) -> Interface {
    let config = Config::new(HardwareAddress::Ethernet(EthernetAddress([2, 0, 0, 0, 0, mac])));
    let mut iface = Interface::new(config, device, Instant::ZERO);
    iface.update_ip_addrs(|a| a.push(IpCidr::new(IpAddress::v4(ip[0], ip[1], ip[2], ip[3]), 24)).unwrap());
    iface
}

fn socket() -> tcp::Socket<'static> {
    // smoltcp is built without `alloc` (as in the apps): buffers are slices.
    let rx = tcp::SocketBuffer::new(Vec::leak(vec![0; 65535]));
    let tx = tcp::SocketBuffer::new(Vec::leak(vec![0; 16384]));
    tcp::Socket::new(rx, tx)
}

fn socket_set(n: usize) -> SocketSet<'static> {
    SocketSet::new(Vec::leak((0..n).map(|_| SocketStorage::EMPTY).collect()))
}

/// Bytes each connection delivered in `ms` milliseconds of the link,
/// rotating the board's sockets after every refusal if `fair`.
fn run(fair: bool, ms: i64) -> [usize; CONNECTIONS] {
    let (to_client, to_board): (Queue, Queue) = Default::default();
    let client_in: Queue = Default::default();
    let mut board_dev = End { out: to_client.clone(), inbox: to_board.clone(), room: 2, refused: false };
    let mut client_dev = End { out: to_board.clone(), inbox: client_in.clone(), room: usize::MAX, refused: false };
    let mut board = stack(1, BOARD, &mut board_dev);
    let mut client = stack(2, CLIENT, &mut client_dev);
    let mut board_sockets = socket_set(CONNECTIONS);
    let mut client_sockets = socket_set(CONNECTIONS);
    // The board's sockets, each known by its local port (the connection).
    let mut handles: Vec<SocketHandle> = Vec::new();
    for i in 0..CONNECTIONS {
        let mut s = socket();
        let remote = IpEndpoint::new(IpAddress::v4(CLIENT[0], CLIENT[1], CLIENT[2], CLIENT[3]), 80);
        s.connect(board.context(), remote, 50000 + i as u16).unwrap();
        handles.push(board_sockets.add(s));
        let mut c = socket();
        c.listen(80).unwrap();
        client_sockets.add(c);
    }
    let mut delivered = [0usize; CONNECTIONS];
    for ms in 0..ms {
        let now = Instant::from_millis(ms);
        // The link: one frame a millisecond to the client, acks back at once.
        if let Some(frame) = to_client.borrow_mut().pop_front() {
            client_in.borrow_mut().push_back(frame);
        }
        client.poll(now, &mut client_dev, &mut client_sockets);
        for (_, s) in client_sockets.iter_mut() {
            if let smoltcp::socket::Socket::Tcp(s) = s {
                let Some(remote) = s.remote_endpoint() else { continue };
                let n = s.recv(|b| (b.len(), b.len())).unwrap_or(0);
                delivered[usize::from(remote.port - 50000)] += n;
            }
        }
        client.poll(now, &mut client_dev, &mut client_sockets);
        // The board: every connection has more to send than it can.
        for &h in &handles {
            let s = board_sockets.get_mut::<tcp::Socket>(h);
            if s.can_send() {
                let _ = s.send(|b| (b.len(), ()));
            }
        }
        board.poll(now, &mut board_dev, &mut board_sockets);
        if std::mem::take(&mut board_dev.refused) && fair {
            rotate(&mut board_sockets, &mut handles, |h| h);
        }
        // Each handle still names the socket of its connection.
        for (i, &h) in handles.iter().enumerate() {
            let s = board_sockets.get::<tcp::Socket>(h);
            assert_eq!(s.local_endpoint().map(|e| e.port), Some(50000 + i as u16), "handle {i} moved with its socket");
        }
    }
    delivered
}

#[test]
fn a_full_queue_goes_to_every_connection_in_turn() {
    let fair = run(true, 3000);
    let total: usize = fair.iter().sum();
    // About one frame's payload a millisecond in all.
    assert!(total > 2000 * 1400, "{fair:?}");
    for (i, &n) in fair.iter().enumerate() {
        assert!(n * CONNECTIONS * 10 > total * 8, "connection {i} got {n} of {total}: {fair:?}");
    }
}

#[test]
fn without_turns_the_first_socket_takes_the_queue() {
    // The behaviour rotation exists for: smoltcp's fixed order starves the rest.
    let unfair = run(false, 3000);
    let total: usize = unfair.iter().sum();
    assert!(unfair[0] * 10 > total * 9, "{unfair:?}");
    assert!(unfair[CONNECTIONS - 1] * 20 < total, "{unfair:?}");
}

#[test]
fn rotate_moves_only_the_sockets_named() {
    let mut set = socket_set(5);
    let all: Vec<SocketHandle> = (0..5)
        .map(|i| {
            let mut s = socket();
            s.listen(1000 + i).unwrap();
            set.add(s)
        })
        .collect();
    let port = |set: &SocketSet, h| set.get::<tcp::Socket>(h).listen_endpoint().port;
    // Sockets 1, 2, 4 rotate; 0 and 3 stay.
    let mut some = vec![all[4], all[1], all[2]];
    rotate(&mut set, &mut some, |h| h);
    assert_eq!([port(&set, all[0]), port(&set, all[1]), port(&set, all[2])], [1000, 1002, 1004]);
    assert_eq!([port(&set, all[3]), port(&set, all[4])], [1003, 1001]);
    assert_eq!(some.iter().map(|&h| port(&set, h)).collect::<Vec<_>>(), vec![1004, 1001, 1002]);
    // Two more turns bring every socket home.
    rotate(&mut set, &mut some, |h| h);
    rotate(&mut set, &mut some, |h| h);
    assert_eq!(all.iter().map(|&h| port(&set, h)).collect::<Vec<_>>(), vec![1000, 1001, 1002, 1003, 1004]);
    assert_eq!(some, vec![all[4], all[1], all[2]]);
}
