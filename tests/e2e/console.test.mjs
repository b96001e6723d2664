// The marketer console end to end, in Chromium at 375 px wide: sign in; build an NPS survey
// through the form alone; a diagnostic appears at the field it points to and clears; publish;
// a tour built through its form; a targeting group built, saved as the core's condition JSON
// and read back; pause, resume and end from the list; the users page for admins;
// a tour translated field by field and one language exported and imported as CSV and JSON;
// a content change and an experiment built through their forms; the survey shows on a page
// with the SDK and is answered; the answer shows in the console; roll back; the audit log
// says who did what; a viewer has no publish button and the API refuses them; and every page
// and action above done again from the keyboard alone, the focus visible at each stop. Every
// page is checked with axe-core at 375 and 1280 px, must not scroll sideways at either, and
// is screenshotted at both into tests/screenshots/console/ (gitignored).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, eventually, launchBrowser, query, sdkReady, startCollector, startSite, watchConsole } from '../harness.mjs';
import { checkPage, makeUsers } from './console-kit.mjs';

const PASSWORD = 'console e2e passphrase';
const WIDTH = 375;

let collector;
let site;
let browser;
before(async () => {
  // pia signs in more than five times a minute in a fast run, which the sign-in limit would
  // refuse; the limit has tests of its own (collector/tests/console.rs).
  collector = await startCollector({ args: ['--console-dir', join(ROOT, 'console/dist'), '--console-sign-ins-per-minute', '0'] });
  site = await startSite(collector.url);
  browser = await launchBrowser();
  makeUsers(collector, [['pia', 'publisher'], ['vic', 'viewer']], PASSWORD);
});
after(async () => {
  await browser?.close();
  await site?.stop();
  await collector?.stop();
});

const check = (page, name) => checkPage(page, name);

async function signIn(page, name) {
  const response = await page.goto(`${collector.url}/console/`);
  assert.match(response.headers()['content-security-policy'], /script-src 'self'; style-src 'self'/);
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Experiences in demo' }).waitFor();
}

/** A fresh browser context at 375 px, signed in as `name`. */
async function signedIn(name) {
  const context = await browser.newContext({ viewport: { width: WIDTH, height: 800 } });
  const page = await context.newPage();
  await signIn(page, name);
  return { context, page };
}

test('a publisher builds an NPS survey with the form, publishes it, sees its answer, rolls back and reads the audit log', async () => {
  const context = await browser.newContext({ viewport: { width: WIDTH, height: 800 } });
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${collector.url}/console/`);
  await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
  await check(page, 'sign-in');
  await page.getByLabel('User name').fill('pia');
  await page.getByLabel('Password').fill('not the passphrase');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('the user name or the password is wrong').waitFor();
  await signIn(page, 'pia');
  assert.deepEqual(await context.storageState().then((s) => s.origins), [], 'nothing in the browser\'s storage');
  const cookie = (await context.cookies()).find((c) => c.name === 'waymark_console');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');

  // Build the survey through the form alone.
  await page.getByRole('button', { name: 'New NPS survey' }).click();
  await page.getByRole('heading', { name: 'Edit nps' }).waitFor();
  const low = page.getByLabel('Words for 0');
  await low.fill('');
  const error = page.locator(`#${await low.getAttribute('aria-describedby').then((ids) => ids.split(' ').pop())}`);
  await eventually(async () => (await error.textContent()).includes('this text is required'), { describe: () => 'the diagnostic at "Words for 0"' });
  assert.equal(await low.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByRole('button', { name: 'Publish' }).isDisabled(), true, 'a draft with errors cannot be published');
  await check(page, 'editor-diagnostic');
  await low.fill('Not at all likely');
  await page.getByLabel('Question').fill('How likely are you to recommend the console to a colleague?');
  await eventually(async () => (await error.textContent()) === '' && (await page.locator('#save-status').textContent()).startsWith('All changes saved'), { describe: () => 'the diagnostic clears and the draft saves' });
  assert.equal(await low.getAttribute('aria-invalid'), null);
  assert.match(await page.getByRole('textbox', { name: 'JSON' }).inputValue(), /recommend the console to a colleague/, 'the JSON view follows the form');
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByText('Published as version 1.').waitFor();
  await check(page, 'editor');

  // It shows on a page with the SDK, and is answered.
  const visitor = await browser.newPage();
  await visitor.goto(`${site.url}/p/console`);
  await sdkReady(visitor);
  await visitor.locator('waymark-survey h2').waitFor();
  assert.equal(await visitor.locator('waymark-survey h2').textContent(), 'How likely are you to recommend the console to a colleague?');
  await visitor.getByRole('radio', { name: '9', exact: true }).click();
  await visitor.getByRole('button', { name: /Submit|Next/ }).click();
  // The page's SDK sends the answer in its own time; the console can only show it once stored.
  await eventually(() => query(collector.db, "SELECT 1 FROM events WHERE name = '$survey_answered'").length > 0, { timeoutMs: 30_000, describe: () => 'the answer stored' });
  await visitor.close();

  // The answer shows in the console's list.
  await eventually(async () => {
    await page.goto(`${collector.url}/console/#/p/demo`);
    await page.getByRole('heading', { name: 'Experiences in demo' }).waitFor();
    return (await page.getByRole('row', { name: /nps/ }).textContent()).includes('1 response · NPS 100');
  }, { describe: () => 'the response in the list' });
  assert.match(await page.getByRole('row', { name: /nps/ }).textContent(), /Live/);
  await check(page, 'experiences');

  // Roll back to the empty config of before: publish an edit first, then roll back to 1.
  await page.getByRole('link', { name: 'nps' }).click();
  await page.getByLabel('Thank-you message').fill('Thanks a lot!');
  await eventually(async () => (await page.locator('#save-status').textContent()).startsWith('All changes saved'));
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByText('Published as version 2.').waitFor();
  await page.getByRole('link', { name: 'Versions' }).click();
  await page.getByRole('heading', { name: 'Versions of demo' }).waitFor();
  await page.getByRole('button', { name: 'Show changes' }).click();
  await page.getByText('/experiences/0/survey/thank_you').first().waitFor().catch(async (error) => {
    // Seen to fail now and then, not yet reproduced on purpose: say what the diff showed and
    // what the server holds, so the next failure tells the cause.
    const side = (id) => page.locator(id).inputValue().catch(() => '?');
    const shown = await page.locator('ul.changes').innerText().catch(() => '?');
    const server = await page.evaluate(async () => ({
      draft: (await (await fetch('/console/api/projects/demo/draft')).json()).config?.experiences?.[0]?.survey?.thank_you,
      versions: (await (await fetch('/console/api/projects/demo/versions')).json()).map?.((v) => v.version),
    })).catch(() => '?');
    throw new Error(`the diff from ${await side('#diff-from')} to ${await side('#diff-to')} lacks the thank-you change; it shows ${JSON.stringify(shown)}; the server has ${JSON.stringify(server)}`, { cause: error });
  });
  await check(page, 'versions-diff');
  await page.getByRole('button', { name: 'Roll back to version 1' }).click();
  await page.getByRole('row', { name: /^3 rollback to 1/ }).waitFor();
  await check(page, 'versions');

  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log of demo' }).waitFor();
  const log = await page.locator('tbody').textContent();
  for (const line of ['Rolled back to version 1 (as version 3)', 'Published version 2', 'Published version 1', 'Edited the draft']) {
    assert.ok(log.includes(line), `the audit log lacks "${line}": ${log}`);
  }
  assert.ok(log.includes('pia'));
  await check(page, 'audit');
  // The 401s are the console asking who is signed in before anyone is, and the wrong password.
  const unexpected = seen.errors.filter((e) => !e.includes('status of 401 (Unauthorized)'));
  assert.deepEqual([unexpected, seen.pageErrors], [[], []], 'no console errors (CSP violations included)');
  await context.close();
});

