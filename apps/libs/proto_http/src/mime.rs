//! Content types chosen by file extension.

/// A content type the server labels files with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mime {
    /// `.html`, `.htm`.
    Html,
    /// `.css`.
    Css,
    /// `.js`, `.mjs` (RFC 9239 names `text/javascript`).
    JavaScript,
    /// `.json`.
    Json,
    /// `.map` source maps, which are JSON.
    SourceMap,
    /// `.svg`.
    Svg,
    /// `.png`.
    Png,
    /// `.ico`.
    Icon,
    /// `.woff2`.
    Woff2,
    /// `.woff`.
    Woff,
    /// `.txt`.
    Text,
    /// `.jpg`, `.jpeg`.
    Jpeg,
    /// `.gif`.
    Gif,
    /// `.webp`.
    Webp,
    /// `.wasm`.
    Wasm,
    /// `.md`.
    Markdown,
    /// `.csv`.
    Csv,
    /// `.xml`.
    Xml,
    /// `.gz` requested directly.
    Gzip,
    /// Anything else: browsers will offer a download rather than guess.
    OctetStream,
}

impl Mime {
    /// Maps an extension (without the dot, any ASCII case) to its type.
    pub fn from_extension(ext: &str) -> Mime {
        const TABLE: [(&str, Mime); 22] = [
            ("html", Mime::Html),
            ("htm", Mime::Html),
            ("css", Mime::Css),
            ("js", Mime::JavaScript),
            ("mjs", Mime::JavaScript),
            ("json", Mime::Json),
            ("map", Mime::SourceMap),
            ("svg", Mime::Svg),
            ("png", Mime::Png),
            ("ico", Mime::Icon),
            ("woff2", Mime::Woff2),
            ("woff", Mime::Woff),
            ("txt", Mime::Text),
            ("jpg", Mime::Jpeg),
            ("jpeg", Mime::Jpeg),
            ("gif", Mime::Gif),
            ("webp", Mime::Webp),
            ("wasm", Mime::Wasm),
            ("md", Mime::Markdown),
            ("csv", Mime::Csv),
            ("xml", Mime::Xml),
            ("gz", Mime::Gzip),
        ];
        TABLE.iter().find(|(e, _)| e.eq_ignore_ascii_case(ext)).map_or(Mime::OctetStream, |&(_, m)| m)
    }

    /// The type of the file a path names, from the extension of its last segment.
    pub fn for_path(path: &str) -> Mime {
        let name = path.rsplit('/').next().unwrap_or("");
        match name.rfind('.') {
            // A leading dot marks a hidden file, not an extension.
            Some(dot) if dot > 0 => Mime::from_extension(&name[dot + 1..]),
            _ => Mime::OctetStream,
        }
    }

    /// The `Content-Type` value; text types declare UTF-8 so browsers never sniff.
    pub const fn as_str(self) -> &'static str {
        match self {
            Mime::Html => "text/html; charset=utf-8",
            Mime::Css => "text/css; charset=utf-8",
            Mime::JavaScript => "text/javascript; charset=utf-8",
            Mime::Json | Mime::SourceMap => "application/json; charset=utf-8",
            Mime::Svg => "image/svg+xml; charset=utf-8",
            Mime::Png => "image/png",
            Mime::Icon => "image/x-icon",
            Mime::Woff2 => "font/woff2",
            Mime::Woff => "font/woff",
            Mime::Text => "text/plain; charset=utf-8",
            Mime::Jpeg => "image/jpeg",
            Mime::Gif => "image/gif",
            Mime::Webp => "image/webp",
            Mime::Wasm => "application/wasm",
            Mime::Markdown => "text/markdown; charset=utf-8",
            Mime::Csv => "text/csv; charset=utf-8",
            // RFC 7303 prefers application/xml; the XML declaration carries the charset.
            Mime::Xml => "application/xml",
            Mime::Gzip => "application/gzip",
            Mime::OctetStream => "application/octet-stream",
        }
    }

    /// Whether gzip is worth it: text-like types shrink, images, fonts and archives do not.
    pub const fn compressible(self) -> bool {
        matches!(
            self,
            Mime::Html
                | Mime::Css
                | Mime::JavaScript
                | Mime::Json
                | Mime::SourceMap
                | Mime::Svg
                | Mime::Text
                | Mime::Wasm
                | Mime::Markdown
                | Mime::Csv
                | Mime::Xml
                | Mime::Icon
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("html", "text/html; charset=utf-8"),
            ("htm", "text/html; charset=utf-8"),
            ("css", "text/css; charset=utf-8"),
            ("js", "text/javascript; charset=utf-8"),
            ("mjs", "text/javascript; charset=utf-8"),
            ("json", "application/json; charset=utf-8"),
            ("map", "application/json; charset=utf-8"),
            ("svg", "image/svg+xml; charset=utf-8"),
            ("png", "image/png"),
            ("ico", "image/x-icon"),
            ("woff2", "font/woff2"),
            ("woff", "font/woff"),
            ("txt", "text/plain; charset=utf-8"),
            ("jpg", "image/jpeg"),
            ("jpeg", "image/jpeg"),
            ("gif", "image/gif"),
            ("webp", "image/webp"),
            ("wasm", "application/wasm"),
            ("md", "text/markdown; charset=utf-8"),
            ("csv", "text/csv; charset=utf-8"),
            ("xml", "application/xml"),
            ("gz", "application/gzip"),
            ("exe", "application/octet-stream"),
            ("", "application/octet-stream"),
            ("htmlx", "application/octet-stream"),
        ];
        for (ext, ty) in cases {
            assert_eq!(Mime::from_extension(ext).as_str(), ty, "{ext}");
        }
    }

    #[test]
    fn every_text_type_declares_utf8() {
        for ext in ["html", "css", "js", "json", "svg", "txt", "md", "csv", "map", "mjs", "htm"] {
            assert!(Mime::from_extension(ext).as_str().ends_with("; charset=utf-8"), "{ext}");
        }
    }

    #[test]
    fn case_insensitive() {
        assert_eq!(Mime::from_extension("HTML"), Mime::Html);
        assert_eq!(Mime::from_extension("Woff2"), Mime::Woff2);
        assert_eq!(Mime::for_path("/IMG/PHOTO.JPEG"), Mime::Jpeg);
    }

    #[test]
    fn paths() {
        assert_eq!(Mime::for_path("/a/b/index.html"), Mime::Html);
        assert_eq!(Mime::for_path("/app.js.gz"), Mime::Gzip);
        assert_eq!(Mime::for_path("/app.js"), Mime::JavaScript);
        assert_eq!(Mime::for_path("/dir.d/file"), Mime::OctetStream);
        assert_eq!(Mime::for_path("/.hidden"), Mime::OctetStream);
        assert_eq!(Mime::for_path("/dir/"), Mime::OctetStream);
        assert_eq!(Mime::for_path("/trailing."), Mime::OctetStream);
        assert_eq!(Mime::for_path(""), Mime::OctetStream);
    }

    #[test]
    fn compressibility() {
        assert!(Mime::JavaScript.compressible());
        assert!(Mime::Svg.compressible());
        assert!(!Mime::Png.compressible());
        assert!(!Mime::Woff2.compressible());
        assert!(!Mime::Gzip.compressible());
    }
}
