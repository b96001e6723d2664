// The browser event pipeline under stress: a durable outbox shared by tabs, retries through
// outages and hostile networks, unload, full storage, consent. Pages come from a second
// origin (as on a customer's site) so that they keep loading while the collector is down.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { deadline, eventually, launchBrowser, query, sdkReady, startCollector, startSite, watchConsole } from '../harness.mjs';

let collector;
let site;
let browser;
before(async () => {
  collector = await startCollector();
  site = await startSite(collector.url);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await site?.stop();
  await collector?.stop();
});

const count = (where) => query(collector.db, `SELECT count(*) AS n FROM events WHERE ${where}`)[0].n;

/** The events of a batch request, whichever way it was encoded. */
function batchEvents(request) {
  const raw = request.postDataBuffer();
  if (!raw) return [];
  const text = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  return JSON.parse(text).events;
}

/** Everything of ours in the page's storage: localStorage keys and IndexedDB databases. */
const ourStorage = (page) => page.evaluate(async () => ({
  local: Object.keys(localStorage).filter((k) => k.startsWith('waymark:')),
  indexed: (await indexedDB.databases()).map((d) => d.name).filter((n) => n.startsWith('waymark:')),
}));

/** How many events the page's stored outbox holds. */
const outboxSize = (page) => page.evaluate(() => new Promise((resolve) => {
  const open = indexedDB.open('waymark:demo');
  open.onsuccess = () => {
    const db = open.result;
    const countRequest = db.transaction('outbox').objectStore('outbox').count();
    countRequest.onsuccess = () => { db.close(); resolve(countRequest.result); };
  };
}));

const CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'retry-after', 'content-type': 'application/json' };

test('chaos: 2,000 events from 3 tabs through outages and a failing network arrive exactly once, timestamps unchanged', deadline(240_000, async (step) => {
  const context = await browser.newContext();
  const firstSeen = new Map(); // event id -> ts on its first attempt
  const seqsSent = new Set();
  const attempts = { total: 0, byMode: {} };
  let mode = 'pass';
  await context.route(`${collector.url}/v1/batch`, async (route) => {
    const request = route.request();
    for (const event of batchEvents(request)) {
      if (!firstSeen.has(event.id)) firstSeen.set(event.id, event.ts);
      if (event.properties?.seq !== undefined) seqsSent.add(event.properties.seq);
    }
    attempts.total += 1;
    attempts.byMode[mode] = (attempts.byMode[mode] ?? 0) + 1;
    try {
      if (mode === 'drop') await route.abort('failed');
      else if (mode === '500') await route.fulfill({ status: 500, headers: CORS, body: '{"error":"internal"}' });
      else if (mode === '429') await route.fulfill({ status: 429, headers: { ...CORS, 'retry-after': '1' }, body: '{"error":"rate_limited"}' });
      else if (mode === 'lost') {
        // The collector stores the batch, but the answer never reaches the page.
        await route.fetch().catch(() => {});
        await route.abort('connectionreset');
      } else if (mode === 'slow') {
        await new Promise((r) => setTimeout(r, 1_500));
        await route.continue();
      } else await route.continue();
    } catch {
      // The page went away mid-request (a navigation): the browser cancelled it.
    }
  });

  const tabs = [];
  const loads = { count: 0 };
  const load = async (tab, n) => {
    await tab.goto(`${site.url}/p/page-${n}`);
    await sdkReady(tab);
    loads.count += 1;
  };
  for (let t = 0; t < 3; t++) {
    const tab = await context.newPage();
    tab.on('pageerror', (error) => { throw error; });
    await load(tab, t);
    tabs.push(tab);
  }

  const TOTAL = 2_000;
  const STEP = 10;
  // Each failure is followed by a working spell, as on a real network; the backlog must
  // stay under the outbox's 1,000-event bound, or the oldest would be dropped by design.
  const modes = ['drop', 'pass', '500', 'pass', 'lost', 'pass', '429', 'pass', 'slow', 'pass'];
  let seq = 0;
  for (let step = 0; seq < TOTAL; step++) {
    mode = modes[Math.floor(step / 8) % modes.length];
    if (step === 40 || step === 120) await collector.halt();
    if (step === 52 || step === 132) await collector.resume();
    const tab = tabs[step % 3];
    const from = seq;
    seq += STEP;
    await tab.evaluate(([from, to]) => {
      for (let i = from; i < to; i++) window.waymark.track('chaos', { seq: i, padding: 'x'.repeat(i % 200) });
    }, [from, seq]);
    if (step % 7 === 3 && loads.count < 30) await load(tab, step); // a page load mid-stream
    else if (step % 7 === 5) await tab.evaluate((n) => history.pushState({}, '', `/p/spa-${n}`), step);
    // The pace of a busy scripted session rather than a tight loop.
    await new Promise((r) => setTimeout(r, 40));
  }
  assert.equal(loads.count, 30, '30 page loads');

  mode = 'pass';
  const chaos = () => query(collector.db, `SELECT id, ts, json_extract(properties, '$.seq') AS seq FROM events WHERE name = 'chaos'`);
  const rows = await eventually(() => { const r = chaos(); return r.length >= TOTAL && r; }, {
    timeoutMs: 120_000,
    describe: () => {
      const stored = new Set(chaos().map((r) => r.seq));
      const missing = [...Array(TOTAL).keys()].filter((i) => !stored.has(i));
      const dropped = query(collector.db, `SELECT properties FROM events WHERE name = '$events_dropped'`);
      return `${stored.size} of ${TOTAL} stored; missing ${JSON.stringify(missing.slice(0, 40))} (never attempted: ${JSON.stringify(missing.filter((i) => !seqsSent.has(i)).slice(0, 40))}); dropped ${JSON.stringify(dropped)}; attempts ${JSON.stringify(attempts)}`;
    },
  });
  assert.deepEqual(query(collector.db, `SELECT properties FROM events WHERE name = '$events_dropped'`), [], 'the outbox never overflowed');
  assert.equal(rows.length, TOTAL, 'none duplicated');
  assert.equal(new Set(rows.map((r) => r.seq)).size, TOTAL, 'none missing');
  assert.equal(new Set(rows.map((r) => r.id)).size, TOTAL);
  const changed = rows.filter((r) => firstSeen.get(r.id) !== r.ts);
  assert.deepEqual(changed, [], 'every stored timestamp is the one the event was first sent with');
  for (const m of ['drop', '500', '429', 'lost', 'slow']) assert.ok(attempts.byMode[m] > 0, `the network failed as ${m} at least once`);
  // Page views went through the same outbox: exactly one row per recorded page view.
  assert.equal(count(`name = '$pageview'`), query(collector.db, `SELECT count(DISTINCT id) AS n FROM events WHERE name = '$pageview'`)[0].n);
  console.log(`# chaos: ${TOTAL} events, ${loads.count} page loads, 2 collector outages, ${attempts.total} batch attempts ${JSON.stringify(attempts.byMode)}`);
  // Once everything is acknowledged, the shared outbox is empty.
  await eventually(async () => (await outboxSize(tabs[0])) === 0, { describe: () => 'the outbox still holds events' });
  await context.close();
}));

