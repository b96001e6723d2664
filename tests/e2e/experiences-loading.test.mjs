// The experiences module on demand (issue 15): fetched at idle once a tour or survey is
// eligible for the user on the page (so that its trigger shows it without waiting on the
// network), and a failed download is one warning, an `$experience_not_shown` event with its
// reason, and a page that keeps working.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, launchBrowser, query, sdkReady, startCollector, startSite, watchConsole } from '../harness.mjs';

const CONFIG = {
  experiences: [{
    id: 'ces', kind: 'survey', trigger: { event: 'export_completed' },
    survey: { questions: [{ id: 'effort', type: 'ces', text: 'Ledgerly made exporting easy.', labels: { low: 'Strongly disagree', high: 'Strongly agree' } }] },
  }],
};

let collector;
let site;
let browser;
let refuse = false;
const requested = [];
before(async () => {
  collector = await startCollector({ config: CONFIG });
  site = await startSite(collector.url, {
    sdk: (path) => {
      const name = path.split('/').pop();
      requested.push(name);
      return refuse && name.startsWith('experiences-') ? null : path;
    },
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await site?.stop();
  await collector?.stop();
});

test('an eligible survey has its module fetched at idle, before its event fires', async () => {
  refuse = false;
  requested.length = 0;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/p/export`);
  await sdkReady(page);
  // The config arrives, the survey is a prospect: both files of the module come at idle.
  await eventually(() => requested.some((f) => /^experiences-.*\.wasm$/.test(f)) && requested.some((f) => /^experiences-.*\.mjs$/.test(f)), { describe: () => requested.join(', ') });
  assert.equal(await page.locator('waymark-survey').count(), 0, 'nothing shows before the trigger');
  await page.evaluate(() => window.waymark.track('export_completed'));
  await page.locator('waymark-survey h2').waitFor();
  assert.equal(await page.locator('waymark-survey h2').textContent(), 'Ledgerly made exporting easy.');
  await context.close();
});

test('a module that cannot be fetched: one warning, the survey recorded as not shown, the page working', async () => {
  refuse = true;
  requested.length = 0;
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${site.url}/p/export`);
  await sdkReady(page);
  // The event counts once the config is there: the prefetch it starts is the sign.
  await eventually(() => requested.some((f) => /^experiences-.*\.mjs$/.test(f)), { describe: () => requested.join(', ') });
  await page.evaluate(() => window.waymark.track('export_completed'));
  await page.evaluate(() => window.waymark.track('export_completed'));
  await eventually(() => seen.warnings.some((w) => w.includes('could not load the experiences module')), { describe: () => JSON.stringify(seen.warnings) });
  await page.click('#host-button');
  assert.equal(await page.locator('#host-button').textContent(), 'clicked', 'the page still works');
  await page.evaluate(() => window.waymark.flush());
  const rows = await eventually(() => {
    const r = query(collector.db, "SELECT properties FROM events WHERE name = '$experience_not_shown'").map((x) => JSON.parse(x.properties));
    return r.length && r;
  });
  assert.deepEqual(rows[0], { experience: 'ces', reason: 'module_unavailable' });
  assert.equal(seen.warnings.filter((w) => w.includes('could not load the experiences module')).length, 1, 'one warning, however often it is tried');
  assert.equal(await page.locator('waymark-survey').count(), 0);
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});
