//! Arbitrary bytes → `Request::parse` never panics; whatever decodes re-encodes to an equal request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto_storage::{authorize, normalize, Request, MAX_MESSAGE, RULES};

fuzz_target!(|data: &[u8]| {
    let Ok(req) = Request::parse(data) else {
        return;
    };
    let mut buf = [0u8; MAX_MESSAGE];
    let n = req.emit(&mut buf).expect("a decoded request always re-encodes");
    assert_eq!(n, req.buffer_len());
    assert_eq!(Request::parse(&buf[..n]), Ok(req));
    // Paths and policy must not panic either, whoever asks.
    for client in ["http", "ftp", "other"] {
        let _ = authorize(RULES, client, &req);
    }
    for path in req.paths().into_iter().flatten() {
        if let Ok(p) = normalize(path) {
            assert_eq!(normalize(p.as_str()).as_ref(), Ok(&p));
        }
    }
});