test('the form adds questions of other types, each with the fields its type needs', async () => {
  const { context, page } = await signedIn('pia');
  await page.getByRole('link', { name: 'nps' }).click();
  await page.getByRole('heading', { name: 'Edit nps' }).waitFor();
  await page.getByRole('button', { name: 'Add a question' }).click();
  const second = page.getByRole('group', { name: 'Question 2' });
  await second.getByLabel('Type').selectOption('ces');
  const text = second.getByLabel('Question');
  const error = page.locator(`#${await text.getAttribute('aria-describedby').then((ids) => ids.split(' ').pop())}`);
  await eventually(async () => (await error.textContent()).includes('this text is required'), { describe: () => 'the new question\'s text is required' });
  await text.fill('It was easy to set up my first survey.');
  await second.getByLabel('Words for the lowest score').fill('Strongly disagree');
  await second.getByLabel('Words for the highest score').fill('Strongly agree');
  let shown = [];
  await eventually(async () => (await page.locator('#save-status').textContent()).startsWith('All changes saved') && (shown = await page.locator('.field-error:not(:empty)').allTextContents()).length === 0, { describe: () => `saved without diagnostics: ${shown.join(' | ')}` });
  const json = JSON.parse(await page.getByRole('textbox', { name: 'JSON' }).inputValue());
  assert.deepEqual(json.survey.questions[1], { id: 'q2', type: 'ces', text: 'It was easy to set up my first survey.', optional: true, scale: 7, labels: { low: 'Strongly disagree', high: 'Strongly agree' } });
  assert.equal(await page.getByRole('button', { name: 'Publish' }).isDisabled(), false);
  await check(page, 'editor-questions');
  await second.getByRole('button', { name: 'Remove question 2' }).click();
  assert.equal(await page.getByRole('group', { name: 'Question 2' }).count(), 0);
  await eventually(async () => (await page.locator('#save-status').textContent()).startsWith('All changes saved'));

  // An experiment added in the JSON view of the whole draft is listed with its report's headline.
  await page.getByRole('link', { name: 'JSON' }).click();
  await page.getByRole('heading', { name: 'The whole draft of demo' }).waitFor();
  const whole = page.getByRole('textbox', { name: 'Config (JSON)' });
  const config = JSON.parse(await whole.inputValue());
  config.experiences.push({ id: 'pricing', kind: 'content', trigger: { page_view: ['/plans*'] }, experiment: { key: 'pricing', goals: ['upgrade'], variants: [{ key: 'a', weight: 0.5, changes: [] }, { key: 'b', weight: 0.5, changes: [] }] } });
  await whole.fill(JSON.stringify(config, null, 2));
  await eventually(async () => (await page.locator('#save-status').textContent()).startsWith('All changes saved'), { describe: () => 'the whole draft saved' });
  await whole.fill('{"experiences": [');
  assert.match(await page.locator('#whole-syntax').textContent(), /Not JSON yet, so not saved/);
  assert.match(await page.locator('#save-status').textContent(), /^Not saved: the JSON is not valid yet/, 'the status line does not say all is saved');
  const guarded = () => page.evaluate(() => { const leaving = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(leaving); return leaving.defaultPrevented; });
  assert.equal(await guarded(), true, 'closing the tab asks first: the text is on this page only');
  assert.equal(await page.getByRole('button', { name: 'Publish' }).isDisabled(), true, 'what the server has is not what the author sees');
  await check(page, 'json');
  await page.getByRole('link', { name: 'Experiences' }).first().click();
  await page.getByRole('heading', { name: 'Experiences in demo' }).waitFor();
  assert.match(await page.getByRole('row', { name: /pricing/ }).textContent(), /content.*Draft.*No exposures yet/);
  await context.close();
});

