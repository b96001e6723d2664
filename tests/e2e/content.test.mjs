// Personalized content and on-page experiments through the real runtime (issue 6): the
// collector publishes a config, the runtime decides content on the device and the content
// layer applies it, on late elements and after single-page navigations too, and reverts it
// when the rule stops holding. A returning visitor with the README's anti-flicker snippet
// never sees a frame of the original text.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, eventually, launchBrowser, query, sdkReady, startCollector, startSite, watchConsole } from '../harness.mjs';

const CONFIG = {
  experiences: [
    { id: 'greeting', kind: 'content', trigger: { page_view: ['/p/home*'] },
      changes: [{ selector: '#greeting', text: 'Welcome back, {{user.first_name | there}}' }] },
    { id: 'late', kind: 'content', trigger: { page_view: ['/p/late*'] },
      changes: [{ selector: '.late-note', text: 'Personalized late' }, { selector: '.late-note', add_class: 'seen' }] },
    { id: 'plans', kind: 'content', trigger: { page_view: ['/p/pricing*'] },
      changes: [],
      experiment: { key: 'plans', variants: [
        { key: 'control', weight: 0.5, changes: [] },
        { key: 'annual', weight: 0.5, changes: [{ variant: 'pricing-b' }] },
      ], goals: ['signup'] } },
    { id: 'promo', kind: 'content', trigger: { page_view: ['/p/other*'] }, audience: { 'user.plan': 'free' },
      changes: [{ selector: '#plan', banner: { title: 'Go pro', text: 'Upgrade, {{user.first_name | friend}}', cta: { label: 'See plans', url: '/p/pricing' }, dismissible: true }, position: 'after' }] },
  ],
};

// The README's snippet, as a customer would paste it (the project id filled in).
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SNIPPET = (readme.match(/^<script>!function\(d,p,t\).*<\/script>$/m) || [''])[0].replace('PROJECT', 'demo');

// Records, from the page's first frame on, every frame in which #greeting showed its original
// text visibly: a MutationObserver catches the element as soon as the parser inserts it, and
// each animation frame (the browser paints after it) checks it.
const PROBE = `<script>(function(){var frames=[];window.__frames=frames;
function check(){var g=document.getElementById('greeting');if(g){var v=getComputedStyle(g).visibility!=='hidden';frames.push({original:g.textContent==='Hello, stranger',visible:v});}
if(frames.length<120)requestAnimationFrame(check);}requestAnimationFrame(check);})();</script>`;

const BODIES = {
  home: '<p id="greeting">Hello, stranger</p>',
  other: '<p id="plan">Your plan</p><p id="greeting">Hello, stranger</p>',
  late: '<div id="slot"></div><script>setTimeout(function(){var p=document.createElement("p");p.className="late-note";p.textContent="Original late";document.getElementById("slot").append(p)},300)</script>',
  pricing: '<section data-waymark-variant="pricing-a" id="a">Monthly first</section><section data-waymark-variant="pricing-b" id="b" hidden>Annual first</section>',
};

