// The size budget: everything the script tag ships (loader, module, wasm after
// wasm-opt -Oz), each compressed with gzip -9, must stay within 64 KiB.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ROOT } from './harness.mjs';

const BUDGET = 64 * 1024;

test('the SDK as shipped fits in 64 KiB gzipped', () => {
  const dir = join(ROOT, 'npm/dist/sdk');
  assert.ok(existsSync(join(dir, 'waymark.js')), `missing ${dir}/waymark.js: build the SDK with scripts/build-sdk`);
  const files = readdirSync(dir).filter((f) => /^waymark(-[0-9a-f]+)?\.(js|mjs|wasm)$/.test(f));
  assert.ok(files.some((f) => f.endsWith('.wasm')) && files.some((f) => f.endsWith('.mjs')), `expected loader, module and wasm in ${dir}, found ${files}`);
  let total = 0;
  for (const file of files.sort()) {
    const raw = readFileSync(join(dir, file));
    const gz = gzipSync(raw, { level: 9 }).length;
    total += gz;
    console.log(`size: ${file.padEnd(28)} ${String(raw.length).padStart(7)} B raw ${String(gz).padStart(7)} B gzip -9`);
  }
  console.log(`size: total ${total} B gzip -9 (${(total / 1024).toFixed(1)} KiB of ${BUDGET / 1024} KiB, ${((100 * total) / BUDGET).toFixed(0)}% of budget)`);
  assert.ok(total <= BUDGET, `the SDK ships ${total} B gzipped, over the ${BUDGET} B budget`);
});
