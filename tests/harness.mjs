// Shared by the end-to-end tests: a real collector on 127.0.0.1 with a temporary database,
// headless Debian Chromium through playwright-core, and SQL through the sqlite3 CLI (an
// independent reader of what the collector committed).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO_KEY = 'pk_demo_ledgerly';
export const CHROMIUM = '/usr/bin/chromium';

function required(path, how) {
  if (!existsSync(path)) throw new Error(`missing ${path}: ${how}`);
  return path;
}

/**
 * Starts the collector on a free port; resolves once it listens. `args` are extra
 * command-line flags; `config`, an object, is published for the project at start-up;
 * `siteDir` is the folder served at `/` (the demo site unless given). `halt()` and `resume()` stop it and start it again on the same
 * address and database, as an outage would. `publish(config)` replaces the config file, which
 * the next `resume()` publishes as a new version.
 */
export async function startCollector({ args = [], config, siteDir = join(ROOT, 'demo-site') } = {}) {
  const binary = required(process.env.WAYMARK_COLLECTOR ?? join(ROOT, 'target/debug/waymark-collector'), 'build it with `cargo build -p waymark-collector` (scripts/test does)');
  const sdkDir = required(join(ROOT, 'npm/dist/sdk'), 'build the SDK with scripts/build-sdk (scripts/test does)');
  const dir = mkdtempSync(join(tmpdir(), 'waymark-e2e-'));
  const db = join(dir, 'events.db');
  if (config) {
    // Published at start-up with the checks of PUT /v1/admin/config.
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    args = [...args, '--publish-config', `demo=${join(dir, 'config.json')}`];
  }
  let log = '';
  let child;
  const spawnAt = (listen) => {
    child = spawn(binary, ['--listen', listen, '--db', db, '--project', `demo=${DEMO_KEY}`, '--sdk-dir', sdkDir, '--site-dir', siteDir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WAYMARK_LOG: 'warn' },
    });
    child.stderr.on('data', (chunk) => { log += chunk; });
    const started = child;
    return new Promise((resolveUrl, reject) => {
      let out = '';
      started.stdout.on('data', (chunk) => {
        out += chunk;
        const match = out.match(/listening on (http:\/\/[\d.:]+)/);
        if (match) resolveUrl(match[1]);
      });
      started.on('exit', (code) => reject(new Error(`collector exited with ${code} before listening:\n${log}`)));
    });
  };
  const halt = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  const url = await spawnAt('127.0.0.1:0');
  return {
    url,
    db,
    log: () => log,
    halt,
    async resume() {
      await spawnAt(url.replace('http://', ''));
    },
    publish(next) {
      if (!config) throw new Error('publish() needs a collector started with a config');
      writeFileSync(join(dir, 'config.json'), JSON.stringify(next));
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A second origin for test pages that load the SDK the way a customer's site does: the
 * script tag and SDK files from this server, events to the collector at `collectorUrl`.
 * `/p/<anything>?<data attributes>` is a page whose script tag carries those attributes
 * (for example `?consent=pending`), so a test can navigate between many pages. `head(url)`
 * and `body(url)` add markup of the test's own to each page; `sdk(file)` may swap or refuse
 * (falsy) an SDK file, to try a failed download.
 */
export async function startSite(collectorUrl, { head = () => '', body = () => '', sdk = (file) => file } = {}) {
  const sdkDir = required(join(ROOT, 'npm/dist/sdk'), 'build the SDK with scripts/build-sdk (scripts/test does)');
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://site');
    if (url.pathname.startsWith('/sdk/')) {
      const file = sdk(join(sdkDir, url.pathname.slice(5).replace(/[^\w.-]/g, '')));
      if (!file || !existsSync(file)) {
        response.writeHead(404).end();
        return;
      }
      const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
      response.writeHead(200, { 'content-type': type }).end(readFileSync(file));
      return;
    }
    if (url.pathname.startsWith('/p/')) {
      const data = new Map([['project', 'demo'], ['key', DEMO_KEY], ['host', collectorUrl]]);
      for (const [k, v] of url.searchParams) data.set(k.replace(/[^a-z-]/g, ''), v.replace(/[^\w-]/g, ''));
      const attributes = [...data].map(([k, v]) => ` data-${k}="${v}"`).join('');
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test page ${url.pathname}</title>
${head(url)}<script>window.waymark = window.waymark || [];</script>
<script async src="/sdk/waymark.js"${attributes}></script>
</head><body><h1>${url.pathname.replace(/[^\w/-]/g, '')}</h1><button id="host-button" onclick="this.textContent = 'clicked'">Host button</button>${body(url)}</body></html>`);
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

/** Headless Chromium, as this machine can run it. */
export function launchBrowser() {
  required(CHROMIUM, 'install Debian chromium (scripts/test does)');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}

/** Runs SQL against the collector's database; rows as objects. */
export function query(db, sql) {
  const out = execFileSync('sqlite3', ['-json', db, sql], { encoding: 'utf8' });
  return out.trim() ? JSON.parse(out) : [];
}

/**
 * Waits until `check()` returns a truthy value, re-checking whenever the collector may have
 * written (every 50 ms), and fails after `timeoutMs` with `describe()` in the message.
 * This waits for a condition; it never sleeps a fixed time in place of one.
 */
export async function eventually(check, { timeoutMs = 15_000, describe = () => '' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Records console messages and uncaught page errors. */
export function watchConsole(page) {
  const seen = { errors: [], warnings: [], pageErrors: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') seen.errors.push(message.text());
    if (message.type() === 'warning') seen.warnings.push(message.text());
  });
  page.on('pageerror', (error) => seen.pageErrors.push(String(error)));
  return seen;
}

export const sdkReady = (page) => page.waitForFunction(() => window.waymark && window.waymark.ready === true);

/**
 * A test body with a deadline, for `test(name, deadline(ms, async (step) => ...))`: past `ms`
 * it fails naming what it was waiting for, rather than hanging until the runner is killed.
 * `step(what, promise)` names a wait (and returns the promise); Playwright's own waits have
 * timeouts that name them, but `evaluate`, `close` and `route` handlers have none.
 */
export function deadline(ms, body) {
  return async () => {
    let waiting = 'the first named step';
    const step = (what, promise) => {
      waiting = what;
      return promise;
    };
    let timer;
    const expired = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still waiting after ${ms / 1000} s for ${waiting}`)), ms);
    });
    try {
      return await Promise.race([body(step), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}
