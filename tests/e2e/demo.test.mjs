// The demo as a newcomer meets it: the collector serves demo-site with its own config,
// demo-site/waymark.json, published at start-up as scripts/demo publishes it, and a fresh
// Chromium profile per visitor. The README's "What the demo shows" is what this checks: the
// onboarding tour on a first visit (into a web component's shadow root, a late panel, and on
// to the invoices page) with CSAT after it; NPS on the third page view with band wording;
// CES after an export; the greeting after identify; the win-back banner for a lapsed user;
// the plans page's layout experiment and its exposure. Screenshots go to tests/.artifacts/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, eventually, launchBrowser, query, sdkReady, startCollector, watchConsole } from '../harness.mjs';

const artifacts = join(ROOT, 'tests/.artifacts');
let collector;
let browser;
before(async () => {
  mkdirSync(artifacts, { recursive: true });
  collector = await startCollector({ args: ['--publish-config', `demo=${join(ROOT, 'demo-site/waymark.json')}`] });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await collector?.stop();
});

/** A first visit in a browser profile of its own. */
async function visit(path, { viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce', locale: 'en-GB' });
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${collector.url}${path}`);
  await sdkReady(page);
  return { context, page, seen };
}

const inShadow = (host, selector) => (page) => page.evaluate(([h, s]) => document.querySelector(h)?.shadowRoot?.querySelector(s)?.textContent ?? null, [host, selector]);
const tourTitle = inShadow('waymark-tour', 'h2');
const surveyTitle = inShadow('waymark-survey', 'h2');
const showsTour = (page, title) => page.waitForFunction((t) => {
  const root = document.querySelector('waymark-tour')?.shadowRoot;
  return root?.querySelector('h2')?.textContent === t && root.querySelector('[role=dialog]')?.matches(':popover-open');
}, title);
const showsSurvey = (page, title) => page.waitForFunction((t) => document.querySelector('waymark-survey')?.shadowRoot?.querySelector('h2')?.textContent === t, title);
const tourButton = (page, name) => page.locator('waymark-tour').getByRole('button', { name, exact: true });

/** The events of one browser, as the collector stored them. */
function stored(anonymousId, name) {
  return query(collector.db, `SELECT name, path, properties FROM events WHERE anonymous_id = '${anonymousId}' AND name = '${name}' ORDER BY id`)
    .map((row) => ({ ...row, properties: JSON.parse(row.properties ?? '{}') }));
}

test('a first visit gets the onboarding tour: a web component\'s shadow root, a late panel, on to the invoices page, and CSAT when it is done', async () => {
  const { context, page, seen } = await visit('/');
  await showsTour(page, 'Welcome to Ledgerly');
  await tourButton(page, 'Next').click();
  await showsTour(page, 'What you are owed');
  await tourButton(page, 'Next').click();
  await showsTour(page, 'Your cash flow forecast');
  await page.screenshot({ path: join(artifacts, 'demo-tour-shadow-root.png') });
  await tourButton(page, 'Next').click();
  await showsTour(page, 'Recent activity');
  assert.equal(await page.locator('[data-waymark="activity-feed"]').count(), 1, 'the late panel is there');
  await tourButton(page, 'Next').click();
  await showsTour(page, 'Now, your invoices');
  await page.locator('.sidebar a[href="/invoices"]').click();
  await showsTour(page, 'Every invoice in one place');
  assert.equal(new URL(page.url()).pathname, '/invoices');
  await tourButton(page, 'Next').click();
  await showsTour(page, 'Export for your accountant');
  await tourButton(page, 'Next').click();
  await showsTour(page, 'Create your first invoice');
  await page.screenshot({ path: join(artifacts, 'demo-tour-invoices.png') });
  await tourButton(page, 'Done').click();
  await showsSurvey(page, 'How helpful was the tour?');
  await page.screenshot({ path: join(artifacts, 'demo-csat.png') });
  assert.equal(await tourTitle(page), null, 'the tour is gone');

  const anonymousId = await page.evaluate(() => window.waymark.anonymousId);
  await page.evaluate(() => window.waymark.flush());
  const viewed = await eventually(() => { const v = stored(anonymousId, '$step_viewed'); return v.length >= 8 && v; }, {
    describe: () => JSON.stringify(stored(anonymousId, '$step_viewed').map((e) => e.properties.step_id)),
  });
  const strategy = (id) => viewed.find((e) => e.properties.step_id === id)?.properties.strategy;
  assert.equal(strategy('cashflow'), 'waymark', 'found inside the shadow root by its data-waymark');
  assert.equal(strategy('activity'), 'waymark', 'found once it rendered');
  assert.deepEqual([...new Set(viewed.map((e) => e.path))], ['/', '/invoices'], 'two pages');
  await eventually(() => stored(anonymousId, '$tour_completed').length === 1);
  await eventually(() => stored(anonymousId, '$survey_shown').some((e) => e.properties.survey === 'csat-tour'));
  assert.deepEqual(seen.pageErrors, []);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('on a 375 px phone the tour is a bottom sheet over the same dashboard', async () => {
  const { context, page, seen } = await visit('/', { viewport: { width: 375, height: 740 } });
  await showsTour(page, 'Welcome to Ledgerly');
  await tourButton(page, 'Next').click();
  await showsTour(page, 'What you are owed');
  const box = await page.locator('waymark-tour [role=dialog]').boundingBox();
  assert.ok(box.width >= 340, `a sheet across the screen: ${JSON.stringify(box)}`);
  await page.screenshot({ path: join(artifacts, 'demo-tour-mobile.png') });
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});

test('the third page view asks for NPS, and the follow-up is worded by the score\'s band', async () => {
  const { context, page, seen } = await visit('/customers');
  await page.locator('.sidebar a[href="/reports"]').click();
  await page.waitForFunction(() => document.title === 'Reports · Ledgerly');
  assert.equal(await surveyTitle(page), null, 'not on the second page view');
  await page.locator('.sidebar a[href="/settings"]').click();
  await showsSurvey(page, 'How likely are you to recommend Ledgerly to a friend or colleague?');
  await page.screenshot({ path: join(artifacts, 'demo-nps.png') });
  await page.locator('waymark-survey').getByRole('radio', { name: '3', exact: true }).click();
  await page.locator('waymark-survey').getByRole('button', { name: 'Next' }).click();
  await showsSurvey(page, 'We are sorry to hear that. What disappointed you?');
  const anonymousId = await page.evaluate(() => window.waymark.anonymousId);
  await page.evaluate(() => window.waymark.flush());
  const answers = await eventually(() => { const a = stored(anonymousId, '$survey_answered'); return a.length && a; });
  assert.deepEqual(answers.map((a) => [a.properties.survey, a.properties.question, a.properties.value]), [['nps', 'score', 3]]);
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});

test('an export asks how easy it was', async () => {
  const { context, page } = await visit('/invoices');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  await showsSurvey(page, 'Ledgerly made it easy to export my invoices.');
  await page.screenshot({ path: join(artifacts, 'demo-ces.png') });
  await context.close();
});

test('signing in personalizes the greeting from the identify traits', async () => {
  const { context, page } = await visit('/');
  await showsTour(page, 'Welcome to Ledgerly');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('waymark-tour'));
  assert.equal(await page.textContent('#greeting'), 'Good to see you');
  await page.getByRole('button', { name: 'Sign in as Dana' }).click();
  await page.waitForFunction(() => document.getElementById('greeting').textContent === 'Welcome back, Dana');
  // It holds on the next visit too, decided from the cached config.
  await page.reload();
  await page.waitForFunction(() => document.getElementById('greeting')?.textContent === 'Welcome back, Dana');
  await page.screenshot({ path: join(artifacts, 'demo-greeting.png') });
  await context.close();
});

test('the win-back banner shows to a lapsed user and to no newcomer', async () => {
  const { context, page } = await visit('/?demo=lapsed');
  assert.equal(new URL(page.url()).search, '', 'the demo switch leaves the URL');
  const banner = page.locator('#notices [data-waymark-banner="win-back"]');
  await banner.getByText('We have missed you').waitFor();
  const risk = await page.evaluate(() => window.waymark.behavior.churn_risk);
  assert.ok(risk >= 0.5, `churn risk ${risk}`);
  assert.equal(await tourTitle(page), null, 'no onboarding tour for them');
  await page.screenshot({ path: join(artifacts, 'demo-win-back.png') });
  await banner.getByRole('button', { name: 'Dismiss' }).click();
  await page.waitForFunction(() => !document.querySelector('[data-waymark-banner]'));
  await context.close();

  const newcomer = await visit('/');
  await showsTour(newcomer.page, 'Welcome to Ledgerly');
  assert.equal(await newcomer.page.locator('[data-waymark-banner]').count(), 0);
  await newcomer.context.close();
});

test('the win-back banner holds out a fifth of the people it targets: a held-out lapsed user does not see it and the holdout is recorded; one shown it records $content_shown', async () => {
  const held = await visit('/?demo=lapsed-held-out');
  const heldId = await held.page.evaluate(() => window.waymark.anonymousId);
  assert.ok(await held.page.evaluate(() => window.waymark.behavior.churn_risk) >= 0.5, 'targeted by the banner');
  await held.page.getByRole('link', { name: 'Invoices' }).first().click();
  await held.page.waitForURL('**/invoices');
  await held.page.evaluate(() => window.waymark.flush());
  // Both page views decided; the banner was held back on each, and recorded once a page.
  await eventually(() => stored(heldId, '$pageview').length === 2 && stored(heldId, '$experience_not_shown').length === 2, {
    describe: () => JSON.stringify(query(collector.db, `SELECT name, path FROM events WHERE anonymous_id = '${heldId}' ORDER BY id`)),
  });
  assert.deepEqual(stored(heldId, '$experience_not_shown').map((e) => [e.path, e.properties]), [
    ['/', { experience: 'win-back', reason: 'holdout' }],
    ['/invoices', { experience: 'win-back', reason: 'holdout' }],
  ]);
  assert.equal(await held.page.locator('[data-waymark-banner]').count(), 0, 'no banner for them');
  assert.deepEqual(stored(heldId, '$content_shown'), []);
  assert.equal(held.seen.warnings.length, 0, held.seen.warnings.join('\n'));
  await held.context.close();

  const shown = await visit('/?demo=lapsed');
  await shown.page.locator('#notices [data-waymark-banner="win-back"]').getByText('We have missed you').waitFor();
  const shownId = await shown.page.evaluate(() => window.waymark.anonymousId);
  await shown.page.evaluate(() => window.waymark.flush());
  await eventually(() => stored(shownId, '$content_shown').length === 1);
  assert.deepEqual(stored(shownId, '$content_shown').map((e) => [e.path, e.properties]), [['/', { experience: 'win-back' }]]);
  assert.deepEqual(stored(shownId, '$experience_not_shown'), []);
  await shown.context.close();
});

test('a session\'s first event brings the behaviour scores with their terms, once per session, and the collector stores them', async () => {
  const { context, page } = await visit('/?demo=lapsed');
  await page.locator('#notices [data-waymark-banner="win-back"]').getByText('We have missed you').waitFor();
  await page.getByRole('link', { name: 'Invoices' }).first().click();
  await page.waitForURL('**/invoices');
  const anonymousId = await page.evaluate(() => window.waymark.anonymousId);
  await page.evaluate(() => window.waymark.flush());
  await eventually(() => stored(anonymousId, '$pageview').length === 2);
  const scores = stored(anonymousId, '$behavior_scores');
  assert.equal(scores.length, 1, 'one per session, not per page view');
  const rows = query(collector.db, `SELECT name, session_id FROM events WHERE anonymous_id = '${anonymousId}' ORDER BY seq`);
  assert.deepEqual(rows.slice(0, 2).map((r) => r.name), ['$pageview', '$behavior_scores'], 'just after the session\'s first event');
  assert.equal(rows[1].session_id, rows[0].session_id);
  const s = scores[0].properties;
  assert.deepEqual(Object.keys(s), ['engagement', 'recency', 'frequency', 'breadth', 'churn_risk', 'activity_fall', 'time_away', 'dismissals', 'unanswered_surveys', 'days_away']);
  // demo-tools' lapsed profile, as the session began: daily use from 28 to 8 days ago, none
  // since; three prompts dismissed within 30 days, two surveys seen and none answered.
  const close = (name, want) => assert.ok(Math.abs(s[name] - want) < 1e-9, `${name}: ${s[name]} against ${want}`);
  close('days_away', 8);
  close('activity_fall', 1);
  close('time_away', 5 / 11);
  close('dismissals', 1);
  close('unanswered_surveys', 1);
  close('churn_risk', 0.35 + 0.3 * 5 / 11 + 0.2 + 0.15);
  close('recency', Math.exp(-8 / 7));
  close('frequency', 1);
  close('breadth', 2 / 8);
  close('engagement', 0.4 * Math.exp(-8 / 7) + 0.35 + 0.25 * 2 / 8);
  await context.close();
});

test('the plans page shows one layout variant, forced by ?pricing-layout=<n>, and sends its exposure', async () => {
  const visible = (page) => page.evaluate(() => [...document.querySelectorAll('[data-waymark-variant]')].filter((e) => e.checkVisibility()).map((e) => e.dataset.waymarkVariant));
  const { context, page } = await visit('/plans?pricing-layout=1');
  await page.waitForFunction(() => document.querySelector('[data-waymark-variant="pricing-b"]').checkVisibility());
  assert.deepEqual(await visible(page), ['pricing-b']);
  await page.screenshot({ path: join(artifacts, 'demo-plans-annual.png') });
  await page.getByRole('button', { name: 'Switch to Business' }).click();
  const anonymousId = await page.evaluate(() => window.waymark.anonymousId);
  await page.evaluate(() => window.waymark.flush());
  const exposures = await eventually(() => { const e = stored(anonymousId, '$exposure'); return e.length && e; });
  assert.deepEqual(exposures.map((e) => [e.properties.experiment, e.properties.variant]), [['pricing-layout', 'annual-first']]);
  await eventually(() => stored(anonymousId, 'plan_upgrade_clicked').length === 1);
  await page.goto(`${collector.url}/plans?pricing-layout=0`);
  await page.waitForFunction(() => document.querySelector('[data-waymark-variant="pricing-a"]').checkVisibility() && !document.querySelector('[data-waymark-variant="pricing-b"]').checkVisibility());
  assert.deepEqual(await visible(page), ['pricing-a']);
  await context.close();
});

test('the demo\'s own pages have no axe violations, and its navigation works from the keyboard', async () => {
  const { context, page } = await visit('/customers');
  for (const path of ['/customers', '/invoices', '/reports', '/plans', '/settings', '/']) {
    await page.goto(`${collector.url}${path}`);
    if (path === '/') await page.locator('[data-waymark="activity-feed"]').waitFor();
    await page.addScriptTag({ path: join(ROOT, 'tests/node_modules/axe-core/axe.min.js') });
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run({ exclude: [['waymark-tour'], ['waymark-survey']] }, { resultTypes: ['violations'] });
      return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    assert.deepEqual(violations, [], `axe on ${path}`);
  }
  await page.goto(`${collector.url}/customers`);
  await page.locator('.sidebar a[href="/plans"]').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.title === 'Plans & billing · Ledgerly');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'view', 'focus moves to the new page');
  await context.close();
});
