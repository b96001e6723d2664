// posthog-js served from this machine, for benchmarks that compare Waymark with it in the same
// run: one node `http` server on 127.0.0.1 that is both the page's site and posthog's API host.
//
//   const ph = await startPosthogSite({ surveys: [SURVEY] });
//   await page.goto(`${ph.url}/p/home`);               // a page that loads and inits posthog-js
//   await page.waitForFunction(() => window.__posthogLoaded);
//   ... ph.captured (the events posthog sent), ph.requests (every request, in order) ...
//   await ph.stop();
//
// What it serves:
// - `/p/<anything>`: an HTML page whose <head> loads `/static/array.js` (posthog-js's main CDN
//   bundle, as the snippet would) and calls `posthog.init(token, { api_host: <this server>,
//   ...INIT, ...init })`, in its `loaded` callback sets `window.__posthogLoaded = true`
//   and dispatches a `posthog:loaded` event on `window` (posthog-js has no ready event of its
//   own; this is the earliest moment a page can call it after init). `head(url)` and
//   `body(url)` add markup of the caller's own.
// - `/static/<file>` (with or without a `/static/<version>/` segment): the files of
//   posthog-js's `dist/` (`array.js`, `surveys.js`, ... loaded on demand), unless
//   `refuse(path)` says otherwise (a 404), to try a failed or withheld download.
// - the API, stubbed: the remote config (`/array/<token>/config.js`, the script posthog tries
//   first, and `/array/<token>/config`, its JSON fallback) answering `remoteConfig` over a
//   default that turns every optional product off but surveys (on when `surveys` is
//   non-empty; absent otherwise, so that surveys.js is not fetched); `/flags/` answering no flags; `/api/surveys/?token=...` answering `{ surveys }`;
//   the capture endpoints (`/e/`, `/i/v0/e/`, `/batch/`, `/s/`, ...) answering 200. Every
//   event posthog sends is decoded (gzip, base64 or plain JSON) into `captured`.
//
// `INIT` turns off what posthog would otherwise do on its own (autocapture, pageviews and
// pageleaves, session recording, heatmaps, dead clicks, web vitals, exception capture,
// web experiments, product tours, conversations, toolbar metrics), so a page runs posthog-js's
// event pipeline and surveys only; and it keeps headless Chromium from being dropped as a bot.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ROOT } from '../harness.mjs';

export const POSTHOG_DIST = join(ROOT, 'tests/node_modules/posthog-js/dist');
export const POSTHOG_VERSION = JSON.parse(readFileSync(join(POSTHOG_DIST, '../package.json'), 'utf8')).version;
export const POSTHOG_TOKEN = 'phc_bench';

export const INIT = {
  autocapture: false,
  capture_pageview: false,
  capture_pageleave: false,
  disable_session_recording: true,
  enable_heatmaps: false,
  capture_heatmaps: false,
  capture_dead_clicks: false,
  capture_performance: false,
  capture_exceptions: false,
  disable_web_experiments: true,
  disable_product_tours: true,
  disable_conversations: true,
  advanced_disable_toolbar_metrics: true,
  // Headless Chromium's user agent reads as a bot, and posthog-js drops a bot's events
  // (captures and the surveys they would trigger) unless told not to.
  opt_out_useragent_filter: true,
};

/** The remote config the stub answers, before `remoteConfig` is merged over it. */
export const REMOTE_CONFIG = {
  supportedCompression: ['gzip', 'gzip-js'],
  autocapture_opt_out: true,
  capturePerformance: false,
  heatmaps: false,
  captureDeadClicks: false,
  sessionRecording: false,
  errorTracking: { autocaptureExceptions: false },
  autocaptureExceptions: false,
  productTours: false,
  conversations: false,
  hasFeatureFlags: false,
  defaultIdentifiedOnly: false,
  siteApps: [],
  isAuthenticated: false,
  toolbarParams: {},
  toolbarVersion: 'toolbar',
};

/**
 * A popover survey shown once when `event` is captured: a convenience for building the
 * `surveys` a caller passes (posthog-js's `Survey` type, dist/*.d.ts of @posthog/browser-common).
 */
export function eventSurvey({ id, name = id, event, questions, appearance = null }) {
  return {
    id, name, type: 'popover', questions, appearance,
    feature_flag_keys: null, linked_flag_key: null, targeting_flag_key: null, internal_targeting_flag_key: null,
    conditions: { events: { repeatedActivation: false, values: [{ name: event }] }, cancelEvents: null, actions: null },
    start_date: '2026-01-01T00:00:00Z', end_date: null,
    current_iteration: null, current_iteration_start_date: null, schedule: 'once',
  };
}