test('the outbox keeps at most 1,000 events: the oldest are dropped, and the drop is reported', deadline(60_000, async (step) => {
  const context = await browser.newContext();
  let up = false;
  const methods = new Set();
  await context.route(`${collector.url}/v1/batch`, (route) => {
    methods.add(route.request().method());
    return up ? route.continue() : route.abort('failed');
  });
  const page = await context.newPage();
  await page.goto(`${site.url}/p/overflow`);
  await sdkReady(page);
  await page.evaluate(() => {
    for (let i = 0; i < 1_100; i++) window.waymark.track('overflow', { i });
  });
  // track() only queues: every call through the core (a getter too) records all that waits
  // first. So all 1,100 are in the outbox while the collector is still unreachable; else a
  // retry after `up` could deliver the oldest before the newest push them out.
  const anonymousId = await page.evaluate(() => window.waymark.anonymousId);
  up = true;
  await page.evaluate(() => window.waymark.flush());
  const dropped = () => query(collector.db, `SELECT json_extract(properties, '$.count') AS n FROM events WHERE name = '$events_dropped'`);
  await eventually(() => count(`name = 'overflow'`) >= 999 && dropped().length > 0, {
    describe: () => `${count(`name = 'overflow'`)} stored, drops ${JSON.stringify(dropped())}`,
  });
  // 1,100 events, the page view and the session's behaviour scores: the 102 oldest make way
  // (the page view and the scores first). Those two may have left in a batch before the
  // overflow; if the route saw that batch only after `up`, it went through, and the report
  // rightly leaves them out. Either way, each event is stored or reported dropped, exactly
  // once.
  const early = query(collector.db, `SELECT count(*) AS n FROM events WHERE anonymous_id = '${anonymousId}' AND name NOT IN ('overflow', '$events_dropped')`)[0].n;
  assert.ok(early <= 2, `${early} events besides the overflow`);
  assert.deepEqual(dropped(), [{ n: 102 - early }]);
  const kept = query(collector.db, `SELECT min(json_extract(properties, '$.i')) AS first, count(*) AS n FROM events WHERE name = 'overflow'`)[0];
  assert.deepEqual(kept, { first: 100, n: 1_000 }, 'the newest 1,000 are kept');
  assert.deepEqual([...methods], ['POST'], 'no CORS preflight');
  await context.close();
}));

