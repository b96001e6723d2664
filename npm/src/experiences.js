// The experiences module: tours and surveys. The runtime imports it only once a tour or
// survey is eligible on the page (and at idle, ahead of its trigger), so a page whose
// config has none never downloads it. The build replaces WAYMARK_EXPERIENCES_WASM with the
// content-hashed name of its wasm, which sits beside this file.
import initWasm, { showSurvey, showTour } from '../pkg/experiences.js';

let ready;

/** Fetches and compiles the wasm once; later calls share the same promise. */
export function prepare() {
  ready ??= initWasm({ module_or_path: new URL(WAYMARK_EXPERIENCES_WASM, import.meta.url) });
  return ready;
}

/**
 * Shows a tour or survey (see waymark-experiences' crate docs for the request and the
 * host). Resolves to the showing (with `close()`), or undefined when it could not show, in
 * which case `host.ended(id, reason)` has been called.
 */
export async function show(kind, request, host) {
  await prepare();
  return kind === 'tour' ? showTour(request, host) : showSurvey(request, host);
}