test('an edit made after the session ended is kept on the page and saved after signing in again', async () => {
  const { context, page } = await signedIn('pia');
  await page.getByRole('link', { name: 'nps' }).click();
  await page.getByRole('heading', { name: 'Edit nps' }).waitFor();
  query(collector.db, 'DELETE FROM console_sessions'); // every session ends, as at expiry
  await page.getByLabel('Thank-you message').fill('Kept while signed out');
  await page.getByRole('link', { name: 'Sign in again' }).waitFor();
  assert.match(await page.locator('#save-status').textContent(), /^Not saved: .*Your changes are kept on this page/);
  await page.getByRole('link', { name: 'Sign in again' }).click();
  await page.getByLabel('User name').fill('pia');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Edit nps' }).waitFor();
  assert.equal(await page.getByLabel('Thank-you message').inputValue(), 'Kept while signed out');
  await eventually(async () => (await page.locator('#save-status').textContent()).startsWith('All changes saved'), { describe: () => 'saved after signing in' });
  const stored = await page.evaluate(async () => (await (await fetch('/console/api/projects/demo/draft')).json()).config.experiences[0].survey.thank_you);
  assert.equal(stored, 'Kept while signed out');
  await check(page, 'editor-after-sign-in');
  await context.close();
});

test('the preview never takes the focus from the author, not even for a moment, as it shows the survey again', async () => {
  const { context, page } = await signedIn('pia');
  await page.evaluate(() => {
    window.taken = [];
    window.shows = 0;
    // Checked once the script that moved the focus has run to its end: a focus handed back
    // within that task never shows here, and no keystroke can come between.
    document.addEventListener('focusout', () => queueMicrotask(() => {
      if (document.activeElement?.tagName === 'IFRAME') window.taken.push(document.activeElement.title);
    }), true);
    window.addEventListener('message', (event) => { if (event.data?.type === 'shown') window.shows += 1; });
  });
  await page.getByRole('link', { name: 'nps' }).click();
  await page.getByRole('heading', { name: 'Edit nps' }).waitFor();
  const field = page.getByLabel('Thank-you message');
  const before = await field.inputValue();
  await field.focus();
  await field.press('End');
  await page.waitForFunction(() => window.shows >= 1);
  // Each pause in the typing shows the survey again (300 ms after it), as its first answer
  // would take the focus on a site.
  for (const letter of 'abc') {
    const shows = await page.evaluate(() => window.shows);
    await page.keyboard.type(letter);
    // A keystroke lost to the frame changes nothing, so nothing shows again: the checks below
    // say so better than this wait's timeout would.
    await page.waitForFunction((n) => window.shows > n, shows, { timeout: 10_000 }).catch(() => {});
  }
  assert.deepEqual(await page.evaluate(() => window.taken), [], 'the frame held the focus past the task that gave it');
  assert.equal(await field.inputValue(), `${before}abc`);
  assert.equal(await page.evaluate(() => document.activeElement.labels?.[0]?.textContent), 'Thank-you message');
  await eventually(async () => (await page.locator('#save-status').textContent()).startsWith('All changes saved'), { describe: () => 'saved' });
  await context.close();
});

test('a viewer sees no publish button, and the API refuses them', async () => {
  const { context, page } = await signedIn('vic');
  await page.getByRole('link', { name: 'nps' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'New NPS survey' }).count(), 0);
  await page.getByRole('link', { name: 'nps' }).click();
  await page.getByRole('heading', { name: 'View nps' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Publish' }).count(), 0);
  assert.equal(await page.getByLabel('Question').isDisabled(), true);
  // The preview shows the survey to a viewer too; checked once it is there.
  await page.getByText(/^Shown at phone width/).waitFor();
  await check(page, 'editor-viewer');
  const refused = await page.evaluate(async () => {
    const response = await fetch('/console/api/projects/demo/draft/publish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"revision": 1}' });
    return [response.status, (await response.json()).error];
  });
  assert.deepEqual(refused, [403, 'role_too_low']);
  const unknown = await page.evaluate(async () => {
    const response = await fetch('/console/api/nothing');
    return [response.status, (await response.json()).error];
  });
  assert.deepEqual(unknown, [404, 'not_found'], 'an unknown API path is not the page');
  await context.close();
});

/** Waits until the draft is saved and shows no diagnostic at any field. */
async function savedClean(page, what) {
  await eventually(async () => (await page.locator('#save-status').textContent()).startsWith('All changes saved') && (await page.locator('.field-error:not(:empty)').count()) === 0, { describe: () => `${what}: saved without diagnostics` });
}

test('a tour is built through the form alone: steps, target strategies, markdown, placement, buttons and what advances', async () => {
  const { context, page } = await signedIn('pia');
  await page.getByRole('button', { name: 'New tour' }).click();
  await page.getByRole('heading', { name: 'Edit tour' }).waitFor();
  const tour = page.getByRole('region', { name: 'Tour' });
  const first = tour.getByRole('group', { name: 'Step 1' });
  await first.getByLabel('Title').fill('Make your first invoice');
  await first.getByLabel('Text', { exact: true }).fill('Press **New invoice** to start.');
  const selector = first.getByLabel('CSS selector', { exact: true });
  await selector.fill('button[');
  const error = page.locator(`#${await selector.getAttribute('aria-describedby').then((ids) => ids.split(' ').pop())}`);
  await eventually(async () => (await error.textContent()).startsWith('Error:'), { describe: () => 'the invalid selector diagnosed at its field' });
  assert.equal(await selector.getAttribute('aria-invalid'), 'true');
  await selector.fill('');
  await first.getByLabel('data-waymark value').fill('new-invoice');
  await first.getByLabel('Role', { exact: true }).fill('button');
  await first.getByLabel('Accessible name').fill('New invoice');
  await first.getByLabel('Placement').selectOption('bottom');
  await first.getByLabel('Next').check();
  await first.getByLabel('Skip').check();
  await first.getByLabel('Goes on when').selectOption('click');
  await tour.getByRole('button', { name: 'Add a step' }).click();
  const second = tour.getByRole('group', { name: 'Step 2' });
  await second.getByLabel('Title').fill('Send it');
  await second.getByLabel('Text', { exact: true }).fill('When it is ready, send it from here.');
  await second.getByLabel('Goes on when').selectOption('event');
  await second.getByLabel('Event name').fill('invoice_sent');
  await second.getByLabel('Call to action: label').fill('Read the guide');
  await second.getByLabel('Call to action: link').fill('/help/invoices');
  await savedClean(page, 'the tour');
  const json = JSON.parse(await page.getByRole('textbox', { name: 'JSON' }).inputValue());
  assert.deepEqual(json.tour.steps, [
    { id: 'welcome', title: 'Make your first invoice', body: 'Press **New invoice** to start.', target: { waymark: 'new-invoice', role: 'button', name: 'New invoice' }, placement: 'bottom', buttons: ['next', 'skip'], advance: 'click' },
    { id: 'step-2', title: 'Send it', body: 'When it is ready, send it from here.', advance: { event: 'invoice_sent' }, buttons: [{ cta: { label: 'Read the guide', url: '/help/invoices' } }] },
  ]);
  assert.equal(await first.getByLabel('CSS selector', { exact: true }).getAttribute('aria-invalid'), null, 'the diagnostic cleared');
  assert.equal(await page.getByRole('button', { name: 'Publish' }).isDisabled(), false);
  await check(page, 'editor-tour');
  await context.close();
});

