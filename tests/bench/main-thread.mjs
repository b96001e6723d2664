// The SDK's cost to the host page's main thread, Waymark against posthog-js in the same run.
//
// Waymark: its script tag on a blank page served by the collector. posthog-js: `array.js`
// from tests/node_modules on the same kind of blank page, served with its API answered on
// 127.0.0.1 by tests/bench/posthog.mjs, whose INIT turns autocapture, recording and the other
// optional products off and keeps headless Chromium from being taken for a bot (posthog-js
// drops a bot's every event). Two options here make it do the work Waymark does: page views
// on (Waymark records one per load), and `rate_limiting` raised: its client-side limit, 10
// events a second with bursts of 100, would drop 900 of the 1,000.
// Every load is a first visit in a fresh browser context; the loads are interleaved (load i of
// each before load i+1 of either). Medians of, per load:
//
// - navigation start to ready: `waymark:ready` for Waymark, the `loaded` callback for posthog;
// - main-thread task time and script time from navigation start to ready (a Chromium trace:
//   the renderer main thread's top-level tasks, and the union of its script execution and
//   compilation events, cut at a user-timing mark the ready handler sets);
// - 1,000 `track()` / `capture()` calls with four properties in one task the page sets (a
//   timer, as a click handler would be; the Long Tasks API does not see a DevTools evaluate):
//   the calls' own time and the time per call (what an interaction pays), that task as the
//   Long Tasks API saw it (microtasks included), and the main thread's whole busy time (CDP
//   `Performance.getMetrics` TaskDuration) from just before the burst until all 1,000 have
//   reached the server, which counts the storage and sending work the burst leaves behind;
// - long tasks (Long Tasks API, over 50 ms) that start after the calls have returned, until
//   the burst has reached the server: the SDK's own deferred work.
//
// posthog-js's capture() measures 1 to 3 ms a call here, and that is its real work, not the
// stub's: a CPU profile of the burst puts most of it in reading `document.cookie` (its default
// `localStorage+cookie` persistence writes its cookie on every capture and reads it back, a
// synchronous round trip to the browser process), `localStorage.setItem`, and a new
// `Intl.DateTimeFormat` per event for the time zone; with `persistence: 'memory'` it is still
// about 1 ms, and with no DevTools attached at all (Chromium started without CDP, the figure
// reported by the page) the same. The 7.4 ms the issue first measured was posthog-js dropping
// every event as a bot: 22 to 35 ms for 1,000 calls with none sent. Every load here checks
// that each SDK delivered all 1,000.
//
// Then, once per SDK, memory: JS heap (after a forced GC) plus wasm memory after 10,000 events
// tracked (500 per task, each 500 delivered before the next) and acknowledged, and again
// after 10,000 more.
//
// Run by scripts/bench; BENCH_LOADS sets the number of loads (default 7). Not a test: timings
// on a shared machine vary, so nothing here passes or fails on speed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_KEY, eventually, launchBrowser, query, startCollector } from '../harness.mjs';
import { startPosthogSite } from './posthog.mjs';

const LOADS = Number(process.env.BENCH_LOADS ?? 7);
const BURST = 1_000;

// Before any script of the page: ready times, long tasks, and every wasm memory instantiated.
const PROBE = () => {
  let readied;
  window.__bench = { ready: null, long: [], memories: [], readyPromise: new Promise((r) => { readied = r; }) };
  const keep = (entries) => { for (const e of entries) window.__bench.long.push({ start: e.startTime, duration: e.duration }); };
  const observer = new PerformanceObserver((list) => keep(list.getEntries()));
  observer.observe({ type: 'longtask', buffered: true });
  // Entries not yet handed to the observer's callback, too.
  window.__bench.takeLong = () => { keep(observer.takeRecords()); return window.__bench.long; };
  window.__benchReady = () => {
    if (window.__bench.ready !== null) return;
    window.__bench.ready = performance.now();
    performance.mark('bench:ready');
    readied();
  };
  addEventListener('waymark:ready', window.__benchReady);
  addEventListener('posthog:loaded', window.__benchReady);
  const remember = (result) => {
    const exports = (result.instance ?? result).exports;
    for (const value of Object.values(exports ?? {})) if (value instanceof WebAssembly.Memory) window.__bench.memories.push(value);
    return result;
  };
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = function (...args) { return original.apply(this, args).then(remember); };
  }
};