// posthog's request bodies: gzip (`compression=gzip-js`), base64 in a form (`data=`), or JSON.
function decode(buffer, url) {
  let text;
  try {
    text = url.searchParams.get('compression') === 'gzip-js' || (buffer[0] === 0x1f && buffer[1] === 0x8b)
      ? gunzipSync(buffer).toString('utf8') : buffer.toString('utf8');
  } catch {
    return [];
  }
  if (text.startsWith('data=')) text = Buffer.from(decodeURIComponent(text.slice(5)), 'base64').toString('utf8');
  try {
    const body = JSON.parse(text);
    const events = Array.isArray(body) ? body : Array.isArray(body.batch) ? body.batch : [body];
    return events.filter((e) => e && typeof e.event === 'string');
  } catch {
    return [];
  }
}

const CAPTURE = /^\/(e|i\/v0\/e|batch|capture|track|engage|s|i\/v0\/s)\/?$/;

/**
 * Starts the server. Options: `surveys` (posthog `Survey` objects for `/api/surveys/`),
 * `remoteConfig` (merged over REMOTE_CONFIG), `init` (merged over INIT in the page),
 * `token`, `head(url)` and `body(url)` (markup for the pages), `refuse(path)` (true to answer
 * 404 for that static file), `delay(path)` (milliseconds to hold an answer, or 0).
 * Resolves with { url, token, captured, requests, stop() }: `captured` holds every event posthog
 * sent ({ event, properties, ... }, in arrival order), `requests` every request as
 * { method, path, at } (`at` is `Date.now()` on arrival); callers may empty both. posthog-js
 * batches captures (`request_batching`, flushed every 3 s) unless `init` says otherwise.
 */
export async function startPosthogSite({
  surveys = [], remoteConfig = {}, init = {}, token = POSTHOG_TOKEN,
  head = () => '', body = () => '', refuse = () => false, delay = () => 0,
} = {}) {
  // With no surveys the config leaves `surveys` out: posthog-js 1.449.2 fetches surveys.js
  // even when the remote config says `surveys: false` (only a missing key keeps it away).
  const config = { ...REMOTE_CONFIG, ...(surveys.length > 0 ? { surveys: true } : {}), ...remoteConfig };
  const captured = [];
  const requests = [];
  const cors = (req) => ({
    'access-control-allow-origin': req.headers.origin || '*',
    'access-control-allow-credentials': 'true',
    'access-control-allow-headers': req.headers['access-control-request-headers'] || '*',
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'cache-control': 'no-cache',
  });
  const json = (req, res, value) => res.writeHead(200, { 'content-type': 'application/json', ...cors(req) }).end(JSON.stringify(value));

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url, 'http://posthog');
      const path = url.pathname;
      requests.push({ method: req.method, path: req.url, at: Date.now() });
      const hold = delay(path);
      if (hold > 0) await new Promise((r) => setTimeout(r, hold));
      if (req.method === 'OPTIONS') { res.writeHead(204, cors(req)).end(); return; }

      if (path.startsWith('/p/')) {
        const options = { api_host: `http://${req.headers.host}`, ...INIT, ...init };
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>posthog-js page ${path.replace(/[^\w/-]/g, '')}</title>
${head(url)}<script src="/static/array.js"></script>
<script>posthog.init(${JSON.stringify(token)}, Object.assign(${JSON.stringify(options)}, { loaded: function () { window.__posthogLoaded = true; dispatchEvent(new Event('posthog:loaded')); } }));</script>
</head><body><h1>${path.replace(/[^\w/-]/g, '')}</h1>${body(url)}</body></html>`);
        return;
      }
      const asset = path.match(/^\/static\/(?:[\d.]+\/)?([\w.-]+\.js)$/);
      if (asset) {
        const file = join(POSTHOG_DIST, asset[1]);
        if (refuse(path) || !existsSync(file)) { res.writeHead(404, cors(req)).end(); return; }
        res.writeHead(200, { 'content-type': 'text/javascript', ...cors(req) }).end(readFileSync(file));
        return;
      }
      if (path === `/array/${token}/config.js`) {
        res.writeHead(200, { 'content-type': 'text/javascript', ...cors(req) }).end(
          `(function(){window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};window._POSTHOG_REMOTE_CONFIG[${JSON.stringify(token)}]={config:${JSON.stringify(config)},siteApps:[]};})();`);
        return;
      }
      if (path === `/array/${token}/config`) { json(req, res, config); return; }
      if (path === '/flags/' || path === '/flags' || path === '/decide/' || path === '/decide') {
        json(req, res, { ...config, flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false, requestId: 'bench' });
        return;
      }
      if (path === '/api/surveys/' || path === '/api/surveys') { json(req, res, { surveys }); return; }
      if (CAPTURE.test(path)) {
        captured.push(...decode(Buffer.concat(chunks), url));
        json(req, res, { status: 1 });
        return;
      }
      res.writeHead(path === '/favicon.ico' ? 204 : 404, cors(req)).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    token,
    captured,
    requests,
    stop: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}
