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
    const result = await module.show(request.kind, { id: request.id, definition: request.definition, locale: request.locale, responseId, progress: null, url: location.href }, host);
    if (mine !== shown) { result?.close(); return; }
    showing = result;
    if (result) tell({ type: 'shown', id: request.id });
  } catch (error) {
    tell({ type: 'failed', message: `The preview failed: ${(error as Error).message}` });
  }
}

window.addEventListener('message', (event) => {
  if (event.origin !== location.origin || event.source !== parent || !isRequest(event.data)) return;
  void show(event.data);
});
tell({ type: 'ready' });
