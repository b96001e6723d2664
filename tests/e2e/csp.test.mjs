// The whole SDK on a page with a strict Content-Security-Policy (issue 15: "a strict CSP"):
// no inline script or style anywhere, scripts and styles from the page's own origin only,
// wasm allowed to compile. The runtime decides, the content layer personalizes text and
// inserts a banner, and the experiences module shows a survey, with no violation reported.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_KEY, ROOT, launchBrowser, startCollector, watchConsole } from '../harness.mjs';

const CONFIG = {
  experiences: [
    { id: 'hello', kind: 'content', trigger: { page_view: true },
      changes: [
        { selector: '#greeting', text: 'Welcome back, {{user.first_name | there}}' },
        { selector: '#greeting', banner: { title: 'New', text: 'Exports are here', cta: { label: 'Try them', url: '/exports' }, dismissible: true }, position: 'after' },
      ] },
    { id: 'nps', kind: 'survey', trigger: { page_view: true },
      survey: { questions: [{ id: 'score', type: 'nps', text: 'How likely are you to recommend us?', labels: { low: 'Not likely', high: 'Very likely' } }] } },
  ],
};

let collector;
let server;
let site;
let browser;
before(async () => {
  collector = await startCollector({ config: CONFIG });
  const sdkDir = join(ROOT, 'npm/dist/sdk');
  const csp = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self' ${collector.url}`;
  server = createServer((request, response) => {
    const path = new URL(request.url, 'http://site').pathname;
    const send = (type, body) => response.writeHead(200, { 'content-type': type, 'content-security-policy': csp }).end(body);
    if (path === '/') {
      return send('text/html; charset=utf-8', `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Strict</title>
<script src="/probe.js"></script>
<script async src="/sdk/waymark.js" data-project="demo" data-key="${DEMO_KEY}" data-host="${collector.url}"></script>
</head><body><main><h1>Strict page</h1><p id="greeting">Hello</p></main></body></html>`);
    }
    if (path === '/probe.js') return send('text/javascript', "window.violations = []; document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));");
    const file = join(sdkDir, path.replace(/^\/sdk\//, '').replace(/[^\w.-]/g, ''));
    if (path.startsWith('/sdk/') && existsSync(file)) return send(file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript', readFileSync(file));
    response.writeHead(404).end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  site = `http://127.0.0.1:${server.address().port}`;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r()));
  await collector?.stop();
});

test('under a strict CSP the runtime personalizes, inserts a banner and shows a survey, with no violation', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${site}/`);
  await page.waitForFunction(() => document.getElementById('greeting').textContent === 'Welcome back, there');
  const banner = page.locator('[data-waymark-banner="hello"]');
  await banner.getByRole('link', { name: 'Try them' }).waitFor();
  await page.locator('waymark-survey h2').waitFor();
  assert.equal(await page.locator('waymark-survey h2').textContent(), 'How likely are you to recommend us?');
  // The banner's styles came from its adopted sheet, which the policy allows.
  assert.notEqual(await banner.getByRole('link', { name: 'Try them' }).evaluate((a) => getComputedStyle(a).backgroundColor), 'rgba(0, 0, 0, 0)');
  assert.deepEqual(await page.evaluate(() => window.violations), [], 'no CSP violation');
  assert.deepEqual(seen.pageErrors, []);
  assert.deepEqual(seen.errors.filter((e) => e.includes('[waymark]')), []);
  await context.close();
});
