// Assembles the SDK from the wasm-bindgen output in npm/pkg:
//   dist/waymark.wasm, dist/index.js, dist/index.d.ts   the npm package
//   dist/sdk/waymark.js                                 the script-tag loader (stable URL)
//   dist/sdk/waymark-<hash>.mjs, waymark-<hash>.wasm    what it loads (cached forever)
// and prints the gzipped sizes. Run by scripts/build-sdk after cargo and wasm-bindgen.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, 'pkg');
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'sdk'), { recursive: true });

// wasm-opt from npm binaryen: Debian's binaryen is too old for the module's externref table.
execFileSync(join(here, 'node_modules/.bin/wasm-opt'), ['-Oz', join(pkg, 'waymark_bg.wasm'), '-o', join(dist, 'waymark.wasm')], { stdio: 'inherit' });

const bundle = await esbuild.build({
  entryPoints: [join(here, 'src/index.js')],
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2020',
  write: false,
  legalComments: 'none',
});
const moduleCode = bundle.outputFiles[0].contents;
writeFileSync(join(dist, 'index.js'), moduleCode);
copyFileSync(join(here, 'src/index.d.ts'), join(dist, 'index.d.ts'));

const wasm = readFileSync(join(dist, 'waymark.wasm'));
const hash = createHash('sha256').update(wasm).update(moduleCode).digest('hex').slice(0, 10);
const moduleName = `waymark-${hash}.mjs`;
const wasmName = `waymark-${hash}.wasm`;
writeFileSync(join(dist, 'sdk', moduleName), moduleCode);
writeFileSync(join(dist, 'sdk', wasmName), wasm);

const loader = await esbuild.build({
  entryPoints: [join(here, 'src/loader.js')],
  minify: true,
  target: 'es2017',
  write: false,
  legalComments: 'none',
  define: { WAYMARK_MODULE: JSON.stringify(moduleName), WAYMARK_WASM: JSON.stringify(wasmName) },
});
writeFileSync(join(dist, 'sdk', 'waymark.js'), loader.outputFiles[0].contents);

const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const sizes = {
  'waymark.js (loader)': gz(join(dist, 'sdk/waymark.js')),
  [moduleName]: gz(join(dist, 'sdk', moduleName)),
  [wasmName]: gz(join(dist, 'sdk', wasmName)),
};
const total = Object.values(sizes).reduce((a, b) => a + b, 0);
for (const [name, bytes] of Object.entries(sizes)) console.log(`  ${name.padEnd(32)} ${(bytes / 1024).toFixed(1).padStart(6)} KiB gzip -9`);
console.log(`  ${'total shipped'.padEnd(32)} ${(total / 1024).toFixed(1).padStart(6)} KiB gzip -9`);
