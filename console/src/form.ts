// Forms described as data: each field names the JSON pointer it edits inside an experience,
// so one renderer draws every kind's form, writes each change into the draft, and knows
// where a diagnostic's pointer belongs. Lists (steps, questions, choices, changes, variants,
// branch rules) add and remove items; a change of shape rebuilds the form, keeping focus.

import { h, uid } from './dom.js';
import { get, set } from './pointer.js';

export type Root = Record<string, unknown>;

interface Common {
  /** The pointer inside the experience this field edits and its diagnostics point at. */
  at: string;
  label: string;
  hint?: string;
  /** Reads the field's text from the experience, when the pointer alone does not say it. */
  read?: (root: Root) => string;
  /** Writes the field's text into the experience, when setting the pointer is not enough. */
  write?: (root: Root, text: string) => void;
  /** A stable name for focus across rebuilds, when the pointer moves (a new call to action). */
  key?: string;
}

export type Field =
  | (Common & { type: 'text'; multiline?: boolean; optional?: boolean; localized?: string })
  | (Common & { type: 'number'; optional?: boolean; min?: number; max?: number; step?: string })
  | (Common & { type: 'select'; options: Array<[string, string]>; optional?: boolean })
  | (Common & { type: 'check' })
  | (Common & { type: 'lines'; empty?: unknown });

export type Node =
  | Field
  | { type: 'group'; legend: string; at?: string; hint?: string; children: Node[] }
  | { type: 'list'; at: string; noun: string; legend: (i: number) => string; item: (at: string, i: number) => Node[]; make: (list: unknown[]) => unknown; min?: number }
  | { type: 'custom'; at: string; render: (form: Form, base: string) => HTMLElement }
  | { type: 'note'; text: string };

export type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

/** What a rendered form offers the editor around it. */
export interface Form {
  /** The experience as it is now (undefined once it is gone from the draft). */
  root(): Root | undefined;
  /** Applies a change to the experience in the draft. */
  edit(change: (root: Root) => void): void;
  /** Rebuilds the form after a change of shape, focusing the field named `focus`. */
  rebuild(focus?: string): void;
  readonly canSave: boolean;
  /** The form's fields for the experience as `root` is. */
  nodes(root: Root): Node[];
  /** The languages besides the source one: each text gets a field for each. */
  languages(): string[];
  /** Registers a control (and its error line) for the diagnostics at `at`. */
  register(at: string, control: Control | null, error: HTMLElement): void;
}

/** A text that is a string in the default locale, or an object of translations. */
export function readText(value: unknown, locale: string): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const text = (value as Record<string, unknown>)[locale];
    return typeof text === 'string' ? text : '';
  }
  return '';
}

/** The `locale` translation of a text value: a plain string has none (it is the source). */
export function translationOf(value: unknown, locale: string): string {
  return typeof value === 'string' ? '' : readText(value, locale);
}

/** Writes `text` into a text value, keeping its translations; `undefined` when it goes. */
export function writeText(value: unknown, locale: string, text: string, optional: boolean): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const copy = { ...(value as Record<string, unknown>) };
    if (text === '' && optional && Object.keys(copy).every((k) => k === locale)) return undefined;
    copy[locale] = text;
    return copy;
  }
  return text === '' && optional ? undefined : text;
}

function fieldText(root: Root, field: Field): string {
  if (field.read) return field.read(root);
  const value = get(root, field.at);
  switch (field.type) {
    case 'text': return field.localized !== undefined ? readText(value, field.localized) : typeof value === 'string' ? value : '';
    case 'number': return typeof value === 'number' ? String(value) : '';
    case 'select': return value === undefined ? '' : String(value);
    case 'check': return value === true ? 'true' : '';
    case 'lines': return Array.isArray(value) ? value.map(String).join('\n') : '';
  }
}

function writeField(root: Root, field: Field, text: string): void {
  if (field.write) return field.write(root, text);
  switch (field.type) {
    case 'text':
      if (field.localized !== undefined) set(root, field.at, writeText(get(root, field.at), field.localized, text, field.optional ?? false));
      else set(root, field.at, text === '' && field.optional ? undefined : text);
      return;
    case 'number': {
      const trimmed = text.trim();
      // A number being typed ("0.", "-") is kept as text, so the compiler names the problem.
      const n = Number(trimmed);
      set(root, field.at, trimmed === '' && field.optional ? undefined : trimmed !== '' && Number.isFinite(n) ? n : trimmed);
      return;
    }
    case 'select': set(root, field.at, text === '' && field.optional ? undefined : text); return;
    case 'check': set(root, field.at, text === 'true' ? true : undefined); return;
    case 'lines': {
      const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
      set(root, field.at, lines.length > 0 ? lines : field.empty);
    }
  }
}

