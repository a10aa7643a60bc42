// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The Prometheus text exposition format, version 0.0.4, written as it goes.
//!
//! A family is started with its `# HELP` and `# TYPE` lines, then its samples
//! follow, so each family's lines stay together as the format requires. Names
//! are checked (`[a-zA-Z_:][a-zA-Z0-9_:]*`, labels without `:` or a leading
//! `__`), counters must end in `_total` and nothing else may; help text and
//! label values are escaped.

/// The `Content-Type` of an exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Where the exposition goes.
pub trait Sink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);
}

/// The metric types this writer emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// Only goes up (or back to 0 when its source restarts).
    Counter,
    /// Goes up and down.
    Gauge,
}

impl MetricType {
    const fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
        }
    }
}

/// A sample value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Value {
    /// A whole number.
    Int(u64),
    /// Milliseconds, written as seconds with three decimals (base units).
    Millis(u64),
}

/// A name or label the format does not allow, or a sample outside a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InvalidMetric;

/// Writes one exposition into a [`Sink`].
pub struct Exposition<'n, S: Sink> {
    sink: S,
    family: Option<&'n str>,
}

impl<'n, S: Sink> Exposition<'n, S> {
    /// An exposition into `sink`.
    pub const fn new(sink: S) -> Self {
        Exposition { sink, family: None }
    }

    /// Starts the family `name`; its samples follow with [`Exposition::sample`].
    pub fn family(&mut self, name: &'n str, kind: MetricType, help: &str) -> Result<(), InvalidMetric> {
        let counter_name = name.ends_with("_total");
        if !is_metric_name(name) || counter_name != (kind == MetricType::Counter) {
            return Err(InvalidMetric);
        }
        self.family = Some(name);
        self.sink.put(b"# HELP ");
        self.sink.put(name.as_bytes());
        self.sink.put(b" ");
        self.escaped(help, false);
        self.sink.put(b"\n# TYPE ");
        self.sink.put(name.as_bytes());
        self.sink.put(b" ");
        self.sink.put(kind.as_str().as_bytes());
        self.sink.put(b"\n");
        Ok(())
    }

    /// One sample of the current family.
    pub fn sample(&mut self, labels: &[(&str, &str)], value: Value) -> Result<(), InvalidMetric> {
        let name = self.family.ok_or(InvalidMetric)?;
        if !labels.iter().all(|(label, _)| is_label_name(label)) {
            return Err(InvalidMetric);
        }
        self.sink.put(name.as_bytes());
        for (i, (label, value)) in labels.iter().enumerate() {
            self.sink.put(if i == 0 { b"{" } else { b"," });
            self.sink.put(label.as_bytes());
            self.sink.put(b"=\"");
            self.escaped(value, true);
            self.sink.put(b"\"");
        }
        if !labels.is_empty() {
            self.sink.put(b"}");
        }
        self.sink.put(b" ");
        match value {
            Value::Int(n) => self.decimal(n),
            Value::Millis(ms) => {
                self.decimal(ms / 1000);
                let frac = ms % 1000;
                self.sink.put(&[
                    b'.',
                    b'0' + (frac / 100) as u8,
                    b'0' + (frac / 10 % 10) as u8,
                    b'0' + (frac % 10) as u8,
                ]);
            }
        }
        self.sink.put(b"\n");
        Ok(())
    }

    /// The sink, with everything written.
    pub fn into_sink(self) -> S {
        self.sink
    }

    /// Backslash and newline escaped (help text); double quotes too in label values.
    fn escaped(&mut self, text: &str, quote: bool) {
        let mut start = 0;
        for (i, b) in text.bytes().enumerate() {
            let escape: &[u8] = match b {
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'"' if quote => b"\\\"",
                _ => continue,
            };
            self.sink.put(&text.as_bytes()[start..i]);
            self.sink.put(escape);
            start = i + 1;
        }
        self.sink.put(&text.as_bytes()[start..]);
    }

    fn decimal(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.sink.put(&digits[start..]);
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn is_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    !name.starts_with("__")
        && bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
