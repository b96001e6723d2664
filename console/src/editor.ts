// The editor of one experience: a form for its kind (survey, tour, content change and
// experiment: kinds.ts) and its targeting (targeting.ts), and a JSON view of the same
// experience, kept in sync, with the compiler's diagnostics shown at the field they point to
// as the author types.

import { allows, type Diagnostic, type Experience, type Role } from './api.js';
import { describeSave, DraftCopy } from './draft.js';
import { h, replace, uid } from './dom.js';
import { draw, type Control, type Form, type Node, type Root } from './form.js';
import { defaultLocale, kindForm } from './kinds.js';
import { fieldFor } from './pointer.js';
import { targetingNodes } from './targeting.js';
import { languagesOf, textsOf, translationsSection } from './translations.js';

/** Renders the editor of experience `index` of `draft` into `main`. */
export function renderEditor(main: HTMLElement, draft: DraftCopy, index: number, role: Role | undefined): void {
  draft.unreadable = false;
  const base = `/experiences/${index}`;
  const experience = (): Experience | undefined => draft.config.experiences?.[index];
  const current = experience();
  if (!current) {
    replace(main, h('h1', { tabindex: '-1' }, 'No such experience'), h('p', {}, 'The draft has no experience here. ', h('a', { href: `#/p/${encodeURIComponent(draft.projectName)}` }, 'Back to the list')));
    return;
  }
  const controls = new Map<string, Control | null>();
  const errors = new Map<string, HTMLElement>();
  const status = h('p', { class: 'save-status', id: 'save-status', 'aria-live': 'polite' });
  const conflict = h('div', { class: 'conflict', hidden: true });
  const general = h('ul', { class: 'diagnostics', 'aria-label': 'Other problems' });
  const publishResult = h('p', { class: 'publish-result', role: 'status' });

  // The forms (the kind's and the targeting), redrawn whenever the experience changes shape.
  const kindSection = h('div', { class: 'fields' });
  const targetingSection = h('div', { class: 'fields' });
  const kindTitle = h('h2', { id: 'form-title' });
  const translationsHolder = h('section', { 'aria-labelledby': 'translations-title' });
  // Languages added here before any text has them: kept while the page is open.
  const added = new Set<string>();
  const translatable = (root: Root) => root.kind === 'survey' || root.kind === 'tour';
  const languages = (): string[] => {
    const root = experience() as Root | undefined;
    if (!root || !translatable(root)) return [];
    const source = defaultLocale(root);
    return [...new Set([...languagesOf(textsOf(nodes(root).kind, root), source), ...added])].filter((l) => l !== source).sort();
  };
  const nodes = (root: Root): { kind: Node[]; targeting: Node[] } => {
    const form = kindForm(root);
    return { kind: form?.nodes ?? [], targeting: form ? targetingNodes(root) : [] };
  };
  const form: Form = {
    root: () => experience() as Root | undefined,
    edit: (change) => {
      draft.edit(() => {
        const target = experience();
        if (target) change(target as Root);
      });
      syncJson();
      // The completeness of each language follows the texts (not while a control in the
      // section has focus: redrawing it would take the focus away).
      if (!translationsHolder.contains(document.activeElement)) renderTranslations();
    },
    rebuild: (focus) => buildForm(focus),
    canSave: draft.canSave,
    nodes: (root) => { const both = nodes(root); return [...both.kind, ...both.targeting]; },
    languages,
    register: (at, control, error) => {
      controls.set(base + at, control);
      errors.set(base + at, error);
    },
  };
  function renderTranslations(): void {
    const target = experience() as Root | undefined;
    translationsHolder.hidden = !target || !translatable(target);
    if (!target || !translatable(target)) return;
    // Drawn again when the form is: a control of the section that had the focus keeps it.
    const active = document.activeElement as HTMLElement | null;
    const key = active && translationsHolder.contains(active) ? active.dataset.key : undefined;
    const caret: [number | null, number | null] | null = active instanceof HTMLInputElement && active.type === 'text' ? [active.selectionStart, active.selectionEnd] : null;
    replace(translationsHolder, h('h2', { id: 'translations-title' }, 'Translations'),
      translationsSection(form, base, () => { const r = experience() as Root | undefined; return r ? textsOf(nodes(r).kind, r) : []; }, defaultLocale(target), languages(), (locale) => {
        added.add(locale);
        buildForm(`${base}/translations/add`);
      }));
    const again = key ? translationsHolder.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`) : null;
    if (again && again !== document.activeElement) {
      again.focus();
      if (caret && again instanceof HTMLInputElement) again.setSelectionRange(caret[0], caret[1]);
    }
  }
  function buildForm(focus?: string): void {
    const target = experience() as Root | undefined;
    if (!target) return;
    const active = document.activeElement as HTMLElement | null;
    const key = focus ?? (kindSection.contains(active) || targetingSection.contains(active) ? active?.dataset.key : undefined);
    const selection: [number | null, number | null] | null = active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement ? [active.selectionStart, active.selectionEnd] : null;
    controls.clear();
    errors.clear();
    const fits = kindForm(target);
    kindTitle.textContent = fits?.title ?? 'Form';
    const both = nodes(target);
    if (fits) replace(kindSection, ...draw(form, both.kind, base));
    else replace(kindSection, h('p', {}, 'The form edits surveys, tours, content changes and experiments; edit this experience in its JSON.'));
    replace(targetingSection, ...draw(form, both.targeting, base));
    renderTranslations();
    if (key) {
      const found = document.querySelector<HTMLElement>(`.editor [data-key="${CSS.escape(key)}"]`);
      const focusable = found && found.matches('input, select, textarea, button') ? found : found?.querySelector<HTMLElement>('input, select, textarea, button');
      focusable?.focus();
      if (selection && (focusable instanceof HTMLInputElement || focusable instanceof HTMLTextAreaElement) && focusable.type === 'text') {
        focusable.setSelectionRange(selection[0], selection[1]);
      }
    }
    render();
  }

  // The JSON view of the same experience.
  const jsonId = uid('json');
  const jsonError = h('p', { class: 'field-error', id: `${jsonId}-error` });
  const json = h('textarea', { id: jsonId, class: 'json', rows: 18, spellcheck: 'false', 'aria-describedby': `${jsonId}-error`, 'data-pointer': base, disabled: !draft.canSave });
  json.value = JSON.stringify(current, null, 2);
  // While the text is not an experience, what the server has is not what the author sees.
  let broken = false;
  json.addEventListener('input', () => {
    broken = true;
    draft.unreadable = true;
    let parsed: unknown;
    try {
      parsed = JSON.parse(json.value);
    } catch (error) {
      jsonError.textContent = `Not JSON yet, so not saved: ${(error as Error).message}`;
      json.setAttribute('aria-invalid', 'true');
      render();
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      jsonError.textContent = 'An experience is a JSON object ({…}); not saved.';
      json.setAttribute('aria-invalid', 'true');
      render();
      return;
    }
    broken = false;
    draft.unreadable = false;
    jsonError.textContent = '';
    json.removeAttribute('aria-invalid');
    draft.edit((config) => {
      if (config.experiences) config.experiences[index] = parsed as Experience;
    });
    buildForm();
  });
  function syncJson(): void {
    const target = experience();
    if (target && document.activeElement !== json) json.value = JSON.stringify(target, null, 2);
  }
  const canPublish = allows(role, 'publisher');
  const publish = h('button', { type: 'button', class: 'primary' }, 'Publish');
  publish.addEventListener('click', async () => {
    publish.disabled = true;
    publishResult.textContent = 'Publishing…';
    publishResult.textContent = (await draft.publish()).message;
    render();
  });

  function render(): void {
    replace(status, describeSave(draft, broken), draft.state.kind === 'failed' && draft.state.problem.status === 401 ? h('span', {}, ' ', h('a', { href: '#/sign-in' }, 'Sign in again')) : null);
    status.classList.toggle('bad', broken || draft.state.kind === 'failed' || draft.state.kind === 'conflict');
    // Conflict choices.
    if (draft.state.kind === 'conflict') {
      const mine = h('button', { type: 'button' }, 'Save mine over theirs');
      mine.addEventListener('click', () => draft.keepMine());
      const theirs = h('button', { type: 'button' }, 'Load theirs');
      theirs.addEventListener('click', () => { draft.takeTheirs(); syncJson(); buildForm(); });
      replace(conflict, mine, ' ', theirs);
      conflict.hidden = false;
    } else conflict.hidden = true;
    // Diagnostics at their fields.
    const mine = draft.diagnostics.filter((d) => d.pointer === base || d.pointer.startsWith(`${base}/`));
    const placed = new Map<string, Diagnostic[]>();
    const unplaced: Diagnostic[] = [];
    for (const d of mine) {
      const at = fieldFor(d.pointer, [...errors.keys()]);
      if (at) placed.set(at, [...(placed.get(at) ?? []), d]);
      else unplaced.push(d);
    }
    for (const [at, error] of errors) {
      const found = placed.get(at) ?? [];
      error.textContent = found.map((d) => `${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.message}`).join(' ');
      const control = controls.get(at);
      if (found.some((d) => d.severity === 'error')) control?.setAttribute('aria-invalid', 'true');
      else control?.removeAttribute('aria-invalid');
    }
    replace(general, ...unplaced.map((d) => h('li', { class: d.severity }, h('strong', {}, d.severity === 'error' ? 'Error' : 'Warning'), ` at ${d.pointer.slice(base.length) || '/'}: ${d.message}`)));
    general.hidden = unplaced.length === 0;
    const otherErrors = draft.errors.filter((d) => !mine.includes(d)).length;
    publish.disabled = broken || draft.errors.length > 0 || draft.state.kind === 'conflict';
    publish.title = draft.errors.length > 0 ? `Fix ${draft.errors.length} error(s) first${otherErrors ? ` (${otherErrors} in other experiences)` : ''}` : '';
  }
  draft.watch(render);

  const id = typeof current.id === 'string' ? current.id : `experience ${index + 1}`;
  replace(main,
    h('p', { class: 'crumbs' }, h('a', { href: `#/p/${encodeURIComponent(draft.projectName)}` }, 'Experiences'), ' › ', id),
    h('h1', { tabindex: '-1' }, draft.canSave ? `Edit ${id}` : `View ${id}`),
    status, conflict,
    h('div', { class: 'editor' },
      h('div', { class: 'forms' },
        h('section', { 'aria-labelledby': 'form-title' }, kindTitle, kindSection, general),
        h('section', { 'aria-labelledby': 'targeting-title' }, h('h2', { id: 'targeting-title' }, 'Targeting'), targetingSection),
        translationsHolder),
      h('section', { 'aria-labelledby': 'json-title' },
        h('h2', { id: 'json-title' }, h('label', { for: jsonId }, 'JSON')),
        json, jsonError)),
    canPublish ? h('div', { class: 'actions' }, publish, publishResult) : null);
  buildForm();
  render();
}
