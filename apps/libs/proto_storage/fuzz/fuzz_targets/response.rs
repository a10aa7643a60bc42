//! Arbitrary bytes → `Response::parse` never panics; whatever decodes re-encodes to an equal response.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto_storage::{Response, MAX_MESSAGE};

fuzz_target!(|data: &[u8]| {
    let Ok(resp) = Response::parse(data) else {
        return;
    };
    if let Response::Listing(page) = resp {
        assert_eq!(page.entries().count(), page.len());
    }
    let mut buf = [0u8; MAX_MESSAGE];
    let n = resp.emit(&mut buf).expect("a decoded response always re-encodes");
    assert_eq!(&buf[..n], data, "one encoding per response");
    assert_eq!(Response::parse(&buf[..n]), Ok(resp));
});
