// The preview beside the editor: the draft's survey, or one step of its tour, rendered by the
// SDK's own experiences module with its theme, in a frame as wide as a desktop (1280 px) or a
// phone (375 px), scaled down to fit. It follows the draft as the author types (what shows is
// the working copy, saved or not) and records nothing. The frame is preview.html (frame.ts).

import type { Experience } from './api.js';
import type { DraftCopy } from './draft.js';
import { h } from './dom.js';
import type { PreviewAnswer, PreviewRequest } from './frame.js';

const SIZES = {
  desktop: { width: 1280, height: 720, label: 'Desktop (1280 px)' },
  phone: { width: 375, height: 667, label: 'Phone (375 px)' },
} as const;
type Size = keyof typeof SIZES;

type Step = Record<string, unknown>;

/**
 * What the frame shows: a survey as it is; a tour as its chosen step alone, without the
 * target it points at (and its placement beside it), the page it belongs to, or what
 * advances it, which are the site's (on a page without them the module would wait for the
 * target, or not show at all).
 */
export function previewDefinition(experience: Experience, step: number): Experience {
  if (experience.kind !== 'tour') return experience;
  const tour = (experience.tour ?? {}) as { steps?: Step[] };
  const chosen = { ...(tour.steps?.[step] ?? {}) };
  // Placed beside nothing, a step is centred: what places it beside its target goes too.
  for (const field of ['target', 'url', 'advance', 'wait_ms', 'fallback', 'placement', 'align', 'spotlight']) delete chosen[field];
  return { ...experience, tour: { ...tour, steps: [chosen] } };
}

function localeOf(experience: Experience): string {
  const body = (experience.kind === 'tour' ? experience.tour : experience.survey) as { default_locale?: unknown } | undefined;
  return typeof body?.default_locale === 'string' ? body.default_locale : 'en';
}

const REASONS: Record<string, string> = {
  completed: 'it was completed',
  dismissed: 'it was dismissed',
  invalid: 'the draft cannot be shown yet: fix the problems the editor lists',
  no_translation: 'it has no text in its default language',
};

/** The preview section of the editor of experience `index`, or null for a kind it cannot show. */
export function renderPreview(draft: DraftCopy, index: number): HTMLElement | null {
  const experience = (): Experience | undefined => draft.config.experiences?.[index];
  const first = experience();
  if (!first || (first.kind !== 'survey' && first.kind !== 'tour')) return null;
  const kind: 'survey' | 'tour' = first.kind;
  let size: Size = 'phone';
  let ready = false;
  let sent = '';

  const status = h('p', { class: 'preview-status', id: 'preview-status', 'aria-live': 'polite' });
  const frame = h('iframe', { class: 'preview-frame', title: `Preview of ${String(first.id ?? kind)}`, src: '/console/preview.html', tabindex: '0' });
  const viewport = h('div', { class: 'preview-viewport' }, frame);
  const radios = (Object.keys(SIZES) as Size[]).map((key) => {
    const input = h('input', { type: 'radio', name: 'preview-size', id: `preview-${key}`, value: key, checked: key === size });
    input.addEventListener('change', () => { size = key; fit(); show(true); });
    return h('div', { class: 'field check' }, input, h('label', { for: `preview-${key}` }, SIZES[key].label));
  });
  const stepSelect = h('select', { id: 'preview-step' });
  const stepField = kind === 'tour' ? h('div', { class: 'field inline' }, h('label', { for: 'preview-step' }, 'Step'), stepSelect) : null;
  stepSelect.addEventListener('change', () => show(true));
  const again = h('button', { type: 'button' }, 'Show again');
  again.addEventListener('click', () => show(true));

  function steps(): Step[] {
    return ((experience()?.tour as { steps?: Step[] } | undefined)?.steps ?? []);
  }
  function listSteps(): void {
    const all = steps();
    const chosen = Math.min(Number(stepSelect.value || 0), Math.max(0, all.length - 1));
    const labels = all.map((s, i) => `${i + 1}${typeof s.id === 'string' ? `: ${s.id}` : ''}`);
    if ([...stepSelect.options].map((o) => o.text).join('\n') === labels.join('\n')) return;
    stepSelect.replaceChildren(...labels.map((text, i) => h('option', { value: String(i), selected: i === chosen }, text)));
  }
  /** Scales the frame, at its true width, down to the room there is. */
  function fit(): void {
    const { width, height } = SIZES[size];
    const room = viewport.parentElement?.clientWidth || width;
    const scale = Math.min(1, room / width);
    // CSSOM, not a style attribute: the console's CSP allows no inline style.
    frame.style.width = `${width}px`;
    frame.style.height = `${height}px`;
    frame.style.transform = `scale(${scale})`;
    viewport.style.height = `${Math.ceil(height * scale)}px`;
    viewport.style.width = `${Math.ceil(width * scale)}px`;
  }
  function main(): HTMLElement {
    return document.getElementById('main') ?? document.body;
  }
  function show(force: boolean): void {
    const current = experience();
    if (!ready || !current || !frame.isConnected) return;
    if (kind === 'tour') listSteps();
    const request: PreviewRequest = {
      kind,
      id: String(current.id ?? kind),
      definition: previewDefinition(current, Number(stepSelect.value || 0)),
      locale: localeOf(current),
    };
    const text = JSON.stringify(request);
    if (!force && text === sent) return;
    sent = text;
    // What the module focuses as it shows stays the author's: the frame hands it back (frame.ts).
    frame.contentWindow?.postMessage(request, location.origin);
  }
  // Another page replaced this one: what listens for it goes too.
  const gone = () => {
    if (frame.isConnected) return false;
    window.removeEventListener('message', listen);
    resize.disconnect();
    return true;
  };
  const listen = (event: MessageEvent) => {
    if (gone() || event.origin !== location.origin || event.source !== frame.contentWindow) return;
    const answer = event.data as PreviewAnswer;
    const where = size === 'phone' ? 'phone' : 'desktop';
    if (answer.type === 'ready') { ready = true; show(true); }
    else if (answer.type === 'shown') status.textContent = `Shown at ${where} width, as the SDK renders it.`;
    else if (answer.type === 'ended') status.textContent = `The preview ended: ${REASONS[answer.reason] ?? answer.reason}.`;
    else if (answer.type === 'failed') status.textContent = answer.message;
  };
  window.addEventListener('message', listen);
  let pending: ReturnType<typeof setTimeout> | undefined;
  draft.watch(() => {
    clearTimeout(pending);
    pending = setTimeout(() => { if (!gone()) show(false); }, 300);
  });
  const resize = new ResizeObserver(() => { if (!gone()) fit(); });
  resize.observe(main());
  if (kind === 'tour') listSteps();

  const section = h('section', { class: 'preview', 'aria-labelledby': 'preview-title' },
    h('h2', { id: 'preview-title' }, 'Preview'),
    h('p', { class: 'hint' }, kind === 'tour'
      ? 'One step at a time, by the SDK itself with the tour’s theme; on your site it points at its target.'
      : 'By the SDK itself, with the survey’s theme, as it shows on your site. Nothing is recorded.'),
    h('fieldset', { class: 'preview-sizes' }, h('legend', {}, 'Width'), ...radios),
    h('div', { class: 'actions' }, stepField, again),
    status,
    h('div', { class: 'preview-room' }, viewport));
  queueMicrotask(fit);
  return section;
}
