//! Size limits that bound how much of a request head the server will buffer.

/// Bounds on a request head; exceeding one is reported as soon as it is certain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Longest request line, in bytes, not counting its line ending (over → 414).
    ///
    /// Default 512: the site's longest URL is far shorter (FAT long names are at
    /// most 255 bytes per segment), and a small cap keeps per-connection buffers
    /// small on a board with tens of KiB of RAM.
    pub max_request_line: usize,
    /// Largest header section, in bytes, counting every field line as if it
    /// ended in CRLF and excluding the empty line that ends the head (over → 431).
    ///
    /// Default 2048: a typical browser request carries 600–900 bytes of
    /// headers (User-Agent, Accept*, Sec-Fetch-*, client hints), so this leaves
    /// room for a modest cookie while fitting a 2.5 KiB receive buffer.
    pub max_header_bytes: usize,
    /// Most field lines accepted (over → 431).
    ///
    /// Default 32: browsers send 10–20 fields; more suggests abuse, and the
    /// parser rescans the section for every lookup, so the count bounds that work.
    pub max_headers: usize,
}

impl Limits {
    /// Defaults sized for the board's HTTP server; see each field for why.
    pub const DEFAULT: Limits = Limits { max_request_line: 512, max_header_bytes: 2048, max_headers: 32 };

    /// Largest head (including one tolerated leading empty line) that can parse
    /// successfully under these limits: size the receive buffer at least this large.
    pub const fn max_head_len(&self) -> usize {
        // Leading CRLF + request line + CRLF + header section + final CRLF.
        2 + self.max_request_line + 2 + self.max_header_bytes + 2
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_head_len() {
        assert_eq!(Limits::default(), Limits::DEFAULT);
        assert_eq!(Limits::DEFAULT.max_head_len(), 2 + 512 + 2 + 2048 + 2);
    }
}
