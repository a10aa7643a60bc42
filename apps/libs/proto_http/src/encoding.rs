//! `Accept-Encoding` negotiation between gzip and identity (RFC 9110 §12.5.3).

use crate::syntax::{is_token, list_elements, trim_ows};

/// The client's content-coding preferences, reduced to what the server can serve.
///
/// Weights are q-values in thousandths (`q=0.5` is 500). A coding mentioned
/// more than once keeps its lowest weight, so an explicit `q=0` always wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AcceptEncoding {
    gzip: Option<u16>,
    identity: Option<u16>,
    any: Option<u16>,
}

impl AcceptEncoding {
    /// No `Accept-Encoding` seen yet.
    pub const fn new() -> Self {
        AcceptEncoding { gzip: None, identity: None, any: None }
    }

    /// Parses one field value.
    pub fn parse(value: &[u8]) -> Self {
        let mut accept = AcceptEncoding::new();
        accept.add(value);
        accept
    }

    /// Adds another field line's elements (a list may be split over lines).
    ///
    /// Malformed elements (not a token, bad q-value) are skipped: the safe
    /// fallback is identity, which every client understands.
    pub fn add(&mut self, value: &[u8]) {
        for element in list_elements(value) {
            let Some((coding, weight)) = parse_element(element) else {
                continue;
            };
            let slot = if coding.eq_ignore_ascii_case(b"gzip") || coding.eq_ignore_ascii_case(b"x-gzip") {
                // RFC 9110 §8.4.1.3: x-gzip is an alias of gzip.
                &mut self.gzip
            } else if coding.eq_ignore_ascii_case(b"identity") {
                &mut self.identity
            } else if coding == b"*" {
                &mut self.any
            } else {
                continue;
            };
            *slot = Some(slot.map_or(weight, |w| w.min(weight)));
        }
    }

    /// Weight for gzip: its own entry, else the `*` entry, else `None` (not listed).
    pub fn gzip_weight(&self) -> Option<u16> {
        self.gzip.or(self.any)
    }

    /// Whether gzip is acceptable: listed (directly or via `*`) with a non-zero weight.
    pub fn gzip(&self) -> bool {
        self.gzip_weight().is_some_and(|q| q > 0)
    }

    /// Whether identity is acceptable: always, unless excluded by `identity;q=0`
    /// or by `*;q=0` without an identity entry.
    pub fn identity(&self) -> bool {
        match (self.identity, self.any) {
            (Some(q), _) => q > 0,
            (None, Some(0)) => false,
            (None, _) => true,
        }
    }
}

/// Whether an `Accept-Encoding` value allows a gzip response (case-insensitive,
/// whitespace-tolerant, q-values honored: `gzip;q=0` forbids it, `*` allows it).
pub fn accepts_gzip(value: &[u8]) -> bool {
    AcceptEncoding::parse(value).gzip()
}

