// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The Prometheus text exposition writer: exact lines, escaping, name rules.

use proto_http::metrics::{Exposition, InvalidMetric, MetricType, Sink, Value};

struct Text(Vec<u8>);

impl Sink for &mut Text {
    fn put(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

fn written(f: impl FnOnce(&mut Exposition<'_, &mut Text>)) -> String {
    let mut text = Text(Vec::new());
    let mut e = Exposition::new(&mut text);
    f(&mut e);
    String::from_utf8(text.0).unwrap()
}

#[test]
fn families_and_samples() {
    let text = written(|e| {
        e.family("http_requests_total", MetricType::Counter, "Responses by status class.").unwrap();
        e.sample(&[("code", "2xx")], Value::Int(12)).unwrap();
        e.sample(&[("code", "4xx")], Value::Int(0)).unwrap();
        e.family("tock_uptime_seconds", MetricType::Gauge, "Since boot.").unwrap();
        e.sample(&[], Value::Millis(1_234_005)).unwrap();
        e.family("tock_process_state", MetricType::Gauge, "1 for the state the process is in.").unwrap();
        e.sample(&[("process", "ftp"), ("state", "running")], Value::Int(1)).unwrap();
    });
    assert_eq!(
        text,
        "# HELP http_requests_total Responses by status class.\n\
         # TYPE http_requests_total counter\n\
         http_requests_total{code=\"2xx\"} 12\n\
         http_requests_total{code=\"4xx\"} 0\n\
         # HELP tock_uptime_seconds Since boot.\n\
         # TYPE tock_uptime_seconds gauge\n\
         tock_uptime_seconds 1234.005\n\
         # HELP tock_process_state 1 for the state the process is in.\n\
         # TYPE tock_process_state gauge\n\
         tock_process_state{process=\"ftp\",state=\"running\"} 1\n"
    );
}

#[test]
fn escaping() {
    let text = written(|e| {
        e.family("x_bytes", MetricType::Gauge, "a \\ b\nc \"q\"").unwrap();
        e.sample(&[("name", "a\\b\"c\nd")], Value::Int(u64::MAX)).unwrap();
    });
    assert_eq!(
        text,
        "# HELP x_bytes a \\\\ b\\nc \"q\"\n\
         # TYPE x_bytes gauge\n\
         x_bytes{name=\"a\\\\b\\\"c\\nd\"} 18446744073709551615\n"
    );
}

#[test]
fn names_are_checked() {
    let text = written(|e| {
        assert_eq!(e.sample(&[], Value::Int(1)), Err(InvalidMetric), "no family yet");
        for bad in ["", "1abc", "a-b", "a b", "é"] {
            assert_eq!(e.family(bad, MetricType::Gauge, ""), Err(InvalidMetric), "{bad:?}");
        }
        assert_eq!(e.family("requests", MetricType::Counter, ""), Err(InvalidMetric), "counters end in _total");
        assert_eq!(
            e.family("requests_total", MetricType::Gauge, ""),
            Err(InvalidMetric),
            "only counters end in _total"
        );
        e.family("ns:ok_total", MetricType::Counter, "").unwrap();
        for bad in ["", "__x", "a:b", "1a", "a-b"] {
            assert_eq!(e.sample(&[(bad, "v")], Value::Int(1)), Err(InvalidMetric), "{bad:?}");
        }
        e.sample(&[("_x", "v")], Value::Millis(5)).unwrap();
    });
    assert_eq!(text, "# HELP ns:ok_total \n# TYPE ns:ok_total counter\nns:ok_total{_x=\"v\"} 0.005\n");
}
