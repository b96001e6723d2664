// Translations of a survey's or tour's texts: every text the form shows is a string in the
// default locale or an object of translations ({"en": …, "fr": …}), as waymark-core reads
// it (sdk/core/src/rules/experiences/locale.rs). This module finds those texts, says how
// complete each language is, and exports or imports one language as JSON or CSV, naming the
// row and the field of anything wrong in a file.

import { h, uid } from './dom.js';
import { readText, translate, translationOf, type Form, type Node, type Root } from './form.js';
import { get } from './pointer.js';

/** One translatable text: where it is, what the form calls it, and its value. */
export interface Text { at: string; label: string; value: unknown }

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every translatable text the form shows, in form order. */
export function textsOf(nodes: Node[], root: Root): Text[] {
  const out: Text[] = [];
  const walk = (list: Node[], prefix: string) => {
    for (const node of list) {
      if (node.type === 'group') walk(node.children, node.legend ? `${prefix}${node.legend} › ` : prefix);
      else if (node.type === 'list') {
        const items = get(root, node.at);
        if (Array.isArray(items)) items.forEach((_, i) => walk(node.item(`${node.at}/${i}`, i), `${prefix}${node.legend(i)} › `));
      } else if (node.type === 'text' && node.localized !== undefined) {
        const value = get(root, node.at);
        if (typeof value === 'string' || isObject(value)) out.push({ at: node.at, label: `${prefix}${node.label}`, value });
      }
    }
  };
  walk(nodes, '');
  return out;
}

/** The languages the texts have besides `source`, sorted. */
export function languagesOf(texts: Text[], source: string): string[] {
  const found = new Set<string>();
  for (const text of texts) if (isObject(text.value)) for (const locale of Object.keys(text.value)) if (locale !== source) found.add(locale);
  return [...found].sort();
}

/** How many of the texts have a non-empty `locale` translation. */
export function completeness(texts: Text[], locale: string): { done: number; total: number } {
  return { done: texts.filter((t) => translationOf(t.value, locale).trim() !== '').length, total: texts.length };
}

// Files: one language, as JSON ({"locale", "source_locale", "texts": [{pointer, label,
// source, translation}]}) or CSV (pointer, label, source, translation; RFC 4180 quoting).

const COLUMNS = ['pointer', 'label', 'source', 'translation'];

/** One language's file as JSON: every text with its source and its translation (empty: none). */
export function exportJson(texts: Text[], source: string, locale: string): string {
  return `${JSON.stringify({
    locale,
    source_locale: source,
    texts: texts.map((t) => ({ pointer: t.at, label: t.label, source: readText(t.value, source), translation: translationOf(t.value, locale) })),
  }, null, 2)}\n`;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One language's file as CSV, a header row then a row per text, in form order. */
export function exportCsv(texts: Text[], source: string, locale: string): string {
  const rows = [COLUMNS, ...texts.map((t) => [t.at, t.label, readText(t.value, source), translationOf(t.value, locale)])];
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Splits CSV text into rows of fields, each with the line it starts on. */
function parseCsv(text: string): { rows: Array<{ line: number; fields: string[] }>; error?: string } {
  const rows: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let i = 0;
  const body = text.replace(/^\uFEFF/, '');
  while (i < body.length) {
    const c = body[i] as string;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i += 1; continue; }
      if (c === '\n') line += 1;
      field += c;
      i += 1;
      continue;
    }
    if (c === '"' && field === '') { quoted = true; i += 1; continue; }
    if (c === '"') return { rows, error: `line ${line}: a quote inside an unquoted field; quote the whole field and double the quote` };
    if (c === ',') { fields.push(field); field = ''; i += 1; continue; }
    if (c === '\r' || c === '\n') {
      fields.push(field);
      rows.push({ line: start, fields });
      fields = [];
      field = '';
      i += c === '\r' && body[i + 1] === '\n' ? 2 : 1;
      line += 1;
      start = line;
      continue;
    }
    field += c;
    i += 1;
  }
  if (quoted) return { rows, error: `line ${start}: a quoted field is never closed` };
  if (field !== '' || fields.length > 0) { fields.push(field); rows.push({ line: start, fields }); }
  return { rows: rows.filter((r) => !(r.fields.length === 1 && r.fields[0] === '')) };
}

