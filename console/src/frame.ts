// The preview frame (preview.html, in an iframe of the editor page): it shows the draft's
// survey or tour step with the SDK's own experiences module, as a page of the product would,
// and records nothing. The console page hands it what to show by postMessage, from its own
// origin only; the frame answers with what happened ('shown', 'ended' and why, 'failed').

/** The experiences module's content-hashed path under /sdk/, written in by the build. */
declare const EXPERIENCES_MODULE: string;

/** What the console asks the frame to show. */
export interface PreviewRequest { kind: 'survey' | 'tour'; id: string; definition: unknown; locale: string }
/** What the frame tells the console. */
export type PreviewAnswer = { type: 'ready' } | { type: 'shown'; id: string } | { type: 'ended'; id: string; reason: string } | { type: 'failed'; message: string };

interface Showing { close(): void }
interface ExperiencesModule { show(kind: string, request: unknown, host: unknown): Showing | undefined | Promise<Showing | undefined> }

const status = document.getElementById('frame-status');
let showing: Showing | undefined;
let shown = 0;

function tell(answer: PreviewAnswer): void {
  if (status) status.textContent = answer.type === 'ended' ? `The preview ended (${answer.reason}).` : answer.type === 'failed' ? answer.message : '';
  parent.postMessage(answer, location.origin);
}

function isRequest(data: unknown): data is PreviewRequest {
  const r = data as Partial<PreviewRequest> | null;
  return typeof r === 'object' && r !== null && (r.kind === 'survey' || r.kind === 'tour') && typeof r.id === 'string' && typeof r.locale === 'string';
}

async function show(request: PreviewRequest): Promise<void> {
  // Counted first, so that the showing it replaces ends without a word.
  shown += 1;
  const mine = shown;
  showing?.close();
  showing = undefined;
  let module: ExperiencesModule;
  try {
    module = await import(EXPERIENCES_MODULE) as ExperiencesModule;
  } catch (error) {
    tell({ type: 'failed', message: `The experiences module could not be loaded (${(error as Error).message}).` });
    return;
  }
  // The preview records nothing: no event, outcome or progress leaves the frame.
  const host = {
    event() {},
    outcome() {},
    progress() {},
    ended(id: string, reason: string) { if (mine === shown) tell({ type: 'ended', id, reason }); },
  };
  const responseId = typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `preview-${mine}`;
  try {
    const result = await leavingTheAuthorsFocus(() => module.show(request.kind, { id: request.id, definition: request.definition, locale: request.locale, responseId, progress: null, url: location.href }, host));
    if (mine !== shown) { result?.close(); return; }
    showing = result;
    if (result) tell({ type: 'shown', id: request.id });
  } catch (error) {
    tell({ type: 'failed', message: `The preview failed: ${(error as Error).message}` });
  }
}

/**
 * Runs `show` without taking the focus from the author. On a site a survey or tour step takes
 * the focus as it shows (its first answer, its button); here the author is typing in the
 * editor around the frame, the preview shows again 300 ms after each pause, and a keystroke
 * that came while the frame had the focus landed in the preview and was lost from the draft.
 * The focus is handed back within the same task, in the frame's own `focusin`, so no input
 * can come between. (`inert` on the frame did not stop it: Chromium lets a script in an inert
 * frame focus its own elements.) An author who is in the preview (who clicked or tabbed into
 * it) keeps the focus moving there as it would on their site.
 */
async function leavingTheAuthorsFocus<T>(show: () => T | Promise<T>): Promise<T> {
  if (document.hasFocus()) return show();
  // Where the author is when the module takes the focus, which may be a while after the show
  // began (the module awaits its wasm): followed as they move about the editor meanwhile.
  let author = parent.document.activeElement as HTMLElement | null;
  const follow = (event: FocusEvent) => { if (event.target !== frameElement) author = event.target as HTMLElement; };
  const handBack = (event: FocusEvent) => {
    if (author && author !== parent.document.body && typeof author.focus === 'function') author.focus({ preventScroll: true });
    else { (event.target as HTMLElement | null)?.blur?.(); parent.focus(); }
  };
  parent.document.addEventListener('focusin', follow, true);
  window.addEventListener('focusin', handBack, true);
  try {
    return await show();
  } finally {
    // What the module focuses in the task after it shows is handed back too.
    setTimeout(() => {
      parent.document.removeEventListener('focusin', follow, true);
      window.removeEventListener('focusin', handBack, true);
    }, 0);
  }
}

window.addEventListener('message', (event) => {
  if (event.origin !== location.origin || event.source !== parent || !isRequest(event.data)) return;
  void show(event.data);
});
tell({ type: 'ready' });
