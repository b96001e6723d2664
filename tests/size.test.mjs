// The size budgets, each file compressed with gzip -9:
// - the runtime, what every page downloads (waymark.js, the loader with the module bundled
//   in, and its wasm): at most 72 KiB;
// - the experiences module, tours and surveys, fetched only when one is eligible (its
//   module and wasm; its stylesheet is built into the wasm): at most 80 KiB.
// It prints both figures, their total, and what weighs most in each wasm (twiggy, on the
// wasm-bindgen output before wasm-opt, whose name section is intact), so every change shows
// what it costs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ROOT } from './harness.mjs';

const KiB = 1024;
const dir = join(ROOT, 'npm/dist/sdk');
const PARTS = [
  { name: 'runtime', budget: 72 * KiB, files: /^waymark(-[0-9a-f]+)?\.(js|mjs|wasm)$/, script: /\.js$/, wasm: 'npm/pkg/waymark_bg.wasm' },
  { name: 'experiences', budget: 80 * KiB, files: /^experiences-[0-9a-f]+\.(mjs|wasm|css)$/, script: /\.mjs$/, wasm: 'npm/pkg/experiences_bg.wasm' },
];

function measure(part) {
  assert.ok(existsSync(join(dir, 'waymark.js')), `missing ${dir}/waymark.js: build the SDK with scripts/build-sdk`);
  const files = readdirSync(dir).filter((f) => part.files.test(f)).sort();
  assert.ok(files.some((f) => f.endsWith('.wasm')) && files.some((f) => part.script.test(f)), `expected the ${part.name}'s script and wasm in ${dir}, found ${files}`);
  let total = 0;
  for (const file of files) {
    const raw = readFileSync(join(dir, file));
    const gz = gzipSync(raw, { level: 9 }).length;
    total += gz;
    console.log(`size: ${part.name.padEnd(11)} ${file.padEnd(30)} ${String(raw.length).padStart(7)} B raw ${String(gz).padStart(7)} B gzip -9`);
  }
  console.log(`size: ${part.name} ${total} B gzip -9 (${(total / KiB).toFixed(1)} KiB of ${part.budget / KiB} KiB, ${((100 * total) / part.budget).toFixed(0)}% of budget)`);
  return total;
}

function heaviest(part) {
  const wasm = join(ROOT, part.wasm);
  assert.ok(existsSync(wasm), `missing ${wasm}: build the SDK with scripts/build-sdk`);
  let out;
  try {
    out = execFileSync('twiggy', ['top', '-n', '12', wasm], { encoding: 'utf8' });
  } catch (error) {
    assert.fail(`twiggy could not read ${wasm} (${error.message}); scripts/test installs it with cargo install twiggy`);
  }
  console.log(`size: the ${part.name} wasm's largest items (twiggy top, before wasm-opt):`);
  for (const line of out.trimEnd().split('\n')) console.log(`size:   ${line.replace(/\[[0-9a-f]{16}\]/g, '').slice(0, 150)}`);
}

const totals = {};
for (const part of PARTS) {
  test(`the ${part.name} fits in ${part.budget / KiB} KiB gzipped`, () => {
    const total = measure(part);
    totals[part.name] = total;
    heaviest(part);
    assert.ok(total <= part.budget, `the ${part.name} ships ${total} B gzipped, over its ${part.budget} B budget`);
  });
}

after(() => {
  const sum = Object.values(totals).reduce((a, b) => a + b, 0);
  console.log(`size: runtime and experiences together ${sum} B gzip -9 (${(sum / KiB).toFixed(1)} KiB)`);
});
