// Triggers and quiet periods through the real runtime: an element trigger fires when its
// element reaches the page, and a dismissed survey keeps every survey away for the global
// quiet period across sessions (time moved on by Playwright's clock), while a tour, which has
// its own quiet period, still shows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, launchBrowser, query, sdkReady, startCollector, startSite, watchConsole } from '../harness.mjs';

const nps = (id, extra) => ({
  id, kind: 'survey', ...extra,
  survey: { questions: [{ id: 'score', type: 'nps', text: `Survey ${id}: how likely are you to recommend us?`, labels: { low: 'Not likely', high: 'Very likely' } }] },
});

const CONFIG = {
  experiences: [
    // Only on /p/upgrade, and only once the upgrade panel is there.
    nps('upgrade', { trigger: { element: '#upgrade-panel' }, audience: { path: { $eq: '/p/upgrade' } } }),
    // The cooldown pair, on /p/quiet-*: the first survey, then a second one that outranks the
    // tour whenever it may show, so the tour showing in its place means arbitration held it back.
    nps('first', { trigger: { page_view: ['/p/quiet-one'] } }),
    nps('second', { trigger: { page_view: ['/p/quiet-*'] }, priority: 10, audience: { path: { $ne: '/p/quiet-one' } } }),
    {
      id: 'hello', kind: 'tour', trigger: { page_view: ['/p/quiet-two'] },
      tour: { steps: [{ id: 'hi', title: 'Hello again', body: 'A one-step tour.' }] },
    },
  ],
};

let collector;
let site;
let browser;
before(async () => {
  collector = await startCollector({ config: CONFIG });
  site = await startSite(collector.url);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await site?.stop();
  await collector?.stop();
});

const heading = (page, tag) => page.locator(`${tag} h2`);

test('an element trigger shows its survey once a matching element is on the page, not before', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  // The page records when the panel is inserted and when the survey first appears.
  await page.addInitScript(() => {
    window.__times = {};
    new MutationObserver(() => {
      if (!window.__times.survey && document.querySelector('waymark-survey')) window.__times.survey = performance.now();
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${site.url}/p/upgrade`);
  await sdkReady(page);
  // The config is fetched on this first visit, and the module at idle: the survey is a prospect.
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => /experiences-.*\.wasm/.test(e.name)));
  assert.equal(await page.locator('waymark-survey').count(), 0, 'no survey before its element');
  await page.evaluate(() => {
    const panel = document.createElement('section');
    panel.id = 'upgrade-panel';
    panel.textContent = 'Upgrade to Pro';
    document.body.append(panel);
    window.__times.panel = performance.now();
  });
  await heading(page, 'waymark-survey').waitFor();
  assert.equal(await heading(page, 'waymark-survey').textContent(), 'Survey upgrade: how likely are you to recommend us?');
  const times = await page.evaluate(() => window.__times);
  assert.ok(times.survey > times.panel, `the survey (${times.survey} ms) came after its element (${times.panel} ms)`);
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});

test('a dismissed survey keeps every survey away for 14 days, across sessions; a tour still shows, and after 15 days the next survey does', async () => {
  const context = await browser.newContext();
  await context.clock.install();
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${site.url}/p/quiet-one`);
  await sdkReady(page);
  await heading(page, 'waymark-survey').waitFor();
  assert.equal(await heading(page, 'waymark-survey').textContent(), 'Survey first: how likely are you to recommend us?');
  await page.keyboard.press('Escape');
  await page.locator('waymark-survey').waitFor({ state: 'detached' });
  await eventually(() => query(collector.db, "SELECT 1 FROM events WHERE name = '$survey_dismissed'").length === 1);

  // 31 minutes later: a new session (30 minutes without activity ends one).
  await context.clock.fastForward('31:00');
  await page.goto(`${site.url}/p/quiet-two`);
  await sdkReady(page);
  await heading(page, 'waymark-tour').waitFor();
  assert.equal(await heading(page, 'waymark-tour').textContent(), 'Hello again');
  assert.equal(await page.locator('waymark-survey').count(), 0, 'the second survey waits out the quiet period');
  const sessions = await eventually(() => {
    const rows = query(collector.db, "SELECT DISTINCT session_id FROM events WHERE name = '$pageview' AND path IN ('/p/quiet-one', '/p/quiet-two')");
    return rows.length === 2 && rows;
  }, { describe: () => JSON.stringify(query(collector.db, "SELECT path, session_id FROM events WHERE name = '$pageview'")) });
  assert.notEqual(sessions[0].session_id, sessions[1].session_id, 'the second page view is in a new session');
  await page.keyboard.press('Escape');
  await page.locator('waymark-tour').waitFor({ state: 'detached' });

  // 15 days after the dismissal, the second survey may show.
  await context.clock.fastForward(15 * 86_400_000);
  await page.goto(`${site.url}/p/quiet-three`);
  await sdkReady(page);
  await heading(page, 'waymark-survey').waitFor();
  assert.equal(await heading(page, 'waymark-survey').textContent(), 'Survey second: how likely are you to recommend us?');
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});
