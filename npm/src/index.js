// The ESM entry of @waymark/sdk, and the module the script-tag loader imports.
//
// It starts the wasm SDK and wraps it in a facade whose methods never throw: a broken call
// gets a console warning from the SDK, and an internal failure stops the SDK once, loudly,
// while the page carries on.
import initWasm, { Waymark, outboxPlan, outboxPolicy, retryWait } from '../pkg/waymark.js';
import { Outbox } from './outbox.js';

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
  core = Waymark.start({ ...start, outbox });
  const api = facade(core);
  if (queue) upgrade(queue, api);
  if (autocapture) api.page();
  started = api;
  return api;
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
