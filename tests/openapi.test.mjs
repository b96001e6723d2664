// collector/openapi.json is what client generators and API consoles read: Redocly's linter
// (npm @redocly/cli, pinned in package.json) with its recommended rules finds no error and no
// warning in it. Offline: telemetry and the update notice are off.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './harness.mjs';

test('redocly lint (recommended rules) finds no error and no warning in collector/openapi.json', () => {
  const cli = join(ROOT, 'tests/node_modules/@redocly/cli/bin/cli.js');
  assert.ok(existsSync(cli), `missing ${cli}: install the tests' packages (scripts/test does, with npm ci in tests/)`);
  const run = spawnSync(process.execPath, [cli, 'lint', '--extends=recommended', '--format=json', join(ROOT, 'collector/openapi.json')], {
    cwd: join(ROOT, 'tests'),
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
  });
  assert.equal(run.error, undefined, `redocly did not run: ${run.error}`);
  const start = run.stdout.indexOf('{');
  assert.ok(start >= 0, `redocly printed no JSON report (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(run.stdout.slice(start));
  const problems = report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} (${p.location.map((l) => l.pointer).join(', ')})`);
  console.log(`redocly ${report.version}: ${report.totals.errors} errors, ${report.totals.warnings} warnings`);
  assert.deepEqual(problems, [], `redocly lint found:\n${problems.join('\n')}`);
  assert.deepEqual([report.totals.errors, report.totals.warnings], [0, 0]);
  assert.equal(run.status, 0, run.stderr);
});