test('events pushed out of the outbox while their batch is in flight, and delivered, are not reported as dropped', deadline(60_000, async (step) => {
  const context = await browser.newContext();
  let release;
  const released = new Promise((r) => { release = r; });
  let held = 0;
  await context.route(`${collector.url}/v1/batch`, async (route) => {
    // The batch of the 50 waits until the page has tracked past the bound.
    if (batchEvents(route.request()).some((e) => e.name === 'in_flight')) {
      held += 1;
      await released;
    }
    return route.continue();
  });
  const page = await context.newPage();
  await page.goto(`${site.url}/p/in-flight`);
  await sdkReady(page);
  await page.evaluate(() => {
    for (let i = 0; i < 50; i++) window.waymark.track('in_flight', { i });
    window.waymark.flush();
  });
  await eventually(() => held === 1, { describe: () => 'the batch of the 50 was not sent' });
  await page.evaluate(() => {
    for (let i = 0; i < 1_100; i++) window.waymark.track('pushed', { i });
  });
  await page.evaluate(() => window.waymark.anonymousId); // all 1,100 recorded, the bound applied
  release();
  await page.evaluate(() => window.waymark.flush());
  const mine = `anonymous_id = (SELECT anonymous_id FROM events WHERE path = '/p/in-flight' LIMIT 1)`;
  const dropped = () => query(collector.db, `SELECT json_extract(properties, '$.count') AS n FROM events WHERE name = '$events_dropped' AND ${mine}`);
  await eventually(() => dropped().length > 0 && count(`name = 'pushed' AND ${mine}`) >= 1_000, {
    describe: () => `${count(mine)} stored, drops ${JSON.stringify(dropped())}`,
  });
  // Recorded: the page view, the behaviour scores, 50 and 1,100. What did not arrive, and only
  // that, is reported: the first batch arrived whole, though the bound pushed it out of the list.
  const stored = count(`name != '$events_dropped' AND ${mine}`);
  assert.equal(count(`name = 'in_flight' AND ${mine}`), 50, 'the batch in flight arrived');
  assert.deepEqual(dropped(), [{ n: 1_152 - stored }], `${stored} of 1,152 stored`);
  await context.close();
}));

test('sending pauses while the browser is offline and resumes when it is back', deadline(60_000, async (step) => {
  const context = await browser.newContext();
  let attempts = 0;
  await context.route(`${collector.url}/v1/batch`, (route) => { attempts += 1; return route.continue(); });
  const page = await context.newPage();
  await page.goto(`${site.url}/p/offline`);
  await sdkReady(page);
  await eventually(() => count(`name = '$pageview' AND path = '/p/offline'`) === 1, { describe: () => 'the page view did not arrive' });
  const before = attempts;
  await context.setOffline(true);
  await page.evaluate(() => { window.waymark.track('while_offline'); window.waymark.flush(); });
  // Longer than the batching delay: an SDK that ignored the offline state would have tried.
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal(attempts, before, 'no attempt while offline');
  await context.setOffline(false);
  await eventually(() => count(`name = 'while_offline'`) === 1, { describe: () => 'the event did not arrive once online' });
  await context.close();
}));

