// The README's console screenshots, made again by `scripts/readme-screenshots`: a collector of
// its own with the demo's config published, a few weeks of answers to the NPS survey, starts
// of the onboarding tour and exposures of the pricing experiment sent as pages send them, and
// the console at a desktop's width (and one page at a phone's) saved in docs/screenshots/.
// The pages are the ones the end-to-end tests check (tests/e2e/console*.test.mjs); this only
// takes their pictures, each under 150 KB.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_KEY, ROOT, launchBrowser, startCollector } from './harness.mjs';
import { makeUsers } from './e2e/console-kit.mjs';

const OUT = join(ROOT, 'docs/screenshots');
const PASSWORD = 'readme screenshots passphrase';
const DAY = 86_400_000;
const MOST_BYTES = 150 * 1024;

const config = JSON.parse(readFileSync(join(ROOT, 'demo-site/waymark.json'), 'utf8'));
const collector = await startCollector({ args: ['--console-dir', join(ROOT, 'console/dist')], config });
const browser = await launchBrowser();
try {
  makeUsers(collector, [['demo', 'admin']], PASSWORD);
  await sendEvents();
  mkdirSync(OUT, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.goto(`${collector.url}/console/`);
  await page.getByLabel('User name').fill('demo');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Experiences in demo' }).waitFor();
  await page.getByText(/NPS [+−]?\d+/).first().waitFor();
  await shoot(page, 'experiences');

  await page.getByRole('link', { name: 'nps', exact: true }).click();
  await page.getByRole('heading', { name: 'Preview' }).waitFor();
  await page.frameLocator('iframe.preview-frame').locator('waymark-survey h2').waitFor();
  await shoot(page, 'survey-form');

  await page.goto(`${collector.url}/console/#/p/demo/r/nps`);
  await page.getByRole('img', { name: /NPS per week/ }).waitFor();
  // The NPS question's headline, trend and bands: the window scrolled to its section.
  await page.getByRole('heading', { name: /^Question 1/ }).evaluate((h) => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 16));
  await shoot(page, 'survey-report');

  await page.goto(`${collector.url}/console/#/p/demo/r/pricing-layout`);
  await page.getByRole('img', { name: /Conversion rate per variant/ }).waitFor();
  await shoot(page, 'experiment-report');

  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(`${collector.url}/console/#/p/demo/r/onboarding`);
  await page.getByRole('img', { name: /Tour step funnel/ }).waitFor();
  await shoot(page, 'tour-report-phone');
  await context.close();
} finally {
  await browser.close();
  await collector.stop();
}

/** Saves what the window shows, and holds it to the size limit. */
async function shoot(page, name) {
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path });
  const bytes = statSync(path).size;
  assert.ok(bytes <= MOST_BYTES, `${name}.png is ${bytes} bytes, more than ${MOST_BYTES}`);
  console.log(`${path} (${Math.round(bytes / 1024)} KB)`);
}

/** Posts events as a page does, under config version 1 (the one published at start-up). */
async function post(events) {
  const now = Date.now();
  const response = await fetch(`${collector.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ key: DEMO_KEY, sent_at: now, config_version: 1, events }),
  });
  assert.equal(response.status, 200, await response.text());
}

/** Four weeks of a small product's life, the same on every run (no randomness). */
async function sendEvents() {
  const now = Date.now();
  let seq = 0;
  const event = (person, name, daysAgo, properties) => {
    seq += 1;
    return {
      id: `019b7a3c-3b00-7000-8000-${String(seq).padStart(12, '0')}`,
      name,
      ts: now - daysAgo * DAY - (person % 7) * 600_000,
      anonymous_id: `019b7a3c-3b01-7000-8000-${String(person).padStart(12, '0')}`,
      session_id: `019b7a3c-3b02-7000-8000-${String(person).padStart(12, '0')}`,
      properties,
      context: { page: { url: `${collector.url}/`, path: '/' }, sdk: { name: 'waymark-web', version: '0.1.0' } },
    };
  };
  const reasons = ['Invoices go out in a minute', 'The bank sync breaks now and then', 'Reminders save me hours', 'Too expensive for a team of two', 'Clear and quick'];
  const survey = [];
  for (let person = 1; person <= 60; person++) {
    const daysAgo = 27 - Math.floor((person - 1) / 2.3);
    const response = `nps-${person}`;
    // Scores that climb over the weeks: more promoters lately.
    const score = [9, 10, 8, 6, 9, 7, 10, 3, 9, 8][(person * 7) % 10] + (daysAgo < 10 && person % 3 === 0 ? 1 : 0);
    const base = { survey: 'nps', response, locale: 'en' };
    survey.push(event(person, '$survey_shown', daysAgo, base));
    if (person % 6 === 5) {
      survey.push(event(person, '$survey_dismissed', daysAgo, { ...base, question: 'score' }));
      continue;
    }
    survey.push(event(person, '$survey_answered', daysAgo, { ...base, question: 'score', question_type: 'nps', value: Math.min(score, 10), scale: { min: 0, max: 10, direction: 'ascending' } }));
    if (person % 2 === 0) survey.push(event(person, '$survey_answered', daysAgo, { ...base, question: 'why', question_type: 'text', value: reasons[person % reasons.length] }));
    survey.push(event(person, '$survey_completed', daysAgo, base));
  }
  await post(survey);

  const steps = ['welcome', 'outstanding', 'cashflow'];
  const tour = [];
  for (let person = 100; person < 140; person++) {
    const daysAgo = (person * 3) % 25;
    const reached = person % 5 === 0 ? 0 : person % 4 === 0 ? 1 : 2;
    tour.push(event(person, '$tour_started', daysAgo, { tour: 'onboarding' }));
    for (let step = 0; step <= reached; step++) {
      tour.push(event(person, '$step_viewed', daysAgo, { tour: 'onboarding', step, step_id: steps[step], strategy: step === 0 ? 'none' : 'waymark' }));
    }
    if (reached === 2 && person % 3 !== 0) tour.push(event(person, '$tour_completed', daysAgo, { tour: 'onboarding' }));
    else tour.push(event(person, '$tour_dismissed', daysAgo, { tour: 'onboarding', step: reached, step_id: steps[reached], reason: person % 2 ? 'close' : 'skip' }));
  }
  await post(tour);

  const experiment = [];
  for (let person = 200; person < 440; person++) {
    const annual = person % 2 === 1;
    const daysAgo = (person * 5) % 27;
    experiment.push(event(person, '$exposure', daysAgo, { experiment: 'pricing-layout', variant: annual ? 'annual-first' : 'monthly', variant_index: annual ? 1 : 0 }));
    if (person % (annual ? 5 : 7) === 0) experiment.push(event(person, 'plan_upgrade_clicked', daysAgo, {}));
  }
  await post(experiment);
}
