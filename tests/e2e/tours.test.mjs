// Tours end to end in Chromium: the experiences module as shipped (npm/dist/sdk), in pages
// of their own under a strict CSP (script-src 'self' 'wasm-unsafe-eval'; style-src 'self')
// with a hostile stylesheet and a fixed header at z-index 2147483647, driven with a real
// mouse and keyboard (trusted events), axe-core on every step. A fake host records what the
// module reports and keeps the tour's progress in localStorage, as the runtime does, so a
// reload and a second page resume the tour. Screenshots go to tests/.artifacts/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, launchBrowser, watchConsole } from '../harness.mjs';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";
const sdkDir = join(ROOT, 'npm/dist/sdk');
const axePath = join(ROOT, 'tests/node_modules/axe-core/axe.min.js');
const artifacts = join(ROOT, 'tests/.artifacts');

const TOUR = {
  theme: { accent: '#4338ca' },
  steps: [
    { id: 'welcome', url: '/invoices*', title: 'Welcome to Ledgerly', body: 'A short tour of **invoicing**, with [the guide](https://example.com/guide).' },
    { id: 'new', url: '/invoices*', target: { waymark: 'new-invoice', selector: '#new' }, title: 'Create an invoice', body: 'Start here.', placement: 'bottom' },
    { id: 'widget', url: '/invoices*', target: { waymark: 'totals' }, title: 'Totals', body: 'Inside a web component.' },
    { id: 'late', url: '/invoices*', target: '#late-panel', title: 'Reports', body: 'This panel renders late.', wait_ms: 5000 },
    { id: 'settings', url: '/settings*', target: { role: 'button', name: 'Save settings' }, title: 'Settings', body: 'On another page.' },
  ],
};

// The page's own script: a fake host storing progress, and `start()` for the test.
const pageScript = (module) => `
import { show } from '/sdk/${module}';
window.calls = [];
window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
const host = {
  event(name, properties) { calls.push(['event', name, JSON.parse(properties)]); },
  outcome(id, outcome) { calls.push(['outcome', id, outcome]); },
  progress(id, json) { if (json == null) localStorage.removeItem('tour'); else localStorage.setItem('tour', json); calls.push(['progress', id, json == null ? null : JSON.parse(json).step]); },
  ended(id, reason) { calls.push(['ended', id, reason]); },
};
window.start = async (tour) => {
  window.showing = await show('tour', { id: 't1', definition: { id: 't1', kind: 'tour', tour }, locale: 'en-GB', progress: localStorage.getItem('tour'), url: location.href }, host);
  return Boolean(window.showing);
};
customElements.define('totals-widget', class extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({ mode: 'open' });
    const b = document.createElement('button');
    b.dataset.waymark = 'totals';
    b.textContent = 'Totals';
    root.append(b);
  }
});
setTimeout(() => {
  const late = document.createElement('section');
  late.id = 'late-panel';
  late.textContent = 'Reports';
  document.querySelector('main').append(late);
}, 1500);
window.ready = true;
`;

