// The console is TypeScript in strict mode: tsc (pinned in console/package.json) finds no
// type error in console/src.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './harness.mjs';

test('the console\'s TypeScript type-checks in strict mode', () => {
  const tsc = join(ROOT, 'console/node_modules/typescript/bin/tsc');
  assert.ok(existsSync(tsc), `missing ${tsc}: install the console's packages (scripts/test does, with npm ci in console/)`);
  const run = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(ROOT, 'console')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.error, undefined, `tsc did not run: ${run.error}`);
  assert.equal(run.status, 0, `tsc found:\n${run.stdout}${run.stderr}`);
});