const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-'));
writeFileSync(join(dir, 'blank.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Waymark page</title>
<script>window.waymark = window.waymark || [];</script>
<script async src="/sdk/waymark.js" data-project="demo" data-key="${DEMO_KEY}"></script>
</head><body></body></html>`);
const collector = await startCollector({ siteDir: dir });
const posthog = await startPosthogSite({
  init: { capture_pageview: true, rate_limiting: { events_per_second: 100_000, events_burst_limit: 100_000 } },
});
const browser = await launchBrowser();

const stored = (name) => query(collector.db, `SELECT count(*) AS n FROM events WHERE name = '${name}'`)[0].n;
const received = (name) => posthog.captured.filter((e) => e.event === name).length;

const contenders = [
  {
    name: 'Waymark',
    url: `${collector.url}/blank.html`,
    call: '(name, properties) => window.waymark.track(name, properties)',
    delivered: (name) => stored(name),
  },
  {
    name: 'posthog-js',
    url: `${posthog.url}/p/blank`,
    call: '(name, properties) => window.posthog.capture(name, properties)',
    delivered: (name) => received(name),
  },
];

const TRACE_CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'v8', 'toplevel'];
// What DevTools counts as scripting: running and compiling JavaScript and wasm.
const SCRIPT_EVENTS = new Set(['EvaluateScript', 'v8.evaluateModule', 'FunctionCall', 'v8.compile', 'v8.compileModule', 'V8.Execute', 'v8.run', 'RunMicrotasks', 'v8.callFunction', 'wasm.CompileLazy', 'wasm.SyncCompile', 'wasm.StartStreamingCompilation', 'wasm.FinishedStreamingCompilation', 'wasm.Deserialize', 'TimerFire', 'FireIdleCallback', 'FireAnimationFrame', 'EventDispatch']);

/** Total length of the union of [start, end) intervals, clipped to `until`. */
function union(intervals, until) {
  const sorted = intervals.map(([s, e]) => [s, Math.min(e, until)]).filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [s, e] of sorted) {
    if (s >= end) { total += e - s; end = e; } else if (e > end) { total += e - end; end = e; }
  }
  return total;
}

/** Task and script time on the page's renderer main thread from navigation start to the ready mark, in ms. */
function startupFromTrace(buffer) {
  const { traceEvents } = JSON.parse(buffer.toString('utf8'));
  const ready = traceEvents.find((e) => e.name === 'bench:ready');
  if (!ready) throw new Error('the trace has no bench:ready mark');
  const main = traceEvents.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === ready.pid && e.args.name === 'CrRendererMain');
  const onMain = traceEvents.filter((e) => e.pid === ready.pid && e.tid === main.tid && e.ph === 'X' && typeof e.dur === 'number');
  const nav = traceEvents.filter((e) => e.pid === ready.pid && e.name === 'navigationStart').map((e) => e.ts).sort((a, b) => a - b)[0] ?? 0;
  const span = (e) => [e.ts, e.ts + e.dur];
  const from = (e) => e.ts + e.dur > nav;
  const tasks = union(onMain.filter((e) => (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') && from(e)).map(span), ready.ts);
  const script = union(onMain.filter((e) => SCRIPT_EVENTS.has(e.name) && from(e)).map(span), ready.ts);
  return { tasks: tasks / 1000, script: script / 1000 };
}

const taskSeconds = async (cdp) => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;

async function load(c, i) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(PROBE);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await browser.startTracing(page, { categories: TRACE_CATEGORIES });
  await page.goto(c.url, { waitUntil: 'domcontentloaded' });
  // Waited for in the page: waitForFunction would poll on animation frames, work of its own.
  const ready = await page.evaluate(() => window.__bench.readyPromise.then(() => window.__bench.ready));
  // Start-up has settled once the page view has reached the server and the page is idle.
  await eventually(() => c.delivered('$pageview') > i, { describe: () => `${c.name}: the page view of load ${i} did not arrive` });
  await page.evaluate(() => new Promise((r) => requestIdleCallback(r)));
  const startup = startupFromTrace(await browser.stopTracing());

  const name = `burst_${i}`;
  const before = await taskSeconds(cdp);
  // In a task of the page's own, as a click handler would make them: the Long Tasks API does
  // not see the task of a DevTools evaluate, so the burst runs in a timer the page sets.
  const burst = await page.evaluate(([call, name, n]) => new Promise((resolve) => setTimeout(() => {
    const track = eval(call);
    const start = performance.now();
    for (let k = 0; k < n; k++) track(name, { k, plan: 'pro', seats: 12, source: 'main-thread-bench' });
    const end = performance.now();
    resolve({ start, end, ms: end - start });
  }, 0)), [c.call, name, BURST]);
  await eventually(() => c.delivered(name) >= BURST, { timeoutMs: 30_000, describe: () => `${c.name}: ${c.delivered(name)} of ${BURST} burst events arrived` });
  const after = await taskSeconds(cdp);
  const long = await page.evaluate((start) => window.__bench.takeLong().filter((e) => e.start + e.duration >= start), burst.start);
  // Nothing dropped on either side (posthog-js drops a bot's events unless told not to: then
  // its capture() costs next to nothing and records nothing).
  if (c.delivered(name) !== BURST) throw new Error(`${c.name}: ${c.delivered(name)} burst events arrived, not ${BURST}`);
  await context.close();
  // The task that made the calls (the host's, which the calls lengthen), and every task that
  // started after it until the burst was delivered (the SDK's own work for it).
  const during = long.filter((e) => e.start <= burst.start);
  const afterwards = long.filter((e) => e.start >= burst.end);
  return {
    ready, ...startup,
    burst: burst.ms, perCall: burst.ms * 1000 / BURST, burstTotal: (after - before) * 1000,
    burstTask: Math.max(0, ...during.map((e) => e.duration)),
    longAfter: afterwards.length, longestAfter: Math.max(0, ...afterwards.map((e) => e.duration)),
  };
}

/** JS heap after a GC plus wasm memory, in bytes. */
async function memoryNow(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const wasm = await page.evaluate(() => window.__bench.memories.reduce((n, m) => n + m.buffer.byteLength, 0));
  return { heap: heap.usedSize, wasm };
}

async function memory(c) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(PROBE);
  const cdp = await context.newCDPSession(page);
  await page.goto(c.url, { waitUntil: 'domcontentloaded' });
  await page.evaluate(() => window.__bench.readyPromise);
  const rounds = [];
  for (let round = 0; round < 2; round++) {
    const name = `memory_${round}`;
    // 500 per task, each delivered before the next: faster than the SDK can send, Waymark's
    // outbox bound (1,000 events) would drop the oldest, by design.
    for (let sent = 0; sent < 10_000; sent += 500) {
      await page.evaluate(([call, name, from]) => {
        const track = eval(call);
        for (let k = from; k < from + 500; k++) track(name, { k, plan: 'pro', seats: 12, source: 'main-thread-bench' });
      }, [c.call, name, sent]);
      await eventually(() => c.delivered(name) >= sent + 500, { timeoutMs: 30_000, describe: () => `${c.name}: ${c.delivered(name)} of ${sent + 500} arrived` });
    }
    // Acknowledged: the page has had the answers and settled.
    await page.evaluate(() => new Promise((r) => setTimeout(() => requestIdleCallback(r), 500)));
    rounds.push(await memoryNow(page, cdp));
  }
  await context.close();
  return rounds;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

try {
  for (const c of contenders) c.results = [];
  for (let i = 0; i < LOADS; i++) for (const c of contenders) c.results.push(await load(c, i));
  for (const c of contenders) c.memory = await memory(c);
} finally {
  await browser.close();
  await posthog.stop();
  await collector.stop();
}

// What each figure is, printed beside it.
const figures = [
  ['burst', `${BURST.toLocaleString('en')} calls in one task (ms)`, 'the calls themselves, in a task the page sets: what a click handler that tracks pays'],
  ['perCall', 'per call (µs)', 'the same, divided by the calls'],
  ['burstTask', 'that task, as a long task (ms)', 'its whole length as the Long Tasks API saw it (0: under 50 ms), microtasks included'],
  ['longestAfter', 'longest task after it (ms)', 'the longest task that started after the calls returned, until all were delivered (0: none over 50 ms): the SDK\'s deferred work'],
  ['burstTotal', 'main thread busy, burst to delivered (ms)', 'CDP TaskDuration from before the calls until all reached the server: storing, encoding and sending included'],
  ['ready', 'navigation start to ready (ms)', 'to waymark:ready, and to the loaded callback of posthog.init'],
  ['tasks', 'main-thread task time to ready (ms)', 'top-level tasks on the renderer main thread, from a trace'],
  ['script', 'main-thread script time to ready (ms)', 'JavaScript and wasm compiling and running, from the same trace'],
];
const [w, p] = contenders;
console.log(`Main-thread cost, ${LOADS} interleaved first-visit loads each, medians:`);
console.log(`  ${''.padEnd(44)} ${'Waymark'.padStart(9)} ${'posthog-js'.padStart(11)}  ratio`);
for (const [key, label] of figures) {
  const a = median(w.results.map((r) => r[key]));
  const b = median(p.results.map((r) => r[key]));
  console.log(`  ${label.padEnd(44)} ${a.toFixed(1).padStart(9)} ${b.toFixed(1).padStart(11)}  ${b ? `${(a / b).toPrecision(2)}x` : '-'}`);
}
for (const c of contenders) {
  const loads = c.results.filter((r) => r.longAfter > 0).length;
  console.log(`  ${c.name}: long tasks (over 50 ms) after the calls, until delivered, in ${loads} of ${LOADS} loads${loads ? `, longest ${Math.max(...c.results.map((r) => r.longestAfter)).toFixed(0)} ms` : ''}`);
}
const mb = (n) => (n / 2 ** 20).toFixed(2);
for (const c of contenders) {
  const [first, second] = c.memory;
  console.log(`  ${c.name}: JS heap + wasm memory after 10,000 events acknowledged ${mb(first.heap + first.wasm)} MB (heap ${mb(first.heap)}, wasm ${mb(first.wasm)}), after 20,000 ${mb(second.heap + second.wasm)} MB (heap ${mb(second.heap)}, wasm ${mb(second.wasm)})`);
}
console.log('What the figures are:');
for (const [, label, meaning] of figures) console.log(`  ${label}: ${meaning}.`);