test('a targeting group is built with the builder, saved as the condition the core compiles, and read back', async () => {
  const { context, page } = await signedIn('pia');
  await page.getByRole('link', { name: 'tour' }).click();
  await page.getByRole('heading', { name: 'Edit tour' }).waitFor();
  const targeting = page.getByRole('region', { name: 'Targeting' });
  await targeting.getByRole('button', { name: 'Add a condition' }).click();
  const one = targeting.getByRole('group', { name: 'Condition 1' });
  await one.getByLabel('Attribute').selectOption('event');
  await one.getByLabel('Event name').fill('invoice_created');
  await one.getByLabel('When').selectOption('count_7d');
  await one.getByLabel('Test').selectOption('$gte');
  await one.getByLabel('Value').fill('2');
  await targeting.getByRole('button', { name: 'Add a group' }).click();
  const inner = targeting.getByRole('group', { name: 'Group (level 2)' });
  await inner.getByLabel('Trait name').fill('plan');
  await inner.getByLabel('Value').fill('pro');
  await inner.getByRole('button', { name: 'Add a condition' }).click();
  const locale = inner.getByRole('group', { name: 'Condition 2' });
  await locale.getByLabel('Attribute').selectOption('locale');
  await locale.getByLabel('Test').selectOption('$in');
  await locale.getByLabel('Value').fill('fr, fr-CA');
  await targeting.getByLabel('Share of users (%)').fill('25');
  // A holdout above half is refused by the compiler, at its field.
  const holdout = targeting.getByLabel('Held out to measure it (%)');
  await holdout.fill('60');
  const holdoutError = page.locator(`#${await holdout.getAttribute('aria-describedby').then((ids) => ids.split(' ').pop())}`);
  await eventually(async () => (await holdoutError.textContent()).startsWith('Error: holdout must be a number above 0 and at most 0.5'), { describe: () => 'the invalid holdout diagnosed at its field' });
  await holdout.fill('10');
  // A schedule, in the author's time zone; an end before the start is refused at the field.
  const starts = targeting.getByLabel('Starts');
  const scheduleError = page.locator(`#${await starts.getAttribute('aria-describedby').then((ids) => ids.split(' ').pop())}`);
  await starts.fill('2030-01-02T09:00');
  await targeting.getByLabel('Ends').fill('2030-01-01T09:00');
  await eventually(async () => (await scheduleError.textContent()).startsWith('Error: schedule is'), { describe: () => 'the backwards schedule diagnosed at its field' });
  await targeting.getByLabel('Ends').fill('2030-02-01T18:30');
  const schedule = await page.evaluate(() => ({ start: new Date('2030-01-02T09:00').getTime(), end: new Date('2030-02-01T18:30').getTime() }));
  await targeting.getByLabel('How often one user may see it').selectOption('every_days');
  await targeting.getByLabel('Days between showings').fill('14');
  await savedClean(page, 'the targeting');
  const expected = { 'behavior.event.invoice_created.count_7d': { $gte: 2 }, $or: [{ 'user.plan': 'pro' }, { locale: { $in: ['fr', 'fr-CA'] } }] };
  const json = JSON.parse(await page.getByRole('textbox', { name: 'JSON' }).inputValue());
  assert.deepEqual([json.audience, json.sample, json.holdout, json.cap, json.schedule], [expected, 0.25, 0.1, { every_days: 14 }, schedule]);
  const stored = await page.evaluate(async () => (await (await fetch('/console/api/projects/demo/draft')).json()));
  assert.deepEqual(stored.config.experiences.find((e) => e.id === 'tour').audience, expected, 'the server has the same condition');
  assert.deepEqual(stored.diagnostics.filter((d) => d.pointer.includes('/audience')), [], 'and the core compiles it without a diagnostic');
  await check(page, 'editor-targeting');

  // Read back: a fresh page shows the same groups, from the stored condition.
  await page.reload();
  await page.getByRole('heading', { name: 'Edit tour' }).waitFor();
  const again = page.getByRole('region', { name: 'Targeting' });
  assert.deepEqual([await again.getByLabel('Starts').inputValue(), await again.getByLabel('Ends').inputValue()], ['2030-01-02T09:00', '2030-02-01T18:30'], 'the schedule read back');
  await again.getByLabel('Starts').fill('');
  await again.getByLabel('Ends').fill('');
  await savedClean(page, 'the schedule cleared');
  assert.equal(JSON.parse(await page.getByRole('textbox', { name: 'JSON', exact: true }).inputValue()).schedule, undefined, 'no schedule: always');
  // (The server keeps JSON objects' keys in their sorted order, so the group may come first.)
  assert.equal(await again.getByLabel('Event name').inputValue(), 'invoice_created');
  assert.equal(await again.getByLabel('When', { exact: true }).inputValue(), 'count_7d');
  const group = again.getByRole('group', { name: 'Group (level 2)' });
  assert.equal(await group.getByLabel('Matches').inputValue(), 'or');
  assert.equal(await group.getByLabel('Trait name').inputValue(), 'plan');
  assert.equal(await group.getByRole('group', { name: 'Condition 2' }).getByLabel('Value').inputValue(), 'fr, fr-CA');

  // A condition the builder cannot show as rules is shown as JSON, and kept as written.
  const view = page.getByRole('textbox', { name: 'JSON', exact: true });
  const edited = JSON.parse(await view.inputValue());
  edited.audience = { $not: { 'user.plan': 'free' }, 'behavior.churn_risk': { $lt: 0.5 } };
  await view.fill(JSON.stringify(edited, null, 2));
  await again.getByLabel('Condition (JSON)').waitFor();
  assert.deepEqual(JSON.parse(await again.getByLabel('Condition (JSON)').inputValue()), { $not: { 'user.plan': 'free' } });
  assert.equal(await again.getByRole('group', { name: 'Condition 2' }).getByLabel('Attribute').inputValue(), 'churn_risk');
  await again.getByRole('group', { name: 'Condition 2' }).getByLabel('Value').fill('0.4');
  await savedClean(page, 'the mixed condition');
  assert.deepEqual(JSON.parse(await view.inputValue()).audience, { $not: { 'user.plan': 'free' }, 'behavior.churn_risk': { $lt: 0.4 } }, 'the raw part survives an edit of the rest');
  await context.close();
});