/** Writes the `locale` translation of the text at `at` (empty: none), keeping the others;
 * a text left with its `source` text alone is the plain string it was. */
export function translate(root: Root, at: string, source: string, locale: string, text: string): void {
  const value = get(root, at);
  const object: Record<string, unknown> = value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : typeof value === 'string' ? { [source]: value } : {};
  if (text === '') delete object[locale];
  else object[locale] = text;
  const keys = Object.keys(object);
  set(root, at, keys.length === 1 && keys[0] === source ? object[source] : object);
}

/** The pointers a form's fields edit: when they change, the form's shape has changed. */
export function shape(nodes: Node[], root: Root): string[] {
  const out: string[] = [];
  const walk = (list: Node[]) => {
    for (const node of list) {
      if (node.type === 'group') walk(node.children);
      else if (node.type === 'list') {
        const items = get(root, node.at);
        out.push(`${node.at}[]`);
        if (Array.isArray(items)) items.forEach((_, i) => walk(node.item(`${node.at}/${i}`, i)));
      } else if (node.type === 'custom') out.push(`${node.at}{}`);
      // A select's choice can change the fields around it; a text's presence, whether it
      // has translation fields (an optional text written for the first time gets them).
      else if (node.type === 'select') out.push(`${node.key ?? node.at}=${fieldText(root, node)}`);
      else if (node.type === 'text' && node.localized !== undefined) out.push(`${node.key ?? node.at}=${get(root, node.at) === undefined ? '' : 'text'}`);
      else if (node.type !== 'note') out.push(`${node.key ?? node.at}=`);
    }
  };
  walk(nodes);
  return out;
}

function fieldBlock(form: Form, field: Field, base: string): HTMLElement {
  const root = form.root();
  const id = uid('field');
  const error = h('p', { class: 'field-error', id: `${id}-error` });
  const hint = field.hint ? h('p', { class: 'hint', id: `${id}-hint` }, field.hint) : null;
  const describedBy = `${hint ? `${id}-hint ` : ''}${id}-error`;
  const common = { id, 'data-pointer': base + field.at, 'data-key': base + (field.key ?? field.at), 'aria-describedby': describedBy, disabled: !form.canSave };
  const value = root ? fieldText(root, field) : '';
  let control: Control;
  const commit = (text: string) => {
    let before: string[] = [];
    form.edit((r) => { before = shape(form.nodes(r), r); writeField(r, field, text); });
    const after = form.root();
    if (after && JSON.stringify(shape(form.nodes(after), after)) !== JSON.stringify(before)) form.rebuild(base + (field.key ?? field.at));
  };
  if (field.type === 'select') {
    const known = field.options.some(([v]) => v === value);
    control = h('select', common,
      ...field.options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)),
      known ? null : h('option', { value, selected: true }, value === '' ? '(not set)' : `${value} (as in the JSON)`));
    control.addEventListener('change', () => commit(control.value));
  } else if (field.type === 'check') {
    const box = h('input', { ...common, type: 'checkbox', checked: value === 'true' });
    box.addEventListener('change', () => commit(box.checked ? 'true' : ''));
    form.register(field.at, box, error);
    return h('div', { class: 'field check' }, box, h('label', { for: id }, field.label), hint, error);
  } else {
    const multiline = field.type === 'lines' || (field.type === 'text' && field.multiline);
    control = multiline
      ? h('textarea', { ...common, rows: field.type === 'lines' ? 2 : 4 })
      : h('input', { ...common, type: 'text', autocomplete: 'off', inputmode: field.type === 'number' ? 'decimal' : undefined });
    control.value = value;
    control.addEventListener('input', () => commit(control.value));
  }
  form.register(field.at, control, error);
  const current = root ? get(root, field.at) : undefined;
  const languages = field.type === 'text' && field.localized !== undefined && (typeof current === 'string' || (current !== null && typeof current === 'object')) ? form.languages() : [];
  if (languages.length === 0 || field.type !== 'text' || field.localized === undefined) {
    return h('div', { class: 'field' }, h('label', { for: id }, field.label), hint, control, error);
  }
  // The field's completeness marker: which languages this text has, said in words (the
  // colour of each translation's border is only a second way of saying it).
  const source = field.localized;
  const marker = h('p', { class: 'hint languages-of', id: `${id}-languages` });
  const mark = () => {
    const now = form.root();
    const value = now ? get(now, field.at) : undefined;
    const missing = languages.filter((l) => translationOf(value, l).trim() === '');
    marker.textContent = missing.length === 0 ? `Translated into ${languages.join(', ')}.` : `Not yet translated into ${missing.join(', ')}${missing.length < languages.length ? `; translated into ${languages.filter((l) => !missing.includes(l)).join(', ')}` : ''}.`;
  };
  mark();
  control.setAttribute('aria-describedby', `${describedBy} ${marker.id}`);
  return h('div', { class: 'field' }, h('label', { for: id }, field.label), hint, control, error, marker,
    ...languages.map((locale) => translationBlock(form, field, base, source, locale, mark)));
}