test('an event tracked in the same task as a navigation away arrives', deadline(60_000, async (step) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/p/leaving`);
  await sdkReady(page);
  // Away to a page without the SDK, so only the beacon can carry it.
  await step('the evaluate that tracks and navigates away to return', page.evaluate((away) => {
    window.waymark.track('left_in_same_task', { n: 1 });
    location.href = away;
  }, `${collector.url}/healthz`));
  await step('the event to arrive', eventually(() => count(`name = 'left_in_same_task'`) === 1, { describe: () => 'the event did not arrive' }));
  await step('the browser context to close', context.close());
}));

test('1,000 events tracked in one task, then a navigation away at once: every one arrives, exactly once', deadline(60_000, async (step) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/p/burst-leaving`);
  await sdkReady(page);
  const anonymousId = await page.evaluate(() => window.waymark.anonymousId);
  // The page view first, so that the outbox holds exactly the burst.
  await eventually(() => count(`name = '$pageview' AND anonymous_id = '${anonymousId}' AND path = '/p/burst-leaving'`) === 1, { describe: () => 'the page view did not arrive' });
  // Their storage writes have not committed when the page goes, and beacons carry 64 KB at
  // most: what the beacon does not take must survive in storage for the next page to send.
  await page.evaluate(() => {
    for (let i = 0; i < 1_000; i++) window.waymark.track('left_in_burst', { seq: i, plan: 'pro', seats: 12 });
    location.href = '/p/burst-next';
  });
  await page.waitForURL('**/p/burst-next');
  await sdkReady(page);
  const rows = () => query(collector.db, `SELECT json_extract(properties, '$.seq') AS seq FROM events WHERE name = 'left_in_burst'`);
  await eventually(() => rows().length >= 1_000, { timeoutMs: 30_000, describe: () => `${rows().length} of 1,000 arrived` });
  const stored = rows();
  assert.equal(stored.length, 1_000, 'none twice');
  assert.equal(new Set(stored.map((r) => r.seq)).size, 1_000, 'none missing');
  await context.close();
}));

test('1,000 track() calls in one task: the SDK\'s work after them makes no long task (over 50 ms), and all 1,000 arrive in order', deadline(60_000, async (step) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Before any script of the page: every long task (Long Tasks API) from then on.
  await page.addInitScript(() => {
    window.__long = [];
    const keep = (entries) => { for (const e of entries) window.__long.push({ start: e.startTime, duration: e.duration }); };
    window.__longTasks = new PerformanceObserver((list) => keep(list.getEntries()));
    window.__longTasks.observe({ type: 'longtask', buffered: true });
    window.__takeLong = () => { keep(window.__longTasks.takeRecords()); return window.__long; };
  });
  await page.goto(`${site.url}/p/burst-sliced`);
  await sdkReady(page);
  const anonymousId = await page.evaluate(() => window.waymark.anonymousId);
  await eventually(() => count(`name = '$pageview' AND anonymous_id = '${anonymousId}'`) === 1, { describe: () => 'the page view did not arrive' });
  // Each burst in a task of the page's own, as a click handler would make it.
  const burst = (name) => page.evaluate((name) => new Promise((resolve) => setTimeout(() => {
    for (let i = 0; i < 1_000; i++) window.waymark.track(name, { seq: i, plan: 'pro', seats: 12 });
    resolve(performance.now());
  }, 0)), name);
  const rows = (name) => query(collector.db, `SELECT json_extract(properties, '$.seq') AS seq, ts FROM events WHERE name = '${name}' AND anonymous_id = '${anonymousId}' ORDER BY id`);
  const delivered = (name) => eventually(() => rows(name).length >= 1_000, { timeoutMs: 30_000, describe: () => `${rows(name).length} of 1,000 ${name} arrived` });
  // A first burst warms the page's code (its first runs compile and deoptimize, tens of
  // milliseconds on a loaded machine that are no part of the SDK's design); the second is
  // the one measured.
  await step('the warm-up burst to run', burst('warm_up'));
  await step('the warm-up burst to arrive', delivered('warm_up'));
  const end = await step('the burst to run', burst('sliced'));
  await step('the burst to arrive', delivered('sliced'));
  const stored = rows('sliced');
  assert.deepEqual(stored.map((r) => r.seq), [...Array(1_000).keys()], 'all 1,000, once each, recorded in the order tracked');
  assert.ok(stored.every((r, i) => i === 0 || r.ts >= stored[i - 1].ts), 'timestamps in the order tracked');
  // Every task that started after the burst's: recording, storing and sending its events.
  const long = (await page.evaluate(() => window.__takeLong())).filter((t) => t.start >= end);
  assert.deepEqual(long, [], 'no long task after the burst');
  await step('the browser context to close', context.close());
}));