test('a publisher pauses, resumes and ends a live survey from the list, each a version in the audit log; a viewer cannot', async () => {
  const { context, page } = await signedIn('pia');
  const row = () => page.getByRole('row', { name: /^nps/ });
  assert.match(await row().textContent(), /^nps\s*survey\s*Live/);
  // Each kind's headline figure: a survey's responses, NPS and completion; a tour's starts.
  assert.match(await row().textContent(), /1 response · NPS 100 · 100% completed/);
  assert.match(await page.getByRole('row', { name: /^tour/ }).textContent(), /Not started yet/);
  await page.getByRole('button', { name: 'Pause nps' }).click();
  await page.getByRole('button', { name: 'Resume nps' }).waitFor();
  assert.match(await row().textContent(), /Paused/);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Resume nps', 'focus stays on the row\'s action');
  const live = await page.evaluate(async () => {
    const versions = await (await fetch('/console/api/projects/demo/versions')).json();
    const active = versions.find((v) => v.active).version;
    return (await (await fetch(`/console/api/projects/demo/versions/${active}`)).json()).config.experiences.find((e) => e.id === 'nps').state;
  });
  assert.equal(live, 'paused', 'the live version has the survey paused');
  await check(page, 'experiences-paused');
  await page.getByRole('button', { name: 'Resume nps' }).click();
  await page.getByRole('button', { name: 'Pause nps' }).waitFor();
  await page.getByRole('button', { name: 'End nps' }).click();
  await page.getByRole('button', { name: 'Resume nps' }).waitFor();
  assert.match(await row().textContent(), /Ended/);
  assert.equal(await page.getByRole('button', { name: 'End nps' }).count(), 0, 'an ended survey can only be resumed');
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log of demo' }).waitFor();
  const log = await page.locator('tbody').textContent();
  for (const line of ['Ended nps', 'Resumed nps', 'Paused nps']) assert.ok(log.includes(line), `the audit log lacks "${line}": ${log}`);
  await context.close();

  const viewer = await signedIn('vic');
  assert.equal(await viewer.page.getByRole('button', { name: 'Resume nps' }).count(), 0, 'a viewer has no state actions');
  const refused = await viewer.page.evaluate(async () => {
    const response = await fetch('/console/api/projects/demo/experiences/nps/state', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"state": "live"}' });
    return [response.status, (await response.json()).error];
  });
  assert.deepEqual(refused, [403, 'role_too_low']);
  await viewer.context.close();
});

test('an admin adds a user, changes their role and removes them on the users page, each in the audit log', async () => {
  makeUsers(collector, [['ada', 'admin']], PASSWORD);
  const { context, page } = await signedIn('ada');
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('heading', { name: 'Users of demo' }).waitFor();
  assert.equal(await page.getByLabel('Role of ada').isDisabled(), true, 'an admin cannot change their own role');
  await page.getByLabel('User name').fill('eve');
  await page.getByLabel('First password').fill('short');
  await page.getByLabel('Role', { exact: true }).selectOption('editor');
  await page.getByRole('button', { name: 'Add the user' }).click();
  await page.getByText('Not added: a password needs at least 10 characters').waitFor();
  await page.getByLabel('First password').fill('eve\'s first passphrase');
  await page.getByRole('button', { name: 'Add the user' }).click();
  await page.getByRole('row', { name: /^eve/ }).waitFor();
  assert.equal(await page.getByLabel('Role of eve').inputValue(), 'editor');
  await check(page, 'users');
  await page.getByLabel('Role of eve').selectOption('publisher');
  await eventually(async () => (await page.locator('#announce').textContent()) === 'eve is now publisher.', { describe: () => 'the role changed' });
  await page.getByRole('button', { name: 'Remove eve' }).click();
  await eventually(async () => (await page.getByRole('row', { name: /^eve/ }).count()) === 0, { describe: () => 'eve removed' });
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log of demo' }).waitFor();
  const log = await page.locator('tbody').textContent();
  for (const line of ['Removed eve from the project', 'Made eve publisher', 'Added eve as editor']) assert.ok(log.includes(line), `the audit log lacks "${line}": ${log}`);
  await context.close();
  const publisher = await signedIn('pia');
  assert.equal(await publisher.page.getByRole('link', { name: 'Users' }).count(), 0, 'only admins see the users page');
  await publisher.context.close();
});

