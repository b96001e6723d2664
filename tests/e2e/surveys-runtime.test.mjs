// Surveys through the real runtime: the collector publishes a config with a survey, the
// runtime decides it on a page view, fetches the experiences module and shows it; answers
// travel the event pipeline into the collector's database.
//
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, eventually, launchBrowser, query, sdkReady, startCollector, startSite, watchConsole } from '../harness.mjs';

const CONFIG = {
  experiences: [{
    id: 'nps', kind: 'survey', trigger: { page_view: true },
    survey: {
      thank_you: 'Thanks!', auto_close_ms: 0,
      questions: [
        { id: 'score', type: 'nps', text: 'How likely are you to recommend Ledgerly?', labels: { low: 'Not at all likely', high: 'Extremely likely' } },
        { id: 'why', type: 'text', text: 'What could we do better?', text_by_band: { promoter: 'What do you like most?' } },
      ],
    },
  }],
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

const rows = (name) => query(collector.db, `SELECT name, properties FROM events WHERE name = '${name}' ORDER BY ts`).map((r) => JSON.parse(r.properties));

test('a survey shown by the runtime: a partial answer is stored, and after a reload the survey does not come back in the session', async () => {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${site.url}/p/one`);
  await sdkReady(page);
  await page.locator('waymark-survey h2').waitFor();
  assert.equal(await page.locator('waymark-survey h2').textContent(), 'How likely are you to recommend Ledgerly?');
  await page.addScriptTag({ path: join(ROOT, 'tests/node_modules/axe-core/axe.min.js') });
  const violations = await page.evaluate(async () => (await window.axe.run({ include: [['waymark-survey']] }, { resultTypes: ['violations'] })).violations.map((v) => v.id));
  assert.deepEqual(violations, [], 'axe on the survey the runtime showed');
  await page.getByRole('radio', { name: '9', exact: true }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  assert.equal(await page.locator('waymark-survey h2').textContent(), 'What do you like most?');
  await page.reload();
  await sdkReady(page);
  const answered = await eventually(() => { const r = rows('$survey_answered'); return r.length >= 1 && r; }, { describe: () => JSON.stringify(rows('$survey_answered')) });
  assert.equal(answered.length, 1);
  assert.equal(answered[0].survey, 'nps');
  assert.equal(answered[0].question, 'score');
  assert.equal(answered[0].value, 9);
  assert.deepEqual(answered[0].scale, { min: 0, max: 10, direction: 'ascending' });
  assert.equal(answered[0].locale, 'en');
  assert.equal(rows('$survey_shown').length, 1);
  assert.equal(rows('$survey_shown')[0].response, answered[0].response);
  assert.equal(await page.locator('waymark-survey').count(), 0, 'never two surveys in one session');
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});

test('answered with the keyboard alone through the runtime, completed and stored', async () => {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto(`${site.url}/p/two`);
  await sdkReady(page);
  await page.locator('waymark-survey h2').waitFor();
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('The exports');
  await page.keyboard.press('Tab'); // Back
  await page.keyboard.press('Tab'); // Submit
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('waymark-survey h2').textContent(), 'Thanks!');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('waymark-survey').count(), 0);
  // The outbox sends within seconds while the page stays open.
  const completed = await eventually(() => { const r = rows('$survey_completed'); return r.length >= 1 && r; }, { describe: () => JSON.stringify(query(collector.db, 'SELECT name FROM events')) });
  await context.close();
  const answers = rows('$survey_answered').filter((r) => r.response === completed[0].response).map((r) => [r.question, r.value]);
  assert.deepEqual(answers, [['score', 10], ['why', 'The exports']]);
});