/** The field of one translation of a text, beside the text; `changed` after each edit. */
function translationBlock(form: Form, field: Field, base: string, source: string, locale: string, changed: () => void): HTMLElement {
  const root = form.root();
  const id = uid('field');
  const at = `${field.at}/${locale}`;
  const error = h('p', { class: 'field-error', id: `${id}-error` });
  const multiline = field.type === 'text' && field.multiline;
  const common = { id, lang: locale, 'data-pointer': base + at, 'data-key': base + at, 'aria-describedby': `${id}-error`, disabled: !form.canSave };
  const control = multiline ? h('textarea', { ...common, rows: 3 }) : h('input', { ...common, type: 'text', autocomplete: 'off' });
  control.value = root ? translationOf(get(root, field.at), locale) : '';
  const block = h('div', { class: 'translation' + (control.value.trim() === '' ? ' missing' : '') },
    h('label', { for: id }, `${field.label} (${locale})`), control, error);
  control.addEventListener('input', () => {
    form.edit((r) => translate(r, field.at, source, locale, control.value));
    block.classList.toggle('missing', control.value.trim() === '');
    changed();
  });
  form.register(at, control, error);
  return block;
}

/** Draws `nodes` for `form`; `base` prefixes every pointer (the experience's place in the draft). */
export function draw(form: Form, nodes: Node[], base: string): HTMLElement[] {
  const out: HTMLElement[] = [];
  for (const node of nodes) {
    switch (node.type) {
      case 'note': out.push(h('p', { class: 'hint' }, node.text)); break;
      case 'custom': out.push(node.render(form, base)); break;
      case 'group': {
        const error = h('p', { class: 'field-error' });
        if (node.at !== undefined) form.register(node.at, null, error);
        out.push(h('fieldset', { class: 'group' }, h('legend', {}, node.legend), node.hint ? h('p', { class: 'hint' }, node.hint) : null, error, ...draw(form, node.children, base)));
        break;
      }
      case 'list': out.push(drawList(form, node, base)); break;
      default: out.push(fieldBlock(form, node, base));
    }
  }
  return out;
}

function drawList(form: Form, node: Extract<Node, { type: 'list' }>, base: string): HTMLElement {
  const root = form.root();
  const items = root ? get(root, node.at) : undefined;
  const list = Array.isArray(items) ? items : [];
  const error = h('p', { class: 'field-error' });
  form.register(node.at, null, error);
  const parts: HTMLElement[] = [];
  list.forEach((_, i) => {
    const at = `${node.at}/${i}`;
    const legend = node.legend(i);
    const remove = h('button', { type: 'button', disabled: list.length <= (node.min ?? 0) }, `Remove ${legend.toLowerCase()}`);
    remove.addEventListener('click', () => {
      form.edit((r) => set(r, at, undefined));
      form.rebuild(`${base}${node.at}[]`);
    });
    parts.push(h('fieldset', { class: 'item', 'data-key': `${base}${at}` },
      h('legend', { tabindex: '-1' }, legend),
      ...draw(form, node.item(at, i), base),
      form.canSave ? h('p', { class: 'item-actions' }, remove) : null));
  });
  const add = h('button', { type: 'button', 'data-key': `${base}${node.at}[]` }, `Add ${node.noun}`);
  add.addEventListener('click', () => {
    let added = 0;
    form.edit((r) => {
      const current = get(r, node.at);
      const items = Array.isArray(current) ? current : [];
      items.push(node.make(items));
      if (!Array.isArray(current)) set(r, node.at, items);
      added = items.length - 1;
    });
    form.rebuild(`${base}${node.at}/${added}`);
  });
  return h('div', { class: 'list' }, error, ...parts, form.canSave ? h('p', {}, add) : null);
}

/** The first id of the form `prefix` + n not among `items`' ids. */
export function freshId(items: unknown[], prefix: string): string {
  const taken = new Set(items.map((item) => (item as { id?: unknown; key?: unknown } | null)?.id ?? (item as { key?: unknown } | null)?.key));
  let n = items.length + 1;
  while (taken.has(`${prefix}${n}`)) n += 1;
  return `${prefix}${n}`;
}
