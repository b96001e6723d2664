// What the console's end-to-end tests share: console users made with the collector's own
// command line, and the checks every console page passes at a phone's and a desktop's width
// (zero axe-core violations, nothing wider than the viewport, a screenshot of each width in
// tests/screenshots/console/ to look at).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness.mjs';

export const SHOTS = join(ROOT, 'tests/screenshots/console');
/** The widths every page is checked at: a small phone's and a desktop's. */
export const WIDTHS = [375, 1280];
const AXE = readFileSync(join(ROOT, 'tests/node_modules/axe-core/axe.min.js'), 'utf8');

/** Makes console users of the demo project, `[name, role]` each, with `password`. */
export function makeUsers(collector, users, password) {
  mkdirSync(SHOTS, { recursive: true });
  for (const [name, role] of users) {
    const made = spawnSync(join(ROOT, 'target/debug/waymark-collector'), ['user', 'create', name, '--project', 'demo', '--role', role, '--password-stdin', '--db', collector.db], { input: `${password}\n`, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
  }
}

/**
 * At each of WIDTHS (the page's own width last, so the test goes on as it was): zero
 * axe-core violations, nothing wider than the viewport (nothing scrolls sideways), and a
 * full-page screenshot, `NAME-WIDTH.png`; with `numbers`, also no NaN, Infinity or
 * undefined anywhere in the text or in a chart.
 */
export async function checkPage(page, name, { numbers = false } = {}) {
  const own = page.viewportSize();
  for (const width of [...WIDTHS.filter((w) => w !== own.width), own.width]) {
    if (width !== page.viewportSize().width) {
      await page.setViewportSize({ width, height: own.height });
      // A layout that follows the width (the preview's scale) settles in the next frames.
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    }
    await checkWidth(page, `${name} at ${width} px`, numbers);
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
}

async function checkWidth(page, name, numbers) {
  // Every frame: the preview's frame shows what the SDK renders for users, and is checked
  // as its own document (each on its own: axe would otherwise merge the frame's landmarks
  // into the page's).
  for (const frame of page.frames()) {
    const where = frame === page.mainFrame() ? `the ${name} page` : `the frame ${new URL(frame.url()).pathname} of the ${name} page`;
    // evaluate, not addScriptTag: the console's CSP rightly refuses inline scripts.
    if (!(await frame.evaluate(() => 'axe' in window))) await frame.evaluate(AXE);
    // A frame is a part of its page, whose level-one heading is the page's own.
    const rules = frame === page.mainFrame() ? {} : { 'page-has-heading-one': { enabled: false } };
    // Colours as they settle: the SDK's panel enters with a fade (opacity from 0, 180 ms), and
    // axe reading it mid-way blends its text into the page behind (a loaded machine got there
    // first: colour contrast of the survey's counter, scale labels and button). Animations
    // in (open) shadow roots count too, which Chromium's document.getAnimations() leaves
    // out; one without an end would never settle and is not waited on.
    await frame.evaluate(() => {
      const roots = [document];
      for (let i = 0; i < roots.length; i += 1) for (const e of roots[i].querySelectorAll('*')) if (e.shadowRoot) roots.push(e.shadowRoot);
      return Promise.all(roots.flatMap((r) => r.getAnimations())
        .filter((a) => Number.isFinite(a.effect?.getComputedTiming().endTime ?? Infinity))
        .map((a) => a.finished.catch(() => {})));
    });
    const violations = await frame.evaluate(async (rules) => (await window.axe.run(document, { resultTypes: ['violations'], iframes: false, rules })).violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), rules);
    assert.deepEqual(violations, [], `axe on ${where}`);
  }
  if (numbers) {
    const text = await page.evaluate(() => document.body.innerText + [...document.querySelectorAll('svg *')].map((e) => `${e.textContent} ${[...e.attributes].map((a) => a.value).join(' ')}`).join(' '));
    assert.doesNotMatch(text, /NaN|Infinity|undefined/, `the ${name} page shows a number that is not one`);
  }
  const { width } = page.viewportSize();
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width, `the ${name} page is ${scroll} px wide`);
}
