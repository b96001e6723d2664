// The ESM entry of @waymark/sdk; the script tag's waymark.js bundles it behind the loader.
//
// It starts the wasm SDK and wraps it in a facade whose methods never throw: a broken call
// gets a console warning from the SDK, and an internal failure stops the SDK once, loudly,
// while the page carries on.
import initWasm, { Waymark, outboxPlan, outboxPolicy, retryWait } from '../pkg/waymark.js';
import { contentLayer } from './content.js';
import { afterPaint, Outbox } from './outbox.js';
import { watchPage } from './page.js';

const PREFIX = '[waymark]';
const METHODS = ['track', 'identify', 'page', 'flush', 'consent', 'reset'];
const GETTERS = ['anonymousId', 'behavior', 'attributes'];
// How long one slice of recording waiting track() calls may run, in milliseconds. Writing
// what a slice recorded to IndexedDB, in the same task, costs about as much again.
const SLICE_MS = 2;

let started;

/**
 * Loads and starts the SDK. Resolves to the Waymark API; rejects with an Error naming the
 * problem if the options are unusable or the wasm cannot be loaded.
 */
export async function load(options = {}) {
  if (started) return started;
  const { wasm, queue, autocapture = true, base = import.meta.url, ...start } = options;
  await initWasm({ module_or_path: wasm ?? new URL('./waymark.wasm', base) });
  // A second load() racing the first gets the same SDK.
  if (started) return started;
  let core;
  const calls = inOrder(() => core);
  const outbox = new Outbox({
    ...start,
    core: { policy: outboxPolicy, plan: outboxPlan, retryWait },
    onDropped: (count) => calls.run('dropped', (c) => c.notify('dropped', count)),
    recording: calls.waiting,
  });
  // Made before the core starts the outbox, so that page.js hears the page being hidden or
  // left first: the calls still waiting are recorded before the outbox journals and beacons.
  const stage = new Stage(start, calls, base);
  core = Waymark.start({ ...start, outbox, stage });
  const api = facade(calls);
  if (queue) upgrade(queue, api);
  if (autocapture) api.page();
  started = api;
  return api;
}

/**
 * Every call into the core, in the order the page made them, and none thrown into the page:
 * a failure inside stops the SDK, once and loudly. A `track()` that cannot be refused
 * costs the page's task a JSON snapshot of its properties and the time: it waits in
 * `waiting`, and the wasm records the waiting calls in slices of a few milliseconds, each a
 * task of its own (a `MessageChannel` message), so that a burst of 1,000 makes no long task. Every other call into the core (`identify`, `flush`, `consent`, `reset`, the
 * stage's: the page hidden or left, a navigation, the config, a decision) records them all
 * first, so nothing is reordered or left behind. A call that might be refused (not a short
 * name and a small plain object, up to 32 levels) is made at once, after them, so that its
 * warning is the SDK's own, in the caller's task.
 */
function inOrder(core) {
  let stopped = false;
  let busy = false;
  let scheduled = false;
  const waiting = [];
  const guarded = (name, work) => {
    if (stopped) return undefined;
    try {
      return work();
    } catch (error) {
      stopped = true;
      console.error(PREFIX, `${name}() failed inside the SDK, which has stopped; the page is unaffected.`, error);
      return undefined;
    }
  };
  // Not reentrant: a call the core makes back into the page while it records one (an
  // experience's event) comes after that one, as when it was recorded at once. (A throw
  // leaves `busy` set, and the SDK stopped.)
  const record = (until) => {
    if (busy) return;
    busy = true;
    while (waiting.length && performance.now() < until) {
      const [name, json, at] = waiting.shift();
      core().track(name, json && JSON.parse(json), at);
    }
    busy = false;
  };
  // `run(name)` alone records the waiting calls.
  const run = (name, call) => guarded(name, () => {
    record(Infinity);
    const c = core();
    return c && call?.(c);
  });
  // A message to ourselves is a task of its own, without the 4 ms that nested timers wait.
  const slices = new MessageChannel();
  const schedule = () => {
    if (waiting.length && !scheduled && !stopped) {
      scheduled = true;
      slices.port2.postMessage(0);
    }
  };
  slices.port1.onmessage = () => {
    scheduled = false;
    guarded('track', () => record(performance.now() + SLICE_MS));
    schedule();
  };
  return {
    run,
    waiting,
    track(name, properties, at) {
      if (stopped) return;
      // 1 to 66 UTF-16 units are 1 to 200 bytes of UTF-8.
      const json = typeof name === 'string' && /^[^$][^]{0,65}$/.test(name) ? snapshot(properties) : null;
      if (json === null) return run('track', (c) => c.track(name, properties, at));
      waiting.push([name, json, at ?? Date.now()]);
      schedule();
    },
  };
}

/**
 * Properties as JSON text when the core cannot refuse them (nothing for `undefined` and
 * `null`), else `null`: a plain object whose JSON is at most 2,048 characters (so that with
 * the page's context the event stays under the collector's 32 KiB) and opens at most 32
 * objects or arrays (so nothing nests deeper than the core reads).
 */
