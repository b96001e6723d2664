// The experiences module: tours and surveys. The runtime imports it only once a tour or
// survey is eligible on the page (and at idle, ahead of its trigger), so a page whose
// config has none never downloads it. The build replaces WAYMARK_EXPERIENCES_WASM with the
// content-hashed name of its wasm, which sits beside this file.
import initWasm, { showSurvey, showTour } from '../pkg/experiences.js';

let ready;
let loaded = false;

/** Fetches and compiles the wasm once; later calls share the same promise. */
export function prepare() {
  ready ??= initWasm({ module_or_path: new URL(WAYMARK_EXPERIENCES_WASM, import.meta.url) }).then(() => {
    loaded = true;
  });
  return ready;
}

const showNow = (kind, request, host) => (kind === 'tour' ? showTour(request, host) : showSurvey(request, host));

/**
 * Shows a tour or survey (see waymark-experiences' crate docs for the request and the
 * host): the showing (with `event`, `navigated` and `close`), or undefined when it could
 * not show, in which case `host.ended(id, reason)` has been called. Once `prepare()` has
 * resolved it returns at once, so the runtime holds the showing itself, not a promise of
 * it; before, it returns a promise of the same.
 */
export function show(kind, request, host) {
  if (loaded) return showNow(kind, request, host);
  return prepare().then(() => showNow(kind, request, host));
}
