// Trigger to visible: from a tracked event to the NPS survey's question on screen (a
// requestAnimationFrame loop in the page, so the time is of a frame that shows it: the first
// frame in which the question's heading has a box), median, p90 and min of 20, a fresh browser
// context per load, interleaved (load i of every variant runs before load i+1 of any), for
// Waymark and for posthog-js 1.449.2 showing the same survey from its own surveys.js, both
// served from this machine in the same run. Run by scripts/bench; prints figures and ratios.
// Not a test: timings on a shared machine vary.
//
// Waymark, from waymark.track('export_completed') to the survey's <h2>:
// - "prefetched": the page has loaded, the runtime has fetched the experiences module at idle
//   (the survey is eligible on the page), then the event is tracked.
// - "cold": a first visit caches the config while the site refuses the module's files; on the
//   second visit the event is tracked at `waymark:ready`, before the idle prefetch has run, so
//   the module (not in the HTTP cache) is fetched and compiled after the event.
// posthog-js (tests/bench/posthog.mjs serves its dist/ and stubs its API: remote config with
// surveys on, /api/surveys/ with the same NPS question as a `rating` of scale 10 triggered by
// the event `export_completed`), from posthog.capture('export_completed') to the survey's
// question (`h3.survey-question` in the shadow root of `div.PostHogSurvey-<id>`):
// - "prefetched": the page has loaded, posthog has loaded surveys.js and the survey list
//   (posthog.onSurveysLoaded), then the event is captured. posthog decides which surveys to
//   display on a 1 s interval (see `settle` below), so most of its figure is the wait for the
//   next tick; its min is about what it takes once the tick comes.
// - "cold": the event is captured as soon as posthog.init() has returned (its `loaded`
//   callback), so surveys.js is fetched after it. posthog-js has no path that fetches its
//   survey code because an event fired: it fetches surveys.js and the list at every page load
//   once the remote config says surveys exist, and an event captured before both have arrived
//   triggers nothing. This variant is run to show that (a 3 s wait per load), not to time it.
// Each load reports whether the on-demand code (Waymark's experiences wasm, posthog's
// surveys.js) was already requested before the event. The first load of each side saves a
// screenshot of its survey, to see the two show the same kind of survey.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, startCollector, startSite } from '../harness.mjs';
import { POSTHOG_VERSION, eventSurvey, startPosthogSite } from './posthog.mjs';

const LOADS = Number(process.env.BENCH_LOADS ?? 20);
const QUESTION = 'How likely are you to recommend Ledgerly?';
const CONFIG = {
  experiences: [{
    id: 'nps', kind: 'survey', trigger: { event: 'export_completed' },
    survey: { questions: [{ id: 'score', type: 'nps', text: QUESTION, labels: { low: 'Not at all likely', high: 'Extremely likely' } }] },
  }],
};
// The same survey for posthog-js: a popover whose one question is a 0-10 number rating.
const POSTHOG_SURVEY = eventSurvey({
  id: 'nps', name: 'NPS', event: 'export_completed',
  questions: [{ id: 'score', type: 'rating', display: 'number', scale: 10, question: QUESTION, lowerBoundLabel: 'Not at all likely', upperBoundLabel: 'Extremely likely' }],
});

const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-'));
const file = join(dir, 'config.json');
writeFileSync(file, JSON.stringify(CONFIG));
const collector = await startCollector({ args: ['--publish-config', `demo=${file}`] });
let refuse = false;
const site = await startSite(collector.url, { sdk: (path) => (refuse && /experiences-/.test(path) ? null : path) });
const posthog = await startPosthogSite({ surveys: [POSTHOG_SURVEY] });
const browser = await launchBrowser();

// Sends the event and resolves with the milliseconds until a frame in which the survey's
// question heading has a box (NaN if none within `waitMs`), and whether the on-demand code
// had been requested before the event. Runs in the page; `side` is 'waymark' or 'posthog'.
const FIRE = ({ side, waitMs }) => new Promise((resolve) => {
  const code = side === 'waymark' ? /experiences-.*\.wasm/ : /\/surveys\.js/;
  const before = performance.getEntriesByType('resource').some((e) => code.test(e.name));
  const start = performance.now();
  if (side === 'waymark') window.waymark.track('export_completed');
  else window.posthog.capture('export_completed');
  const find = (root, tag) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.tagName === tag && el.getBoundingClientRect().height > 0) return el;
      if (el.shadowRoot) { const h = find(el.shadowRoot, tag); if (h) return h; }
    }
    return null;
  };
  const shown = () => {
    if (side === 'waymark') {
      const host = document.querySelector('waymark-survey');
      return host && find(host.shadowRoot || host, 'H2');
    }
    const host = document.querySelector('div[class^="PostHogSurvey"]');
    const question = host && host.shadowRoot && host.shadowRoot.querySelector('.survey-question');
    return question && question.getBoundingClientRect().height > 0;
  };
  const frame = () => {
    if (shown()) resolve({ ms: performance.now() - start, before });
    else if (performance.now() - start > waitMs) resolve({ ms: NaN, before });
    else requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
});

// How long a prefetched load waits between the on-demand code being in and the event: 300 ms
// and a share of a second that differs from load to load (a golden-ratio sequence, the same for
// both sides), so the event does not land at the same phase of a periodic check each time.
// posthog-js evaluates which surveys to display on a 1 s setInterval started when its surveys
// load (callSurveysAndEvaluateDisplayLogic in surveys.js); an event only marks the survey as
// activated, so the survey appears at the next tick. With a fixed wait its figure would be the
// same fraction of that second every load instead of what a user meets on average.
const settle = (i) => 300 + Math.round(1000 * ((i * 0.6180339887) % 1));