/** What a translation file holds: the rows to write, or why it cannot be imported. */
export interface Imported { rows: Array<{ at: string; text: string }>; errors: string[] }

/** Reads a translation file for `locale`; every problem names its row and field. */
export function parseImport(content: string, fileName: string, locale: string, texts: Text[]): Imported {
  const known = new Set(texts.map((t) => t.at));
  const rows: Array<{ at: string; text: string }> = [];
  const errors: string[] = [];
  const take = (where: string, pointer: unknown, translation: unknown) => {
    if (typeof pointer !== 'string' || pointer === '') errors.push(`${where}, field pointer: missing; it says which text the row translates`);
    else if (!known.has(pointer)) errors.push(`${where}, field pointer: ${pointer} is not a text of this experience`);
    else if (typeof translation !== 'string') errors.push(`${where}, field translation: must be text`);
    else if (rows.some((r) => r.at === pointer)) errors.push(`${where}, field pointer: ${pointer} is translated twice in the file`);
    else rows.push({ at: pointer, text: translation });
  };
  const json = /\.json$/i.test(fileName) || content.trimStart().startsWith('{');
  if (json) {
    let parsed: unknown;
    try { parsed = JSON.parse(content); } catch (error) { return { rows, errors: [`the file is not JSON: ${(error as Error).message}`] }; }
    if (!isObject(parsed)) return { rows, errors: ['the file is not a translation file: expected {"locale": …, "texts": […]}'] };
    if (parsed.locale !== locale) errors.push(`field locale: the file is for ${JSON.stringify(parsed.locale ?? null)}, not ${locale}`);
    if (!Array.isArray(parsed.texts)) return { rows, errors: [...errors, 'field texts: must be a list of {"pointer", "translation"}'] };
    parsed.texts.forEach((entry, i) => {
      if (!isObject(entry)) errors.push(`row ${i + 1}: must be an object with pointer and translation`);
      else take(`row ${i + 1}`, entry.pointer, entry.translation);
    });
  } else {
    const csv = parseCsv(content);
    if (csv.error) return { rows, errors: [csv.error] };
    const [header, ...data] = csv.rows;
    if (!header || header.fields.join(',') !== COLUMNS.join(',')) return { rows, errors: [`row 1: the header must be ${COLUMNS.join(',')}`] };
    for (const row of data) {
      if (row.fields.length !== COLUMNS.length) errors.push(`row ${csv.rows.indexOf(row) + 1} (line ${row.line}): ${row.fields.length} fields; each row has ${COLUMNS.join(', ')}`);
      else take(`row ${csv.rows.indexOf(row) + 1}`, row.fields[0], row.fields[3]);
    }
  }
  return { rows, errors };
}

