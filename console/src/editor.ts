// The editor of one experience: a form for what the form knows (an NPS survey's wording and
// where it shows) and a JSON view of the same experience, kept in sync, with the compiler's
// diagnostics shown at the field they point to as the author types.

import { allows, type Config, type Diagnostic, type Experience, type Role } from './api.js';
import { describeSave, DraftCopy } from './draft.js';
import { h, replace, uid } from './dom.js';
import { fieldFor, get, set } from './pointer.js';

interface Field {
  /** Pointer inside the experience (`/survey/questions/0/text`). */
  at: string;
  label: string;
  hint?: string;
  kind: 'text' | 'lines' | 'type';
}

/** The question types the form edits; others (choices) are edited in the JSON view. */
const TYPES: Array<[string, string]> = [['nps', 'NPS (0 to 10)'], ['ces', 'Effort (CES, 1 to 7)'], ['csat', 'Satisfaction (CSAT, 1 to 5)'], ['text', 'Free text']];
const RATED = new Set(['nps', 'ces', 'csat']);

/** The survey's own fields, then each question's. */
function surveyFields(experience: Experience): Field[] {
  const fields: Field[] = [
    { at: '/id', label: 'Survey id', hint: 'Letters, digits and dashes; reports and events name the survey by it.', kind: 'text' },
    { at: '/trigger/page_view', label: 'Show on pages', hint: 'One path pattern a line, such as /invoices*; leave empty for every page.', kind: 'lines' },
  ];
  const questions = get(experience, '/survey/questions');
  (Array.isArray(questions) ? questions : []).forEach((_, q) => {
    const at = `/survey/questions/${q}`;
    const type = get(experience, `${at}/type`);
    fields.push({ at: `${at}/type`, label: 'Type', kind: 'type' });
    fields.push({ at: `${at}/text`, label: 'Question', kind: 'text' });
    if (typeof type === 'string' && RATED.has(type)) {
      const [low, high] = type === 'nps' ? ['Words for 0', 'Words for 10'] : ['Words for the lowest score', 'Words for the highest score'];
      fields.push({ at: `${at}/labels/low`, label: low, kind: 'text' });
      fields.push({ at: `${at}/labels/high`, label: high, kind: 'text' });
    }
  });
  fields.push({ at: '/survey/thank_you', label: 'Thank-you message', hint: 'Optional.', kind: 'text' });
  return fields;
}

/** A new NPS survey, in the standard wording, for the form to start from. */
export function newNpsSurvey(config: Config): Experience {
  const taken = new Set((config.experiences ?? []).map((e) => e.id));
  let n = 1;
  while (taken.has(n === 1 ? 'nps' : `nps-${n}`)) n += 1;
  return {
    id: n === 1 ? 'nps' : `nps-${n}`,
    kind: 'survey',
    trigger: { page_view: true },
    survey: {
      questions: [{
        id: 'score',
        type: 'nps',
        text: 'How likely are you to recommend us to a friend or colleague?',
        labels: { low: 'Not at all likely', high: 'Extremely likely' },
      }],
      thank_you: 'Thank you!',
    },
  };
}

/** Whether the form can edit this experience (else the JSON view alone does). */
function formFits(experience: Experience): boolean {
  return experience.kind === 'survey' && Array.isArray(get(experience, '/survey/questions'));
}

/** Gives question `at` the type `type`, with the parts that type needs. */
function retype(experience: Experience, at: string, type: string): void {
  set(experience, `${at}/type`, type);
  if (RATED.has(type)) {
    if (typeof get(experience, `${at}/labels`) !== 'object') set(experience, `${at}/labels`, { low: '', high: '' });
  } else set(experience, `${at}/labels`, undefined);
  if (type === 'ces') {
    if (get(experience, `${at}/scale`) === undefined) set(experience, `${at}/scale`, 7);
  } else set(experience, `${at}/scale`, undefined);
}

function fieldValue(experience: Experience, field: Field): string {
  const value = get(experience, field.at);
  if (field.kind === 'type') return typeof value === 'string' ? value : '';
  if (field.kind === 'lines') return Array.isArray(value) ? value.join('\n') : '';
  return typeof value === 'string' ? value : '';
}

