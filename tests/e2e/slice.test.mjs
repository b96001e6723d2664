// The foundation slice, end to end: a click in Chromium becomes a committed SQLite row.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, launchBrowser, query, sdkReady, startCollector, watchConsole } from '../harness.mjs';

let collector;
let browser;
before(async () => {
  collector = await startCollector();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await collector?.stop();
});

const events = () => query(collector.db, `
  SELECT id, name, path, title, referrer, anonymous_id, session_id, user_id, properties, ts, sdk_name, locale, viewport_width
  FROM events ORDER BY id`);

test('page views, an SPA navigation, a click and a reload arrive exactly once, under one anonymous id', async () => {
  const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const seen = watchConsole(page);

  await page.goto(`${collector.url}/`);
  await sdkReady(page);
  await page.click('nav a[href="/invoices"]'); // single-page navigation
  await page.waitForFunction(() => document.title === 'Invoices · Ledgerly');
  await page.click('button[data-action="new-invoice"]'); // tracked button
  await page.reload(); // the pending click leaves by beacon on pagehide
  await sdkReady(page);
  const anonymousId = await page.evaluate(() => window.waymark.anonymousId);
  // The behaviour profile lives on in the browser across the reload.
  const behavior = await page.evaluate(() => window.waymark.behavior);
  assert.equal(behavior.page_views.total, 3);
  assert.equal(behavior.page_views.path['/invoices'], 2);
  assert.equal(behavior.event.invoice_created.count_today, 1);
  assert.equal(behavior.sessions.count, 1);
  assert.ok(behavior.engagement > 0 && behavior.engagement <= 1);
  await context.close(); // the last page view leaves by beacon too

  const rows = await eventually(() => { const r = events(); return r.length >= 5 && r; }, {
    describe: () => JSON.stringify(events().map((e) => [e.name, e.path])),
  });
  assert.deepEqual(rows.map((e) => [e.name, e.path]), [
    ['$pageview', '/'],
    // The session's first event brings the behaviour scores, just after it.
    ['$behavior_scores', '/'],
    ['$pageview', '/invoices'],
    ['invoice_created', '/invoices'],
    ['$pageview', '/invoices'],
  ]);
  assert.equal(new Set(rows.map((e) => e.id)).size, 5, 'no event stored twice');
  assert.deepEqual([...new Set(rows.map((e) => e.anonymous_id))], [anonymousId], 'one anonymous id across the reload');
  assert.equal(new Set(rows.map((e) => e.session_id)).size, 1, 'one session across the reload');
  assert.match(anonymousId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUID v7');
  for (const row of rows) assert.match(row.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'event ids are UUID v7');

  const [home, , spa, click] = rows;
  assert.equal(home.title, 'Dashboard · Ledgerly');
  assert.equal(spa.title, 'Invoices · Ledgerly', 'the SPA page view has the new page\'s title');
  assert.equal(spa.referrer, `${collector.url}/`, 'the SPA page view\'s referrer is the previous page');
  assert.deepEqual(JSON.parse(click.properties), { number: 'INV-1046', amount: 640, currency: 'EUR', from: '/invoices' });
  assert.ok(rows.every((e) => e.sdk_name === 'waymark-web' && e.locale === 'en-GB' && e.viewport_width === 1200));
  assert.ok(rows.every((e, i) => i === 0 || e.ts >= rows[i - 1].ts), 'ids sort in time order');
  assert.deepEqual(seen.pageErrors, []);
  assert.deepEqual(seen.errors, []);
  // Includes wasm-bindgen's warning when streaming compilation falls back (wrong MIME type).
  assert.deepEqual(seen.warnings, []);
});

test('calls made before the SDK loads are kept, with their own time, and identify links the user', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Hold the loader until the page has made its calls into the stub's queue.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/sdk/waymark.js', async (route) => { await held; await route.continue(); });
  // The held async script delays the load event, not DOMContentLoaded.
  await page.goto(`${collector.url}/customers`, { waitUntil: 'domcontentloaded' });
  const queuedAt = await page.evaluate(() => {
    window.waymark.identify('user_dana', { plan: 'Pro' });
    window.waymark.track('early_click', { n: 1 });
    return Date.now();
  });
  assert.equal(await page.evaluate(() => window.waymark.length), 2, 'both calls wait in the stub');
  release();
  await sdkReady(page);
  const anonymousId = await page.evaluate(() => window.waymark.anonymousId);
  await page.evaluate(() => window.waymark.flush());

  const mine = () => query(collector.db, `SELECT name, user_id, traits, ts FROM events WHERE anonymous_id = '${anonymousId}' ORDER BY id`);
  const rows = await eventually(() => { const r = mine(); return r.length >= 4 && r; }, { describe: () => JSON.stringify(mine()) });
  assert.deepEqual(rows.map((e) => [e.name, e.user_id]), [
    ['$identify', 'user_dana'],
    // The session's first event brings the behaviour scores, just after it.
    ['$behavior_scores', 'user_dana'],
    ['early_click', 'user_dana'],
    ['$pageview', 'user_dana'],
  ]);
  assert.deepEqual(JSON.parse(rows[0].traits), { plan: 'Pro' });
  assert.ok(rows[2].ts <= queuedAt, 'a queued call keeps the time it was made');
  assert.deepEqual(query(collector.db, `SELECT user_id FROM identities WHERE anonymous_id = '${anonymousId}'`), [{ user_id: 'user_dana' }]);
  await context.close();
});

