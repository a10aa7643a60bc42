//! Allocation-free RFC 6455 WebSocket protocol logic for the board's server side.
//!
//! The crate does no I/O. The server feeds it the bytes a connection received
//! and gets back verdicts and borrowed views: [`Upgrade::parse`] judges the
//! opening handshake, a [`Receiver`] turns the client's frames into [`Event`]s,
//! and the `emit_*` functions write server frames into buffers the caller owns.
//! Everything is `no_std`, free of `alloc` and of `unsafe`.
//!
//! ```
//! use proto_ws::{emit_pong, Config, Event, Handshake, Receiver, Upgrade};
//!
//! let mut rx_buf = b"GET /ws HTTP/1.1\r\nHost: board\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Sec-WebSocket-Version: 13\r\n\r\n"
//!     .to_vec();
//! // The client's first frame arrived in the same segment: a masked ping "hi".
//! rx_buf.extend_from_slice(&[0x89, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2]);
//!
//! let Ok(Handshake::Complete { upgrade, head_len }) = Upgrade::parse(&rx_buf, &Config::DEFAULT)
//! else {
//!     panic!("valid upgrade expected");
//! };
//! assert_eq!(upgrade.accept_key(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//! let mut out = [0u8; proto_ws::MAX_RESPONSE_LEN];
//! let len = upgrade.emit_response(&mut out).unwrap();
//! assert!(out[..len].starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
//!
//! let mut rx = Receiver::new(1024);
//! let mut msg = [0u8; 1024];
//! let (used, event) = rx.feed(&rx_buf[head_len..], &mut msg);
//! assert_eq!(used, 8);
//! let Some(Event::Ping(payload)) = event else { panic!() };
//! let len = emit_pong(payload, &mut out).unwrap();
//! assert_eq!(&out[..len], b"\x8a\x02hi");
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod close;
mod emit;
mod error;
mod frame;
mod handshake;
mod opcode;
mod receiver;
mod reject;
mod writer;

pub use close::CloseCode;
pub use emit::{emit_binary_header, emit_close, emit_close_empty, emit_ping, emit_pong, emit_text, emit_text_header};
pub use error::{EmitError, FrameError, Violation};
pub use frame::{apply_mask, Decoded, Frame, FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN};
pub use handshake::{accept_key, Config, Handshake, Upgrade, ACCEPT_LEN, GUID, MAX_RESPONSE_LEN};
pub use opcode::Opcode;
pub use proto_http::Limits;
pub use receiver::{Event, Receiver};
pub use reject::{BadHandshake, Rejection};
