// Surveys end to end in Chromium: the experiences module as shipped (npm/dist/sdk), in a
// page of its own under a strict CSP (script-src 'self' 'wasm-unsafe-eval'; style-src
// 'self'), driven with a real mouse and keyboard (trusted events), with axe-core on every
// screen. A fake host records what the module reports, as the runtime would.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, launchBrowser, watchConsole } from '../harness.mjs';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";
const sdkDir = join(ROOT, 'npm/dist/sdk');
const axePath = join(ROOT, 'tests/node_modules/axe-core/axe.min.js');

// The page's own script: a fake host, and `showSurvey(survey, locale)` for the test.
const pageScript = (module) => `
import { show } from '/sdk/${module}';
window.calls = [];
window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
const host = {
  event(name, properties) { calls.push(['event', name, JSON.parse(properties)]); },
  outcome(id, outcome) { calls.push(['outcome', id, outcome]); },
  progress() {},
  ended(id, reason) { calls.push(['ended', id, reason]); },
};
window.showSurvey = async (survey, locale = 'en-GB') => {
  window.showing = await show('survey', { id: 's1', definition: { id: 's1', kind: 'survey', survey }, locale, responseId: 'r1', progress: null, url: location.href }, host);
  return Boolean(window.showing);
};
// Once the module is loaded, show() returns the showing itself, as the runtime holds it.
window.showAgain = (survey) => {
  const showing = show('survey', { id: 's2', definition: { id: 's2', kind: 'survey', survey }, locale: 'en', responseId: 'r2', progress: null, url: location.href }, host);
  const held = typeof showing.close === 'function' && !(showing instanceof Promise);
  showing.close();
  return held;
};
window.ready = true;
`;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ledgerly</title>
<link rel="stylesheet" href="/hostile.css">
<script type="module" src="/page.js"></script></head>
<body><header>Ledgerly</header><main><h1>Invoices</h1><button id="outside">New invoice</button><input id="note" aria-label="Note"></main></body></html>`;

// A page stylesheet that would wreck anything it reached.
const HOSTILE = `*, div, button { color: rgb(255, 0, 0) !important; font-size: 40px !important; background: rgb(0, 255, 0) !important; padding: 40px !important; }
header { position: fixed; inset: 0 0 auto 0; height: 100vh; z-index: 2147483647; background: #000 !important; }`;

let server;
let site;
let browser;
before(async () => {
  const module = existsSync(sdkDir) && readdirSync(sdkDir).find((f) => /^experiences-[0-9a-f]+\.mjs$/.test(f));
  assert.ok(module, `no experiences module in ${sdkDir}: build the SDK with scripts/build-sdk`);
  server = createServer((request, response) => {
    const path = new URL(request.url, 'http://site').pathname;
    const send = (type, body) => response.writeHead(200, { 'content-type': type, 'content-security-policy': CSP }).end(body);
    if (path === '/') return send('text/html; charset=utf-8', PAGE);
    if (path === '/page.js') return send('text/javascript', pageScript(module));
    if (path === '/hostile.css') return send('text/css', HOSTILE);
    if (path === '/favicon.ico') return response.writeHead(204).end();
    if (path === '/axe.js') return send('text/javascript', readFileSync(axePath));
    const file = join(sdkDir, path.replace(/^\/sdk\//, '').replace(/[^\w.-]/g, ''));
    if (path.startsWith('/sdk/') && existsSync(file)) {
      return send(file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript', readFileSync(file));
    }
    response.writeHead(404).end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  site = `http://127.0.0.1:${server.address().port}`;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r()));
});

const EVERY_TYPE = {
  thank_you: 'Thanks for your feedback!', auto_close_ms: 0,
  questions: [
    { id: 'nps', type: 'nps', text: 'How likely are you to recommend Ledgerly to a friend or colleague?', labels: { low: 'Not at all likely', high: 'Extremely likely' } },
    { id: 'why', type: 'text', text: 'What could we do better?', text_by_band: { promoter: 'What do you like most?' }, optional: true, max_length: 200, placeholder: 'Your answer' },
    { id: 'ces', type: 'ces', text: 'Ledgerly made it easy for me to export invoices.', labels: { low: 'Strongly disagree', high: 'Strongly agree' } },
    { id: 'csat', type: 'csat', display: 'stars', text: 'How satisfied are you with Ledgerly?' },
    { id: 'csat_n', type: 'csat', text: 'How satisfied are you with invoicing?', labels: { low: 'Very unsatisfied', high: 'Very satisfied' } },
    { id: 'role', type: 'single', text: 'What is your role?', choices: [{ id: 'dev', label: 'Developer' }, { id: 'pm', label: 'Product manager' }] },
    { id: 'stack', type: 'multiple', text: 'Which do you use?', choices: [{ id: 'rust', label: 'Rust' }, { id: 'go', label: 'Go' }, { id: 'none', label: 'None of these', exclusive: true }] },
  ],
};

async function open({ viewport = { width: 1200, height: 800 }, reducedMotion = 'no-preference', survey = EVERY_TYPE } = {}) {
  const context = await browser.newContext({ viewport, reducedMotion });
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${site}/`);
  await page.waitForFunction(() => window.ready === true);
  await page.addScriptTag({ url: '/axe.js' });
  await page.focus('#outside');
  assert.equal(await page.evaluate((s) => window.showSurvey(s), survey), true);
  await page.locator('waymark-survey h2').waitFor();
  return { context, page, seen };
}

const title = (page) => page.locator('waymark-survey h2').textContent();
const answered = (page) => page.evaluate(() => calls.filter((c) => c[1] === '$survey_answered').map((c) => [c[2].question, c[2].value]));

/**
 * axe-core on the survey, its shadow root included: no violations. (The page around it is
 * not ours: its hostile stylesheet has red on green everywhere.)
 */
async function axe(page, where) {
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run({ include: [['waymark-survey']] }, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(violations, [], `axe on ${where}`);
}

test('every question type answered with the mouse, with axe finding nothing on any screen, under a strict CSP and a hostile stylesheet', async () => {
  const { context, page, seen } = await open();
  const radio = (name) => page.getByRole('radio', { name, exact: true });
  await axe(page, 'nps');
  await radio('9').click();
  await page.getByRole('button', { name: 'Next' }).click();
  assert.equal(await title(page), 'What do you like most?', 'the promoter wording');
  await axe(page, 'text');
  await page.getByRole('textbox', { name: 'What do you like most?' }).fill('The exports <b>really</b>');
  await page.getByRole('button', { name: 'Next' }).click();
  await axe(page, 'ces');
  await radio('6').click();
  await page.getByRole('button', { name: 'Next' }).click();
  await axe(page, 'csat stars');
  await radio('4').click();
  await page.getByRole('button', { name: 'Next' }).click();
  await axe(page, 'csat numbers');
  await radio('5').click();
  await page.getByRole('button', { name: 'Next' }).click();
  await axe(page, 'single');
  await radio('Developer').click();
  await page.getByRole('button', { name: 'Next' }).click();
  await axe(page, 'multiple');
  await page.getByRole('checkbox', { name: 'Rust' }).click();
  await page.getByRole('checkbox', { name: 'Go' }).click();
  await page.getByRole('button', { name: 'Submit' }).click();
  assert.equal(await title(page), 'Thanks for your feedback!');
  await axe(page, 'thank-you');
  assert.deepEqual(await answered(page), [
    ['nps', 9], ['why', 'The exports <b>really</b>'], ['ces', 6], ['csat', 4], ['csat_n', 5], ['role', 'dev'], ['stack', ['rust', 'go']],
  ]);
  await page.getByRole('button', { name: 'Close survey' }).click();
  assert.deepEqual(await page.evaluate(() => calls.filter((c) => c[0] !== 'event').map((c) => c[2])), ['seen', 'answered', 'completed', 'completed']);
  assert.equal(await page.locator('waymark-survey').count(), 0);
  assert.deepEqual(await page.evaluate(() => violations), [], 'no CSP violation');
  assert.deepEqual(seen.pageErrors, []);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('every question type answered with the keyboard alone', async () => {
  const { context, page, seen } = await open();
  const focused = () => page.evaluate(() => {
    const root = document.querySelector('waymark-survey').shadowRoot;
    const e = root.activeElement;
    return e && (e.getAttribute('aria-label') || e.textContent);
  });
  // Focus moved into the survey, on the first point of the scale.
  assert.equal(await focused(), '0');
  for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  assert.equal(await title(page), 'What could we do better?', 'a passive (8) gets the question\'s own text');
  await page.keyboard.type('Faster exports');
  await page.keyboard.press('Tab'); // to Back
  await page.keyboard.press('Tab'); // to Skip
  await page.keyboard.press('Tab'); // to Next
  await page.keyboard.press('Enter');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter'); // CES 7
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Space'); // CSAT stars: 3, where the arrows left it
  await page.keyboard.press('Enter');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowLeft'); // wraps to 5
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowDown'); // Product manager
  await page.keyboard.press('Enter');
  // Check boxes: Space toggles each once (a real key: the button's own click must not toggle it again).
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space'); // None of these, which clears Rust
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Space'); // Go, which clears None of these
  await page.keyboard.press('Enter');
  assert.equal(await title(page), 'Thanks for your feedback!');
  assert.deepEqual(await answered(page), [
    ['nps', 8], ['why', 'Faster exports'], ['ces', 7], ['csat', 3], ['csat_n', 5], ['role', 'pm'], ['stack', ['go']],
  ]);
  assert.equal(await focused(), 'Close survey');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('waymark-survey').count(), 0);
  assert.deepEqual(await page.evaluate(() => calls.filter((c) => c[0] === 'ended').map((c) => c[2])), ['completed']);
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});

test('Escape on a question dismisses it, naming the question, and focus goes back to the page', async () => {
  const { context, page } = await open();
  await page.keyboard.press('Tab');
  // Tab moves on through the survey's controls.
  assert.equal(await page.evaluate(() => document.activeElement.localName), 'waymark-survey');
  await page.keyboard.press('Escape');
  assert.deepEqual(await page.evaluate(() => calls.filter((c) => c[1] === '$survey_dismissed').map((c) => c[2].question)), ['nps']);
  assert.deepEqual(await page.evaluate(() => calls.filter((c) => c[0] !== 'event').map((c) => c[2])), ['seen', 'dismissed', 'dismissed']);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'outside');
  assert.equal(await page.evaluate((s) => window.showAgain(s), EVERY_TYPE), true, 'a loaded module shows at once');
  assert.deepEqual(await page.evaluate(() => calls.filter((c) => c[1] === 's2' && c[0] === 'ended').map((c) => c[2])), ['closed']);
  await context.close();
});

test('a corner survey that opens while someone types leaves the keys with them; Tab reaches it and goes on out of it', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${site}/`);
  await page.waitForFunction(() => window.ready === true);
  await page.focus('#note');
  await page.keyboard.type('Invoice for');
  assert.equal(await page.evaluate((s) => window.showSurvey(s), EVERY_TYPE), true);
  await page.locator('waymark-survey h2').waitFor();
  await page.keyboard.type(' March');
  assert.equal(await page.inputValue('#note'), 'Invoice for March', 'every key went on into the field');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'note');
  // The survey is the last thing on the page: Tab from the field reaches it.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.localName), 'waymark-survey');
  const inside = () => page.evaluate(() => document.activeElement.localName === 'waymark-survey');
  let presses = 0;
  while ((await inside()) && presses < 20) {
    await page.keyboard.press('Tab');
    presses += 1;
  }
  assert.equal(await inside(), false, 'Tab goes on out of a corner survey (a non-modal dialog), not round inside it');
  assert.ok(presses > 1, `the survey's controls took ${presses} presses of Tab`);
  // Nothing was answered or dismissed by passing through.
  assert.deepEqual(await page.evaluate(() => calls.filter((c) => c[0] === 'outcome').map((c) => c[2])), ['seen']);
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});

test('at 375 px the survey is a bottom sheet across the screen, above the page\'s fixed header', async () => {
  const { context, page } = await open({ viewport: { width: 375, height: 700 } });
  const box = await page.locator('waymark-survey .p').boundingBox();
  assert.equal(Math.round(box.x), 0);
  assert.equal(Math.round(box.width), 375);
  await page.getByRole('radio', { name: '10', exact: true }).click(); // not covered by the header
  await axe(page, 'the sheet');
  await context.close();
});

test('reduced motion: no entrance animation', async () => {
  for (const [reducedMotion, expected] of [['reduce', 0], ['no-preference', 1]]) {
    const { context, page } = await open({ reducedMotion });
    const animations = await page.evaluate(() => document.querySelector('waymark-survey').shadowRoot.querySelector('.p').getAnimations().length);
    assert.equal(animations, expected, reducedMotion);
    await context.close();
  }
});
