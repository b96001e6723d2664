// Personalization on a returning visit, side by side in one run: navigation start to the
// moment #greeting shows its personalized text, and whether the original text was painted
// first, for Waymark (without and with the README's anti-flicker snippet) and GrowthBook's
// auto.min.js applying the same text change as an auto experiment with a DOM mutation.
// Every load decides from a cached config: each browser context is warmed by a first visit,
// and every config answer (Waymark's /v1/config, GrowthBook's /api/features) is held
// HOLD_MS, so only the cache can apply early. The loads are interleaved: load i of every
// contender runs before load i+1 of any. Run by scripts/bench; prints figures and ratios.
// Not a test: timings on a shared machine vary, so nothing here passes or fails on speed.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, launchBrowser, startCollector, startSite } from '../harness.mjs';

const LOADS = Number(process.env.BENCH_LOADS ?? 20);
const HOLD_MS = 500;
const ORIGINAL = 'Hello, stranger';
const CHANGED = 'Welcome back, there';

const CONFIG = {
  experiences: [
    { id: 'greeting', kind: 'content', trigger: { page_view: ['/p/home*'] },
      changes: [{ selector: '#greeting', text: 'Welcome back, {{user.first_name | there}}' }] },
  ],
};
// The same change for GrowthBook: an auto experiment (what its visual editor publishes) whose
// only reachable variation sets the text.
const GROWTHBOOK_PAYLOAD = {
  features: {},
  experiments: [{
    key: 'greeting', changeId: 'greeting-1', hashAttribute: 'id', coverage: 1, weights: [0, 1],
    urlPatterns: [{ type: 'regex', include: true, pattern: '^/p/home' }],
    variations: [{}, { domMutations: [{ selector: '#greeting', action: 'set', attribute: 'html', value: CHANGED }] }],
  }],
};
const GROWTHBOOK = join(ROOT, 'tests/node_modules/@growthbook/growthbook/dist/bundles/auto.min.js');

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SNIPPET = (readme.match(/^<script>!function\(d,p,t\).*<\/script>$/m) || [''])[0].replace('PROJECT', 'demo');
if (!SNIPPET.includes('waymark-hide')) throw new Error('README.md has no anti-flicker snippet');

// In the <head>, before either SDK's tag. A MutationObserver notes when #greeting first holds
// another text (performance.now() counts from navigation start); each animation frame (the
// browser paints after it) notes whether #greeting is there, visible, with its original text.
const PROBE = `<script>(function(){var o=${JSON.stringify(ORIGINAL)},r=window.__probe={frames:0,originalPainted:0,applied:null};
function g(){return document.getElementById('greeting')}
new MutationObserver(function(){var e=g();if(r.applied===null&&e&&e.textContent!==o)r.applied=performance.now()}).observe(document.documentElement,{subtree:true,childList:true,characterData:true});
function f(){var e=g();if(e){r.frames++;if(e.textContent===o&&getComputedStyle(e).visibility!=='hidden'&&getComputedStyle(e).opacity!=='0')r.originalPainted++}
if(r.applied===null||r.frames<5)requestAnimationFrame(f);else r.done=true}requestAnimationFrame(f);})();</script>`;
const BODY = `<p id="greeting">${ORIGINAL}</p>`;

const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-'));
const configFile = join(dir, 'config.json');
writeFileSync(configFile, JSON.stringify(CONFIG));
const collector = await startCollector({ args: ['--publish-config', `demo=${configFile}`] });
const collectorUrl = new URL(collector.url);