test('a tour is translated field by field, with a completeness marker, and one language is exported and imported as CSV and JSON', async () => {
  const { context, page } = await signedIn('pia');
  await page.getByRole('link', { name: 'tour' }).click();
  await page.getByRole('heading', { name: 'Edit tour' }).waitFor();
  const section = page.getByRole('region', { name: 'Translations' });
  await section.getByLabel('Add a language').fill('french');
  await section.getByRole('button', { name: 'Add the language' }).click();
  await section.getByText('"french" is not a locale tag such as fr or pt-BR.').waitFor();
  await section.getByLabel('Add a language').fill('fr');
  await section.getByRole('button', { name: 'Add the language' }).click();
  let seen = '';
  await eventually(async () => (seen = await section.textContent()).includes('fr: 0 of 5 texts translated (incomplete'), { describe: () => seen });
  const first = page.getByRole('region', { name: 'Tour' }).getByRole('group', { name: 'Step 1' });
  await first.getByLabel('Title (fr)').fill('Créez votre première facture');
  await section.getByText('fr: 1 of 5 texts translated').waitFor();
  // Each text says which languages it has, beside it.
  assert.equal(await first.locator('.languages-of').first().textContent(), 'Translated into fr.');
  assert.equal(await first.locator('.languages-of').nth(1).textContent(), 'Not yet translated into fr.');
  assert.match(await first.getByLabel('Title', { exact: true }).getAttribute('aria-describedby'), /-languages$/, 'the marker describes the source text');
  await eventually(async () => (await page.locator('#save-status').textContent()).startsWith('All changes saved'), { describe: () => 'the first translation saved' });
  // Until every text has it, the compiler warns that the tour does not offer French yet.
  await eventually(async () => (await page.locator('.field-error:not(:empty)').allTextContents()).some((t) => t.startsWith('Warning:') && t.includes('fr')), { describe: () => 'the incomplete_locale warning at a text' });
  const json = () => page.getByRole('textbox', { name: 'JSON', exact: true }).inputValue().then(JSON.parse);
  assert.deepEqual((await json()).tour.steps[0].title, { en: 'Make your first invoice', fr: 'Créez votre première facture' });

  // Export the language as CSV, translate the rest, import it.
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), section.getByRole('button', { name: 'Export as CSV' }).click()]);
  assert.equal(csvDownload.suggestedFilename(), 'tour.fr.csv');
  const csv = readFileSync(await csvDownload.path(), 'utf8');
  const lines = csv.trim().split('\r\n');
  assert.equal(lines[0], 'pointer,label,source,translation');
  assert.equal(lines.length, 6, csv);
  assert.equal(lines[1], '/tour/steps/0/title,Step 1 › Title,Make your first invoice,Créez votre première facture');
  const done = ['pointer,label,source,translation',
    lines[1],
    '/tour/steps/0/body,Step 1 › Text,Press **New invoice** to start.,"Appuyez sur **Nouvelle facture**, pour commencer."',
    '/tour/steps/1/title,Step 2 › Title,Send it,Envoyez-la',
    '/tour/steps/1/body,Step 2 › Text,"When it is ready, send it from here.","Une fois prête, envoyez-la d\'ici."',
    '/tour/steps/1/buttons/0/cta/label,Step 2 › Buttons › Call to action: label,Read the guide,Lire le guide'].join('\r\n');
  const bad = done.replace('/tour/steps/1/title,', '/tour/steps/9/title,');
  const file = section.getByLabel('Import a file (JSON or CSV)');
  await file.setInputFiles({ name: 'tour.fr.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await section.getByText('Not imported (tour.fr.csv): row 4, field pointer: /tour/steps/9/title is not a text of this experience.').waitFor();
  await file.setInputFiles({ name: 'tour.fr.csv', mimeType: 'text/csv', buffer: Buffer.from(done) });
  await section.getByText('fr: 5 of 5 texts translated (complete)').waitFor();
  // The compiler asks for the words of the controls the tour shows in French (untranslated_label).
  const words = page.getByRole('region', { name: 'Tour' }).getByRole('group', { name: 'Words on the controls' });
  const next = words.getByLabel('Next button', { exact: true });
  const nextError = page.locator(`#${await next.getAttribute('aria-describedby').then((ids) => ids.split(' ').pop())}`);
  await eventually(async () => (await nextError.textContent()).startsWith('Warning: the tour is offered in a language other than English'), { describe: () => 'the untranslated_label warning at the Next button' });
  for (const [control, en, fr] of [['Next button', 'Next', 'Suivant'], ['Skip button', 'Skip tour', 'Passer'], ['Close button', 'Close tour', 'Fermer']]) {
    await words.getByLabel(control, { exact: true }).fill(en);
    await words.getByLabel(`${control} (fr)`).fill(fr);
  }
  await section.getByText('fr: 8 of 8 texts translated (complete)').waitFor();
  await savedClean(page, 'the imported translations');
  assert.deepEqual((await json()).tour.steps[1].body, { en: 'When it is ready, send it from here.', fr: 'Une fois prête, envoyez-la d\'ici.' });
  assert.equal(await first.getByLabel('Text (fr)').inputValue(), 'Appuyez sur **Nouvelle facture**, pour commencer.');
  await check(page, 'editor-translations');

  // JSON: exported as written (the control words are texts too), and a file for another
  // language is refused with the field.
  const [jsonDownload] = await Promise.all([page.waitForEvent('download'), section.getByRole('button', { name: 'Export as JSON' }).click()]);
  const exported = JSON.parse(readFileSync(await jsonDownload.path(), 'utf8'));
  assert.deepEqual([exported.locale, exported.source_locale, exported.texts.length, exported.texts[2]], ['fr', 'en', 8, { pointer: '/tour/steps/1/title', label: 'Step 2 › Title', source: 'Send it', translation: 'Envoyez-la' }]);
  // The round trip: the exported file imported as it is changes nothing.
  const before = await json();
  await section.getByLabel('Import a file (JSON or CSV)').setInputFiles({ name: 'tour.fr.json', mimeType: 'application/json', buffer: readFileSync(await jsonDownload.path()) });
  await eventually(async () => (await page.locator('#announce').textContent()) === 'Imported 8 fr texts from tour.fr.json.', { describe: () => 'the round trip imported' });
  assert.deepEqual(await json(), before, 'the exported file imports back to the same experience');
  await section.getByLabel('Import a file (JSON or CSV)').setInputFiles({ name: 'tour.de.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...exported, locale: 'de', texts: [{ pointer: '/tour/steps/0/title', translation: 7 }] })) });
  await section.getByText('Not imported (tour.de.json): field locale: the file is for "de", not fr; row 1, field translation: must be text.').waitFor();
  await context.close();
});

test('a content change and an experiment are built through their forms alone', async () => {
  const { context, page } = await signedIn('pia');
  await page.getByRole('button', { name: 'New content change' }).click();
  await page.getByRole('heading', { name: 'Edit content' }).waitFor();
  const content = page.getByRole('region', { name: 'Content' });
  const first = content.getByRole('group', { name: 'Change 1' });
  await first.getByLabel('Elements (CSS selector)').fill('#hero h1');
  await first.getByLabel('New text').fill('Hello, {{user.first_name | there}}');
  await content.getByRole('button', { name: 'Add a change' }).click();
  const second = content.getByRole('group', { name: 'Change 2' });
  await second.getByLabel('Change', { exact: true }).selectOption('banner');
  await second.getByLabel('Elements (CSS selector)').fill('main');
  await second.getByLabel('Banner text').fill('Invoices are now twice as fast.');
  await second.getByLabel('Button label').fill('See how');
  await second.getByLabel('Button link').fill('/help/fast');
  await savedClean(page, 'the content change');
  const json = () => page.getByRole('textbox', { name: 'JSON', exact: true }).inputValue().then(JSON.parse);
  assert.deepEqual((await json()).changes, [
    { selector: '#hero h1', text: 'Hello, {{user.first_name | there}}' },
    { selector: 'main', banner: { title: '', text: 'Invoices are now twice as fast.', cta: { label: 'See how', url: '/help/fast' } } },
  ]);
  await check(page, 'editor-content');

  await page.getByRole('link', { name: 'Experiences' }).first().click();
  await page.getByRole('button', { name: 'New experiment' }).click();
  await page.getByRole('heading', { name: 'Edit experiment' }).waitFor();
  const experiment = page.getByRole('region', { name: 'Content and experiment' });
  await experiment.getByLabel('Goals').fill('upgrade');
  const treatment = experiment.getByRole('group', { name: 'Variant 2' });
  await treatment.getByRole('button', { name: 'Add a change' }).click();
  await treatment.getByLabel('Elements (CSS selector)').fill('.plans');
  await treatment.getByLabel('Change', { exact: true }).selectOption('add_class');
  await treatment.getByLabel('Class').fill('plans-compact');
  await savedClean(page, 'the experiment');
  assert.deepEqual((await json()).experiment, {
    key: 'experiment', goals: ['upgrade'],
    variants: [{ key: 'control', weight: 0.5, changes: [] }, { key: 'treatment', weight: 0.5, changes: [{ selector: '.plans', add_class: 'plans-compact' }] }],
  });
  await check(page, 'editor-experiment');
  await context.close();
});

test('an admin sets the origins and rotates the admin key on the settings page, each in the audit log', async () => {
  const { context, page } = await signedIn('ada');
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings of demo' }).waitFor();
  const origins = page.getByLabel('Origins');
  await origins.fill('https://app.example\napp.example/path');
  await page.getByRole('button', { name: 'Save the origins' }).click();
  await page.getByText('Not saved: "app.example/path" is not an origin').waitFor();
  await origins.fill('https://app.example\nhttp://localhost:3000');
  await page.getByRole('button', { name: 'Save the origins' }).click();
  await eventually(async () => (await page.locator('#announce').textContent()) === 'Pages at https://app.example, http://localhost:3000 may send events.', { describe: () => 'the origins saved' });
  await check(page, 'settings');
  await page.getByRole('button', { name: 'Rotate the admin key' }).click();
  const fresh = page.getByLabel('The new admin key (copy it now: it is not shown again)');
  await fresh.waitFor();
  assert.match(await fresh.inputValue(), /^sk_/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'new-admin-key', 'the new key has focus, selected to copy');
  assert.equal(await page.getByRole('row', { name: /admin\s+.*in use/ }).count(), 1, 'one admin key in use');
  await check(page, 'settings-new-key');
  // Any origin again, so that the site of the other tests may send.
  await origins.fill('');
  await page.getByRole('button', { name: 'Save the origins' }).click();
  await eventually(async () => (await page.locator('#announce').textContent()) === 'Pages anywhere may send events.', { describe: () => 'the origins cleared' });
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log of demo' }).waitFor();
  const log = await page.locator('tbody').textContent();
  for (const line of ['Let pages anywhere send events', 'Rotated the admin key', 'Let pages at https://app.example, http://localhost:3000 send events']) assert.ok(log.includes(line), `the audit log lacks "${line}": ${log}`);
  await context.close();
  const publisher = await signedIn('pia');
  assert.equal(await publisher.page.getByRole('link', { name: 'Settings' }).count(), 0, 'only admins see the settings');
  await publisher.context.close();
});

/**
 * Presses Tab (or Shift+Tab) until the focused element's text or label is `name`, and checks
 * that the focus shows (an outline of 2 px or more, or a shadow) at every stop on the way.
 */
async function tabTo(page, name, { back = false } = {}) {
  // The editor's forms are long (the kind's, the targeting, translations, the JSON view).
  const unseen = new Set();
  for (let presses = 0; presses < 400; presses++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const label = el?.labels?.[0]?.textContent ?? el?.getAttribute('aria-label') ?? '';
      const style = el ? getComputedStyle(el) : null;
      // The preview's frame shows its own focus inside, in the SDK's styles.
      const visible = el?.tagName === 'IFRAME' || (style !== null && ((style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== 'none'));
      // A control is named by its label (a select's text is all its options'), else its text.
      const control = el?.matches('input, select, textarea');
      // A page's heading takes the focus from the script when the page is drawn (tabindex -1):
      // it is where reading starts, not a stop of Tab's.
      // A date's calendar button is a part of the input (it has focus, the input does not
      // match :focus); its ring is its own (console.css styles it), which no script can read.
      return { name: (control ? label : el?.textContent?.trim() || label).trim(), visible, stop: el !== null && el !== document.body && el.tabIndex >= 0 && el.matches(':focus'), tag: el?.tagName ?? '' };
    });
    if (!focused.visible && focused.stop) unseen.add(`${focused.tag} "${focused.name.slice(0, 40)}"`);
    if (focused.name === name) {
      assert.deepEqual([...unseen], [], `the focus did not show on the way to "${name}"`);
      return;
    }
  }
  throw new Error(`Tab never reached "${name}"`);
}

/** Goes to a page of the navigation bar from the keyboard: back from the page's heading. */
async function navigateTo(page, link, heading) {
  await page.locator('main h1').focus();
  await tabTo(page, link, { back: true });
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: heading }).waitFor();
}

