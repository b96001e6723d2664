// What a page downloads: the Waymark SDK as shipped (npm/dist/sdk, as built) beside the
// browser bundles of the tools a team would otherwise pick, each file compressed with
// gzip -9, the same measure as tests/size.test.mjs. Peers are the npm packages pinned in
// tests/package.json; "on demand" files are the ones a peer fetches only when a project
// uses the feature.
//
//   node tests/bench/sizes.mjs
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from '../harness.mjs';

/** The folder of an installed peer package. */
function packageDir(name) {
  const manifest = join(ROOT, 'tests/node_modules', name, 'package.json');
  if (!existsSync(manifest)) throw new Error(`missing ${manifest}: run \`cd tests && npm install\``);
  return dirname(manifest);
}

function version(name) {
  return JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')).version;
}

function gzipped(path) {
  if (!existsSync(path)) throw new Error(`missing ${path}`);
  return gzipSync(readFileSync(path), { level: 9 }).length;
}

const peer = (name, ...files) => files.reduce((sum, file) => sum + gzipped(join(packageDir(name), file)), 0);

const sdkDir = join(ROOT, 'npm/dist/sdk');
if (!existsSync(join(sdkDir, 'waymark.js'))) throw new Error(`missing ${sdkDir}/waymark.js: build the SDK with scripts/build-sdk`);
const waymark = readdirSync(sdkDir)
  .filter((f) => /^waymark(-[0-9a-f]+)?\.(js|mjs|wasm)$/.test(f))
  .reduce((sum, f) => sum + gzipped(join(sdkDir, f)), 0);

const rows = [
  ['Waymark, as shipped (loader, module, wasm)', 'waymark', waymark, 'every page'],
  [`PostHog ${version('posthog-js')} (array.js)`, 'analytics, flags', peer('posthog-js', 'dist/array.js'), 'every page'],
  ['  + its surveys (surveys.js)', 'surveys', peer('posthog-js', 'dist/surveys.js'), 'on demand'],
  ['  + its product tours (product-tours.js)', 'tours', peer('posthog-js', 'dist/product-tours.js'), 'on demand'],
  [`GrowthBook ${version('@growthbook/growthbook')} (auto.min.js)`, 'flags, visual experiments', peer('@growthbook/growthbook', 'dist/bundles/auto.min.js'), 'every page'],
  [`Snowplow ${version('@snowplow/browser-tracker')} (index.umd.min.js)`, 'events', peer('@snowplow/browser-tracker', 'dist/index.umd.min.js'), 'every page'],
  [`Shepherd ${version('shepherd.js')} (shepherd.mjs + css)`, 'tours', peer('shepherd.js', 'dist/js/shepherd.mjs', 'dist/css/shepherd.css'), 'every page'],
  [`Driver.js ${version('driver.js')} (iife + css)`, 'tours', peer('driver.js', 'dist/driver.js.iife.js', 'dist/driver.css'), 'every page'],
];

const kib = (b) => `${(b / 1024).toFixed(1)} KiB`.padStart(10);
console.log(`${'bundle'.padEnd(52)} ${'what'.padEnd(26)} ${'gzip -9'.padStart(10)}  ${'÷ Waymark'.padStart(9)}  loaded`);
for (const [name, what, bytes, when] of rows) {
  console.log(`${name.padEnd(52)} ${what.padEnd(26)} ${kib(bytes)}  ${(bytes / waymark).toFixed(2).padStart(8)}x  ${when}`);
}
const posthog = rows[1][2] + rows[2][2] + rows[3][2];
console.log(`PostHog with surveys and tours: ${kib(posthog).trim()}, ${(posthog / waymark).toFixed(2)}x Waymark as shipped`);
