// Shared by the end-to-end tests: a real collector on 127.0.0.1 with a temporary database,
// headless Debian Chromium through playwright-core, and SQL through the sqlite3 CLI (an
// independent reader of what the collector committed).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

/** Starts the collector on a free port; resolves once it listens. */
export async function startCollector() {
  const binary = required(process.env.WAYMARK_COLLECTOR ?? join(ROOT, 'target/debug/waymark-collector'), 'build it with `cargo build -p waymark-collector` (scripts/test does)');
  const sdkDir = required(join(ROOT, 'npm/dist/sdk'), 'build the SDK with scripts/build-sdk (scripts/test does)');
  const dir = mkdtempSync(join(tmpdir(), 'waymark-e2e-'));
  const db = join(dir, 'events.db');
  const child = spawn(binary, ['--listen', '127.0.0.1:0', '--db', db, '--project', `demo=${DEMO_KEY}`, '--sdk-dir', sdkDir, '--site-dir', join(ROOT, 'demo-site')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WAYMARK_LOG: 'warn' },
  });
  let log = '';
  child.stderr.on('data', (chunk) => { log += chunk; });
  const url = await new Promise((resolveUrl, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (http:\/\/[\d.:]+)/);
      if (match) resolveUrl(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`collector exited with ${code} before listening:\n${log}`)));
  });
  return {
    url,
    db,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
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
