// Builds the console into dist/: index.html, console.js (the TypeScript bundled and minified
// by esbuild) and console.css. The collector serves dist/ at /console/.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, 'src/main.ts')],
  outfile: join(out, 'console.js'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(join(here, 'src/console.css'), join(out, 'console.css'));
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