const screenshots = new Set();
async function screenshot(page, name) {
  if (screenshots.has(name)) return;
  screenshots.add(name);
  await page.waitForTimeout(500); // past both entrance animations
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path });
  console.log(`  screenshot: ${path}`);
}

async function waymarkPrefetched(i) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/p/one`);
  await page.waitForFunction(() => window.waymark && window.waymark.ready === true);
  // The config is fetched on this first visit; wait until the module has been fetched at idle.
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => /experiences-.*\.mjs/.test(e.name)) && performance.getEntriesByType('resource').some((e) => /experiences-.*\.wasm/.test(e.name)), null, { timeout: 10_000 });
  await page.waitForTimeout(settle(i)); // let it compile, then a moment spread over a second
  const result = await page.evaluate(FIRE, { side: 'waymark', waitMs: 10_000 });
  if (!Number.isNaN(result.ms)) await screenshot(page, 'waymark');
  await context.close();
  return result;
}

async function waymarkCold() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(`window.__fire = ${FIRE};`);
  await page.addInitScript(() => {
    window.__result = new Promise((r) => addEventListener('waymark:ready', () => r(window.__fire({ side: 'waymark', waitMs: 10_000 }))));
  });
  // A first visit caches the config while the module is refused, so the browser holds the
  // config but not the module.
  refuse = true;
  await page.goto(`${site.url}/p/one`);
  await page.waitForFunction(() => window.waymark && window.waymark.ready === true);
  await page.waitForTimeout(1000);
  refuse = false;
  await page.goto(`${site.url}/p/two`, { waitUntil: 'domcontentloaded' });
  const result = await page.evaluate(() => window.__result);
  await context.close();
  return result;
}

async function posthogPrefetched(i) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${posthog.url}/p/one`);
  await page.waitForFunction(() => window.__posthogLoaded === true);
  // surveys.js and the survey list are fetched at page load; wait until posthog says both are in.
  await page.evaluate(() => new Promise((r) => window.posthog.onSurveysLoaded((surveys, context) => { if (context && context.isLoaded) r(); })));
  await page.waitForTimeout(settle(i)); // as for Waymark
  const result = await page.evaluate(FIRE, { side: 'posthog', waitMs: 10_000 });
  if (!Number.isNaN(result.ms)) await screenshot(page, 'posthog-js');
  await context.close();
  return result;
}

async function posthogCold() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(`window.__fire = ${FIRE};`);
  await page.addInitScript(() => {
    window.__result = new Promise((r) => addEventListener('posthog:loaded', () => {
      const at = performance.now();
      // When surveys.js and the list arrive, after the event: the earliest an event could count.
      window.posthog.onSurveysLoaded((surveys, context) => { if (context && context.isLoaded && window.__loadedAfter === undefined) window.__loadedAfter = performance.now() - at; });
      window.__fire({ side: 'posthog', waitMs: 3_000 }).then(r);
    }));
  });
  await page.goto(`${posthog.url}/p/one`, { waitUntil: 'domcontentloaded' });
  const result = await page.evaluate(() => window.__result);
  result.loadedAfter = await page.evaluate(() => window.__loadedAfter ?? NaN);
  await context.close();
  return result;
}

const variants = [
  { name: 'Waymark prefetched', run: waymarkPrefetched },
  { name: 'Waymark cold', run: waymarkCold },
  { name: `posthog-js prefetched`, run: posthogPrefetched },
  { name: `posthog-js cold`, run: posthogCold },
];
for (const v of variants) v.results = [];
console.log(`event to the NPS survey's question on screen, ${LOADS} loads each, fresh context per load, interleaved (posthog-js ${POSTHOG_VERSION}):`);
try {
  for (let i = 0; i < LOADS; i++) {
    for (const v of variants) v.results.push(await v.run(i));
  }
} finally {
  await browser.close();
  await site.stop();
  await posthog.stop();
  await collector.stop();
}

const sorted = (xs) => xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
const median = (xs) => {
  const s = sorted(xs);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const p90 = (xs) => { const s = sorted(xs); return s.length ? s[Math.ceil(0.9 * s.length) - 1] : NaN; };
const ms = (x) => (Number.isNaN(x) ? '     -' : x.toFixed(1).padStart(7));
const figures = {};
for (const v of variants) {
  const times = v.results.map((r) => r.ms);
  figures[v.name] = median(times);
  const shown = times.filter((x) => !Number.isNaN(x)).length;
  const early = v.results.filter((r) => r.before).length;
  console.log(`  ${v.name.padEnd(22)} median ${ms(figures[v.name])} ms  p90 ${ms(p90(times))} ms  min ${ms(sorted(times)[0] ?? NaN)} ms  shown ${shown} of ${LOADS}, on-demand code requested before the event in ${early}`);
}
const missed = variants[3].results;
console.log(`  (posthog-js cold: an event captured at init, before surveys.js and the survey list have loaded, triggers nothing; they arrived ${median(missed.map((r) => r.loadedAfter)).toFixed(1)} ms after the event, median)`);
const ratio = (a, b) => `${(figures[a] / figures[b]).toFixed(2)}x`;
console.log(`  ratio Waymark cold / Waymark prefetched: ${ratio('Waymark cold', 'Waymark prefetched')}`);
console.log(`  ratio posthog-js prefetched / Waymark prefetched: ${ratio('posthog-js prefetched', 'Waymark prefetched')}`);
console.log(`  ratio posthog-js prefetched / Waymark cold: ${ratio('posthog-js prefetched', 'Waymark cold')}`);
