// What the runtime hears from the page: single-page navigations (the History API), the page
// being hidden or left, timers, exit intent, and elements that element triggers wait for. It decides nothing: each one is passed to
// the wasm (`notify`), which decides what it means. It is JavaScript because listeners and timers cost the wasm 3.9 KiB
// gzipped through wasm-bindgen closures, and a few hundred bytes here.
//
// Everything it installs it removes in `stop()`: the History methods go back exactly as they
// were, unless another script has wrapped ours since (then ours stays, forwarding, so as not
// to break theirs).

/**
 * Watches the page; `core(method, ...args)` calls the wasm SDK, and `settle(name)` has it
 * record the `track()` calls still waiting (see `inOrder` in index.js) while they still have
 * the page they were made on (`name` names the cause if that fails).
 */
export function watchPage(core, settle) {
  let stopped = false;
  const call = (method, ...args) => { if (!stopped) core(method, ...args); };
  const history = window.history;
  const patched = [];
  let pending;
  // Several navigations in one task (a push, then a replace) make one page view, taken
  // after the task so that the app's router has set the new title.
  const navigated = () => {
    if (pending === undefined) pending = setTimeout(() => { pending = undefined; call('notify', 'navigated', 0); }, 0);
  };
  for (const name of ['pushState', 'replaceState']) {
    const original = history[name];
    if (typeof original !== 'function') continue;
    const wrapper = function (...args) {
      settle(name);
      const result = original.apply(this, args);
      navigated(); // only reached when the page's own call did not throw
      return result;
    };
    history[name] = wrapper;
    patched.push({ name, original, wrapper });
  }
  const listeners = [];
  const listen = (target, type, handler) => {
    target.addEventListener(type, handler);
    listeners.push(() => target.removeEventListener(type, handler));
  };
  listen(window, 'popstate', navigated);
  listen(window, 'pagehide', () => call('notify', 'hidden', 0));
  listen(document, 'visibilitychange', () => { if (document.visibilityState === 'hidden') call('notify', 'hidden', 0); });

  let later;
  let pageTimers = [];
  let stopExit;
  let stopElements;
  // Calls `notify('element', i)` once for each selector with a matching element on the page:
  // checked in the next frame, and again in the frame after any change to the document,
  // until every one has been found. A selector the browser refuses never matches.
  const watchElements = (selectors) => {
    const found = selectors.map(() => false);
    let frame;
    const check = () => {
      frame = undefined;
      selectors.forEach((selector, i) => {
        if (found[i]) return;
        let element = null;
        try { element = document.querySelector(selector); } catch { found[i] = true; }
        if (element) { found[i] = true; call('notify', 'element', i); }
      });
      if (found.every(Boolean) && stopElements) stopElements();
    };
    const schedule = () => { frame ??= requestAnimationFrame(check); };
    const observer = new MutationObserver(schedule);
    observer.observe(document, { childList: true, subtree: true, attributes: true });
    schedule();
    return () => { observer.disconnect(); if (frame !== undefined) cancelAnimationFrame(frame); stopElements = undefined; };
  };
  return {
    /** Calls `tick()` once after `ms` (one at a time: the runtime asks again when it needs). */
    later(ms) {
      if (later === undefined) later = setTimeout(() => { later = undefined; call('notify', 'tick', 0); }, ms);
    },
    /** This page's time-on-page timers (`[ms, waited]` pairs), exit-intent listening, and
     * the element triggers' selectors (separated by NUL). */
    page(delays, waited, exit, selectors) {
      pageTimers.forEach(clearTimeout);
      pageTimers = Array.from(delays, (ms) => setTimeout(() => call('notify', 'time', ms), Math.max(0, ms - waited)));
      if (stopExit) stopExit();
      stopExit = undefined;
      if (exit) {
        const onOut = (event) => { if (!event.relatedTarget && event.clientY <= 0) call('notify', 'exit', 0); };
        document.addEventListener('mouseout', onOut);
        stopExit = () => document.removeEventListener('mouseout', onOut);
      }
      if (stopElements) stopElements();
      if (selectors) stopElements = watchElements(selectors.split('\0'));
    },
    stop() {
      stopped = true;
      for (const { name, original, wrapper } of patched) if (history[name] === wrapper) history[name] = original;
      listeners.forEach((remove) => remove());
      clearTimeout(pending);
      clearTimeout(later);
      this.page([], 0, false, '');
    },
  };
}