const hold = () => new Promise((r) => setTimeout(r, HOLD_MS));
// One server for everything that is not the Waymark page: Waymark's host (a proxy to the
// collector that holds /v1/config), GrowthBook's page, script and features API.
const peer = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://peer');
  const cors = { 'access-control-allow-origin': '*', 'cache-control': 'no-cache' };
  if (url.pathname === '/gb/auto.min.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(GROWTHBOOK));
  } else if (url.pathname.startsWith('/api/features/')) {
    await hold();
    res.writeHead(200, { 'content-type': 'application/json', ...cors }).end(JSON.stringify(GROWTHBOOK_PAYLOAD));
  } else if (url.pathname.startsWith('/p/home')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GrowthBook page</title>
${PROBE}<script async src="/gb/auto.min.js" data-client-key="sdk-bench" data-api-host="http://${req.headers.host}" data-no-streaming="1"></script>
</head><body><h1>/p/home</h1>${BODY}</body></html>`);
  } else if (url.pathname.startsWith('/v1/')) {
    if (url.pathname === '/v1/config') await hold();
    const upstream = httpRequest({ host: collectorUrl.hostname, port: collectorUrl.port, method: req.method, path: req.url, headers: { ...req.headers, host: collectorUrl.host } }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  } else {
    res.writeHead(404).end();
  }
});
await new Promise((r) => peer.listen(0, '127.0.0.1', r));
const peerUrl = `http://127.0.0.1:${peer.address().port}`;

const site = await startSite(peerUrl, {
  head: (url) => (url.searchParams.has('snippet') ? SNIPPET : '') + PROBE,
  body: () => BODY,
});
const browser = await launchBrowser();

const contenders = [
  { name: 'Waymark', url: `${site.url}/p/home` },
  { name: 'Waymark + anti-flicker snippet', url: `${site.url}/p/home?snippet=1` },
  { name: 'GrowthBook auto.min.js', url: `${peerUrl}/p/home` },
];

async function load(page, url) {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => window.__probe && window.__probe.done, null, { timeout: 10_000 });
  const probe = await page.evaluate(() => window.__probe);
  const text = await page.locator('#greeting').textContent();
  if (text !== CHANGED) throw new Error(`#greeting reads ${JSON.stringify(text)}, not the change`);
  return probe;
}

try {
  for (const c of contenders) {
    c.context = await browser.newContext();
    c.page = await c.context.newPage();
    c.results = [];
    // Warm: the first visit fetches the config (held) and caches it; the second leaves what
    // a returning visitor has (for Waymark, the snippet's list of selectors to hide).
    await load(c.page, c.url);
    await c.page.waitForTimeout(HOLD_MS + 200);
    await load(c.page, c.url);
    await c.page.waitForTimeout(HOLD_MS + 200);
  }
  for (let i = 0; i < LOADS; i++) {
    for (const c of contenders) c.results.push(await load(c.page, c.url));
  }
} finally {
  await browser.close();
  await site.stop();
  await new Promise((r) => { peer.closeAllConnections(); peer.close(r); });
  await collector.stop();
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo] + (s[Math.ceil(at)] - s[lo]) * (at - lo);
};
const ms = (x) => `${x.toFixed(1)} ms`;
console.log(`${LOADS} interleaved loads each, cached config, config answers held ${HOLD_MS} ms`);
console.log('navigation start to #greeting changed, and loads in which the original text was painted:');
for (const c of contenders) {
  const times = c.results.map((r) => r.applied);
  c.median = quantile(times, 0.5);
  c.p90 = quantile(times, 0.9);
  c.flicker = c.results.filter((r) => r.originalPainted > 0).length;
  console.log(`  ${c.name.padEnd(32)} median ${ms(c.median).padStart(9)}  p90 ${ms(c.p90).padStart(9)}  original painted in ${c.flicker} of ${LOADS}`);
}
const [w, ws, gb] = contenders;
console.log(`  ratio Waymark / GrowthBook: median ${(w.median / gb.median).toFixed(2)}x, p90 ${(w.p90 / gb.p90).toFixed(2)}x`);
console.log(`  ratio Waymark + snippet / GrowthBook: median ${(ws.median / gb.median).toFixed(2)}x, p90 ${(ws.p90 / gb.p90).toFixed(2)}x`);
console.log(`  original painted: Waymark ${w.flicker}, with the snippet ${ws.flicker}, GrowthBook ${gb.flicker} (of ${LOADS} each)`);
