//! TYPE A conversion on arbitrary data split at arbitrary points: the
//! result never depends on the split, fits the documented room, and LF text
//! survives a round trip (volume -> network -> volume).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto_ftp::ascii::{from_network, ToNetwork};

/// Chunk lengths taken from `cuts` (at least 1), as the app reads them.
fn chunks<'a>(data: &'a [u8], cuts: &[u8]) -> Vec<&'a [u8]> {
    let (mut out, mut rest, mut i) = (Vec::new(), data, 0);
    while !rest.is_empty() {
        let n = usize::from(cuts.get(i).copied().unwrap_or(255)).max(1).min(rest.len());
        out.push(&rest[..n]);
        rest = &rest[n..];
        i += 1;
    }
    out
}

fn to_network(parts: &[&[u8]]) -> Vec<u8> {
    let mut conv = ToNetwork::new();
    let mut out = Vec::new();
    for part in parts {
        // A chunk twice the input, as the app reads half chunks.
        let mut buf = vec![0u8; 2 * part.len()];
        buf[..part.len()].copy_from_slice(part);
        let n = conv.convert(&mut buf, part.len()).expect("half a buffer always fits");
        out.extend_from_slice(&buf[..n]);
    }
    out
}

fn from_network_all(parts: &[&[u8]]) -> Vec<u8> {
    let (mut out, mut held) = (Vec::new(), Vec::new());
    for (i, part) in parts.iter().enumerate() {
        let mut buf = held.clone();
        buf.extend_from_slice(part);
        let len = buf.len();
        let (ready, carried) = from_network(&mut buf, len, i + 1 == parts.len());
        assert!(ready + carried <= len && carried <= 1);
        out.extend_from_slice(&buf[..ready]);
        held = buf[ready..ready + carried].to_vec();
    }
    assert!(held.is_empty());
    out
}

fuzz_target!(|input: &[u8]| {
    let Some((&split, rest)) = input.split_first() else {
        return;
    };
    let (cuts, data) = rest.split_at(usize::from(split).min(rest.len()));
    let whole = [data];
    let parts = chunks(data, cuts);
    let net = to_network(&whole);
    assert_eq!(to_network(&parts), net, "RETR depends on the split");
    assert!(net.windows(2).all(|w| w[1] != b'\n' || w[0] == b'\r'));
    let stored = from_network_all(&whole);
    assert_eq!(from_network_all(&parts), stored, "STOR depends on the split");
    // Only a CR that was not the start of a CRLF is left before an LF.
    assert!(stored.len() <= data.len());
    // Text without CR comes back as it was.
    if !data.contains(&b'\r') {
        let back = from_network_all(&chunks(&net, cuts));
        assert_eq!(back, data);
    }
});