function writeField(experience: Experience, field: Field, text: string): void {
  if (field.kind === 'lines') {
    const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    set(experience, field.at, lines.length > 0 ? lines : true);
  } else if (field.at === '/survey/thank_you' && text === '') set(experience, field.at, undefined);
  else set(experience, field.at, text);
}

/** Renders the editor of experience `index` of `draft` into `main`. */
export function renderEditor(main: HTMLElement, draft: DraftCopy, index: number, role: Role | undefined): void {
  const base = `/experiences/${index}`;
  const experience = (): Experience | undefined => draft.config.experiences?.[index];
  const current = experience();
  if (!current) {
    replace(main, h('h1', { tabindex: '-1' }, 'No such experience'), h('p', {}, 'The draft has no experience here. ', h('a', { href: `#/p/${encodeURIComponent(draft.projectName)}` }, 'Back to the list')));
    return;
  }
  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>();
  const errors = new Map<string, HTMLElement>();
  const status = h('p', { class: 'save-status', id: 'save-status', 'aria-live': 'polite' });
  const conflict = h('div', { class: 'conflict', hidden: true });
  const general = h('ul', { class: 'diagnostics', 'aria-label': 'Other problems' });
  const publishResult = h('p', { class: 'publish-result', role: 'status' });

  // The form, rebuilt whenever the questions change (added, removed, retyped).
  const form = h('form', { class: 'fields', novalidate: true, 'aria-labelledby': 'form-title' });
  form.addEventListener('submit', (event) => event.preventDefault());
  const fits = formFits(current);
  let fields: Field[] = [];
  function control(field: Field, id: string, describedBy: string): HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement {
    const target = experience();
    const common = { id, 'data-pointer': base + field.at, 'aria-describedby': describedBy || undefined, disabled: !draft.canSave };
    if (field.kind === 'type') {
      const value = target ? fieldValue(target, field) : '';
      const known = TYPES.some(([t]) => t === value);
      const select = h('select', common, ...TYPES.map(([t, label]) => h('option', { value: t, selected: t === value }, label)), known ? null : h('option', { value, selected: true }, `${value} (edit in JSON)`));
      select.addEventListener('change', () => {
        draft.edit(() => {
          const exp = experience();
          if (exp) retype(exp, field.at.replace(/\/type$/, ''), select.value);
        });
        syncJson();
        buildForm();
        inputs.get(base + field.at)?.focus();
      });
      return select;
    }
    const element = field.kind === 'lines' ? h('textarea', { ...common, rows: 2 }) : h('input', { ...common, type: 'text', autocomplete: 'off' });
    element.value = target ? fieldValue(target, field) : '';
    element.addEventListener('input', () => {
      draft.edit(() => {
        const exp = experience();
        if (exp) writeField(exp, field, element.value);
      });
      syncJson();
    });
    return element;
  }
  function buildForm(): void {
    const target = experience();
    if (!target || !fits) return;
    inputs.clear();
    errors.clear();
    fields = surveyFields(target);
    const block = (field: Field) => {
      const id = uid('field');
      const error = h('p', { class: 'field-error', id: `${id}-error` });
      const hint = field.hint ? h('p', { class: 'hint', id: `${id}-hint` }, field.hint) : null;
      const input = control(field, id, `${hint ? `${id}-hint ` : ''}${id}-error`);
      inputs.set(base + field.at, input);
      errors.set(base + field.at, error);
      return h('div', { class: 'field' }, h('label', { for: id }, field.label), hint, input, error);
    };
    const parts: HTMLElement[] = [];
    const questions = get(target, '/survey/questions');
    const count = Array.isArray(questions) ? questions.length : 0;
    for (const field of fields.filter((f) => !f.at.startsWith('/survey/'))) parts.push(block(field));
    for (let q = 0; q < count; q++) {
      const mine = fields.filter((f) => f.at.startsWith(`/survey/questions/${q}/`));
      const remove = h('button', { type: 'button', disabled: !draft.canSave || count === 1 }, `Remove question ${q + 1}`);
      remove.addEventListener('click', () => {
        draft.edit(() => {
          const exp = experience();
          if (exp) set(exp, `/survey/questions/${q}`, undefined);
        });
        syncJson();
        buildForm();
        form.querySelector<HTMLElement>('legend')?.focus();
      });
      parts.push(h('fieldset', { class: 'question' }, h('legend', { tabindex: '-1' }, `Question ${q + 1}`), ...mine.map(block), draft.canSave ? remove : null));
    }
    if (draft.canSave) {
      const add = h('button', { type: 'button' }, 'Add a question');
      add.addEventListener('click', () => {
        draft.edit(() => {
          const exp = experience();
          const list = exp ? get(exp, '/survey/questions') : undefined;
          if (!exp || !Array.isArray(list)) return;
          const taken = new Set(list.map((item) => (item as { id?: unknown }).id));
          let n = list.length + 1;
          while (taken.has(`q${n}`)) n += 1;
          list.push({ id: `q${n}`, type: 'text', text: '', optional: true });
        });
        syncJson();
        buildForm();
        const selects = form.querySelectorAll('select');
        selects[selects.length - 1]?.focus();
      });
      parts.push(h('p', {}, add));
    }
    for (const field of fields.filter((f) => f.at === '/survey/thank_you')) parts.push(block(field));
    replace(form, ...parts);
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
    jsonError.textContent = '';
    json.removeAttribute('aria-invalid');
    draft.edit((config) => {
      if (config.experiences) config.experiences[index] = parsed as Experience;
    });
    const changed = JSON.stringify(surveyFields(parsed as Experience).map((f) => f.at)) !== JSON.stringify(fields.map((f) => f.at));
    if (changed) buildForm();
    else syncForm();
  });
  function syncJson(): void {
    const target = experience();
    if (target && document.activeElement !== json) json.value = JSON.stringify(target, null, 2);
  }
  function syncForm(): void {
    const target = experience();
    if (!target) return;
    for (const field of fields) {
      const control = inputs.get(base + field.at);
      if (control && document.activeElement !== control) control.value = fieldValue(target, field);
    }
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
    replace(status, describeSave(draft), draft.state.kind === 'failed' && draft.state.problem.status === 401 ? h('span', {}, ' ', h('a', { href: '#/sign-in' }, 'Sign in again')) : null);
    status.classList.toggle('bad', draft.state.kind === 'failed' || draft.state.kind === 'conflict');
    // Conflict choices.
    if (draft.state.kind === 'conflict') {
      const mine = h('button', { type: 'button' }, 'Save mine over theirs');
      mine.addEventListener('click', () => draft.keepMine());
      const theirs = h('button', { type: 'button' }, 'Load theirs');
      theirs.addEventListener('click', () => { draft.takeTheirs(); buildForm(); syncJson(); });
      replace(conflict, mine, ' ', theirs);
      conflict.hidden = false;
    } else conflict.hidden = true;
    // Diagnostics at their fields.
    const mine = draft.diagnostics.filter((d) => d.pointer === base || d.pointer.startsWith(`${base}/`));
    const placed = new Map<string, Diagnostic[]>();
    const unplaced: Diagnostic[] = [];
    for (const d of mine) {
      const at = fieldFor(d.pointer, [...inputs.keys()]);
      if (at) placed.set(at, [...(placed.get(at) ?? []), d]);
      else unplaced.push(d);
    }
    for (const [at, control] of inputs) {
      const found = placed.get(at) ?? [];
      const error = errors.get(at);
      if (error) error.textContent = found.map((d) => `${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.message}`).join(' ');
      if (found.some((d) => d.severity === 'error')) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
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
      h('section', { 'aria-labelledby': 'form-title' },
        h('h2', { id: 'form-title' }, fits ? 'Survey' : 'Form'),
        fits ? form : h('p', {}, 'The form edits surveys; edit this experience in its JSON.'),
        general),
      h('section', { 'aria-labelledby': 'json-title' },
        h('h2', { id: 'json-title' }, h('label', { for: jsonId }, 'JSON')),
        json, jsonError)),
    canPublish ? h('div', { class: 'actions' }, publish, publishResult) : null);
  buildForm();
  render();
}
