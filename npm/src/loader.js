// The script tag's SDK, served as /sdk/waymark.js:
//
//   <script async src="https://HOST/sdk/waymark.js" data-project="demo" data-key="pk_..."></script>
//
// One classic script: this loader with the SDK module (index.js) bundled into it, so that the
// page's first request for Waymark brings everything but the wasm. It makes sure a call queue
// exists (so calls made before the SDK is ready are kept), starts fetching and compiling the
// wasm at once, and hands over to the module. It never throws into the page: a failed load
// logs one console message and the page works as before. The build replaces WAYMARK_WASM
// with the wasm's content-hashed file name; the experiences module is fetched from the same
// folder, only when a tour or survey is eligible.
import { load } from './index.js';

(function () {
  var PREFIX = '[waymark]';
  var w = window;
  function fail(error) {
    console.error(PREFIX, 'could not load the SDK; the page works as before, but no events are recorded.', error && error.message ? error.message : error);
  }
  try {
    var stub = w.waymark;
    if (stub && stub.ready) return; // already loaded by another script tag
    if (!Array.isArray(stub)) {
      stub = w.waymark = [];
      ['track', 'identify', 'page', 'flush', 'consent', 'reset'].forEach(function (method) {
        stub[method] = function () {
          stub.push([method, Array.prototype.slice.call(arguments), Date.now()]);
        };
      });
    }
    var script = document.currentScript;
    if (!script || !script.src) return fail(new Error('waymark.js must be loaded by a <script src> tag carrying data-project and data-key'));
    var base = new URL('.', script.src);
    var data = script.dataset;
    // A boolean attribute: present (and not "false") means on.
    function flag(name) { return data[name] !== undefined && data[name] !== 'false'; }
    // Download and compile the wasm now, as its bytes arrive. Served without the wasm type
    // (some proxies do), it is compiled whole once downloaded.
    var wasm = fetch(new URL(WAYMARK_WASM, base), { credentials: 'omit' }).then(function (response) {
      if (!response.ok) throw new Error('the SDK\'s wasm answered HTTP ' + response.status);
      return /^application\/wasm\b/.test(response.headers.get('content-type'))
        ? WebAssembly.compileStreaming(response)
        : response.arrayBuffer().then(WebAssembly.compile);
    });
    wasm.catch(function () {}); // a failure surfaces through load(), unless another tag's load won
    load({
      project: data.project, key: data.key, host: data.host || base.origin, wasm: wasm, queue: stub, base: base,
      consent: data.consent, honorPrivacySignals: flag('honorPrivacySignals'),
      allowEmails: flag('allowEmails'), allowCardNumbers: flag('allowCardNumbers'),
    }).then(function () {
      w.dispatchEvent(new Event('waymark:ready'));
    }, fail);
  } catch (error) {
    fail(error);
  }
})();
