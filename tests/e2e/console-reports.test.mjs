// The console's reports end to end, in Chromium at 375 px and at desktop width: a publisher
// publishes the demo's config (its NPS survey shown on any page) from the console; a visitor
// of the demo site the collector serves answers it; the answer shows in the report's NPS
// figures, chart and tables. A tour's funnel with dismissals, an experiment with a
// sample-ratio mismatch and the event trends read from events a page sent. A survey without
// answers says so. The editor's preview renders the survey as the site did, and each tour
// step. Two published versions of a survey, one retyping a question and removing another:
// the report for every version or one, picked in the page and kept in the URL. Every page:
// zero axe-core violations, no NaN or Infinity, nothing wider than the viewport, and a
// screenshot in tests/screenshots/ (gitignored).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_KEY, ROOT, eventually, launchBrowser, query, sdkReady, startCollector, watchConsole } from '../harness.mjs';
import { checkPage, makeUsers } from './console-kit.mjs';

const PASSWORD = 'console reports passphrase';
const PHONE = { width: 375, height: 800 };
const DESKTOP = { width: 1280, height: 900 };

/** The demo's config, its NPS survey shown on the first page view of anyone. */
function demoConfig() {
  const config = JSON.parse(readFileSync(join(ROOT, 'demo-site/waymark.json'), 'utf8'));
  const nps = config.experiences.find((e) => e.id === 'nps');
  delete nps.audience;
  nps.priority = 50;
  return config;
}

let collector;
let browser;
before(async () => {
  collector = await startCollector({ args: ['--console-dir', join(ROOT, 'console/dist')] });
  browser = await launchBrowser();
  makeUsers(collector, [['pia', 'publisher'], ['vic', 'viewer']], PASSWORD);
});
after(async () => {
  await browser?.close();
  await collector?.stop();
});

const check = (page, name) => checkPage(page, name, { numbers: true });

async function signIn(page, name) {
  await page.goto(`${collector.url}/console/`);
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Experiences in demo' }).waitFor();
}

/** Events as a page sends them, to the collector's public batch endpoint, recorded under
 * config version `version` when one is given. */
