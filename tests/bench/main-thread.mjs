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
// - 1,000 `track()` / `capture()` calls with four properties in one task: the time that task
//   takes (what an interaction pays), and the main thread's whole busy time (CDP
//   `Performance.getMetrics` TaskDuration) from just before the burst until all 1,000 have
//   reached the server, which counts the storage and sending work the burst leaves behind;
// - long tasks (Long Tasks API, over 50 ms) from the burst until it has reached the server.
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
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.long.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  window.__benchReady = () => {
    if (window.__bench.ready !== null) return;
    window.__bench.ready = performance.now();
    performance.mark('bench:ready');
    readied();
  };
  addEventListener('waymark:ready', window.__benchReady);
  addEventListener('posthog:loaded', window.__benchReady);
  const keep = (result) => {
    const exports = (result.instance ?? result).exports;
    for (const value of Object.values(exports ?? {})) if (value instanceof WebAssembly.Memory) window.__bench.memories.push(value);
    return result;
  };
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = function (...args) { return original.apply(this, args).then(keep); };
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
  const burst = await page.evaluate(([call, name, n]) => {
    const track = eval(call);
    const start = performance.now();
    for (let k = 0; k < n; k++) track(name, { k, plan: 'pro', seats: 12, source: 'main-thread-bench' });
    return { start, ms: performance.now() - start };
  }, [c.call, name, BURST]);
  await eventually(() => c.delivered(name) >= BURST, { timeoutMs: 30_000, describe: () => `${c.name}: ${c.delivered(name)} of ${BURST} burst events arrived` });
  const after = await taskSeconds(cdp);
  const long = await page.evaluate((start) => window.__bench.long.filter((e) => e.start + e.duration >= start), burst.start);
  if (c.delivered(name) !== BURST) throw new Error(`${c.name}: ${c.delivered(name)} burst events arrived, not ${BURST}`);
  await context.close();
  return { ready, ...startup, burst: burst.ms, burstTotal: (after - before) * 1000, longTasks: long.length, longest: Math.max(0, ...long.map((e) => e.duration)) };
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

const figures = [
  ['burst', `${BURST.toLocaleString('en')} calls in one task`],
  ['burstTotal', `main thread busy, burst to delivered`],
  ['ready', 'navigation start to ready'],
  ['tasks', 'main-thread task time to ready'],
  ['script', 'main-thread script time to ready'],
];
const [w, p] = contenders;
console.log(`Main-thread cost, ${LOADS} interleaved first-visit loads each, medians (ms):`);
console.log(`  ${''.padEnd(40)} ${'Waymark'.padStart(9)} ${'posthog-js'.padStart(11)}  ratio`);
for (const [key, label] of figures) {
  const a = median(w.results.map((r) => r[key]));
  const b = median(p.results.map((r) => r[key]));
  console.log(`  ${label.padEnd(40)} ${a.toFixed(1).padStart(9)} ${b.toFixed(1).padStart(11)}  ${(a / b).toFixed(2)}x`);
}
for (const c of contenders) {
  const loads = c.results.filter((r) => r.longTasks > 0).length;
  console.log(`  ${c.name}: long tasks (over 50 ms) from the burst to delivered in ${loads} of ${LOADS} loads${loads ? `, longest ${Math.max(...c.results.map((r) => r.longest)).toFixed(0)} ms` : ''}`);
}
const mb = (n) => (n / 2 ** 20).toFixed(2);
for (const c of contenders) {
  const [first, second] = c.memory;
  console.log(`  ${c.name}: JS heap + wasm memory after 10,000 events acknowledged ${mb(first.heap + first.wasm)} MB (heap ${mb(first.heap)}, wasm ${mb(first.wasm)}), after 20,000 ${mb(second.heap + second.wasm)} MB (heap ${mb(second.heap)}, wasm ${mb(second.wasm)})`);
}