/// Splits `coding *( OWS ";" OWS param )` into the coding and its weight (default 1).
fn parse_element(element: &[u8]) -> Option<(&[u8], u16)> {
    let mut parts = element.split(|&b| b == b';');
    let coding = trim_ows(parts.next()?);
    if !(is_token(coding)) {
        return None;
    }
    let mut weight = 1000;
    for param in parts {
        let param = trim_ows(param);
        let eq = param.iter().position(|&b| b == b'=')?;
        let name = trim_ows(&param[..eq]);
        if name.eq_ignore_ascii_case(b"q") {
            weight = parse_qvalue(trim_ows(&param[eq + 1..]))?;
        }
    }
    Some((coding, weight))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_qvalue(s: &[u8]) -> Option<u16> {
    let (int, frac) = match s {
        [int] => (*int, &[][..]),
        [int, b'.', frac @ ..] if frac.len() <= 3 => (*int, frac),
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, &d) in frac.iter().enumerate() {
        if !d.is_ascii_digit() {
            return None;
        }
        thousandths += u16::from(d - b'0') * [100, 10, 1][i];
    }
    match int {
        b'0' => Some(thousandths),
        b'1' if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_negotiation_table() {
        let cases: &[(&str, bool)] = &[
            ("gzip", true),
            ("GZIP", true),
            ("gzip, deflate, br", true),
            ("gzip, deflate, br, zstd", true),
            ("deflate, gzip;q=1.0, *;q=0.5", true),
            ("br;q=1.0, gzip;q=0.8, *;q=0.1", true),
            ("gzip;q=0.001", true),
            ("x-gzip", true),
            ("*", true),
            ("*;q=0.5", true),
            ("identity, *;q=1", true),
            ("  gzip ; q=0.5 ", true),
            ("\tgzip\t;\tQ=1", true),
            ("gzip;q=1.000", true),
            ("gzip;level=9", true),
            ("gzip;q=0", false),
            ("gzip;q=0.0", false),
            ("gzip;q=0.000", false),
            ("gzip; q=0", false),
            ("GZIP;Q=0", false),
            ("*;q=0", false),
            ("gzip;q=0, *", false),
            ("*, gzip;q=0", false),
            ("gzip, gzip;q=0", false),
            ("*;q=0, gzip", true),
            ("identity", false),
            ("deflate, br", false),
            ("", false),
            (" , ", false),
            ("gzipx", false),
            ("gzip;q=1.5", false),
            ("gzip;q=2", false),
            ("gzip;q=0.0001", false),
            ("gzip;q=.5", false),
            ("gzip;q=", false),
            ("gzip;q", false),
            ("gzip;q=abc", false),
            ("gz ip", false),
            ("identity;q=0", false),
        ];
        for (value, expected) in cases {
            assert_eq!(accepts_gzip(value.as_bytes()), *expected, "{value:?}");
        }
    }

    #[test]
    fn weights() {
        assert_eq!(AcceptEncoding::parse(b"gzip;q=0.5").gzip_weight(), Some(500));
        assert_eq!(AcceptEncoding::parse(b"gzip;q=0.25").gzip_weight(), Some(250));
        assert_eq!(AcceptEncoding::parse(b"*;q=0.3").gzip_weight(), Some(300));
        assert_eq!(AcceptEncoding::parse(b"br").gzip_weight(), None);
        assert_eq!(AcceptEncoding::parse(b"gzip").gzip_weight(), Some(1000));
    }

    #[test]
    fn identity_rules() {
        assert!(AcceptEncoding::new().identity());
        assert!(AcceptEncoding::parse(b"gzip").identity());
        assert!(!AcceptEncoding::parse(b"identity;q=0").identity());
        assert!(!AcceptEncoding::parse(b"gzip, *;q=0").identity());
        assert!(AcceptEncoding::parse(b"identity, *;q=0").identity());
    }

    #[test]
    fn multiple_lines_combine() {
        let mut a = AcceptEncoding::new();
        a.add(b"gzip");
        assert!(a.gzip());
        a.add(b"gzip;q=0");
        assert!(!a.gzip());
    }

    #[test]
    fn qvalues() {
        assert_eq!(parse_qvalue(b"0"), Some(0));
        assert_eq!(parse_qvalue(b"1"), Some(1000));
        assert_eq!(parse_qvalue(b"0."), Some(0));
        assert_eq!(parse_qvalue(b"1."), Some(1000));
        assert_eq!(parse_qvalue(b"0.5"), Some(500));
        assert_eq!(parse_qvalue(b"0.05"), Some(50));
        assert_eq!(parse_qvalue(b"0.999"), Some(999));
        assert_eq!(parse_qvalue(b"1.001"), None);
        assert_eq!(parse_qvalue(b"0.1234"), None);
        assert_eq!(parse_qvalue(b"00.5"), None);
        assert_eq!(parse_qvalue(b""), None);
        assert_eq!(parse_qvalue(b"0.-1"), None);
    }
}
