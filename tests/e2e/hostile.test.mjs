// Hostile configs in Chromium, around the collector (issue 18): the table the collector
// refuses at publish time (tests/fixtures/hostile.json, collector/tests/hostile_configs.rs)
// is handed to the SDK as a cached config, as one published before the rules or written by
// hand would be, over a page with every element the table aims at. The content layer must
// skip each hostile change with a `$content_skipped` event naming its reason, and nothing
// may run: a tripwire records every payload that executes, the test fires every element's
// click, error, load, mouseover and begin events (an on… handler set by a change would
// run), every link must resolve to a safe scheme, and no exception may reach the page.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, eventually, launchBrowser, query, sdkReady, startCollector, startSite, watchConsole } from '../harness.mjs';

const TABLE = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/hostile.json'), 'utf8'));
const TRIPWIRE = '<script>window.__trips=[];window.__trip=function(what){window.__trips.push(String(what))};</script>';

const hostile = (i) => `hostile-${i}`;
const CONTENT = {
  experiences: [
    // A harmless change, to know the cached config was read and the content layer ran.
    { id: 'benign', kind: 'content', trigger: { page_view: true }, changes: [{ selector: '#greeting', text: 'Personalized' }] },
    ...TABLE.changes.map((row, i) => ({ id: hostile(i), kind: 'content', trigger: { page_view: true }, changes: [row.change] })),
  ],
};

let collector;
let site;
let browser;
before(async () => {
  // Nothing is published: the collector serves version 0, older than the cached config.
  collector = await startCollector();
  site = await startSite(collector.url, { head: () => TRIPWIRE, body: () => TABLE.page });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await site?.stop();
  await collector?.stop();
});

/** A page whose SDK finds `config` in its cache, as a returning visitor's would. */
async function pageWith(config) {
  const context = await browser.newContext();
  const envelope = JSON.stringify({ project: 'demo', version: 1_000_000, published_at: 0, config });
  await context.addInitScript((text) => localStorage.setItem('waymark:demo:config', text), envelope);
  const page = await context.newPage();
  const seen = watchConsole(page);
  return { context, page, seen };
}

const skipped = () => query(collector.db, "SELECT properties FROM events WHERE name = '$content_skipped'").map((r) => JSON.parse(r.properties));

test('every hostile change in a config written around the collector is skipped with its reason, and nothing runs', async () => {
  const { context, page, seen } = await pageWith(CONTENT);
  await page.goto(`${site.url}/p/hostile`);
  await sdkReady(page);
  await page.waitForFunction(() => document.getElementById('greeting').textContent === 'Personalized');

  const expected = TABLE.changes
    .map((row, i) => ({ experience: hostile(i), reason: row.in_browser ?? row.code, why: row.why }))
    .filter((e) => e.reason !== 'harmless');
  await page.evaluate(() => window.waymark.flush());
  await eventually(() => skipped().length >= expected.length, { describe: () => `${skipped().length} of ${expected.length} $content_skipped events` });
  const got = new Map(skipped().map((e) => [e.experience, e.reason]));
  for (const e of expected) assert.equal(got.get(e.experience), e.reason, `${e.why}: skipped as ${e.reason}`);
  for (const [i, row] of TABLE.changes.entries()) {
    if (row.in_browser === 'harmless') assert.equal(got.get(hostile(i)), undefined, `${row.why}: set as a relative URL`);
  }

  // Fire every element's events, with navigation held off: a handler a change had set runs.
  const links = await page.evaluate(() => {
    addEventListener('click', (event) => event.preventDefault(), true);
    for (const el of document.querySelectorAll('body *')) {
      for (const type of ['click', 'error', 'load', 'mouseover', 'begin', 'focus']) el.dispatchEvent(new Event(type));
    }
    return [...document.querySelectorAll('a, area')].map((a) => {
      const href = typeof a.href === 'string' ? a.href : a.href.animVal;
      return new URL(href, location.href).protocol;
    });
  });
  assert.deepEqual(links.filter((p) => !['http:', 'https:', 'mailto:', 'tel:'].includes(p)), [], 'every link goes somewhere safe');
  assert.deepEqual(await page.evaluate(() => window.__trips), [], 'no payload ran');
  assert.equal(await page.locator('#frame').getAttribute('srcdoc'), null);
  assert.equal(await page.locator('#late-script').getAttribute('src'), null);
  assert.deepEqual(await page.evaluate(() => [document.getElementById('late-script').childNodes.length, document.getElementById('page-style').textContent]), [0, ''], 'nothing went into the script or the style sheet');
  assert.deepEqual(seen.pageErrors, [], 'no exception reached the page');
  await context.close();
});

test('a tour target whose selector the browser refuses is reported and skipped for the next strategy or the fallback, never thrown', async () => {
  const invalid = () => query(collector.db, "SELECT properties FROM events WHERE name = '$step_target_invalid'").map((r) => JSON.parse(r.properties));
  for (const [i, row] of TABLE.targets.entries()) {
    const tour = `tour-${i}`;
    const { context, page, seen } = await pageWith({
      experiences: [{ id: tour, kind: 'tour', trigger: { page_view: true },
        tour: { steps: [{ id: 's', title: 'Step', target: row.target, wait_ms: 300, fallback: 'center', buttons: ['done'] }] } }],
    });
    await page.goto(`${site.url}/p/tour`);
    await sdkReady(page);
    // Found by the next strategy (an id), or shown centered once the wait is over.
    await page.waitForFunction(() => document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2')?.textContent === 'Step');
    await page.evaluate(() => window.waymark.flush());
    const strategy = row.pointer.startsWith('/frame') ? 'frame' : 'selector';
    await eventually(() => invalid().some((e) => e.tour === tour && e.strategy === strategy && e.step_id === 's'), { describe: () => `${row.why}: no $step_target_invalid (${strategy})` });
    assert.deepEqual(seen.pageErrors, [], `${row.why}: no exception reached the page`);
    assert.deepEqual(await page.evaluate(() => window.__trips), []);
    await context.close();
  }
});
