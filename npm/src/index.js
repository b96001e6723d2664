// The ESM entry of @waymark/sdk, and the module the script-tag loader imports.
//
// It starts the wasm SDK and wraps it in a facade whose methods never throw: a broken call
// gets a console warning from the SDK, and an internal failure stops the SDK once, loudly,
// while the page carries on.
import initWasm, { Waymark, outboxPlan, outboxPolicy, retryWait } from '../pkg/waymark.js';
import { contentLayer } from './content.js';
import { Outbox } from './outbox.js';
import { watchPage } from './page.js';

const PREFIX = '[waymark]';
const METHODS = ['track', 'identify', 'page', 'flush', 'consent', 'reset'];

let started;

/**
 * Loads and starts the SDK. Resolves to the Waymark API; rejects with an Error naming the
 * problem if the options are unusable or the wasm cannot be loaded.
 */
export async function load(options = {}) {
  if (started) return started;
  const { wasm, queue, autocapture = true, ...start } = options;
  await initWasm({ module_or_path: wasm ?? new URL('./waymark.wasm', import.meta.url) });
  // A second load() racing the first gets the same SDK.
  if (started) return started;
  let core;
  const outbox = new Outbox({
    ...start,
    core: { policy: outboxPolicy, plan: outboxPlan, retryWait },
    onDropped: (count) => core && core.dropped(count),
  });
  const stage = new Stage(start, () => core);
  core = Waymark.start({ ...start, outbox, stage });
  const api = facade(core);
  if (queue) upgrade(queue, api);
  if (autocapture) api.page();
  started = api;
  return api;
}

/**
 * The page side of experiences (see the runtime's `stage.rs`): fetches the config, applies
 * content through the content layer, and imports the experiences module, tours and
 * surveys, only when the runtime says one is eligible. Every call into the core goes
 * through `call`, so that a failure there is reported once and never thrown into the page.
 */
class Stage {
  constructor(options, core) {
    this.options = options;
    // A trap in the wasm stops the SDK once and loudly, as the facade does.
    let stopped = false;
    const call = (method, ...args) => {
      const c = !stopped && core();
      try {
        if (c) c[method](...args);
      } catch (error) {
        stopped = true;
        console.error(PREFIX, `${method}() failed inside the SDK, which has stopped; the page is unaffected.`, error);
      }
    };
    this.call = call;
    this.watch = watchPage(call);
    this.layer = contentLayer({
      seen: (id) => call('content', 'seen', id),
      dismissed: (id) => call('content', 'dismissed', id),
      action: (id) => call('content', 'action', id),
      skipped: (id, reason) => call('content', reason, id),
    });
    this.host = {
      event: (name, properties) => call('experienceEvent', name, properties),
      outcome: (id, outcome) => call('experienceOutcome', id, outcome),
      progress: (id, progress) => call('tourProgress', id, progress ?? undefined),
      ended: (id, reason) => {
        if (this.current === id) {
          this.current = undefined;
          this.showing = undefined;
        }
        call('experienceEnded', id, reason);
      },
    };
  }

  fetchConfig() {
    const { host, key } = this.options;
    const url = new URL('/v1/config', host);
    url.searchParams.set('key', key);
    // no-cache: the browser revalidates its copy with If-None-Match, and a 304 costs no body.
    // A refusal says nothing of its own: a wrong key is already reported once by the outbox,
    // and the cached config stays in use meanwhile.
    fetch(url, { cache: 'no-cache', credentials: 'omit' })
      .then((response) => response.ok && response.text().then((text) => this.call('configure', text)))
      .catch(() => {
        // Offline or blocked: the cached config stays in use, and the next page asks again.
      });
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
    this.loading ??= import(new URL(WAYMARK_EXPERIENCES, import.meta.url).href).then((m) => m.prepare().then(() => m));
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
    else if (id) this.call('experienceEnded', id, 'closed');
  }
}

function facade(core) {
  let stopped = false;
  const guard = (name, call) => (...args) => {
    if (stopped) return undefined;
    try {
      return call(...args);
    } catch (error) {
      stopped = true;
      console.error(PREFIX, `${name}() failed inside the SDK, which has stopped; the page is unaffected.`, error);
      return undefined;
    }
  };
  const api = {
    track: guard('track', (name, properties) => core.track(name, properties, undefined)),
    identify: guard('identify', (userId, traits) => core.identify(userId, traits, undefined)),
    page: guard('page', () => core.page()),
    flush: guard('flush', () => core.flush()),
    consent: guard('consent', (state) => core.consent(state)),
    reset: guard('reset', () => core.reset()),
    shutdown: guard('shutdown', () => core.shutdown()),
    get anonymousId() {
      return guard('anonymousId', () => core.anonymousId)();
    },
    get behavior() {
      return guard('behavior', () => core.behavior)();
    },
    get attributes() {
      return guard('attributes', () => core.attributes)();
    },
    ready: true,
  };
  api.replay = guard('replay', (entries) => {
    for (const entry of entries) {
      const [method, args = [], at] = Array.isArray(entry) ? entry : [];
      if (method === 'track') core.track(args[0], args[1], at);
      else if (method === 'identify') core.identify(args[0], args[1], at);
      else if (method === 'page') core.page();
      else if (method === 'flush') core.flush();
      else if (method === 'consent') core.consent(args[0]);
      else if (method === 'reset') core.reset();
      else console.warn(PREFIX, 'a call queued before loading names no Waymark method and was skipped:', method);
    }
  });
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
  Object.defineProperty(stub, 'anonymousId', { get: () => api.anonymousId, configurable: true });
  Object.defineProperty(stub, 'behavior', { get: () => api.behavior, configurable: true });
  stub.ready = true;
}
