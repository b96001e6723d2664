// Builds the console into dist/: index.html, console.js (the TypeScript bundled and minified
// by esbuild) and console.css, and the preview frame (preview.html, preview.js), which
// imports the SDK's experiences module from the collector's /sdk/ by its content-hashed name
// in npm/dist/sdk (scripts/build-sdk writes it). The collector serves dist/ at /console/.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const sdk = join(here, '../npm/dist/sdk');
let experiences;
try {
  experiences = readdirSync(sdk).find((name) => /^experiences-[0-9a-f]+\.mjs$/.test(name));
} catch { /* said below */ }
if (!experiences) throw new Error(`no experiences-<hash>.mjs in ${sdk}: build the SDK first (scripts/build-sdk)`);
mkdirSync(out, { recursive: true });
const options = { bundle: true, format: 'esm', target: 'es2022', minify: true, sourcemap: false, legalComments: 'none', logLevel: 'warning' };
await build({ ...options, entryPoints: [join(here, 'src/main.ts')], outfile: join(out, 'console.js') });
await build({
  ...options,
  entryPoints: [join(here, 'src/frame.ts')],
  outfile: join(out, 'preview.js'),
  define: { EXPERIENCES_MODULE: JSON.stringify(`/sdk/${experiences}`) },
  external: ['/sdk/*'],
});
copyFileSync(join(here, 'src/console.css'), join(out, 'console.css'));
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'preview.html'), join(out, 'preview.html'));