test('with localStorage full and no IndexedDB, the page and the SDK keep working and events flow', deadline(60_000, async (step) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${site.url}/p/fill`);
  await sdkReady(page);
  const filled = await page.evaluate(() => {
    let chunk = 'x'.repeat(1 << 20);
    let i = 0;
    while (chunk.length > 8) {
      try {
        localStorage.setItem(`filler-${i++}`, chunk);
      } catch {
        chunk = chunk.slice(0, chunk.length >> 1);
      }
    }
    try {
      localStorage.setItem('one-more', 'x'.repeat(64));
      return false;
    } catch {
      return true;
    }
  });
  assert.ok(filled, 'localStorage is full');
  await page.addInitScript(() => Object.defineProperty(window, 'indexedDB', { value: undefined }));
  await page.reload();
  await sdkReady(page);
  await page.click('#host-button');
  assert.equal(await page.textContent('#host-button'), 'clicked', 'the host page works');
  await page.evaluate(() => window.waymark.track('with_full_storage', { ok: true }));
  await eventually(() => count(`name = 'with_full_storage'`) === 1, { describe: () => 'the event did not arrive' });
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
}));

test('consent pending: nothing leaves the page and nothing is stored until granted; denied purges everything', deadline(60_000, async (step) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const sent = [];
  page.on('request', (request) => { if (request.url().startsWith(collector.url)) sent.push(request.url()); });
  await page.goto(`${site.url}/p/consent?consent=pending`);
  await sdkReady(page);
  await page.evaluate(() => {
    window.waymark.track('while_pending', { n: 1 });
    window.waymark.identify('consent-user', { plan: 'pro' });
    window.waymark.flush();
  });
  // Absence can only be shown over a window: longer than the 2 s batching delay.
  await new Promise((r) => setTimeout(r, 2_500));
  assert.deepEqual(sent, [], 'no request to the collector');
  assert.deepEqual(await ourStorage(page), { local: [], indexed: [] }, 'nothing of ours in storage');

  await page.evaluate(() => window.waymark.consent('granted'));
  await eventually(() => count(`name = 'while_pending'`) === 1 && count(`name = '$identify' AND user_id = 'consent-user'`) === 1, {
    describe: () => 'the events held while pending did not arrive after consent',
  });
  const granted = await ourStorage(page);
  assert.ok(granted.local.includes('waymark:demo:anonymous_id'), JSON.stringify(granted));

  await page.evaluate(() => window.waymark.consent('denied'));
  await eventually(async () => {
    const storage = await ourStorage(page);
    return storage.local.length === 0 && storage.indexed.length === 0;
  }, { describe: () => 'our storage was not purged' });
  const before = sent.length;
  await page.evaluate(() => { window.waymark.track('after_denied'); window.waymark.flush(); });
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal(sent.length, before, 'nothing sent after denial');
  assert.equal(count(`name = 'after_denied'`), 0);
  assert.deepEqual(await ourStorage(page), { local: [], indexed: [] });
  await context.close();
}));

test('Do-Not-Track is honoured when the project enables it', deadline(60_000, async (step) => {
  const context = await browser.newContext();
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' }));
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${site.url}/p/dnt?honor-privacy-signals=`);
  await sdkReady(page);
  await page.evaluate(() => {
    window.waymark.consent('granted');
    window.waymark.track('despite_dnt');
    window.waymark.flush();
  });
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal(count(`name = 'despite_dnt'`), 0);
  assert.deepEqual(await ourStorage(page), { local: [], indexed: [] });
  assert.ok(seen.warnings.some((w) => w.includes('Do-Not-Track')), seen.warnings.join('\n'));
  await context.close();
}));