test('the console works from the keyboard alone, on every page, with the focus in sight at every stop', async () => {
  makeUsers(collector, [['kim', 'admin']], PASSWORD);
  const context = await browser.newContext({ viewport: { width: WIDTH, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${collector.url}/console/`);
  await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'name', 'the name field has focus');
  await page.keyboard.type('kim');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Experiences in demo' }).waitFor();

  // A survey: a field edited, the preview switched to desktop width, published.
  await tabTo(page, 'nps');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Edit nps' }).waitFor();
  await tabTo(page, 'Thank-you message');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Thanks, from the keyboard');
  await eventually(async () => (await page.locator('#save-status').textContent()).startsWith('All changes saved'));
  await tabTo(page, 'Publish');
  await page.keyboard.press('Enter');
  await page.getByText(/^Published as version \d+\.$/).waitFor();
  await tabTo(page, 'Phone (375 px)');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.getByLabel('Desktop (1280 px)').isChecked(), true, 'the arrow keys choose the preview\'s width');

  // A tour: a condition added with the targeting builder, one language exported and imported.
  await navigateTo(page, 'Experiences', 'Experiences in demo');
  await tabTo(page, 'tour');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Edit tour' }).waitFor();
  await tabTo(page, 'Add a condition');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.labels[0].textContent), 'Attribute', 'the new condition\'s first field has focus');
  await page.keyboard.press('Home'); // Trait, the first attribute
  await tabTo(page, 'Trait name');
  await page.keyboard.type('plan');
  await tabTo(page, 'Test');
  await page.keyboard.press('Home'); // is
  await tabTo(page, 'Value');
  await page.keyboard.type('team');
  await savedClean(page, 'the condition typed');
  const audience = async () => JSON.parse(await page.getByRole('textbox', { name: 'JSON', exact: true }).inputValue()).audience;
  assert.deepEqual((await audience())['user.plan'], { $eq: 'team' });
  await tabTo(page, 'Export as CSV');
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  assert.equal(download.suggestedFilename(), 'tour.fr.csv');
  const csv = readFileSync(await download.path(), 'utf8');
  // Listening first turns on Playwright's interception of the file chooser before the key.
  const choosing = page.waitForEvent('filechooser');
  await tabTo(page, 'Import a file (JSON or CSV)');
  await page.keyboard.press('Space');
  const chooser = await choosing;
  await chooser.setFiles({ name: 'tour.fr.csv', mimeType: 'text/csv', buffer: Buffer.from(csv.replace('Envoyez-la', 'Envoyez-la vite')) });
  await eventually(async () => (await page.locator('#announce').textContent()) === 'Imported 8 fr texts from tour.fr.csv.', { describe: () => 'the file imported' });
  assert.equal(await page.getByRole('group', { name: 'Step 2' }).getByLabel('Title (fr)').inputValue(), 'Envoyez-la vite');
  await savedClean(page, 'the imported file');

  // The whole draft's JSON, the events, versions with a diff and a rollback, the audit log.
  await navigateTo(page, 'JSON', 'The whole draft of demo');
  await tabTo(page, 'Config (JSON)');
  await navigateTo(page, 'Events', /^Events/);
  await navigateTo(page, 'Versions', 'Versions of demo');
  const before = await page.locator('tbody tr').count();
  await tabTo(page, 'Show changes');
  await page.keyboard.press('Enter');
  await page.locator('ul.changes li').first().waitFor();
  await page.locator('main h1').focus();
  await tabTo(page, 'Roll back to version 1');
  await page.keyboard.press('Enter');
  await eventually(async () => (await page.locator('tbody tr').count()) === before + 1, { describe: () => 'a new version from the rollback' });
  await navigateTo(page, 'Audit log', 'Audit log of demo');
  assert.match(await page.locator('tbody').textContent(), /kim/);

  // The users page: a user added and removed.
  await navigateTo(page, 'Users', 'Users of demo');
  await tabTo(page, 'User name');
  await page.keyboard.type('lou');
  await tabTo(page, 'First password');
  await page.keyboard.type('lou\'s first passphrase');
  await tabTo(page, 'Add the user');
  await page.keyboard.press('Enter');
  await page.getByRole('row', { name: /^lou/ }).waitFor();
  await page.locator('main h1').focus();
  await tabTo(page, 'Remove lou');
  await page.keyboard.press('Enter');
  await eventually(async () => (await page.getByRole('row', { name: /^lou/ }).count()) === 0, { describe: () => 'lou removed' });

  // The settings: the origins reached and saved as they are.
  await navigateTo(page, 'Settings', 'Settings of demo');
  await tabTo(page, 'Save the origins');
  await page.keyboard.press('Enter');
  await eventually(async () => (await page.locator('#announce').textContent()) === 'Pages anywhere may send events.', { describe: () => 'the origins saved from the keyboard' });

  // A report, then signing out.
  await navigateTo(page, 'Experiences', 'Experiences in demo');
  await tabTo(page, 'Report');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Report on nps' }).waitFor();
  await page.locator('main h1').focus();
  await tabTo(page, 'Sign out', { back: true });
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
  await context.close();
});