function download(name: string, type: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

/**
 * What the author has typed into "Add a language" and the section's last message, per editor
 * (its `base`): the section is drawn again whenever the form is (a draft or its diagnostics
 * arriving), and neither may be lost to that.
 */
const typed = new Map<string, string>();
const said = new Map<string, string>();

/** The translations section: languages with their completeness, adding one, and files. */
export function translationsSection(form: Form, base: string, texts: () => Text[], source: string, languages: string[], addLanguage: (locale: string) => void): HTMLElement {
  const all = texts();
  const id = typeof form.root()?.id === 'string' ? String(form.root()?.id) : 'experience';
  const status = h('p', { class: 'field-error', role: 'alert', id: uid('translations-status') }, said.get(base) ?? '');
  const say = (text: string) => { status.textContent = text; said.set(base, text); };
  const list = h('ul', { class: 'languages' }, ...languages.map((locale) => {
    const { done, total } = completeness(all, locale);
    const complete = done === total;
    return h('li', { class: complete ? 'complete' : 'incomplete' },
      h('strong', {}, locale), `: ${done} of ${total} texts translated`, complete ? ' (complete)' : ' (incomplete: users with this language get the source text)');
  }));
  const addId = uid('add-language');
  const tag = h('input', { id: addId, type: 'text', autocomplete: 'off', 'aria-describedby': `${addId}-hint ${status.id}`, 'data-key': `${base}/translations/add`, disabled: !form.canSave });
  (tag as HTMLInputElement).value = typed.get(base) ?? '';
  tag.addEventListener('input', () => typed.set(base, (tag as HTMLInputElement).value));
  const add = h('button', { type: 'button', disabled: !form.canSave, 'data-key': `${base}/translations/add-button` }, 'Add the language');
  add.addEventListener('click', () => {
    const locale = (tag as HTMLInputElement).value.trim();
    if (!/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/.test(locale)) { say(`"${locale}" is not a locale tag such as fr or pt-BR.`); tag.focus(); return; }
    if (locale === source || languages.includes(locale)) { say(`${locale} is there already.`); tag.focus(); return; }
    typed.delete(base);
    said.delete(base);
    addLanguage(locale);
  });
  const chooseId = uid('language');
  const choose = h('select', { id: chooseId }, ...languages.map((l) => h('option', { value: l }, l)));
  const exportJsonButton = h('button', { type: 'button', disabled: languages.length === 0 }, 'Export as JSON');
  exportJsonButton.addEventListener('click', () => download(`${id}.${choose.value}.json`, 'application/json', exportJson(texts(), source, choose.value)));
  const exportCsvButton = h('button', { type: 'button', disabled: languages.length === 0 }, 'Export as CSV');
  exportCsvButton.addEventListener('click', () => download(`${id}.${choose.value}.csv`, 'text/csv', exportCsv(texts(), source, choose.value)));
  const fileId = uid('import');
  const file = h('input', { id: fileId, type: 'file', accept: '.json,.csv,application/json,text/csv', disabled: !form.canSave || languages.length === 0, 'aria-describedby': status.id });
  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    const locale = choose.value;
    const read = parseImport(await chosen.text(), chosen.name, locale, texts());
    file.value = '';
    if (read.errors.length > 0) {
      say(`Not imported (${chosen.name}): ${read.errors.slice(0, 5).join('; ')}${read.errors.length > 5 ? `; and ${read.errors.length - 5} more` : ''}.`);
      return;
    }
    said.delete(base);
    form.edit((root) => { for (const row of read.rows) translate(root, row.at, source, locale, row.text); });
    form.rebuild(`${base}/translations/import`);
    document.getElementById('announce')?.replaceChildren(`Imported ${read.rows.length} ${locale} texts from ${chosen.name}.`);
  });
  const fields = (label: string, control: HTMLElement, forId: string, hint?: string) => h('div', { class: 'field' }, h('label', { for: forId }, label), hint ? h('p', { class: 'hint', id: `${forId}-hint` }, hint) : null, control);
  return h('div', { class: 'translations' },
    h('p', {}, `Texts are written in ${source}; each language below has a field beside every text.`),
    languages.length ? list : h('p', { class: 'hint' }, 'No other language yet.'),
    form.canSave ? h('div', { class: 'inline-add' }, fields('Add a language', tag, addId, 'A locale tag such as fr, de or pt-BR.'), add) : null,
    languages.length ? h('div', { class: 'files', 'data-key': `${base}/translations/import` },
      fields('Language of the file', choose, chooseId),
      h('p', { class: 'item-actions' }, exportJsonButton, exportCsvButton),
      form.canSave ? fields('Import a file (JSON or CSV)', file, fileId) : null) : null,
    status);
}
