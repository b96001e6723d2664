// Assembles the SDK from the wasm-bindgen output in npm/pkg:
//   dist/waymark.wasm, dist/index.js, dist/index.d.ts   the npm package (the runtime)
//   dist/experiences-<hash>.mjs, .wasm                  its experiences module (on demand)
//   dist/sdk/waymark.js                                 the script tag's SDK: the loader with
//                                                        the module bundled in (stable URL)
//   dist/sdk/waymark-<hash>.wasm                         the runtime's wasm (cached forever)
//   dist/sdk/experiences-<hash>.mjs, .wasm              the experiences module (on demand)
//   dist/sdk/*.br, *.gz                                  each of those compressed, which the
//                                                        collector sends to a browser that
//                                                        accepts it (no compressing per request)
// and prints the gzipped sizes of both parts. Run by scripts/build-sdk after cargo and
// wasm-bindgen.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, 'pkg');
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'sdk'), { recursive: true });

const sha = (...parts) => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest('hex').slice(0, 10);
};
// wasm-opt from npm binaryen: Debian's binaryen is too old for the module's externref table.
// --low-memory-unused lets it fold constant offsets into loads and stores: Rust's stack
// starts at 1 MiB and grows down, so the first KiB is reached only by an overflowing stack.
// -Oz, then --flatten --rereloop (the control flow rebuilt from scratch) and -Oz again
// until nothing changes: 0.8 KiB smaller than -Oz --converge alone (DEVELOPERS.md).
const optimize = (from, to) =>
  execFileSync(join(here, 'node_modules/.bin/wasm-opt'), [
    '--low-memory-unused', '-Oz', '--flatten', '--rereloop', '-Oz', '--converge',
    '--strip-producers', '--strip-target-features', join(pkg, from), '-o', to,
  ], { stdio: 'inherit' });
const bundleOf = async (entry, define, format = 'esm') => {
  const out = await esbuild.build({
    entryPoints: [join(here, 'src', entry)],
    bundle: true,
    format,
    minify: true,
    target: 'es2020',
    write: false,
    legalComments: 'none',
    define,
    // In the script tag's bundle `import.meta` is empty: the loader passes the folder instead.
    logOverride: { 'empty-import-meta': 'silent' },
  });
  return out.outputFiles[0].contents;
};

// The experiences module first: the runtime's module names it.
optimize('experiences_bg.wasm', join(dist, 'experiences.wasm'));
const experiencesWasm = readFileSync(join(dist, 'experiences.wasm'));
rmSync(join(dist, 'experiences.wasm'));
const experiencesWasmName = `experiences-${sha(experiencesWasm)}.wasm`;
const experiencesCode = await bundleOf('experiences.js', { WAYMARK_EXPERIENCES_WASM: JSON.stringify(experiencesWasmName) });
const experiencesName = `experiences-${sha(experiencesCode)}.mjs`;
for (const dir of [dist, join(dist, 'sdk')]) {
  writeFileSync(join(dir, experiencesWasmName), experiencesWasm);
  writeFileSync(join(dir, experiencesName), experiencesCode);
}

optimize('waymark_bg.wasm', join(dist, 'waymark.wasm'));
const moduleCode = await bundleOf('index.js', { WAYMARK_EXPERIENCES: JSON.stringify(experiencesName) });
writeFileSync(join(dist, 'index.js'), moduleCode);
copyFileSync(join(here, 'src/index.d.ts'), join(dist, 'index.d.ts'));

const wasm = readFileSync(join(dist, 'waymark.wasm'));
const wasmName = `waymark-${sha(wasm)}.wasm`;
writeFileSync(join(dist, 'sdk', wasmName), wasm);
// One script for the page's first request (a module imported by a loader would be a second
// round trip before the wasm could be instantiated).
const loader = await bundleOf('loader.js', {
  WAYMARK_WASM: JSON.stringify(wasmName),
  WAYMARK_EXPERIENCES: JSON.stringify(experiencesName),
}, 'iife');
writeFileSync(join(dist, 'sdk', 'waymark.js'), loader);

// Compressed once here, at the highest levels, so that the collector only picks a file.
for (const file of readdirSync(join(dist, 'sdk'))) {
  const raw = readFileSync(join(dist, 'sdk', file));
  writeFileSync(join(dist, 'sdk', `${file}.gz`), gzipSync(raw, { level: 9 }));
  writeFileSync(join(dist, 'sdk', `${file}.br`), brotliCompressSync(raw, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length },
  }));
}

const gz = (file) => gzipSync(readFileSync(join(dist, 'sdk', file)), { level: 9 }).length;
const kib = (bytes) => `${(bytes / 1024).toFixed(1).padStart(6)} KiB gzip -9`;
let total = 0;
for (const [part, files] of [
  ['runtime (every page)', ['waymark.js', wasmName]],
  ['experiences (on demand)', [experiencesName, experiencesWasmName]],
]) {
  const sizes = files.map(gz);
  const sum = sizes.reduce((a, b) => a + b, 0);
  total += sum;
  files.forEach((file, i) => console.log(`  ${file.padEnd(32)} ${kib(sizes[i])}`));
  console.log(`  ${part.padEnd(32)} ${kib(sum)}`);
}
console.log(`  ${'both'.padEnd(32)} ${kib(total)}`);
