// Who an experience is for and when it shows: triggers, the audience condition (built as
// AND/OR groups of rules over traits, the behaviour profile, the page, the device and the
// locale), a schedule, sampling, caps, quiet periods and priority, as the core's arbitration reads them
// (sdk/core/src/rules/experiences/arbitration.rs).

import { attributeOf, FAMILIES, familyOf, OPERATORS, parse, serialise, valueFrom, valueText, type Group, type Item, type Json, type Raw, type Rule } from './condition.js';
import { h, uid } from './dom.js';
import type { Form, Node, Root } from './form.js';
import { get, set } from './pointer.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const TRIGGERS: Array<[string, string]> = [
  ['page_view', 'A page is viewed'], ['event', 'An event is recorded'], ['element', 'An element appears'],
  ['time_on_page_ms', 'Time on the page'], ['exit_intent', 'The user moves to leave'],
];

function triggerKind(value: unknown): string {
  if (!isObject(value)) return '';
  for (const [kind] of TRIGGERS) if (kind in value) return kind;
  return '';
}

const MADE: Record<string, unknown> = { page_view: { page_view: true }, event: { event: '' }, element: { element: '' }, time_on_page_ms: { time_on_page_ms: 10_000 }, exit_intent: { exit_intent: true } };

function triggerNodes(root: Root, at: string): Node[] {
  const kind = triggerKind(get(root, at));
  const nodes: Node[] = [{
    type: 'select', at, label: 'Shows when', options: TRIGGERS, read: () => kind,
    write: (r, k) => set(r, at, structuredClone(MADE[k])),
  }];
  if (kind === 'page_view') nodes.push({ type: 'lines', at: `${at}/page_view`, label: 'Show on pages', hint: 'One path pattern a line, such as /invoices*; leave empty for every page.', empty: true });
  if (kind === 'event') nodes.push({ type: 'text', at: `${at}/event`, label: 'Event name' });
  if (kind === 'element') nodes.push({ type: 'text', at: `${at}/element`, label: 'Element (CSS selector)' });
  if (kind === 'time_on_page_ms') {
    nodes.push({
      type: 'number', at: `${at}/time_on_page_ms`, label: 'Seconds on the page',
      read: (r) => { const ms = get(r, `${at}/time_on_page_ms`); return typeof ms === 'number' ? String(ms / 1000) : ''; },
      write: (r, text) => { const s = Number(text.trim()); set(r, `${at}/time_on_page_ms`, text.trim() !== '' && Number.isFinite(s) ? Math.round(s * 1000) : text); },
    });
  }
  return nodes;
}

function triggersNodes(root: Root): Node[] {
  // One trigger may be written alone (`trigger`) or in a list (`triggers`); the form keeps
  // the author's form until a second trigger is added.
  if (!Array.isArray(root.triggers) && root.trigger !== undefined) {
    return [...triggerNodes(root, '/trigger'), {
      type: 'custom', at: '/trigger+', render: (form) => {
        const add = h('button', { type: 'button', 'data-key': 'add-trigger', disabled: !form.canSave }, 'Add a trigger');
        add.addEventListener('click', () => {
          form.edit((r) => { r.triggers = [r.trigger, { event: '' }]; delete r.trigger; });
          form.rebuild('/triggers/1');
        });
        return h('p', {}, add);
      },
    }];
  }
  return [{
    type: 'list', at: '/triggers', noun: 'a trigger', legend: (i) => `Trigger ${i + 1}`, min: 1,
    make: () => ({ event: '' }),
    item: (at) => triggerNodes(root, at),
  }];
}

