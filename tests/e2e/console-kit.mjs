// What the console's end-to-end tests share: console users made with the collector's own
// command line, and the checks every console page passes (zero axe-core violations, nothing
// wider than the viewport, a screenshot in tests/screenshots/ to look at).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness.mjs';

export const SHOTS = join(ROOT, 'tests/screenshots');
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
 * Zero axe-core violations, nothing wider than the viewport, and a screenshot to look at;
 * with `numbers`, also no NaN, Infinity or undefined anywhere in the text or in a chart.
 */
export async function checkPage(page, name, { numbers = false } = {}) {
  // evaluate, not addScriptTag: the console's CSP rightly refuses inline scripts.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
  assert.deepEqual(violations, [], `axe on the ${name} page`);
  if (numbers) {
    const text = await page.evaluate(() => document.body.innerText + [...document.querySelectorAll('svg *')].map((e) => `${e.textContent} ${[...e.attributes].map((a) => a.value).join(' ')}`).join(' '));
    assert.doesNotMatch(text, /NaN|Infinity|undefined/, `the ${name} page shows a number that is not one`);
  }
  const { width } = page.viewportSize();
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width, `the ${name} page is ${scroll} px wide at ${width} px`);
  await page.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage: true });
}
