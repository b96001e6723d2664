// Sampling through the real runtime (issue 5: "sampling shows the survey to the expected share
// of a simulated population"): a survey sampled at 50% shows in exactly the browsers whose
// bucket (GrowthBook's hash v2 of "waymark:<survey id>" and the anonymous id, computed here
// independently of the SDK) falls below 0.5, and the share of a population of 30 browsers is
// what those buckets say. A second survey catches everyone outside the sample.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, sdkReady, startCollector, startSite } from '../harness.mjs';

const CONFIG = {
  experiences: [
    { id: 'half', kind: 'survey', trigger: { event: 'export_completed' }, sample: 0.5, priority: 10,
      survey: { questions: [{ id: 'score', type: 'nps', text: 'Sampled: how likely?', labels: { low: 'No', high: 'Yes' } }] } },
    // Everyone else gets this one, so that every browser shows something and the test never
    // waits for an absence.
    { id: 'rest', kind: 'survey', trigger: { event: 'export_completed' }, priority: 1,
      survey: { questions: [{ id: 'score', type: 'nps', text: 'Everyone: how likely?', labels: { low: 'No', high: 'Yes' } }] } },
  ],
};

// GrowthBook's FNV-1a over UTF-16 code units, and its hash version 2.
const fnv = (text) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
};
const bucket = (seed, value) => (fnv(String(fnv(seed + value))) % 10000) / 10000;

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

test('a 50% sample shows the survey to exactly the browsers whose bucket is below one half', async () => {
  const population = 30;
  let expected = 0;
  let shown = 0;
  for (let i = 0; i < population; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${site.url}/p/sample-${i}`);
    await sdkReady(page);
    const id = await page.evaluate(() => window.waymark.anonymousId);
    const inSample = bucket('waymark:half', id) < 0.5;
    // Once the config is known the decision is made on the event; wait for it to be there.
    await page.waitForFunction(() => localStorage.getItem('waymark:demo:config') !== null);
    await page.evaluate(() => window.waymark.track('export_completed'));
    await page.locator('waymark-survey h2').waitFor();
    const visible = (await page.locator('waymark-survey h2').textContent()).startsWith('Sampled');
    assert.equal(visible, inSample, `browser ${i} (${id}, bucket ${bucket('waymark:half', id)}) ${inSample ? 'is' : 'is not'} in the sample`);
    expected += inSample ? 1 : 0;
    shown += visible ? 1 : 0;
    await context.close();
  }
  console.log(`sampling: ${shown} of ${population} browsers saw the 50% survey (their buckets: ${expected})`);
  assert.ok(expected > 0 && expected < population, 'the population has browsers on both sides of the threshold');
});
