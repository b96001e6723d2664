// The config version on events (issue 20): every event the SDK records while it decides with
// a published config carries that config's version, per event, so that events recorded under
// one version and still waiting in the outbox when a newer one arrives keep theirs, and the
// collector stores each one's (the reports split by it).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_KEY, eventually, launchBrowser, query, sdkReady, startCollector, startSite } from '../harness.mjs';

const configSaying = (text) => ({
  experiences: [
    { id: 'greeting', kind: 'content', trigger: { page_view: true }, changes: [{ selector: '#greeting', text }] },
  ],
});

let collector;
let site;
let browser;
before(async () => {
  collector = await startCollector({ config: configSaying('Version one') });
  site = await startSite(collector.url, { body: () => '<p id="greeting">Hello</p>' });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await site?.stop();
  await collector?.stop();
});

const activeVersion = async () => (await (await fetch(`${collector.url}/v1/config?key=${DEMO_KEY}`)).json()).version;
const greeting = (page, text) => page.waitForFunction((t) => document.getElementById('greeting')?.textContent === t, text);

test('each event carries the version of the config it was recorded under, and events waiting in the outbox keep theirs when a newer version arrives', async () => {
  const first = await activeVersion();
  const context = await browser.newContext();
  const page = await context.newPage();
  // Nothing is delivered until the end: every event waits in the outbox (IndexedDB).
  await context.route('**/v1/batch', (route) => route.abort());
  await page.goto(`${site.url}/p/home`);
  await sdkReady(page);
  // A first visit: the page view is recorded before any config is known.
  await greeting(page, 'Version one');
  const anonymousId = await page.evaluate(() => window.waymark.anonymousId);
  await page.evaluate(() => window.waymark.track('under_the_first'));

  collector.publish(configSaying('Version two'));
  await collector.halt();
  await collector.resume();
  const second = await activeVersion();
  assert.ok(second > first, `a new version was published: ${first} then ${second}`);

  // A second tab of the same browser: its page view is decided with the cached first
  // version; the second arrives after first paint and is applied at once. (The first tab
  // stays open: a page hidden or left sends by beacon, which no route holds back.)
  const tab = await context.newPage();
  await tab.goto(`${site.url}/p/home`);
  await sdkReady(tab);
  await greeting(tab, 'Version two');
  await tab.evaluate(() => window.waymark.track('under_the_second'));
  const rows = () => query(collector.db, `SELECT name, config_version FROM events WHERE anonymous_id = '${anonymousId}' ORDER BY ts, seq`);
  assert.deepEqual(rows().filter((r) => r.name === 'under_the_first'), [], 'the first version\'s event was still waiting');

  // Both tabs' events leave from the one outbox they share.
  await context.unroute('**/v1/batch');
  await tab.evaluate(() => window.waymark.flush());
  await eventually(() => rows().some((r) => r.name === 'under_the_second'), { describe: () => JSON.stringify(rows()) });
  assert.deepEqual(rows().map((r) => [r.name, r.config_version]), [
    ['$pageview', null],
    ['$behavior_scores', null],
    ['under_the_first', first],
    ['$pageview', first],
    ['under_the_second', second],
  ]);
  await context.close();
});
