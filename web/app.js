// NUCLEO-MEM dashboard: WebSocket client (telemetry, LEDs, rate), /api/status
// poller and message log. Plain ES2020, no framework; charts with uPlot.
// Device data reaches the page only through textContent and uPlot's canvas.
"use strict";

(() => {
  const WS_PORT = 8080;
  const QUEUE_MAX = 32; // messages kept while disconnected; the oldest go first
  const RETRY_STEP_MS = 3000; // reconnect delay = min(3 s × attempt, 15 s)
  const RETRY_MAX_MS = 15000;
  const WINDOW_S = 60; // chart history: the last 60 s ...
  const MAX_SAMPLES = 1500; // ... or the last 1500 samples, whichever is shorter
  const MAX_FIELDS = 64; // a runaway telemetry app cannot add cards forever
  const FRAME_MS = 100; // redraw at most ~10 times per second
  const CHART_H = 84;
  const LOG_MAX = 200;
  const LOG_TEXT_MAX = 400;
  const TELEMETRY_LOG_MS = 10000; // telemetry is logged once, then once per 10 s
  const STATUS_MS = 2000;
  const STATUS_TIMEOUT_MS = 1800;
  const PENDING_MS = 3000; // a command without an answer stops looking pending
  const COMMAND_ERROR_MS = 3000; // an error this soon after a command is about it
  const PALETTE = ["#4da3ff", "#3fb950", "#d29922", "#f778ba", "#a371f7", "#39c5cf", "#ff7b72", "#e3b341"];

  const $ = (id) => document.getElementById(id);

  // ---- helpers --------------------------------------------------------------

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  const isNum = (v) => typeof v === "number" && Number.isFinite(v);
  const obj = (v) => (isObj(v) ? v : {});
  const str = (v) => (typeof v === "string" ? v : "–");

  function fmtNum(v) {
    if (!isNum(v)) return "–";
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1000 ? v.toFixed(1) : String(+v.toPrecision(4));
  }

  function fmtBytes(n) {
    if (!isNum(n)) return "–";
    const units = ["B", "KiB", "MiB", "GiB"];
    let i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) {
      n /= 1024;
      i += 1;
    }
    const digits = i === 0 || n >= 100 ? 0 : n >= 10 ? 1 : 2;
    return `${+n.toFixed(digits)} ${units[i]}`;
  }

  function fmtDuration(s) {
    if (!isNum(s) || s < 0) return "–";
    s = Math.floor(s);
    return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ${s % 60}s`;
  }

  const hex = (n) => (isNum(n) ? "0x" + (n >>> 0).toString(16).padStart(8, "0") : "–");
  const pad = (n, w = 2) => String(n).padStart(w, "0");

  function clock(d = new Date()) {
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }

  // Chart axis labels: x is seconds (uptime or page time), y is compact.
  function fmtAxisTime(s) {
    s = Math.round(s);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
  }

  function fmtAxisNum(v) {
    const a = Math.abs(v);
    if (a >= 1e6) return +(v / 1e6).toFixed(1) + "M";
    if (a >= 1e4) return +(v / 1e3).toFixed(1) + "k";
    return String(+v.toPrecision(4));
  }

  // ---- message log ----------------------------------------------------------

  const logEl = $("log");

  function log(dir, text, isError = false) {
    // Follow the newest line only when the reader is already at the bottom.
    const atBottom = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 4;
    const line = el("div", isError ? "log-line error" : "log-line");
    line.dataset.dir = dir;
    const now = new Date();
    const time = el("time", null, clock(now));
    time.dateTime = now.toISOString();
    const body = text.length > LOG_TEXT_MAX ? text.slice(0, LOG_TEXT_MAX) + "…" : text;
    line.append(time, el("span", "log-dir", dir), el("span", "log-text", body));
    logEl.append(line);
    while (logEl.childElementCount > LOG_MAX) logEl.firstElementChild.remove();
    if (atBottom) logEl.scrollTop = logEl.scrollHeight;
  }

  $("log-clear").addEventListener("click", () => logEl.replaceChildren());

  // Short-lived message next to a control (LEDs, rate).
  const inlineTimers = {};
  function showInline(id, text) {
    const e = $(id);
    e.textContent = text;
    clearTimeout(inlineTimers[id]);
    inlineTimers[id] = setTimeout(() => (e.textContent = ""), 6000);
  }

  // ---- WebSocket connection -------------------------------------------------

  // A board whose websocket app restarted never tells an idle browser (the
  // new app knows nothing of the old connection), so silence is probed:
  // after max(5 s, 3 periods) without a message the page asks for the rate,
  // which a live server answers and a restarted one resets; no answer in
  // 5 s more and the connection is dropped and made again.
  const SILENCE_MIN_MS = 5000;
  const PROBE_WAIT_MS = 5000;
  const conn = { url: "", ws: null, attempt: 0, queue: [], state: "", lastRx: 0, probeAt: 0, periodMs: 1000 };

  function wsUrl() {
    const fallback = `ws://${location.hostname || "127.0.0.1"}:${WS_PORT}/`;
    const wanted = new URLSearchParams(location.search).get("ws");
    if (wanted === null) return fallback;
    try {
      const u = new URL(wanted);
      if (u.protocol === "ws:" || u.protocol === "wss:") return u.href;
    } catch (_) {
      // not a URL: fall through
    }
    log("state", `ignoring ?ws=${wanted}: not a ws:// or wss:// URL`, true);
    return fallback;
  }

  function setConnState(state, detail = "") {
    const e = $("conn-state");
    e.textContent = state;
    e.dataset.state = state;
    if (state !== conn.state || detail) log("state", detail ? `${state} (${detail})` : state);
    conn.state = state;
  }

  function connect() {
    setConnState("connecting", conn.url);
    let ws;
    try {
      ws = new WebSocket(conn.url);
    } catch (e) {
      setConnState("disconnected", e.message);
      retry();
      return;
    }
    conn.ws = ws;
    ws.onopen = () => {
      conn.attempt = 0;
      conn.lastRx = Date.now();
      conn.probeAt = 0;
      setConnState("connected");
      flushQueue();
    };
    ws.onmessage = (ev) => {
      conn.lastRx = Date.now();
      conn.probeAt = 0;
      onMessage(ev.data);
    };
    // An error is always followed by close, which does the work.
    ws.onclose = (ev) => {
      if (conn.ws !== ws) return;
      lost(ev.code && ev.code !== 1006 ? `code ${ev.code} ${ev.reason}`.trim() : "");
    };
  }

  function lost(detail) {
    conn.ws = null;
    setConnState("disconnected", detail);
    clearAllPending();
    tel.gap = true;
    retry();
  }

  function checkAlive() {
    if (!isOpen()) return;
    const now = Date.now();
    if (conn.probeAt && now - conn.probeAt > PROBE_WAIT_MS) {
      const ws = conn.ws;
      ws.onclose = null;
      ws.onmessage = null;
      ws.close();
      lost("no answer from the board");
    } else if (!conn.probeAt && now - conn.lastRx > Math.max(SILENCE_MIN_MS, 3 * conn.periodMs)) {
      conn.probeAt = now;
      conn.ws.send(JSON.stringify({ type: "get-telemetry-rate" }));
    }
  }
  setInterval(checkAlive, 1000);

  function retry() {
    conn.attempt += 1;
    const delay = Math.min(RETRY_STEP_MS * conn.attempt, RETRY_MAX_MS);
    log("state", `reconnecting in ${delay / 1000} s (attempt ${conn.attempt})`);
    setTimeout(connect, delay);
  }

  const isOpen = () => conn.ws !== null && conn.ws.readyState === WebSocket.OPEN;

  function send(msg) {
    const text = JSON.stringify(msg);
    if (isOpen()) {
      conn.ws.send(text);
      log("out", text);
      return;
    }
    if (conn.queue.length >= QUEUE_MAX) {
      log("state", `queue full, dropped: ${conn.queue.shift()}`, true);
    }
    conn.queue.push(text);
    log("out", `queued (${conn.queue.length}): ${text}`);
  }

  function flushQueue() {
    while (conn.queue.length && isOpen()) {
      const text = conn.queue.shift();
      conn.ws.send(text);
      log("out", `sent queued: ${text}`);
    }
  }

  const handlers = new Map([
    ["telemetry", onTelemetry],
    ["led-status", onLedStatus],
    ["telemetry-rate", onTelemetryRate],
    ["error", onError],
  ]);

  function onMessage(raw) {
    if (typeof raw !== "string") {
      log("in", "binary frame ignored", true);
      return;
    }
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch (_) {
      log("in", `not JSON: ${raw}`, true);
      return;
    }
    if (!isObj(msg) || typeof msg.type !== "string") {
      log("in", `no type: ${raw}`, true);
      return;
    }
    // Telemetry logs itself, sparsely.
    if (msg.type !== "telemetry") log("in", raw, msg.type === "error");
    const handler = handlers.get(msg.type);
    if (handler) handler(msg.data, raw);
  }

  // ---- telemetry ------------------------------------------------------------

  const tel = {
    count: 0,
    counted: 0, // count at the last rate sample
    loggedAt: -Infinity,
    unlogged: 0,
    fields: new Map(), // name -> field, in order of first appearance
    seq: 0,
    xKind: "",
    lastUptime: null,
    uptimeAt: 0,
    drawScheduled: false,
    lastDraw: -Infinity,
    overflowLogged: false,
    gap: false, // the connection dropped since the last sample
  };
  const fieldsEl = $("fields");
  const haveUplot = typeof window.uPlot === "function";
  if (!haveUplot) log("state", "uPlot did not load: values are shown without charts", true);

  // {a:1,b:{c:2}} -> [["a",1],["b.c",2]]; arrays and other values stay as they are.
  function flatten(o, prefix, out, depth = 0) {
    for (const [k, v] of Object.entries(o)) {
      if (isObj(v) && depth < 4) flatten(v, `${prefix}${k}.`, out, depth + 1);
      else out.push([prefix + k, v]);
    }
    return out;
  }

  function resetHistory() {
    for (const f of tel.fields.values()) {
      f.xs.length = 0;
      f.ys.length = 0;
      f.dirty = true;
    }
  }

  // The x of a sample: the board's uptime (s) when the message has one, else
  // the arrival time. Uptime is often whole seconds, so above 1 Hz several
  // samples share it; they are spread by arrival time within that second to
  // keep x increasing, as uPlot needs.
  function sampleX(uptime, nowMs) {
    const kind = isNum(uptime) ? "uptime" : "arrival";
    if (kind !== tel.xKind) {
      resetHistory();
      tel.xKind = kind;
      tel.lastUptime = null;
    }
    if (kind === "arrival") return nowMs / 1000;
    if (tel.lastUptime !== null && uptime < tel.lastUptime) {
      resetHistory();
      log("state", "uptime went backwards (board or telemetry app restarted): chart history cleared");
    }
    if (uptime !== tel.lastUptime) {
      tel.lastUptime = uptime;
      tel.uptimeAt = nowMs;
      return uptime;
    }
    return uptime + Math.min(0.99, (nowMs - tel.uptimeAt) / 1000);
  }

  function onTelemetry(data, raw) {
    tel.count += 1;
    const nowMs = performance.now();
    if (nowMs - tel.loggedAt >= TELEMETRY_LOG_MS) {
      const skipped = tel.unlogged ? ` (${tel.unlogged} since the last one not logged)` : "";
      log("in", raw + skipped);
      tel.loggedAt = nowMs;
      tel.unlogged = 0;
    } else {
      tel.unlogged += 1;
    }
    if (!isObj(data)) return;
    const x = sampleX(data.uptime, nowMs);
    if (tel.gap) breakLines(x);
    tel.seq += 1;
    for (const [name, value] of flatten(data, "", [])) {
      const f = field(name);
      if (!f) continue;
      f.seq = tel.seq;
      f.latest = value;
      if (isNum(value)) {
        f.xs.push(x);
        f.ys.push(value);
        f.dirty = true;
        // Bounded even when no frame is drawn (hidden tab).
        if (f.xs.length > MAX_SAMPLES + 500) trim(f);
      }
    }
    scheduleDraw();
  }

  function field(name) {
    let f = tel.fields.get(name);
    if (f) return f;
    if (tel.fields.size >= MAX_FIELDS) {
      if (!tel.overflowLogged) log("state", `more than ${MAX_FIELDS} telemetry fields: ${name} and later ones not shown`, true);
      tel.overflowLogged = true;
      return null;
    }
    const card = el("div", "card");
    card.dataset.card = name;
    const valueEl = el("div", "card-value", "–");
    valueEl.dataset.field = name;
    const subEl = el("div", "card-sub");
    card.append(el("div", "card-name", name), valueEl, subEl);
    fieldsEl.append(card);
    $("fields-empty").hidden = true;
    f = {
      name, card, valueEl, subEl, chartEl: null, plot: null,
      xs: [], ys: [], seq: 0, latest: undefined, shown: undefined, dirty: false,
      color: PALETTE[tel.fields.size % PALETTE.length],
    };
    tel.fields.set(name, f);
    return f;
  }

  // After a disconnection, a null sample between the old and the new data
  // makes uPlot leave a gap instead of joining them with a straight line.
  function breakLines(x) {
    tel.gap = false;
    for (const f of tel.fields.values()) {
      const last = f.xs[f.xs.length - 1];
      if (last === undefined || last >= x || f.ys[f.ys.length - 1] === null) continue;
      f.xs.push((last + x) / 2);
      f.ys.push(null);
    }
  }

  function trim(f) {
    const oldest = f.xs[f.xs.length - 1] - WINDOW_S;
    let i = 0;
    while (i < f.xs.length && f.xs[i] < oldest) i += 1;
    i = Math.max(i, f.xs.length - MAX_SAMPLES);
    if (i > 0) {
      f.xs.splice(0, i);
      f.ys.splice(0, i);
    }
  }

  // Many messages, one frame: data is only stored per message; the DOM and the
  // charts are updated at most every FRAME_MS, in an animation frame.
  function scheduleDraw() {
    if (tel.drawScheduled) return;
    tel.drawScheduled = true;
    const wait = Math.max(0, tel.lastDraw + FRAME_MS - performance.now());
    setTimeout(() => requestAnimationFrame(draw), wait);
  }

  function draw() {
    tel.drawScheduled = false;
    tel.lastDraw = performance.now();
    $("telemetry-count").textContent = String(tel.count);
    for (const f of tel.fields.values()) drawField(f);
    const up = tel.fields.get("uptime");
    if (up && isNum(up.latest)) $("uptime").textContent = fmtDuration(up.latest);
  }

  function drawField(f) {
    f.card.classList.toggle("absent", f.seq !== tel.seq);
    if (f.latest !== f.shown) {
      f.shown = f.latest;
      const numeric = isNum(f.latest);
      f.valueEl.textContent = numeric ? fmtNum(f.latest) : typeof f.latest === "string" ? f.latest : JSON.stringify(f.latest);
      f.card.classList.toggle("text", !numeric && !f.chartEl);
    }
    if (!f.dirty) return;
    f.dirty = false;
    if (!f.xs.length) return;
    trim(f);
    let lo = Infinity;
    let hi = -Infinity;
    for (const y of f.ys) {
      if (y === null) continue;
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
    f.subEl.textContent =
      f.name === "uptime" ? fmtDuration(f.latest) : `min ${fmtNum(lo)} · max ${fmtNum(hi)} · ${f.ys.length} pts`;
    if (!haveUplot) return;
    if (f.plot) f.plot.setData([f.xs, f.ys]);
    else makePlot(f);
  }

  const AXIS = { stroke: "#8b97a6", font: "10px system-ui, sans-serif", grid: { stroke: "#222b35", width: 1 }, ticks: { stroke: "#2a3440", width: 1, size: 3 } };
  const chartOwner = new WeakMap();
  // Resizes run in the next frame, so they never feed back into this observer
  // within one layout pass.
  const resizeObs = new ResizeObserver((entries) => {
    requestAnimationFrame(() => {
      for (const e of entries) {
        const f = chartOwner.get(e.target);
        const w = Math.floor(e.target.clientWidth);
        if (f && f.plot && w > 0 && w !== f.plot.width) f.plot.setSize({ width: w, height: CHART_H });
      }
    });
  });

  function makePlot(f) {
    f.chartEl = el("div", "chart");
    f.chartEl.dataset.chart = f.name;
    f.card.append(f.chartEl);
    f.card.classList.remove("text");
    const opts = {
      width: Math.max(100, Math.floor(f.chartEl.clientWidth)),
      height: CHART_H,
      legend: { show: false },
      cursor: { show: false }, // the value is shown above; no hover work at 100 Hz
      select: { show: false },
      scales: { x: { time: false } },
      axes: [
        { ...AXIS, size: 20, space: 55, values: (u, v) => v.map(fmtAxisTime) },
        { ...AXIS, size: 40, space: 20, values: (u, v) => v.map(fmtAxisNum) },
      ],
      series: [{}, { stroke: f.color, width: 1.5, fill: f.color + "22", points: { show: false } }],
    };
    f.plot = new window.uPlot(opts, [f.xs, f.ys], f.chartEl);
    chartOwner.set(f.chartEl, f);
    resizeObs.observe(f.chartEl);
  }

  // Received messages per second, measured here.
  setInterval(() => {
    $("telemetry-rx-rate").textContent = String(tel.count - tel.counted);
    tel.counted = tel.count;
  }, 1000);

  // ---- commands: LEDs and rate ---------------------------------------------

  let lastCommand = { kind: "", at: -Infinity };

  const leds = {
    yellow: { btn: $("led-yellow"), key: "yellowLed", confirmed: null, timer: 0 },
    red: { btn: $("led-red"), key: "redLed", confirmed: null, timer: 0 },
  };
  const rate = { input: $("rate-input"), btn: $("rate-set"), current: $("rate-current"), timer: 0 };

  // Pending only styles the control; its state is what the board confirmed.
  function setPending(ctl, on) {
    clearTimeout(ctl.timer);
    ctl.btn.classList.toggle("pending", on);
    if (on) {
      ctl.btn.setAttribute("aria-busy", "true");
      ctl.timer = setTimeout(() => setPending(ctl, false), PENDING_MS);
    } else {
      ctl.btn.removeAttribute("aria-busy");
    }
  }

  function clearAllPending() {
    for (const led of Object.values(leds)) setPending(led, false);
    setPending(rate, false);
  }

  function onLedStatus(data) {
    if (!isObj(data)) return;
    for (const led of Object.values(leds)) {
      const on = data[led.key];
      if (typeof on !== "boolean") continue;
      led.confirmed = on;
      led.btn.setAttribute("aria-pressed", String(on));
      led.btn.removeAttribute("aria-disabled");
      led.btn.dataset.state = on ? "on" : "off";
      led.btn.querySelector(".led-state").textContent = on ? "on" : "off";
      setPending(led, false);
    }
  }

  for (const [name, led] of Object.entries(leds)) {
    led.btn.addEventListener("click", () => {
      if (led.confirmed === null) {
        showInline("led-error", "LED state not known yet: waiting for the board's led-status.");
        return;
      }
      send({ type: "led-command", led: name, state: !led.confirmed });
      lastCommand = { kind: "led", at: performance.now() };
      setPending(led, true);
    });
  }

  function onTelemetryRate(data) {
    if (!isObj(data) || !isNum(data.hz)) return;
    const period = isNum(data.periodMs) ? ` (${data.periodMs} ms)` : "";
    if (isNum(data.periodMs) && data.periodMs > 0) conn.periodMs = data.periodMs;
    rate.current.textContent = `${fmtNum(data.hz)} Hz${period}`;
    rate.current.dataset.state = "known";
    rate.current.dataset.hz = String(data.hz);
    if (document.activeElement !== rate.input) rate.input.value = String(data.hz);
    setPending(rate, false);
  }

  $("rate-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const hz = Number(rate.input.value);
    if (rate.input.value.trim() === "" || !(hz >= 0.1 && hz <= 100)) {
      showInline("rate-error", "Enter a rate from 0.1 to 100 Hz.");
      rate.input.focus();
      return;
    }
    $("rate-error").textContent = "";
    send({ type: "set-telemetry-rate", hz });
    lastCommand = { kind: "rate", at: performance.now() };
    setPending(rate, true);
  });

  function onError(data) {
    const d = obj(data);
    const code = typeof d.code === "string" ? d.code : "error";
    const message = typeof d.message === "string" ? d.message : "";
    if (performance.now() - lastCommand.at > COMMAND_ERROR_MS) return;
    const text = `${code}${message ? ": " + message : ""}`;
    if (lastCommand.kind === "led") {
      showInline("led-error", text);
      for (const led of Object.values(leds)) setPending(led, false);
    } else if (lastCommand.kind === "rate") {
      showInline("rate-error", text);
      setPending(rate, false);
    }
  }

  // ---- /api/status ------------------------------------------------------------

  const status = { okAt: 0 };

  async function pollStatus() {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), STATUS_TIMEOUT_MS);
    try {
      const r = await fetch("api/status", { cache: "no-store", signal: ctl.signal });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      renderStatus(await r.json());
      status.okAt = Date.now();
      markStatus("");
    } catch (e) {
      markStatus(e.name === "AbortError" ? "timed out" : e.message || String(e));
    } finally {
      clearTimeout(timer);
      setTimeout(pollStatus, STATUS_MS);
    }
  }

  function markStatus(problem) {
    const e = $("status-stale");
    const stale = problem !== "";
    e.dataset.stale = String(stale);
    for (const id of ["processes", "memory", "storage", "network"]) $(id).dataset.stale = String(stale);
    if (!stale) e.textContent = `updated ${clock().slice(0, 8)}`;
    else if (status.okAt) e.textContent = `stale: ${problem} (last update ${Math.round((Date.now() - status.okAt) / 1000)} s ago)`;
    else e.textContent = `stale: ${problem} (no data yet)`;
  }

  function renderStatus(s) {
    if (!isObj(s)) throw new Error("status is not an object");
    const procs = Array.isArray(s.processes) ? s.processes.filter(isObj) : [];
    renderProcesses(procs);
    renderRegions(Array.isArray(s.memory) ? s.memory.filter(isObj) : []);
    renderStorage(obj(s.volume), obj(s.file_cache));
    renderNetwork(s.network);
    const upS = isNum(s.uptime_ms) ? s.uptime_ms / 1000 : NaN;
    $("about-uptime").textContent = fmtDuration(upS);
    $("about-processes").textContent = String(procs.length);
    if (!tel.fields.has("uptime")) $("uptime").textContent = fmtDuration(upS);
  }

  function row(cells) {
    const tr = el("tr");
    for (const c of cells) {
      const td = el("td", c.cls, c.text);
      if (c.title) td.title = c.title;
      tr.append(td);
    }
    return tr;
  }

  const num = (v) => (isNum(v) ? String(v) : "–");
  const sum = (...vs) => (vs.every(isNum) ? vs.reduce((a, b) => a + b, 0) : NaN);

  function renderProcesses(procs) {
    const rows = procs.map((p) => {
      const fl = obj(p.flash);
      const m = obj(p.memory);
      const n = obj(p.net);
      const state = typeof p.state === "string" ? p.state : "?";
      const tr = row([
        { text: str(p.name) },
        { text: state, cls: `state-${state.replace(/[^a-z]/g, "")}` },
        { text: num(p.restarts) },
        { text: fmtBytes(fl.size), title: `at ${hex(fl.start)}` },
        { text: `${hex(m.start)} · ${fmtBytes(m.size)}` },
        { text: fmtBytes(m.app), title: "stack, data and heap" },
        { text: fmtBytes(m.kernel), title: "kernel grants, upcall queue, PCB" },
        { text: `${num(m.psram_grants)} · ${fmtBytes(m.psram_grant_bytes)}` },
        { text: `${num(n.rx_frames)} · ${fmtBytes(n.rx_bytes)}` },
        { text: `${num(n.tx_frames)} · ${fmtBytes(n.tx_bytes)}` },
        { text: num(sum(n.rx_dropped, n.tx_dropped)), title: `rx ${num(n.rx_dropped)}, tx ${num(n.tx_dropped)}, refused ${num(n.tx_refused)}` },
      ]);
      tr.dataset.process = str(p.name);
      return tr;
    });
    $("processes").tBodies[0].replaceChildren(...rows);
  }

  function bar(used, size) {
    const frac = isNum(used) && isNum(size) && size > 0 ? Math.min(1, Math.max(0, used / size)) : 0;
    const wrap = el("span");
    const b = el("span", frac > 0.85 ? "bar high" : "bar");
    const fill = el("span");
    fill.style.width = `${(frac * 100).toFixed(1)}%`;
    b.append(fill);
    wrap.append(b, el("span", "pct", `${(frac * 100).toFixed(0)}%`));
    return wrap;
  }

  function renderRegions(regions) {
    const rows = regions.map((r) => {
      const tr = row([{ text: str(r.name) }, { text: hex(r.start) }, { text: `${fmtBytes(r.used)} / ${fmtBytes(r.size)}` }]);
      const td = el("td");
      td.append(bar(r.used, r.size));
      tr.append(td);
      tr.dataset.region = str(r.name);
      return tr;
    });
    $("memory").tBodies[0].replaceChildren(...rows);
  }

  function kv(dl, pairs) {
    const out = [];
    for (const [k, v] of pairs) {
      const dd = el("dd");
      if (v instanceof Node) dd.append(v);
      else dd.textContent = v;
      out.push(el("dt", null, k), dd);
    }
    dl.replaceChildren(...out);
  }

  function renderStorage(vol, cache) {
    const mounted = vol.mounted === true;
    const detail = typeof vol.detail === "string" ? vol.detail : "";
    const total = vol.total_bytes;
    const free = vol.free_bytes;
    const dl = $("storage");
    dl.dataset.volume = mounted ? "mounted" : "not-mounted";
    const pairs = [["Volume", mounted ? `mounted · ${detail || "no label"}` : `not mounted: ${detail || "unknown reason"}`]];
    if (isNum(total) && isNum(free)) {
      pairs.push(["Free", `${fmtBytes(free)} of ${fmtBytes(total)}`], ["Used", bar(total - free, total)]);
    } else {
      pairs.push(["Free", "–"]);
    }
    if (isNum(cache.bytes)) {
      pairs.push(["File cache", `${fmtBytes(cache.bytes)} of ${fmtBytes(cache.budget)} · ${num(cache.hits)} hits`]);
    }
    kv(dl, pairs);
  }

  function renderNetwork(net) {
    if (!isObj(net)) {
      kv($("network"), [["Interface", "none"]]);
      return;
    }
    kv($("network"), Object.entries(net).map(([k, v]) => [k.replace(/_/g, " "), isNum(v) ? String(v) : JSON.stringify(v)]));
  }

  // ---- start ------------------------------------------------------------------

  conn.url = wsUrl();
  $("ws-url").textContent = conn.url;
  connect();
  pollStatus();
})();
