// Condition evaluation, side by side in one Node process: Waymark's engine (Rust compiled to
// wasm, the same module the SDK ships) against evalCondition from @growthbook/growthbook, over
// every evalCondition case of GrowthBook's conformance suite with the attributes fixed.
// Run by scripts/bench; prints figures and the ratio. Not a test: timings on a shared
// machine vary, so nothing here passes or fails on speed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evalCondition } from '@growthbook/growthbook';
import { ROOT } from '../harness.mjs';

const casesPath = process.env.WAYMARK_GROWTHBOOK_CASES;
if (!casesPath) throw new Error('WAYMARK_GROWTHBOOK_CASES must name GrowthBook\'s cases.json (scripts/growthbook-cases prints it)');
const cases = JSON.parse(readFileSync(casesPath, 'utf8')).evalCondition;

const glue = await import(join(ROOT, 'npm/pkg/waymark.js'));
glue.initSync({ module: readFileSync(join(ROOT, 'npm/dist/waymark.wasm')) });
const { Audience, Attributes } = glue;

// Compile once, as the SDK does when a config loads; GrowthBook's API takes JSON each time.
const waymark = cases.map(([, condition, attributes, expected, savedGroups]) => ({
  audience: Audience.compile(condition, savedGroups),
  attributes: new Attributes(attributes),
  expected,
}));
const growthbook = cases.map(([, condition, attributes, expected, savedGroups]) => ({ condition, attributes, savedGroups: savedGroups ?? {}, expected }));

const quiet = console.error;
console.error = () => {}; // GrowthBook logs unknown operators; the suite has several.
const wCorrect = waymark.filter((c) => c.audience.matches(c.attributes) === c.expected).length;
const gCorrect = growthbook.filter((c) => evalCondition(c.attributes, c.condition, c.savedGroups) === c.expected).length;

function measure(run) {
  const rounds = 200;
  for (let i = 0; i < 20; i++) run(); // warm-up
  let best = Infinity;
  let checksum = 0;
  for (let trial = 0; trial < 5; trial++) {
    const start = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++) checksum += run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return { perSecond: (rounds * cases.length) / best, checksum };
}

const w = measure(() => {
  let n = 0;
  for (const c of waymark) if (c.audience.matches(c.attributes)) n++;
  return n;
});
const g = measure(() => {
  let n = 0;
  for (const c of growthbook) if (evalCondition(c.attributes, c.condition, c.savedGroups)) n++;
  return n;
});
console.error = quiet;

const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(`evalCondition cases: ${cases.length}`);
console.log(`waymark (wasm in Node):        ${fmt(w.perSecond).padStart(12)} evaluations/s  (${wCorrect}/${cases.length} match the suite)`);
console.log(`@growthbook/growthbook (JS):   ${fmt(g.perSecond).padStart(12)} evaluations/s  (${gCorrect}/${cases.length} match the suite)`);
console.log(`ratio waymark / growthbook:    ${(w.perSecond / g.perSecond).toFixed(2)}x  (target: at least 3x)`);