function snapshot(properties) {
  if (properties == null) return undefined;
  let json;
  try {
    json = JSON.stringify(properties);
  } catch {
    return null;
  }
  // Strings, numbers and arrays give other JSON; functions and symbols give undefined.
  return json?.[0] === '{' && json.length <= 2048 && json.split(/[[{]/).length <= 33 ? json : null;
}

/**
 * The page side of experiences (see the runtime's `stage.rs`): fetches the config, applies
 * content through the content layer, and imports the experiences module, tours and
 * surveys, only when the runtime says one is eligible. Every call into the core goes
 * through `call`, so that a failure there is reported once and never thrown into the page.
 */
class Stage {
  constructor(options, calls, base) {
    this.options = options;
    this.base = base;
    const call = (method, ...args) => calls.run(method, (c) => c[method](...args));
    // What the runtime's `report` hears: `report(what)(id, detail)`.
    const report = (what) => (id, detail) => call('report', what, id, detail ?? undefined);
    this.report = report;
    this.watch = watchPage(call, calls.run);
    this.layer = contentLayer((what, id) => report(what)(id));
    this.host = {
      event: report('event'),
      outcome: report('outcome'),
      progress: report('progress'),
      ended: (id, reason) => {
        if (this.current === id) {
          this.current = undefined;
          this.showing = undefined;
        }
        report('ended')(id, reason);
      },
    };
  }

  fetchConfig() {
    const { host, key } = this.options;
    const url = new URL('/v1/config', host);
    url.searchParams.set('key', key);
    // no-cache: the browser revalidates its copy with If-None-Match, and a 304 costs no body.
    // A refusal says nothing of its own: a wrong key is already reported once by the outbox,
    // and the cached config stays in use meanwhile. After first paint: until then the cached
    // config decides.
    afterPaint(() => fetch(url, { cache: 'no-cache', credentials: 'omit' })
      .then((response) => response.ok && response.text().then(this.report('config')))
      .catch(() => {
        // Offline or blocked: the cached config stays in use, and the next page asks again.
      }));
  }

  content(changes) {
    this.layer.apply(changes);
  }

  later(ms) {
    this.watch.later(ms);
  }

  page(delays, waited, exit, selectors) {
    this.watch.page(delays, waited, exit, selectors);
  }

  stop() {
    this.watch.stop();
    this.layer.apply([]);
  }

  module() {
    this.loading ??= import(new URL(WAYMARK_EXPERIENCES, this.base).href).then((m) => m.prepare().then(() => m));
    return this.loading;
  }

  prefetch() {
    if (this.loading) return;
    const go = () => this.module().catch(() => {});
    if (typeof requestIdleCallback === 'function') requestIdleCallback(go, { timeout: 3000 });
    else setTimeout(go, 200);
  }

  show(kind, request) {
    this.current = request.id;
    this.module().then(
      (m) => {
        if (this.current !== request.id) return;
        const showing = m.show(kind, request, this.host);
        if (this.current === request.id) this.showing = showing;
        else if (showing) showing.close();
      },
      (error) => {
        if (!this.moduleWarned) {
          this.moduleWarned = true;
          console.warn(PREFIX, 'could not load the experiences module: no tour or survey shows on this page', error && error.message);
        }
        this.loading = undefined;
        this.host.ended(request.id, 'module_unavailable');
      },
    );
  }

  event(name) {
    if (this.showing) this.showing.event(name);
  }

  navigated(url) {
    if (this.showing) this.showing.navigated(url);
  }

  close() {
    const showing = this.showing;
    const id = this.current;
    this.showing = undefined;
    this.current = undefined;
    if (showing) showing.close();
    else if (id) this.report('ended')(id, 'closed');
  }
}

function facade(calls) {
  // Two arguments at most: a third (`at`, the time a stub queued the call) is replay's alone.
  const api = { track: (name, properties) => calls.track(name, properties), ready: true };
  for (const method of ['identify', 'consent']) {
    api[method] = (a, b) => calls.run(method, (core) => core[method](a, b));
  }
  // The calls without arguments go through the core's one `notify`.
  for (const method of ['page', 'flush', 'reset', 'shutdown']) {
    api[method] = () => calls.run(method, (core) => core.notify(method, 0));
  }
  for (const name of GETTERS) {
    Object.defineProperty(api, name, { get: () => calls.run(name, (core) => core.read(name)), enumerable: true });
  }
  api.replay = (entries) => {
    for (const entry of entries) {
      const [method, args = [], at] = Array.isArray(entry) ? entry : [];
      if (method === 'track') calls.track(args[0], args[1], at);
      // `at` matters to identify alone; the others take fewer arguments.
      else if (method === 'identify') calls.run(method, (core) => core.identify(args[0], args[1], at));
      else if (METHODS.includes(method)) api[method](args[0]);
      else console.warn(PREFIX, 'a call queued before loading names no Waymark method and was skipped:', method);
    }
  };
  return Object.freeze(api);
}

/**
 * Replays the calls the pre-load stub queued, then turns the stub itself into the API, in
 * one synchronous step: no call can slip in between, and code that kept a reference to the
 * stub keeps working.
 */
function upgrade(stub, api) {
  const entries = stub.splice(0, stub.length);
  api.replay(entries);
  for (const method of [...METHODS, 'shutdown', 'replay']) stub[method] = api[method];
  for (const name of GETTERS) Object.defineProperty(stub, name, { get: () => api[name], configurable: true });
  stub.ready = true;
}
