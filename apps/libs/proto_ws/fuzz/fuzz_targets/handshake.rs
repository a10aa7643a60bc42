//! Arbitrary bytes as an upgrade request: no panic, prefixes of accepted heads are incomplete.

#![no_main]

use libfuzzer_sys::fuzz_target;
use proto_ws::{accept_key, Config, Handshake, Limits, Rejection, Upgrade, MAX_RESPONSE_LEN};

const ORIGINS: &[&str] = &["http://board.local", "https://board.local:8443"];

/// Tight limits so the fuzzer reaches the 414/431 paths with short inputs.
const SMALL: Limits = Limits { max_request_line: 32, max_header_bytes: 160, max_headers: 6 };

fuzz_target!(|data: &[u8]| {
    let configs = [Config::DEFAULT, Config::with_origins(ORIGINS), Config { allowed_origins: ORIGINS, limits: SMALL }];
    for config in &configs {
        check(data, config);
    }
});

fn check(data: &[u8], config: &Config<'_>) {
    let whole = Upgrade::parse(data, config);
    match whole {
        Ok(Handshake::Incomplete) => {}
        Ok(Handshake::Complete { upgrade, head_len }) => {
            assert!(head_len > 0 && head_len <= data.len());
            // Every prefix of an accepted head is still incomplete.
            for cut in 0..head_len {
                assert_eq!(Upgrade::parse(&data[..cut], config), Ok(Handshake::Incomplete), "prefix of {cut}");
            }
            assert_eq!(Upgrade::parse(&data[..head_len], config), Ok(Handshake::Complete { upgrade, head_len }));
            check_upgrade(&upgrade, config);
        }
        Err(rejection) => {
            check_rejection(rejection);
            for cut in [data.len() / 2, data.len().saturating_sub(1)] {
                match Upgrade::parse(&data[..cut], config) {
                    Ok(Handshake::Incomplete) => {}
                    Err(r) => assert_eq!(r, rejection, "prefix of {cut}"),
                    Ok(other) => panic!("prefix of {cut} gave {other:?}, whole {rejection:?}"),
                }
            }
        }
    }
}

fn check_upgrade(upgrade: &Upgrade<'_>, config: &Config<'_>) {
    assert!(!upgrade.host().is_empty());
    let key = upgrade.request().headers().get("Sec-WebSocket-Key").unwrap();
    assert_eq!(upgrade.accept_key().as_bytes(), accept_key(key));
    if let (Some(origin), false) = (upgrade.origin(), config.allowed_origins.is_empty()) {
        assert!(config.allowed_origins.iter().any(|a| a.as_bytes().eq_ignore_ascii_case(origin)));
    }
    let mut out = [0u8; MAX_RESPONSE_LEN];
    let n = upgrade.emit_response(&mut out).expect("101 fits");
    assert!(out[..n].starts_with(b"HTTP/1.1 101 "));
    assert!(out[..n].ends_with(b"\r\n\r\n"));
}

fn check_rejection(rejection: Rejection) {
    assert!(matches!(rejection.status(), 400 | 403 | 405 | 414 | 426 | 431 | 501 | 505));
    let mut out = [0u8; MAX_RESPONSE_LEN];
    let n = rejection.emit(&mut out).expect("rejection fits");
    assert!(out[..n].starts_with(b"HTTP/1.1 "));
    assert!(out[..n].ends_with(b"\n"));
}
