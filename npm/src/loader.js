// The script-tag loader, served as /sdk/waymark.js:
//
//   <script async src="https://HOST/sdk/waymark.js" data-project="demo" data-key="pk_..."></script>
//
// It makes sure a call queue exists (so calls made before the SDK is ready are kept), starts
// fetching the wasm at once, imports the SDK module beside it, and hands over. It never
// throws into the page: a failed load logs one console message and the page works as before.
// The build replaces WAYMARK_MODULE and WAYMARK_WASM with content-hashed file names.
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
    // Start downloading the wasm now, in parallel with the module, for streaming compilation.
    var wasm = fetch(new URL(WAYMARK_WASM, base), { credentials: 'omit' });
    wasm.catch(function () {}); // a failure surfaces through load() below
    import(new URL(WAYMARK_MODULE, base).href)
      .then(function (sdk) {
        return sdk.load({
          project: data.project, key: data.key, host: data.host || base.origin, wasm: wasm, queue: stub,
          consent: data.consent, honorPrivacySignals: flag('honorPrivacySignals'),
          allowEmails: flag('allowEmails'), allowCardNumbers: flag('allowCardNumbers'),
        });
      })
      .then(function () {
        w.dispatchEvent(new Event('waymark:ready'));
      }, fail);
  } catch (error) {
    fail(error);
  }
})();