let collector;
let site;
let browser;
const requested = [];
before(async () => {
  assert.ok(SNIPPET.includes('waymark-hide'), 'the README has the anti-flicker snippet');
  collector = await startCollector({ config: CONFIG });
  site = await startSite(collector.url, {
    head: (url) => (url.searchParams.has('snippet') ? SNIPPET : '') + (url.pathname.startsWith('/p/home') ? PROBE : ''),
    body: (url) => BODIES[url.pathname.split('/')[2].replace(/[^a-z].*$/, '')] ?? '',
    sdk: (file) => { requested.push(file); return file; },
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await site?.stop();
  await collector?.stop();
});

const events = (name) => query(collector.db, `SELECT anonymous_id, properties FROM events WHERE name = '${name}' ORDER BY ts`).map((r) => ({ ...JSON.parse(r.properties), anonymous_id: r.anonymous_id }));

test('a returning visitor with the anti-flicker snippet never sees a frame of the original text', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  // The first visit fetches the config and caches it.
  await page.goto(`${site.url}/p/home?snippet=1`);
  await sdkReady(page);
  await page.waitForFunction(() => document.getElementById('greeting').textContent === 'Welcome back, there');
  // The second decides from the cache as soon as the wasm runs; the snippet hid the element
  // until then.
  await page.goto(`${site.url}/p/home?snippet=1`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.getElementById('greeting').textContent === 'Welcome back, there');
  await page.waitForFunction(() => window.__frames.length >= 30);
  const frames = await page.evaluate(() => window.__frames);
  assert.ok(frames.some((f) => !f.original && f.visible), 'the personalized text was shown');
  assert.deepEqual(frames.filter((f) => f.original && f.visible), [], 'no frame showed the original text');
  assert.equal(await page.locator('#waymark-hide').count(), 0, 'the snippet\'s style is gone once content is applied');
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});

test('identify re-evaluates: a trait fills the greeting, and HTML in it stays text', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/p/home`);
  await sdkReady(page);
  await page.waitForFunction(() => document.getElementById('greeting').textContent === 'Welcome back, there');
  await page.evaluate(() => window.waymark.identify('u-1', { first_name: '<img src=x onerror="window.__owned=1">Dana' }));
  await page.waitForFunction(() => document.getElementById('greeting').textContent.startsWith('Welcome back, <img'));
  assert.equal(await page.locator('#greeting img').count(), 0, 'the trait was not parsed as HTML');
  assert.equal(await page.evaluate(() => window.__owned), undefined);
  await context.close();
});

test('a late element is personalized, a single-page navigation applies the next page and reverts the last', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/p/late`);
  await sdkReady(page);
  await page.waitForFunction(() => document.querySelector('.late-note')?.textContent === 'Personalized late');
  assert.ok(await page.locator('.late-note.seen').count(), 'both changes applied to the late element');
  // To a page of the same app whose rules differ: the late page's changes go back.
  await page.evaluate(() => history.pushState({}, '', '/p/home'));
  await page.waitForFunction(() => document.querySelector('.late-note')?.textContent === 'Original late');
  assert.equal(await page.locator('.late-note.seen').count(), 0, 'the class is removed again');
  await context.close();
});

test('an experiment assigns a variant, shows it, and records one exposure per user', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // ?plans=1 forces the second variant, as the README says.
  await page.goto(`${site.url}/p/pricing?plans=1`);
  await sdkReady(page);
  await page.waitForFunction(() => getComputedStyle(document.getElementById('b')).display !== 'none' && getComputedStyle(document.getElementById('a')).display === 'none');
  await page.reload();
  await sdkReady(page);
  await page.evaluate(() => window.waymark.flush());
  const exposures = await eventually(() => { const e = events('$exposure'); return e.length && e; });
  const anonymousId = await page.evaluate(() => window.waymark.anonymousId);
  const mine = exposures.filter((e) => e.anonymous_id === anonymousId);
  assert.deepEqual(mine.map((e) => [e.experiment, e.variant, e.variant_index]), [['plans', 'annual', 1]], 'one exposure, not one per page view');
  await context.close();
});

test('a banner for the audience, dismissed for good; no tour or survey means the experiences module is never fetched', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  requested.length = 0;
  await page.goto(`${site.url}/p/other`);
  await sdkReady(page);
  assert.equal(await page.locator('[data-waymark-banner]').count(), 0, 'not for anonymous users');
  await page.evaluate(() => window.waymark.identify('u-2', { first_name: 'Ana', plan: 'free' }));
  const banner = page.locator('[data-waymark-banner="promo"]');
  await banner.getByRole('link', { name: 'See plans' }).waitFor();
  assert.equal(await banner.getByRole('region').locator('span').textContent(), 'Upgrade, Ana');
  await banner.getByRole('button', { name: 'Dismiss' }).click();
  await page.waitForFunction(() => !document.querySelector('[data-waymark-banner]'));
  await page.reload();
  await sdkReady(page);
  await page.evaluate(() => window.waymark.flush());
  await eventually(() => events('$content_dismissed').some((e) => e.experience === 'promo'));
  assert.equal(await page.locator('[data-waymark-banner]').count(), 0, 'a dismissed banner stays away (30 quiet days)');
  assert.deepEqual(requested.filter((f) => /experiences-/.test(f)), [], 'the experiences module was never requested');
  await context.close();
});