const page = (body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ledgerly</title>
<link rel="stylesheet" href="/hostile.css">
<script type="module" src="/page.js"></script></head>
<body><header id="bar">Ledgerly</header><main>${body}</main></body></html>`;
const INVOICES = page('<h1>Invoices</h1><button id="outside">Search</button><div class="spacer"></div><button id="new">New invoice</button><totals-widget></totals-widget><div class="spacer"></div>');
const SETTINGS = page('<h1>Settings</h1><button id="outside">Search</button><button>Save settings</button>');

// A page stylesheet that would wreck anything it reached, and a header above everything.
const HOSTILE = `*, div, button { color: rgb(255, 0, 0) !important; font-size: 30px !important; font-family: serif !important; }
div, button { background: rgb(0, 255, 0) !important; padding: 20px !important; }
header { position: fixed; top: 0; left: 0; right: 0; height: 64px; z-index: 2147483647; background: #000 !important; }
main { padding-top: 80px; } .spacer { height: 500px; }`;

let server;
let site;
let browser;
before(async () => {
  const module = existsSync(sdkDir) && readdirSync(sdkDir).find((f) => /^experiences-[0-9a-f]+\.mjs$/.test(f));
  assert.ok(module, `no experiences module in ${sdkDir}: build the SDK with scripts/build-sdk`);
  mkdirSync(artifacts, { recursive: true });
  server = createServer((request, response) => {
    const path = new URL(request.url, 'http://site').pathname;
    const send = (type, body) => response.writeHead(200, { 'content-type': type, 'content-security-policy': CSP }).end(body);
    if (path.startsWith('/invoices')) return send('text/html; charset=utf-8', INVOICES);
    if (path.startsWith('/settings')) return send('text/html; charset=utf-8', SETTINGS);
    if (path === '/page.js') return send('text/javascript', pageScript(module));
    if (path === '/hostile.css') return send('text/css', HOSTILE);
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

async function open({ viewport = { width: 1200, height: 800 }, reducedMotion = 'reduce', path = '/invoices', context } = {}) {
  context ??= await browser.newContext({ viewport, reducedMotion });
  const tab = await context.newPage();
  const seen = watchConsole(tab);
  await tab.goto(`${site}${path}`);
  await tab.waitForFunction(() => window.ready === true);
  await tab.addScriptTag({ url: '/axe.js' });
  await tab.focus('#outside');
  return { context, page: tab, seen };
}

const title = (tab) => tab.locator('waymark-tour h2').textContent();
const showsTitle = (tab, text) => tab.waitForFunction((t) => document.querySelector('waymark-tour')?.shadowRoot.querySelector('h2')?.textContent === t && document.querySelector('waymark-tour').shadowRoot.querySelector('[role=dialog]').matches(':popover-open'), text);
const calls = (tab, kind) => tab.evaluate((k) => calls.filter((c) => c[0] === k), kind);

/** axe-core on the tour, its shadow root included: no violations. */
async function axe(tab, where) {
  const violations = await tab.evaluate(async () => {
    const result = await window.axe.run({ include: [['waymark-tour']] }, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(violations, [], `axe on ${where}`);
}

test('a tour across two pages, with the mouse: axe finds nothing on any step, under a strict CSP, a hostile stylesheet and a top header; it resumes after a reload and on the next page', async () => {
  const { context, page: tab, seen } = await open();
  assert.equal(await tab.evaluate((t) => start(t), TOUR), true);
  await showsTitle(tab, 'Welcome to Ledgerly');
  await axe(tab, 'welcome');
  await tab.getByRole('button', { name: 'Next' }).click();
  await showsTitle(tab, 'Create an invoice');
  await axe(tab, 'new');
  // In the top layer, beside its target and not under the header.
  const box = await tab.locator('waymark-tour [role=dialog]').boundingBox();
  assert.ok(box.y >= 64, `the step is under the header: ${JSON.stringify(box)}`);
  const hit = await tab.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.localName, { x: box.x + box.width / 2, y: box.y + box.height / 2 });
  assert.equal(hit, 'waymark-tour');
  await tab.screenshot({ path: join(artifacts, 'tour-desktop.png') });
  // A reload resumes at the same step.
  await tab.reload();
  await tab.waitForFunction(() => window.ready === true);
  await tab.addScriptTag({ url: '/axe.js' });
  assert.equal(await tab.evaluate((t) => start(t), TOUR), true);
  await showsTitle(tab, 'Create an invoice');
  assert.deepEqual((await calls(tab, 'event')).map((c) => c[1]), ['$step_viewed'], 'no second $tour_started');
  await tab.getByRole('button', { name: 'Next' }).click();
  await showsTitle(tab, 'Totals');
  await axe(tab, 'shadow target');
  const strategy = (await calls(tab, 'event')).filter((c) => c[1] === '$step_viewed').pop()[2].strategy;
  assert.equal(strategy, 'waymark');
  await tab.getByRole('button', { name: 'Next' }).click();
  await showsTitle(tab, 'Reports');
  await axe(tab, 'late target');
  await tab.getByRole('button', { name: 'Next' }).click();
  // The next step is on the settings page: this showing ends, the progress stays.
  await tab.waitForFunction(() => calls.some((c) => c[0] === 'ended'));
  assert.deepEqual((await calls(tab, 'ended')).map((c) => c[2]), ['elsewhere']);
  assert.equal(await tab.locator('waymark-tour').count(), 0);
  const other = await open({ context, path: '/settings' });
  assert.equal(await other.page.evaluate((t) => start(t), TOUR), true);
  await showsTitle(other.page, 'Settings');
  await axe(other.page, 'settings');
  assert.equal((await calls(other.page, 'event')).pop()[2].strategy, 'role');
  await other.page.getByRole('button', { name: 'Done' }).click();
  await other.page.waitForFunction(() => calls.some((c) => c[0] === 'ended'));
  assert.deepEqual((await calls(other.page, 'ended')).map((c) => c[2]), ['completed']);
  assert.equal(await other.page.evaluate(() => localStorage.getItem('tour')), null);
  for (const t of [tab, other.page]) assert.deepEqual(await t.evaluate(() => violations), [], 'no CSP violation');
  assert.deepEqual(seen.pageErrors, []);
  assert.deepEqual(other.seen.pageErrors, []);
  await context.close();
});

test('the keyboard alone: focus moves in, Tab stays inside, Enter and the arrows move, Escape dismisses and focus returns', async () => {
  const { context, page: tab, seen } = await open();
  // The page's own late panel arrives 1.5 s after load: the page is compared from then on
  // (on a loaded machine this test can reach the end before it).
  await tab.locator('#late-panel').waitFor({ state: 'attached' });
  const before = await tab.evaluate(() => document.documentElement.outerHTML);
  assert.equal(await tab.evaluate((t) => start(t), TOUR), true);
  await showsTitle(tab, 'Welcome to Ledgerly');
  const focused = () => tab.evaluate(() => document.querySelector('waymark-tour')?.shadowRoot.activeElement?.textContent ?? null);
  assert.equal(await focused(), 'Next');
  // Tab cycles through the close button, the body's link and Next, never out.
  const seenFocus = [];
  for (let i = 0; i < 4; i++) {
    await tab.keyboard.press('Tab');
    seenFocus.push(await focused());
  }
  assert.deepEqual(seenFocus, ['\u00d7', 'the guide', 'Next', '\u00d7']);
  await tab.keyboard.press('Shift+Tab');
  assert.equal(await focused(), 'Next');
  await tab.keyboard.press('Enter');
  await showsTitle(tab, 'Create an invoice');
  await tab.keyboard.press('ArrowRight');
  await showsTitle(tab, 'Totals');
  await tab.keyboard.press('ArrowLeft');
  await showsTitle(tab, 'Create an invoice');
  assert.match(await tab.locator('waymark-tour [aria-live]').textContent(), /Step 2 of 5/);
  await tab.keyboard.press('Escape');
  await tab.waitForFunction(() => calls.some((c) => c[0] === 'ended'));
  const dismissed = (await calls(tab, 'event')).find((c) => c[1] === '$tour_dismissed');
  assert.equal(dismissed[2].reason, 'escape');
  assert.equal(await tab.evaluate(() => document.activeElement.id), 'outside');
  assert.equal(await tab.evaluate(() => document.documentElement.outerHTML), before, 'the page is as it was');
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});

test('at 375 pixels a step is a bottom sheet, and moves to the top rather than cover its target', async () => {
  const { context, page: tab, seen } = await open({ viewport: { width: 375, height: 740 } });
  assert.equal(await tab.evaluate((t) => start(t), TOUR), true);
  await showsTitle(tab, 'Welcome to Ledgerly');
  const sheet = async () => {
    const box = await tab.locator('waymark-tour [role=dialog]').boundingBox();
    assert.ok(Math.abs(box.x) < 1 && Math.abs(box.width - 375) < 1, `full width: ${JSON.stringify(box)}`);
    return box;
  };
  const first = await sheet();
  assert.ok(Math.abs(first.y + first.height - 740) < 1, `at the bottom: ${JSON.stringify(first)}`);
  await axe(tab, 'sheet');
  await tab.screenshot({ path: join(artifacts, 'tour-mobile.png') });
  // Scroll the target to the bottom edge: the sheet would cover it, so it goes to the top.
  await tab.getByRole('button', { name: 'Next' }).click();
  await showsTitle(tab, 'Create an invoice');
  await tab.evaluate(() => {
    const target = document.getElementById('new');
    window.scrollBy(0, target.getBoundingClientRect().bottom - innerHeight + 4);
  });
  await tab.waitForFunction(() => {
    const p = document.querySelector('waymark-tour').shadowRoot.querySelector('[role=dialog]').getBoundingClientRect();
    const t = document.getElementById('new').getBoundingClientRect();
    return p.bottom <= t.top || p.top >= t.bottom;
  });
  const moved = await sheet();
  assert.ok(moved.y < 370, `moved to the top: ${JSON.stringify(moved)}`);
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});