test('e-mail addresses and card numbers in properties are masked unless the project allows them', deadline(60_000, async (step) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/p/mask`);
  await sdkReady(page);
  await page.evaluate(() => window.waymark.track('masked', { contact: 'Jane <jane@example.com>', card: '4111 1111 1111 1111', order: 'INV-2024-11-22' }));
  await page.goto(`${site.url}/p/mask?allow-emails=`);
  await sdkReady(page);
  await page.evaluate(() => {
    window.waymark.track('emails_allowed', { contact: 'jane@example.com', card: '4111111111111111' });
    window.waymark.flush();
  });
  const props = (name) => JSON.parse(query(collector.db, `SELECT properties FROM events WHERE name = '${name}'`)[0]?.properties ?? 'null');
  await eventually(() => props('masked') && props('emails_allowed'), { describe: () => `events did not arrive: ${collector.log()}` });
  await context.close();
  assert.deepEqual(props('masked'), { contact: 'Jane <[email]>', card: '[card]', order: 'INV-2024-11-22' });
  assert.deepEqual(props('emails_allowed'), { contact: 'jane@example.com', card: '[card]' });
}));

test('identify links the anonymous id once; reset() on logout clears identity and starts a new anonymous id', deadline(60_000, async (step) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/p/identity`);
  await sdkReady(page);
  // The config (version 0 here) is fetched after first paint and cached when it arrives: on
  // a loaded machine that can be after reset(), which would leave it beside the new id.
  await page.waitForFunction(() => localStorage.getItem('waymark:demo:config') !== null);
  const before = await page.evaluate(() => {
    window.waymark.track('anonymous_step');
    window.waymark.identify('user-42', { plan: 'pro' });
    window.waymark.track('identified_step');
    return window.waymark.anonymousId;
  });
  await page.evaluate(() => window.waymark.reset());
  const afterReset = await page.evaluate(() => ({ id: window.waymark.anonymousId, keys: Object.keys(localStorage).filter((k) => k.startsWith('waymark:')) }));
  assert.notEqual(afterReset.id, before);
  assert.deepEqual(afterReset.keys, ['waymark:demo:anonymous_id'], 'only the new anonymous id remains');
  await page.evaluate(() => { window.waymark.track('after_logout'); window.waymark.flush(); });
  await eventually(() => count(`name = 'after_logout'`) === 1 && count(`name = 'identified_step'`) === 1, { describe: () => 'events did not arrive' });
  const row = (name) => query(collector.db, `SELECT anonymous_id, user_id FROM events WHERE name = '${name}'`)[0];
  assert.deepEqual(row('anonymous_step'), { anonymous_id: before, user_id: null });
  assert.deepEqual(row('identified_step'), { anonymous_id: before, user_id: 'user-42' });
  assert.deepEqual(row('after_logout'), { anonymous_id: afterReset.id, user_id: null });
  assert.deepEqual(query(collector.db, `SELECT user_id FROM identities WHERE anonymous_id = '${before}'`), [{ user_id: 'user-42' }], 'the collector recorded the alias once');
  await context.close();
}));

test('a batch the collector finds too large (413) is split until it fits', deadline(60_000, async (step) => {
  const small = await startCollector({ args: ['--max-body-bytes', '3000'] });
  const smallSite = await startSite(small.url);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const seen = watchConsole(page);
    let attempts = 0;
    await context.route(`${small.url}/v1/batch`, (route) => { attempts += 1; return route.continue(); });
    await page.goto(`${smallSite.url}/p/split`);
    await sdkReady(page);
    // Random text does not compress: 12 events of ~1.8 KB make batches over 3,000 bytes.
    await page.evaluate(() => {
      for (let i = 0; i < 12; i++) {
        const noise = Array.from(crypto.getRandomValues(new Uint8Array(1_350)), (b) => b.toString(36).padStart(2, '0')).join('');
        window.waymark.track('big', { i, noise });
      }
      window.waymark.flush();
    });
    await eventually(() => query(small.db, `SELECT count(*) AS n FROM events WHERE name = 'big'`)[0].n === 12, {
      describe: () => `${query(small.db, `SELECT count(*) AS n FROM events WHERE name = 'big'`)[0].n} of 12; ${small.log()}`,
    });
    assert.ok(attempts > 2, 'the batch was split');
    assert.deepEqual(seen.warnings, [], 'splitting is not worth a warning');
    await context.close();
  } finally {
    await smallSite.stop();
    await small.stop();
  }
}));

test('an unknown write key gets one warning naming the reason, and its events are not retried', deadline(60_000, async (step) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  let attempts = 0;
  await context.route(`${collector.url}/v1/batch`, (route) => { attempts += 1; return route.continue(); });
  await page.goto(`${site.url}/p/wrong-key?key=pk_unknown`);
  await sdkReady(page);
  await page.evaluate(() => { window.waymark.track('with_wrong_key'); window.waymark.flush(); });
  // Settled: warned, and both the page view and the event refused and gone from the outbox.
  await eventually(async () => seen.warnings.some((w) => w.includes('refused')) && (await outboxSize(page)) === 0, {
    describe: () => seen.warnings.join('\n'),
  });
  const warning = seen.warnings.find((w) => w.includes('refused'));
  assert.match(warning, /unknown_key|invalid_key|401/);
  const settled = attempts;
  await page.evaluate(() => window.waymark.flush());
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal(attempts, settled, 'the refused events are not sent again');
  assert.equal(seen.warnings.filter((w) => w.includes('refused')).length, 1, 'one warning');
  assert.equal(count(`name = 'with_wrong_key'`), 0);
  await context.close();
}));

