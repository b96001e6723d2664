// Trigger to visible: from waymark.track('export_completed') to the NPS survey's heading on
// screen (a requestAnimationFrame loop in the page, so the time is of a frame that shows it),
// median of 20, a fresh browser context per load, interleaved. Run by scripts/bench; prints
// figures and the ratio. Not a test: timings on a shared machine vary.
//
// "prefetched": the page has loaded, the runtime has fetched the experiences module at idle
// (the survey is eligible on the page), then the event is tracked.
// "cold": a first visit caches the config while the site refuses the module's files; on the
// second visit the event is tracked at `waymark:ready`, before the idle prefetch has run, so
// the module (not in the HTTP cache) is fetched and compiled after the event.
// Each load reports whether the module was already requested before the event.
//
// posthog-js is not measured yet (see README, Benchmarks).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, startCollector, startSite } from '../harness.mjs';

const LOADS = Number(process.env.BENCH_LOADS ?? 20);
const CONFIG = {
  experiences: [{
    id: 'nps', kind: 'survey', trigger: { event: 'export_completed' },
    survey: { questions: [{ id: 'score', type: 'nps', text: 'How likely are you to recommend Ledgerly?', labels: { low: 'Not at all likely', high: 'Extremely likely' } }] },
  }],
};

const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-'));
const file = join(dir, 'config.json');
writeFileSync(file, JSON.stringify(CONFIG));
const collector = await startCollector({ args: ['--publish-config', `demo=${file}`] });
let refuse = false;
const site = await startSite(collector.url, { sdk: (path) => (refuse && /experiences-/.test(path) ? null : path) });
const browser = await launchBrowser();

// Tracks the event and resolves with the milliseconds until a frame in which the survey's
// heading has a box, and whether the module had been requested before the event.
const FIRE = () => new Promise((resolve) => {
  const before = performance.getEntriesByType('resource').some((e) => /experiences-.*\.wasm/.test(e.name));
  const start = performance.now();
  window.waymark.track('export_completed');
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.tagName === 'H2' && el.getBoundingClientRect().height > 0) return el;
      if (el.shadowRoot) { const h = find(el.shadowRoot); if (h) return h; }
    }
    return null;
  };
  const frame = () => {
    const host = document.querySelector('waymark-survey');
    if (host && find(host.shadowRoot || host)) resolve({ ms: performance.now() - start, before });
    else if (performance.now() - start > 10_000) resolve({ ms: NaN, before });
    else requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
});

async function prefetched() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/p/one`);
  await page.waitForFunction(() => window.waymark && window.waymark.ready === true);
  // The config is fetched on this first visit; wait until the module has been fetched at idle.
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => /experiences-.*\.mjs/.test(e.name)) && performance.getEntriesByType('resource').some((e) => /experiences-.*\.wasm/.test(e.name)), null, { timeout: 10_000 });
  await page.waitForTimeout(300); // let it compile
  const result = await page.evaluate(FIRE);
  await context.close();
  return result;
}

async function cold() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(`window.__fire = ${FIRE};`);
  await page.addInitScript(() => {
    window.__result = new Promise((r) => addEventListener('waymark:ready', () => r(window.__fire())));
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

const runs = { prefetched: [], cold: [] };
try {
  for (let i = 0; i < LOADS; i++) {
    runs.prefetched.push(await prefetched());
    runs.cold.push(await cold());
  }
} finally {
  await browser.close();
  await site.stop();
  await collector.stop();
}

const median = (xs) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
console.log(`track('export_completed') to the NPS survey on screen, ${LOADS} loads each, fresh context per load:`);
const figures = {};
for (const [name, results] of Object.entries(runs)) {
  figures[name] = median(results.map((r) => r.ms));
  const shown = results.filter((r) => !Number.isNaN(r.ms)).length;
  const early = results.filter((r) => r.before).length;
  console.log(`  Waymark ${name.padEnd(11)} median ${figures[name].toFixed(1).padStart(7)} ms  shown ${shown} of ${LOADS}, module requested before the event in ${early}`);
}
console.log(`  ratio cold / prefetched: ${(figures.cold / figures.prefetched).toFixed(2)}x`);