/** The audience builder: groups of rules, written back to `/audience` on every change. */
function audienceBuilder(form: Form, base: string): HTMLElement {
  const holder = h('div', { class: 'audience' });
  const root = form.root();
  let tree: Group | Raw = parse(root ? get(root, '/audience') : undefined);
  const save = () => form.edit((r) => set(r, '/audience', serialise(tree) as unknown));
  const redraw = (focusKey?: string) => {
    const focused = focusKey ?? (document.activeElement as HTMLElement | null)?.dataset?.key;
    holder.replaceChildren(drawTop());
    if (focused) holder.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`)?.focus();
  };
  const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

  function rawEditor(item: Raw, at: string, key: string, onChange: (json: Record<string, Json>) => void): HTMLElement {
    const id = uid('raw');
    const error = h('p', { class: 'field-error', id: `${id}-error` });
    const area = h('textarea', { id, class: 'json', rows: 4, spellcheck: 'false', 'data-key': key, 'data-pointer': base + at, 'aria-describedby': `${id}-hint ${id}-error`, disabled: !form.canSave });
    area.value = JSON.stringify(item.json, null, 2);
    area.addEventListener('input', () => {
      let parsed: unknown;
      try { parsed = JSON.parse(area.value); } catch (e) { error.textContent = `Not JSON yet, so not saved: ${(e as Error).message}`; return; }
      if (!isObject(parsed)) { error.textContent = 'A condition is a JSON object ({…}); not saved.'; return; }
      error.textContent = '';
      onChange(parsed as Record<string, Json>);
    });
    form.register(at, area, error);
    return h('div', { class: 'field' }, h('label', { for: id }, 'Condition (JSON)'), h('p', { class: 'hint', id: `${id}-hint` }, 'The builder cannot show this part as rules; it is kept as written.'), area, error);
  }

  function ruleEditor(rule: Rule, group: Group, index: number, at: string, key: string, n: number): HTMLElement {
    const { family, name, window } = familyOf(rule.attribute);
    const part = (label: string, control: HTMLElement, id: string) => h('div', { class: 'field' }, h('label', { for: id }, label), control);
    const familyId = uid('attr');
    const familySelect = h('select', { id: familyId, 'data-key': `${key}/family`, disabled: !form.canSave }, ...FAMILIES.map((f) => h('option', { value: f.id, selected: f.id === family.id }, f.label)));
    familySelect.addEventListener('change', () => {
      const next = FAMILIES.find((f) => f.id === familySelect.value);
      rule.attribute = attributeOf(familySelect.value, '', 'count_30d');
      if (next?.numeric && (rule.op === '$eq' || rule.op === '$ne')) { rule.op = '$gte'; rule.short = false; rule.value = 1; }
      save();
      redraw(`${key}/family`);
    });
    const parts: HTMLElement[] = [part('Attribute', familySelect, familyId)];
    if (family.name) {
      const id = uid('name');
      const input = h('input', { id, type: 'text', autocomplete: 'off', 'data-key': `${key}/name`, disabled: !form.canSave });
      input.value = name;
      input.addEventListener('input', () => { rule.attribute = attributeOf(family.id, input.value.trim(), familyOf(rule.attribute).window); save(); });
      parts.push(part(family.name, input, id));
    }
    if (family.windows) {
      const id = uid('window');
      const select = h('select', { id, 'data-key': `${key}/window`, disabled: !form.canSave }, ...family.windows.map(([w, label]) => h('option', { value: w, selected: w === window }, label)));
      select.addEventListener('change', () => { rule.attribute = attributeOf(family.id, familyOf(rule.attribute).name, select.value); save(); });
      parts.push(part('When', select, id));
    }
    const opId = uid('op');
    const known = OPERATORS.some(([op]) => op === rule.op);
    const opSelect = h('select', { id: opId, 'data-key': `${key}/op`, disabled: !form.canSave }, ...OPERATORS.map(([op, label]) => h('option', { value: op, selected: op === rule.op }, label)), known ? null : h('option', { value: rule.op, selected: true }, `${rule.op} (as in the JSON)`));
    opSelect.addEventListener('change', () => {
      const text = valueText(rule);
      rule.op = opSelect.value;
      rule.short = false;
      rule.value = valueFrom(rule.op === '$exists' ? 'true' : text, rule.op, rule.attribute);
      save();
      redraw(`${key}/op`);
    });
    parts.push(part('Test', opSelect, opId));
    const valueId = uid('value');
    const error = h('p', { class: 'field-error', id: `${valueId}-error` });
    let value: HTMLInputElement | HTMLSelectElement;
    if (rule.op === '$exists') {
      value = h('select', { id: valueId, 'data-key': `${key}/value`, 'aria-describedby': `${valueId}-error`, disabled: !form.canSave }, h('option', { value: 'true', selected: rule.value !== false }, 'is set'), h('option', { value: 'false', selected: rule.value === false }, 'is not set'));
      value.addEventListener('change', () => { rule.value = valueFrom(value.value, rule.op, rule.attribute); save(); });
    } else {
      const input = h('input', { id: valueId, type: 'text', autocomplete: 'off', 'data-key': `${key}/value`, 'aria-describedby': `${valueId}-hint ${valueId}-error`, disabled: !form.canSave });
      input.value = valueText(rule);
      input.addEventListener('input', () => { rule.value = valueFrom(input.value, rule.op, rule.attribute); save(); });
      value = input;
    }
    const hint = rule.op === '$in' || rule.op === '$nin' ? 'Separated by commas.' : family.numeric ? 'A number.' : '';
    form.register(at, value, error);
    parts.push(h('div', { class: 'field' }, h('label', { for: valueId }, 'Value'), hint ? h('p', { class: 'hint', id: `${valueId}-hint` }, hint) : null, value, error));
    const remove = h('button', { type: 'button', 'data-key': `${key}/remove`, disabled: !form.canSave }, `Remove condition ${n}`);
    remove.addEventListener('click', () => { group.items.splice(index, 1); save(); redraw(`${key.replace(/\/\d+$/, '')}/add`); });
    return h('div', { class: 'rule', role: 'group', 'aria-label': `Condition ${n}` }, ...parts, form.canSave ? remove : null);
  }

  // Pointers follow what `write` makes: an AND group is one object (a rule at its
  // attribute), an OR group or a listed AND group a list (`$or/0`, `$and/1`).
  function groupEditor(group: Group, at: string, key: string, depth: number, onRemove: (() => void) | null): HTMLElement {
    const matchId = uid('match');
    const match = h('select', { id: matchId, 'data-key': `${key}/match`, disabled: !form.canSave },
      h('option', { value: 'and', selected: group.op === 'and' }, 'all of these (AND)'),
      h('option', { value: 'or', selected: group.op === 'or' }, 'any of these (OR)'));
    match.addEventListener('change', () => { group.op = match.value === 'or' ? 'or' : 'and'; group.listed = group.op === 'or' || group.listed; save(); redraw(`${key}/match`); });
    const listed = group.op === 'or' || group.listed;
    const items = group.items.map((item, i) => {
      const here = listed ? `${at}/${group.op === 'or' ? '$or' : '$and'}/${i}` : item.type === 'rule' ? `${at}/${escape(item.attribute)}` : at;
      const itemKey = `${key}/${i}`;
      if (item.type === 'rule') return ruleEditor(item, group, i, here, itemKey, i + 1);
      if (item.type === 'raw') return rawEditor(item, here, itemKey, (json) => { group.items[i] = { type: 'raw', json }; save(); });
      return groupEditor(item, here, itemKey, depth + 1, () => { group.items.splice(i, 1); save(); redraw(`${key}/add`); });
    });
    const add = h('button', { type: 'button', 'data-key': `${key}/add`, disabled: !form.canSave }, 'Add a condition');
    add.addEventListener('click', () => {
      group.items.push({ type: 'rule', attribute: 'behavior.sessions.count', op: '$gte', value: 3, short: false } satisfies Rule);
      save();
      redraw(`${key}/${group.items.length - 1}/family`);
    });
    const addGroup = h('button', { type: 'button', 'data-key': `${key}/add-group`, disabled: !form.canSave }, 'Add a group');
    addGroup.addEventListener('click', () => {
      const inner: Group = { type: 'group', op: group.op === 'and' ? 'or' : 'and', listed: true, items: [{ type: 'rule', attribute: 'user.plan', op: '$eq', value: '', short: true }] };
      group.items.push(inner satisfies Item);
      save();
      redraw(`${key}/${group.items.length - 1}/match`);
    });
    const remove = onRemove ? h('button', { type: 'button', disabled: !form.canSave }, 'Remove this group') : null;
    remove?.addEventListener('click', onRemove as () => void);
    const legend = depth === 0 ? 'Who sees it' : `Group (level ${depth + 1})`;
    return h('fieldset', { class: 'condition-group', 'data-key': key },
      h('legend', {}, legend),
      h('div', { class: 'field inline' }, h('label', { for: matchId }, 'Matches'), match),
      group.items.length === 0 && depth === 0 ? h('p', { class: 'hint' }, 'No conditions: everyone.') : null,
      ...items,
      form.canSave ? h('p', { class: 'item-actions' }, add, ' ', addGroup, remove ? ' ' : null, remove) : null);
  }

  function drawTop(): HTMLElement {
    if (tree.type === 'raw') {
      const whole = tree;
      return rawEditor(whole, '/audience', 'audience-raw', (json) => { tree = { type: 'raw', json }; save(); });
    }
    const error = h('p', { class: 'field-error' });
    form.register('/audience', null, error);
    const wrap = h('div', {}, error, groupEditor(tree, '/audience', 'audience', 0, null));
    return wrap;
  }
  holder.append(drawTop());
  return holder;
}

const CAPS: Array<[string, string]> = [['once', 'Once'], ['until_completed', 'Until completed'], ['at_most', 'At most a number of times'], ['every_days', 'Again after some days']];

function capKind(value: unknown): string {
  if (value === undefined || value === 'once') return 'once';
  if (value === 'until_completed') return 'until_completed';
  if (isObject(value) && 'at_most' in value) return 'at_most';
  if (isObject(value) && 'every_days' in value) return 'every_days';
  return JSON.stringify(value);
}

/** A moment (Unix ms) as a datetime-local input's value, in the author's time zone. */
function localMoment(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The schedule: when it may first show and when it stops, as `{"start", "end"}` in Unix ms. */
function scheduleField(form: Form, base: string): HTMLElement {
  const root = form.root();
  const schedule = root && isObject(root.schedule) ? root.schedule : {};
  const error = h('p', { class: 'field-error', id: uid('schedule-error') });
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const hint = h('p', { class: 'hint', id: uid('schedule-hint') }, `In your time zone (${zone}); either may stay empty. It shows from the start and no more from the end.`);
  const moment = (key: 'start' | 'end', label: string) => {
    const id = uid(`schedule-${key}`);
    const input = h('input', { id, type: 'datetime-local', 'data-key': `${base}/schedule/${key}`, 'data-pointer': `${base}/schedule`, 'aria-describedby': `${hint.id} ${error.id}`, disabled: !form.canSave });
    input.value = localMoment(schedule[key]);
    input.addEventListener('input', () => {
      // An unfinished date is no moment yet: nothing is written until it is one.
      const ms = input.value === '' ? undefined : new Date(input.value).getTime();
      if (ms !== undefined && !Number.isFinite(ms)) return;
      form.edit((r) => {
        const next: Record<string, unknown> = isObject(r.schedule) ? { ...r.schedule } : {};
        if (ms === undefined) delete next[key];
        else next[key] = ms;
        set(r, '/schedule', Object.keys(next).length === 0 ? undefined : next);
      });
    });
    return { input, block: h('div', { class: 'field' }, h('label', { for: id }, label), input) };
  };
  const start = moment('start', 'Starts');
  const end = moment('end', 'Ends');
  form.register('/schedule', start.input, error);
  return h('fieldset', { class: 'group' }, h('legend', {}, 'Schedule'), hint, h('div', { class: 'inline-add' }, start.block, end.block), error);
}

/** A share from 0 to 1 at `/key`, edited as a percentage; empty leaves it out. */
function share(key: string, label: string, hint: string): Node {
  return {
    type: 'number', at: `/${key}`, label, hint, optional: true,
    read: (r) => (typeof r[key] === 'number' ? String(Math.round((r[key] as number) * 10_000) / 100) : r[key] === undefined ? '' : String(r[key])),
    write: (r, text) => { const t = text.trim(); const n = Number(t); set(r, `/${key}`, t === '' ? undefined : Number.isFinite(n) ? n / 100 : t); },
  };
}

/** The targeting section's fields. */
export function targetingNodes(root: Root): Node[] {
  const cap = capKind(root.cap);
  const nodes: Node[] = [
    { type: 'group', legend: 'When it shows', children: triggersNodes(root) },
    { type: 'custom', at: '/audience', render: (form, base) => audienceBuilder(form, base) },
    { type: 'custom', at: '/schedule', render: (form, base) => scheduleField(form, base) },
    share('sample', 'Share of users (%)', 'Each user is in or out for good; 100 when empty.'),
    share('holdout', 'Held out to measure it (%)', 'Up to 50: that share of the people it would show to never see it, and its reports compare them with the rest; none when empty.'),
    {
      type: 'select', at: '/cap', label: 'How often one user may see it', options: CAPS, read: () => cap,
      write: (r, k) => set(r, '/cap', k === 'once' ? undefined : k === 'until_completed' ? 'until_completed' : k === 'at_most' ? { at_most: 3 } : { every_days: 30 }),
    },
  ];
  if (cap === 'at_most') nodes.push({ type: 'number', at: '/cap/at_most', label: 'Times at most' });
  if (cap === 'every_days') nodes.push({ type: 'number', at: '/cap/every_days', label: 'Days between showings' });
  nodes.push(
    { type: 'number', at: '/quiet_days_after_dismiss', label: 'Quiet days after a dismissal', optional: true, hint: '30 when empty.' },
    { type: 'number', at: '/quiet_days_after_complete', label: 'Quiet days after completion', optional: true, hint: '0 when empty.' },
  );
  if (root.kind === 'tour' || root.kind === 'survey') {
    nodes.push(
      { type: 'number', at: '/priority', label: 'Priority', optional: true, hint: 'When several could show, the highest wins; 0 when empty.' },
      { type: 'check', at: '/modal', label: 'Takes over the screen (no other modal at the same time)' },
    );
  }
  return nodes;
}