test('a failed SDK load logs one clear message and leaves the page working', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.route('**/sdk/waymark-*.wasm', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto(`${collector.url}/`);
  const ours = () => seen.errors.filter((e) => e.startsWith('[waymark]'));
  await eventually(() => ours().length > 0, { timeoutMs: 10_000, describe: () => seen.errors.join('\n') });
  assert.equal(ours().length, 1, seen.errors.join('\n'));
  assert.match(ours()[0], /\[waymark\] could not load the SDK; the page works as before/);
  assert.deepEqual(seen.pageErrors, [], 'nothing is thrown into the page');
  await page.evaluate(() => window.waymark.track('after_failure')); // the stub still accepts calls
  await page.click('nav a[href="/reports"]');
  await page.waitForFunction(() => document.title === 'Reports · Ledgerly');
  await context.close();
});

test('bad calls get a console warning naming the problem, and never throw', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${collector.url}/`);
  await sdkReady(page);
  const thrown = await page.evaluate(() => {
    const errors = [];
    const attempt = (f) => { try { f(); } catch (e) { errors.push(String(e)); } };
    attempt(() => window.waymark.track(42));
    attempt(() => window.waymark.track(''));
    attempt(() => window.waymark.track('$pageview'));
    attempt(() => window.waymark.track('ok', 'not an object'));
    const cyclic = {}; cyclic.self = cyclic;
    attempt(() => window.waymark.track('cyclic', cyclic));
    attempt(() => window.waymark.identify(''));
    attempt(() => window.waymark.track('too_big', { note: 'x'.repeat(40000) }));
    attempt(() => window.waymark.track('after_the_big_one'));
    return errors;
  });
  assert.deepEqual(thrown, []);
  assert.deepEqual(seen.pageErrors, []);
  const text = seen.warnings.join('\n');
  for (const expected of ['the event name must be a string', 'the event name is empty', 'reserved for Waymark', 'properties must be a plain object', 'a cycle or a BigInt', 'the user id must be a non-empty string', 'the event is larger than 32768 bytes as JSON']) {
    assert.ok(text.includes(expected), `a warning says "${expected}"; got:\n${text}`);
  }
  // The oversized event is not sent (the collector would reject it); the next one is.
  const anonymousId = await page.evaluate(() => window.waymark.anonymousId);
  await page.evaluate(() => window.waymark.flush());
  const names = () => query(collector.db, `SELECT name FROM events WHERE anonymous_id = '${anonymousId}' AND name NOT IN ('$pageview', '$behavior_scores')`).map((r) => r.name);
  assert.deepEqual(await eventually(() => { const n = names(); return n.length > 0 && n; }), ['after_the_big_one']);
  await context.close();
});

test('going back in history records a page view of the page returned to', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${collector.url}/settings`);
  await sdkReady(page);
  await page.click('nav a[href="/reports"]');
  await page.waitForFunction(() => document.title === 'Reports · Ledgerly');
  await page.goBack(); // popstate
  await page.waitForFunction(() => document.title === 'Settings · Ledgerly');
  const anonymousId = await page.evaluate(() => window.waymark.anonymousId);
  await page.evaluate(() => window.waymark.flush());
  const views = () => query(collector.db, `SELECT path, referrer FROM events WHERE anonymous_id = '${anonymousId}' AND name = '$pageview' ORDER BY id`);
  const rows = await eventually(() => { const r = views(); return r.length >= 3 && r; }, { describe: () => JSON.stringify(views()) });
  assert.deepEqual(rows.map((r) => r.path), ['/settings', '/reports', '/settings']);
  assert.equal(rows[2].referrer, `${collector.url}/reports`);
  await context.close();
});