async function send(events, version) {
  const now = Date.now();
  const anonymous = (n) => `019b7a3c-2a00-7000-8000-${String(n).padStart(12, '0')}`;
  const body = {
    key: DEMO_KEY,
    sent_at: now,
    ...(version === undefined ? {} : { config_version: version }),
    events: events.map(([n, name, properties], i) => ({
      id: `019b7a3c-2a10-7000-8000-${String(n * 1000 + i).padStart(12, '0')}`,
      name,
      ts: now - 60_000 + i,
      anonymous_id: anonymous(n),
      session_id: anonymous(n + 500),
      properties,
      context: { page: { url: `${collector.url}/`, path: '/' }, sdk: { name: 'waymark-web', version: '0.1.0' } },
    })),
  };
  const response = await fetch(`${collector.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(body) });
  assert.equal(response.status, 200, await response.text());
}

/** What the experiences module drew in `host`'s shadow root: its heading and its stylesheets. */
function rendered(host) {
  const root = document.querySelector(host).shadowRoot;
  return {
    heading: root.querySelector('h2').textContent,
    styles: root.adoptedStyleSheets.map((sheet) => [...sheet.cssRules].map((rule) => rule.cssText).join('\n')),
  };
}

/** The editor's preview frame, once it has loaded. */
async function previewFrame(page) {
  const element = await page.waitForSelector('iframe.preview-frame');
  const frame = await element.contentFrame();
  await frame.waitForLoadState();
  return frame;
}

const cells = (page, caption) => page.locator('table', { has: page.locator('caption', { hasText: caption }) }).locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));

test('a publisher publishes the NPS survey, a visitor of the demo site answers it, and the report shows the answer', async () => {
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  const seen = watchConsole(page);
  await signIn(page, 'pia');
  // Nothing answered yet: the report says so.
  await page.goto(`${collector.url}/console/#/p/demo/r/nps`);
  await page.getByRole('heading', { name: 'Report on nps' }).waitFor();
  await page.getByText('No responses yet').first().waitFor();
  await check(page, 'report-survey-empty');

  await page.getByRole('link', { name: 'JSON' }).click();
  await page.getByRole('heading', { name: 'The whole draft of demo' }).waitFor();
  await page.getByRole('textbox', { name: 'Config (JSON)' }).fill(JSON.stringify(demoConfig(), null, 2));
  await eventually(async () => (await page.locator('#save-status').textContent()).startsWith('All changes saved'), { describe: () => 'the draft saved' });
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByText(/^Published as version 1\./).waitFor();

  // A visitor of the demo site answers it.
  const visitor = await browser.newContext({ viewport: DESKTOP });
  const site = await visitor.newPage();
  await site.goto(`${collector.url}/customers`);
  await sdkReady(site);
  const question = 'How likely are you to recommend Ledgerly to a friend or colleague?';
  await site.waitForFunction((t) => document.querySelector('waymark-survey')?.shadowRoot?.querySelector('h2')?.textContent === t, question);
  const onSite = await site.evaluate(rendered, 'waymark-survey');
  await site.locator('waymark-survey').getByRole('radio', { name: '9', exact: true }).click();
  await site.locator('waymark-survey').getByRole('button', { name: 'Next' }).click();
  await site.evaluate(() => window.waymark.flush());
  await eventually(() => query(collector.db, "SELECT 1 FROM events WHERE name = '$survey_answered'").length > 0, { timeoutMs: 30_000, describe: () => 'the answer stored' });
  await visitor.close();

  // The answer in the report: the headline, the bands, the day's row and its chart.
  const today = new Date().toISOString().slice(0, 10);
  await page.goto(`${collector.url}/console/#/p/demo`);
  // From the keyboard: the list's link to the report.
  await page.getByRole('row', { name: /^nps/ }).getByRole('link', { name: 'Report' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Report on nps' }).waitFor();
  await page.getByText('NPS +100').waitFor();
  assert.match(await page.locator('main').textContent(), /“How likely are you to recommend Ledgerly to a friend or colleague\?”/);
  assert.deepEqual(await cells(page, 'NPS bands'), [['Promoters (9–10)', '1', '100.0%'], ['Passives (7–8)', '0', '0.0%'], ['Detractors (0–6)', '0', '0.0%']]);
  // Per week by default (the range's first week may start after its Monday); per day on asking.
  const monday = new Date(Date.now() - ((new Date().getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
  assert.deepEqual(await cells(page, 'NPS per week'), [[monday, '1', '100.0', '100.0 to 100.0']]);
  assert.equal(await page.getByRole('img', { name: /NPS per week/ }).count(), 1, 'the trend chart is drawn');
  await page.getByLabel('Trends per').selectOption('day');
  await page.getByRole('button', { name: 'Show trends' }).click();
  await page.getByRole('img', { name: /NPS per day/ }).waitFor();
  assert.deepEqual(await cells(page, 'NPS per day'), [[today, '1', '100.0', '100.0 to 100.0']]);
  const reach = await cells(page, 'Reach by question (people)');
  assert.deepEqual(reach.map((r) => r.slice(0, 3)), [['1. score', '1', '1'], ['2. why', '1', '0']], 'one person answered the score and reached the follow-up');
  assert.equal(await page.getByRole('img', { name: /NPS bands/ }).count(), 1);
  // The SDK said which config it decided with: the showing is version 1's, none unrecorded.
  assert.deepEqual((await cells(page, 'Showings by config version')).map((r) => [r[0], r[2]]), [['Version 1 (live)', '1']]);
  await check(page, 'report-survey');
  await page.setViewportSize(DESKTOP);
  await check(page, 'report-survey-desktop');

  // The preview in the editor is the survey the visitor saw: the same question, the same
  // theme (the module's stylesheet, byte for byte), at desktop width as the visitor had it.
  await page.setViewportSize(PHONE);
  await page.goto(`${collector.url}/console/#/p/demo`);
  await page.getByRole('link', { name: 'nps', exact: true }).click();
  await page.getByRole('heading', { name: 'Preview' }).waitFor();
  const frame = await previewFrame(page);
  // Only the preview frame may compile wasm, and only the console may frame it.
  const policy = async (path) => (await fetch(`${collector.url}${path}`)).headers.get('content-security-policy');
  assert.match(await policy('/console/preview.html'), /script-src 'self' 'wasm-unsafe-eval';.*frame-ancestors 'self'/);
  assert.doesNotMatch(await policy('/console/'), /wasm-unsafe-eval/);
  assert.match(await policy('/console/'), /frame-src 'self'; frame-ancestors 'none'/);
  await frame.waitForFunction((t) => document.querySelector('waymark-survey')?.shadowRoot?.querySelector('h2')?.textContent === t, question);
  await page.getByText('Shown at phone width').waitFor();
  const phone = await frame.evaluate(() => document.querySelector('waymark-survey').shadowRoot.querySelector('[role=dialog], dialog, [popover]').getBoundingClientRect().width);
  assert.ok(phone >= 300 && phone <= 375, `on a phone the survey is ${phone} px wide`);
  await check(page, 'editor-preview-phone');
  await page.getByLabel('Desktop (1280 px)').check();
  await page.getByText('Shown at desktop width').waitFor();
  await frame.waitForFunction(() => document.querySelector('waymark-survey')?.shadowRoot?.querySelector('h2'));
  assert.deepEqual(await frame.evaluate(rendered, 'waymark-survey'), onSite, 'the preview renders what the site rendered');
  await check(page, 'editor-preview-desktop');
  // It follows the draft as the author types, and never takes the author's focus.
  const json = page.getByRole('textbox', { name: 'JSON' });
  await json.fill((await json.inputValue()).replace(question, 'Would you recommend Ledgerly?'));
  await frame.waitForFunction(() => document.querySelector('waymark-survey')?.shadowRoot?.querySelector('h2')?.textContent === 'Would you recommend Ledgerly?');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.labels?.[0]?.textContent), await json.evaluate((e) => e.getAttribute('aria-label') ?? e.labels?.[0]?.textContent), 'the JSON view keeps the focus');
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});

test('a tour\'s step funnel with drop-off and dismissal reasons, an experiment\'s variants with a sample-ratio warning, and event trends', async () => {
  // Three people start the onboarding tour: one completes it, one closes it on step 1, one
  // skips on step 2. 40 people see the control of pricing-layout (10 upgrade) and 10 the
  // variant (3 upgrade), with 50/50 weights: a sample-ratio mismatch.
  const tour = (step) => ({ tour: 'onboarding', step, step_id: ['welcome', 'outstanding', 'cashflow'][step], strategy: step === 0 ? 'none' : 'selector' });
  await send([
    [1, '$tour_started', { tour: 'onboarding' }], [1, '$step_viewed', tour(0)], [1, '$step_viewed', tour(1)], [1, '$step_viewed', tour(2)], [1, '$tour_completed', { tour: 'onboarding' }],
    [2, '$tour_started', { tour: 'onboarding' }], [2, '$step_viewed', tour(0)], [2, '$tour_dismissed', { tour: 'onboarding', step: 0, step_id: 'welcome', reason: 'close' }],
    [3, '$tour_started', { tour: 'onboarding' }], [3, '$step_viewed', tour(0)], [3, '$step_viewed', tour(1)], [3, '$tour_dismissed', { tour: 'onboarding', step: 1, step_id: 'outstanding', reason: 'skip' }],
  ]);
  const exposures = [];
  for (let n = 10; n < 60; n++) {
    const variant = n < 50 ? 'monthly' : 'annual-first';
    exposures.push([n, '$exposure', { experiment: 'pricing-layout', variant, variant_index: n < 50 ? 0 : 1 }]);
    if (n < 50 ? n % 4 === 0 : n % 3 === 0) exposures.push([n, 'plan_upgrade_clicked', {}]);
  }
  await send(exposures);
  const config = JSON.parse(readFileSync(join(ROOT, 'demo-site/waymark.json'), 'utf8'));
  const pricing = config.experiences.find((e) => e.id === 'pricing-layout');

  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  const seen = watchConsole(page);
  await signIn(page, 'vic');
  await page.goto(`${collector.url}/console/#/p/demo/r/onboarding`);
  await page.getByRole('heading', { name: 'Report on onboarding' }).waitFor();
  await page.getByRole('img', { name: /Tour step funnel/ }).waitFor();
  const funnel = await cells(page, 'People reaching each step');
  assert.deepEqual(funnel.map((r) => r.slice(0, 2)), [['Started', '3'], ['Step 1 (welcome)', '3'], ['Step 2 (outstanding)', '2'], ['Step 3 (cashflow)', '1'], ['Completed', '1']]);
  assert.deepEqual(funnel.map((r) => r[3]), ['—', '0', '1', '1', '0'], 'dropped off at each step');
  assert.deepEqual(await cells(page, 'Dismissals by step and reason'), [['Step 1', 'close', '1'], ['Step 2', 'skip', '1']]);
  // The chart says who left at each step too, and each step's target is named by strategy.
  await page.getByRole('img', { name: /Step 2 \(outstanding\): 2 \(67%\), 1 left, Step 3 \(cashflow\): 1 \(33%\), 1 left/ }).waitFor();
  assert.deepEqual(await cells(page, 'How each step’s target was found'), [['Step 1 (welcome)', 'no target: 3', '0'], ['Step 2 (outstanding)', 'selector: 2', '0'], ['Step 3 (cashflow)', 'selector: 1', '0']]);
  await check(page, 'report-tour');

  await page.goto(`${collector.url}/console/#/p/demo/r/pricing-layout`);
  await page.getByRole('heading', { name: `Report on ${pricing.experiment.key}` }).waitFor();
  await page.getByText('Sample ratio mismatch.').waitFor();
  const variants = await cells(page, 'Variants against the control');
  assert.deepEqual(variants.map((r) => [r[0], r[1], r[2]]), [['monthly (control)', '40 (weight 50%)', '10'], ['annual-first', '10 (weight 50%)', '3']]);
  assert.match(variants[1][4], /^\+20\.0%$/, 'uplift of 30% against 25%');
  assert.match(variants[1][5], /^\d+\.\d%$/, 'a chance to beat control');
  await page.getByRole('img', { name: /Conversion rate per variant/ }).waitFor();
  await check(page, 'report-experiment');

  // Each tour step in the preview, by the module with the tour's theme.
  await page.goto(`${collector.url}/console/#/p/demo`);
  await page.getByRole('link', { name: 'onboarding', exact: true }).click();
  await page.getByRole('heading', { name: 'Preview' }).waitFor();
  const frame = await previewFrame(page);
  await frame.waitForFunction(() => document.querySelector('waymark-tour')?.shadowRoot?.querySelector('h2')?.textContent === 'Welcome to Ledgerly');
  await page.getByLabel('Step', { exact: true }).selectOption({ label: '3: cashflow' });
  await frame.waitForFunction(() => document.querySelector('waymark-tour')?.shadowRoot?.querySelector('h2')?.textContent === 'Your cash flow forecast');
  const accent = await frame.evaluate(() => document.querySelector('waymark-tour').shadowRoot.adoptedStyleSheets.map((s) => [...s.cssRules].map((r) => r.cssText).join('')).join('').match(/--waymark-accent:\s*([^;]+)/)?.[1]);
  assert.equal(accent.trim().toLowerCase(), '#3454d1', 'the tour\'s own accent');
  await check(page, 'editor-preview-tour');

  await page.getByRole('link', { name: 'Events' }).click();
  await page.getByRole('heading', { name: 'Events' }).waitFor();
  await page.getByRole('img', { name: /Events and people per day/ }).waitFor();
  const names = await cells(page, 'Events by name');
  assert.deepEqual(names.find((r) => r[0] === '$exposure'), ['$exposure', '50', '50']);
  await page.getByLabel('Event', { exact: true }).selectOption('$tour_started');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByText('3 events from 3 people ($tour_started only)').waitFor();
  await check(page, 'events');
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});

test('two published versions of a survey: the report reads every version or one, kept in the URL, and a question retyped between them shows no NaN', async () => {
  // Version 2 adds the survey pulse (an NPS score and a text follow-up) to what test 1
  // published; version 3 retypes score to CSAT and removes the follow-up. Pages that never
  // match keep it off the demo site.
  const config = demoConfig();
  const pulse = (questions) => ({ id: 'pulse', kind: 'survey', trigger: { page_view: ['/nowhere'] }, survey: { questions } });
  const nps = { id: 'score', type: 'nps', text: 'How likely are you to recommend us?', labels: { low: 'Not likely', high: 'Very likely' } };
  const why = { id: 'why', type: 'text', text: 'Why?', optional: true };
  const csat = { id: 'score', type: 'csat', text: 'How satisfied are you?' };
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  const seen = watchConsole(page);
  await signIn(page, 'pia');
  const published = [];
  for (const questions of [[nps, why], [csat]]) {
    await page.goto(`${collector.url}/console/#/p/demo/json`);
    await page.getByRole('heading', { name: 'The whole draft of demo' }).waitFor();
    await page.getByRole('textbox', { name: 'Config (JSON)' }).fill(JSON.stringify({ ...config, experiences: [...config.experiences, pulse(questions)] }, null, 2));
    await eventually(async () => (await page.locator('#save-status').textContent()).startsWith('All changes saved'), { describe: () => 'the draft saved' });
    await page.getByRole('button', { name: 'Publish' }).click();
    const message = await page.getByText(/^Published as version \d+\./).textContent();
    published.push(Number(/version (\d+)/.exec(message)[1]));
  }
  const [v2, v3] = published;
  assert.equal(v3, v2 + 1, `published ${published}`);

  // Two answers under version 2 (NPS 10 and 4, one with a reason), one under version 3
  // (CSAT 5), and one showing from a page that did not say its version.
  const answer = (question, type, value, response) => ({ survey: 'pulse', response, locale: 'en', question, question_type: type, value,
    ...(type === 'text' ? {} : { scale: type === 'nps' ? { min: 0, max: 10, direction: 'ascending' } : { min: 1, max: 5, direction: 'ascending' } }) });
  const shown = (response) => ({ survey: 'pulse', response, locale: 'en' });
  await send([[70, '$survey_shown', shown('p70')], [70, '$survey_answered', answer('score', 'nps', 10, 'p70')], [70, '$survey_answered', answer('why', 'text', 'Fast invoices', 'p70')],
    [71, '$survey_shown', shown('p71')], [71, '$survey_answered', answer('score', 'nps', 4, 'p71')]], v2);
  await send([[72, '$survey_shown', shown('p72')], [72, '$survey_answered', answer('score', 'csat', 5, 'p72')]], v3);
  await send([[73, '$survey_shown', shown('p73')]]);

  // Every version: the live version's questions; the NPS answers to the retyped question
  // are not mixed into its CSAT figures.
  await page.goto(`${collector.url}/console/#/p/demo/r/pulse`);
  await page.getByRole('heading', { name: 'Report on pulse' }).waitFor();
  const picker = page.getByLabel('Config version', { exact: true });
  assert.equal(await picker.locator('option:checked').textContent(), 'All versions');
  assert.deepEqual(await picker.locator('option').allTextContents(),
    ['All versions', `Version ${v3} (live): 1 showing`, `Version ${v2}: 2 showings`, ...Array.from({ length: v2 - 1 }, (_, i) => `Version ${v2 - 1 - i}: no showings`)]);
  assert.deepEqual((await cells(page, 'Showings by config version')).map((r) => [r[0], r[2]]),
    [[`Version ${v3} (live)`, '1'], [`Version ${v2}`, '2'], ...Array.from({ length: v2 - 1 }, (_, i) => [`Version ${v2 - 1 - i}`, '0']), ['Not recorded', '1']]);
  await page.getByText('CSAT 100.0%').waitFor();
  assert.match(await page.locator('.summary').textContent(), /shown 4 times, 3 responses/);
  await check(page, 'report-versions-all');

  // Version 2 alone: its NPS question and its follow-up, from its two answers.
  await picker.selectOption({ label: `Version ${v2}: 2 showings` });
  await page.getByRole('button', { name: 'Show version' }).click();
  await page.waitForURL(`**/console/#/p/demo/r/pulse/v${v2}`);
  await page.getByText('NPS 0', { exact: true }).waitFor();
  assert.match(await page.locator('.summary').textContent(), new RegExp(`version ${v2} only: shown 2 times, 2 responses`));
  assert.equal(await page.getByLabel('Config version', { exact: true }).locator('option:checked').textContent(), `Version ${v2}: 2 showings`);
  assert.deepEqual(await cells(page, 'NPS bands'), [['Promoters (9–10)', '1', '50.0%'], ['Passives (7–8)', '0', '0.0%'], ['Detractors (0–6)', '1', '50.0%']]);
  assert.deepEqual((await cells(page, 'Reach by question (people)')).map((r) => r.slice(0, 2)), [['1. score', '2'], ['2. why', '2']]);
  assert.match(await page.locator('main').textContent(), /“How likely are you to recommend us\?”/);
  assert.match(await page.locator('main').textContent(), /Fast invoices/);
  await check(page, 'report-versions-one');

  // The URL alone opens it (a reload, a shared link), and version 3 has only CSAT.
  await page.goto(`${collector.url}/console/#/p/demo/r/pulse/v${v3}`);
  await page.getByText('CSAT 100.0%').waitFor();
  assert.equal(await page.getByText(/^NPS /).count(), 0, 'no NPS figures under version 3');
  assert.deepEqual((await cells(page, 'Reach by question (people)')).map((r) => r.slice(0, 2)), [['1. score', '1']]);
  await page.setViewportSize(DESKTOP);
  await check(page, 'report-versions-one-desktop');

  // Back to every version from the picker, and a version never published says so.
  await page.getByLabel('Config version', { exact: true }).selectOption({ label: 'All versions' });
  await page.getByRole('button', { name: 'Show version' }).click();
  await page.waitForURL('**/console/#/p/demo/r/pulse');
  await page.getByText('shown 4 times').waitFor();
  await page.goto(`${collector.url}/console/#/p/demo/r/pulse/v${v3 + 5}`);
  await page.getByText(`there is no config version ${v3 + 5}`).waitFor();
  await page.getByRole('link', { name: 'Show every version' }).click();
  await page.getByText('shown 4 times').waitFor();
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});
