// What each kind's form edits: surveys (every question type, choices, branching, band
// wording), tours (steps, target strategies, markdown, placement, buttons, what advances a
// step) and content changes with their on-page experiment, as waymark-core reads them
// (sdk/core/src/rules/experiences). Every field is a JSON pointer inside the experience.

import { freshId, readText, type Node, type Root } from './form.js';
import { get, set } from './pointer.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The locale plain-string texts are in (a survey's or tour's `default_locale`, else en). */
export function defaultLocale(root: Root): string {
  const body = root.kind === 'tour' ? root.tour : root.survey;
  const tag = isObject(body) ? body.default_locale : undefined;
  return typeof tag === 'string' && tag !== '' ? tag : 'en';
}

// Surveys.

const TYPES: Array<[string, string]> = [
  ['nps', 'NPS (0 to 10)'], ['ces', 'Effort (CES)'], ['csat', 'Satisfaction (CSAT, 1 to 5)'],
  ['single', 'One choice'], ['multiple', 'Several choices'], ['text', 'Free text'],
];
const RATED = new Set(['nps', 'ces', 'csat']);
const CHOICE = new Set(['single', 'multiple']);
/** The parts of a question only some types have: dropped when the type changes. */
const TYPE_PARTS = ['labels', 'scale', 'direction', 'display', 'choices', 'shuffle', 'min', 'max', 'placeholder', 'max_length'];

/** Gives question `at` the type `type`, keeping what both types have and adding what the new one needs. */
export function retype(root: Root, at: string, type: string): void {
  const question = get(root, at);
  if (!isObject(question)) return;
  const before = question.type;
  question.type = type;
  if (before === type) return;
  const keep = new Set<string>();
  if (RATED.has(type)) keep.add('labels');
  if (type === 'ces') { keep.add('scale'); keep.add('direction'); }
  if (type === 'csat') keep.add('display');
  if (CHOICE.has(type)) { keep.add('choices'); keep.add('shuffle'); }
  if (type === 'multiple') { keep.add('min'); keep.add('max'); }
  if (type === 'text') { keep.add('placeholder'); keep.add('max_length'); }
  for (const part of TYPE_PARTS) if (!keep.has(part)) delete question[part];
  if ((type === 'nps' || type === 'ces') && !isObject(question.labels)) question.labels = { low: '', high: '' };
  if (type === 'ces' && question.scale === undefined) question.scale = 7;
  if (CHOICE.has(type) && !Array.isArray(question.choices)) question.choices = [{ id: 'c1', label: '' }, { id: 'c2', label: '' }];
  // Branch tests belong to a type (scores or choices); the form offers the new type's.
  delete question.branch;
}

/** The tests a branch rule may make, by the question's type. */
function branchTests(type: unknown): Array<[string, string]> {
  const tests: Array<[string, string]> = [['always', 'Always']];
  if (typeof type === 'string' && RATED.has(type)) tests.push(['gte', 'Score at least'], ['lte', 'Score at most'], ['eq', 'Score is']);
  if (typeof type === 'string' && CHOICE.has(type)) tests.push(['in', 'Chose any of']);
  tests.push(['answered', 'Answered'], ['skipped', 'Skipped']);
  return tests;
}

function branchNodes(root: Root, at: string, q: number): Node[] {
  const questions = asList(get(root, '/survey/questions'));
  const question = questions[q];
  const type = isObject(question) ? question.type : undefined;
  const later: Array<[string, string]> = questions.slice(q + 1).flatMap((item, k) => {
    const id = isObject(item) ? item.id : undefined;
    return typeof id === 'string' && id !== '' ? [[id, `Question ${q + k + 2} (${id})`] as [string, string]] : [];
  });
  return [{
    type: 'list', at: `${at}/branch`, noun: 'a branch rule', legend: (i) => `Rule ${i + 1}`,
    make: () => ({ when: {}, to: later[0]?.[0] ?? 'end' }),
    item: (rule) => {
      const when = get(root, `${rule}/when`);
      const tests = isObject(when) ? Object.keys(when) : [];
      const nodes: Node[] = [{ type: 'select', at: `${rule}/to`, label: 'Then go to', options: [...later, ['end', 'The end (thank-you)']] }];
      if (tests.length > 1) {
        nodes.push({ type: 'note', text: 'This rule makes several tests at once; edit them in the JSON view.' });
        return nodes;
      }
      const test = tests[0] ?? 'always';
      nodes.unshift({
        type: 'select', at: `${rule}/when`, label: 'When the answer', options: branchTests(type),
        read: () => test,
        write: (r, chosen) => {
          const scale = type === 'nps' ? 0 : 1;
          const choices = asList(get(r, `/survey/questions/${q}/choices`));
          const first = isObject(choices[0]) ? choices[0].id : undefined;
          const value: Record<string, unknown> = {
            always: {}, gte: { gte: type === 'nps' ? 9 : scale }, lte: { lte: type === 'nps' ? 6 : scale }, eq: { eq: scale },
            in: { in: typeof first === 'string' ? [first] : [] }, answered: { answered: true }, skipped: { skipped: true },
          };
          set(r, `${rule}/when`, value[chosen] ?? {});
        },
      });
      if (test === 'gte' || test === 'lte' || test === 'eq') nodes.splice(1, 0, { type: 'number', at: `${rule}/when/${test}`, label: 'Score' });
      if (test === 'in') {
        nodes.splice(1, 0, {
          type: 'text', at: `${rule}/when/in`, label: 'Choice ids', hint: 'Separated by commas, as in the choices above.',
          read: (r) => asList(get(r, `${rule}/when/in`)).map(String).join(', '),
          write: (r, text) => set(r, `${rule}/when/in`, text.split(',').map((t) => t.trim()).filter((t) => t !== '')),
        });
      }
      return nodes;
    },
  }];
}

function questionNodes(root: Root, at: string, q: number, locale: string): Node[] {
  const type = get(root, `${at}/type`);
  const nodes: Node[] = [
    { type: 'select', at: `${at}/type`, label: 'Type', options: TYPES, write: (r, t) => retype(r, at, t) },
    { type: 'text', at: `${at}/id`, label: 'Id', hint: 'Reports and branch rules name the question by it.' },
    { type: 'text', at: `${at}/text`, label: 'Question', localized: locale },
    { type: 'check', at: `${at}/optional`, label: 'May be skipped' },
  ];
  if (typeof type === 'string' && RATED.has(type)) {
    const [low, high] = type === 'nps' ? ['Words for 0', 'Words for 10'] : ['Words for the lowest score', 'Words for the highest score'];
    const optional = type === 'csat';
    nodes.push({ type: 'text', at: `${at}/labels/low`, label: low, localized: locale, optional });
    nodes.push({ type: 'text', at: `${at}/labels/high`, label: high, localized: locale, optional });
  }
  if (type === 'ces') {
    nodes.push({ type: 'select', at: `${at}/scale`, label: 'Points on the scale', options: [['7', '7'], ['5', '5']], write: (r, t) => set(r, `${at}/scale`, Number(t)) });
    nodes.push({ type: 'select', at: `${at}/direction`, label: 'Best end', optional: true, options: [['', 'The highest number (ascending)'], ['descending', 'The lowest number (descending)']] });
  }
  if (type === 'csat') nodes.push({ type: 'select', at: `${at}/display`, label: 'Shown as', optional: true, options: [['', 'Numbers'], ['stars', 'Stars']] });
  if (typeof type === 'string' && CHOICE.has(type)) {
    nodes.push({
      type: 'list', at: `${at}/choices`, noun: 'a choice', legend: (i) => `Choice ${i + 1}`, min: 1,
      make: (list) => ({ id: freshId(list, 'c'), label: '' }),
      item: (choice) => [
        { type: 'text', at: `${choice}/label`, label: 'Choice', localized: locale },
        { type: 'text', at: `${choice}/id`, label: 'Choice id' },
        ...(type === 'multiple' ? [{ type: 'check', at: `${choice}/exclusive`, label: 'Clears the others (such as "None of these")' } as Node] : []),
        { type: 'check', at: `${choice}/fixed`, label: 'Stays in place when shuffled' },
      ],
    });
    nodes.push({ type: 'check', at: `${at}/shuffle`, label: 'Shuffle the choices' });
  }
  if (type === 'multiple') {
    nodes.push({ type: 'number', at: `${at}/min`, label: 'At least this many', optional: true });
    nodes.push({ type: 'number', at: `${at}/max`, label: 'At most this many', optional: true });
  }
  if (type === 'text') {
    nodes.push({ type: 'text', at: `${at}/placeholder`, label: 'Placeholder', optional: true, localized: locale });
    nodes.push({ type: 'number', at: `${at}/max_length`, label: 'Longest answer (characters)', optional: true, hint: '1 to 5000; 1000 when empty.' });
  }
  const earlierNps = asList(get(root, '/survey/questions')).slice(0, q).some((item) => isObject(item) && item.type === 'nps');
  if (earlierNps || get(root, `${at}/text_by_band`) !== undefined) {
    const band = (name: string, label: string): Node => ({
      type: 'text', at: `${at}/text_by_band/${name}`, label, localized: locale, optional: true,
      write: (r, text) => {
        const value = get(r, `${at}/text_by_band/${name}`);
        set(r, `${at}/text_by_band/${name}`, isObject(value) ? { ...value, [locale]: text } : text === '' ? undefined : text);
        const bands = get(r, `${at}/text_by_band`);
        if (isObject(bands) && Object.keys(bands).length === 0) set(r, `${at}/text_by_band`, undefined);
      },
    });
    nodes.push({
      type: 'group', legend: 'Wording by the NPS answer before', at: `${at}/text_by_band`,
      hint: 'Optional: asks this question in other words for detractors, passives or promoters.',
      children: [band('detractor', 'Wording for detractors (0 to 6)'), band('passive', 'Wording for passives (7 or 8)'), band('promoter', 'Wording for promoters (9 or 10)')],
    });
  }
  nodes.push({ type: 'group', legend: 'Branching', hint: 'Rules tried in order after this question; without one that holds, the next question follows.', children: branchNodes(root, at, q) });
  return nodes;
}

/** The words on a survey's or tour's controls, each a text (so translatable); empty: the
 * renderer's built-in word for the locale shown. */
function wordsGroup(at: string, words: Array<[string, string]>, locale: string, hint: string): Node {
  return {
    type: 'group', legend: 'Words on the controls', at, hint,
    children: words.map(([key, label]) => ({ type: 'text', at: `${at}/${key}`, label, optional: true, localized: locale }) as Node),
  };
}

const SURVEY_WORDS: Array<[string, string]> = [
  ['close', 'Close button (its accessible name)'], ['back', 'Back button'], ['next', 'Next button'], ['submit', 'Submit button'], ['skip', 'Skip button'],
  ['required', 'Message: an answer is needed'], ['at_least', 'Message: too few choices ({n} is the number)'], ['at_most', 'Message: too many choices ({n})'],
  ['alone', 'Message: an exclusive choice with others'], ['too_long', 'Message: the answer is too long ({n})'],
];
const TOUR_WORDS: Array<[string, string]> = [
  ['next', 'Next button'], ['back', 'Back button'], ['skip', 'Skip button'], ['done', 'Done button'], ['close', 'Close button'], ['step', 'Progress ({n} of {total})'],
];

function surveyNodes(root: Root): Node[] {
  const locale = defaultLocale(root);
  return [
    {
      type: 'list', at: '/survey/questions', noun: 'a question', legend: (i) => `Question ${i + 1}`, min: 1,
      make: (list) => ({ id: freshId(list, 'q'), type: 'text', text: '', optional: true }),
      item: (at, q) => questionNodes(root, at, q, locale),
    },
    { type: 'select', at: '/survey/layout', label: 'Layout', optional: true, options: [['', 'A popover in a corner'], ['modal', 'A dialog in the middle']] },
    { type: 'select', at: '/survey/position', label: 'Corner', optional: true, options: [['', 'Bottom right'], ['bottom-left', 'Bottom left'], ['top-right', 'Top right'], ['top-left', 'Top left']] },
    { type: 'text', at: '/survey/thank_you', label: 'Thank-you message', hint: 'Optional.', optional: true, localized: locale },
    { type: 'number', at: '/survey/auto_close_ms', label: 'Close the thank-you after (ms)', optional: true, hint: '0 keeps it open; empty for the default.' },
    wordsGroup('/survey/labels', SURVEY_WORDS, locale, 'Empty: the built-in words in English, French, German or Spanish (else English). Give them when the texts are in another language.'),
  ];
}

// Tours.

const STRATEGIES: Array<[string, string, string]> = [
  ['waymark', 'data-waymark value', 'The most stable: an attribute the app sets for Waymark.'],
  ['id', 'Element id', ''],
  ['selector', 'CSS selector', ''],
  ['role', 'Role', 'With an accessible name, as in role "button" named "Export".'],
  ['name', 'Accessible name', ''],
  ['text', 'Text on the element', ''],
];

function targetNodes(step: string): Node[] {
  const at = `${step}/target`;
  // A target may be a selector string; the form writes the object form, which says the same.
  const strategy = (name: string, label: string, hint: string): Node => ({
    type: 'text', at: `${at}/${name}`, label, hint: hint || undefined, optional: true,
    read: (r) => {
      const target = get(r, at);
      if (typeof target === 'string') return name === 'selector' ? target : '';
      const value = isObject(target) ? target[name] : undefined;
      return typeof value === 'string' ? value : '';
    },
    write: (r, text) => {
      const target = get(r, at);
      const object: Json = typeof target === 'string' ? { selector: target } : isObject(target) ? { ...target } : {};
      if (text === '') delete object[name];
      else object[name] = text;
      set(r, at, Object.keys(object).length > 0 ? object : undefined);
    },
  });
  return [{
    type: 'group', legend: 'Target', at,
    hint: 'Ways to find the element, tried in this order; leave all empty for a centered step.',
    children: [...STRATEGIES.map(([n, l, hint]) => strategy(n, l, hint)), {
      type: 'text', at: `${at}/frame`, label: 'Inside the iframe (CSS selector)', optional: true,
      read: (r) => { const f = get(r, `${at}/frame`); return typeof f === 'string' ? f : Array.isArray(f) ? f.join(' > ') : ''; },
      write: (r, text) => {
        const target = get(r, at);
        const object: Json = typeof target === 'string' ? { selector: target } : isObject(target) ? { ...target } : {};
        const frames = text.split('>').map((f) => f.trim()).filter((f) => f !== '');
        if (frames.length === 0) delete object.frame;
        else object.frame = frames.length === 1 ? frames[0] : frames;
        set(r, at, Object.keys(object).length > 0 ? object : undefined);
      },
    }],
  }];
}

const BUTTONS: Array<[string, string]> = [['back', 'Back'], ['next', 'Next'], ['skip', 'Skip'], ['done', 'Done']];

function buttonNodes(root: Root, step: string, locale: string): Node[] {
  const at = `${step}/buttons`;
  const list = () => asList(get(root, at));
  const ctaIndex = list().findIndex((b) => isObject(b) && b.cta !== undefined);
  const ctaAt = ctaIndex >= 0 ? `${at}/${ctaIndex}/cta` : `${at}/-/cta`;
  const write = (r: Root, change: (buttons: unknown[]) => unknown[]) => {
    const next = change(asList(get(r, at)).slice());
    set(r, at, next.length > 0 ? next : undefined);
  };
  const button = (name: string, label: string): Node => ({
    type: 'check', at: `${at}/${name}`, key: `${at}/${name}`, label,
    read: (r) => (asList(get(r, at)).includes(name) ? 'true' : ''),
    write: (r, on) => write(r, (buttons) => {
      const without = buttons.filter((b) => b !== name);
      if (on !== 'true') return without;
      // Standard buttons in their usual order, calls to action after them.
      const order = BUTTONS.map(([n]) => n);
      const standard = [...without.filter((b) => typeof b === 'string'), name].sort((a, b) => order.indexOf(String(a)) - order.indexOf(String(b)));
      return [...standard, ...without.filter((b) => typeof b !== 'string')];
    }),
  });
  const cta = (part: string, label: string, hint?: string): Node => ({
    type: 'text', at: `${ctaAt}/${part}`, key: `${at}/cta/${part}`, label, hint, optional: true,
    // The label is a text of the tour (translatable); the link and the event are not.
    localized: part === 'label' ? locale : undefined,
    read: (r) => { const c = asList(get(r, at)).find((b) => isObject(b) && b.cta !== undefined) as Json | undefined; return part === 'label' ? readText(isObject(c?.cta) ? c.cta.label : undefined, locale) : String((isObject(c?.cta) ? c.cta[part] : undefined) ?? ''); },
    write: (r, text) => write(r, (buttons) => {
      let k = buttons.findIndex((b) => isObject(b) && b.cta !== undefined);
      if (k < 0) { buttons.push({ cta: {} }); k = buttons.length - 1; }
      const item = buttons[k] as Json;
      const c: Json = isObject(item.cta) ? { ...item.cta } : {};
      const before = c[part];
      if (part === 'label' && isObject(before)) c[part] = { ...before, [locale]: text };
      else if (text === '') delete c[part];
      else c[part] = text;
      if (Object.keys(c).length === 0) return buttons.filter((_, i) => i !== k);
      buttons[k] = { ...item, cta: c };
      return buttons;
    }),
  });
  return [{
    type: 'group', legend: 'Buttons', at,
    hint: 'None ticked and no call to action: Back, and Next or Done, as fits the step.',
    children: [...BUTTONS.map(([n, l]) => button(n, l)),
      cta('label', 'Call to action: label'),
      cta('url', 'Call to action: link', 'Relative, or http:, https:, mailto: or tel:.'),
      cta('event', 'Call to action: event to record', 'Instead of a link.')],
  }];
}

function stepNodes(root: Root, step: string, locale: string): Node[] {
  const advance = get(root, `${step}/advance`);
  const kind = advance === undefined || advance === 'button' ? 'button'
    : advance === 'click' || (isObject(advance) && advance.click === true) ? 'click'
      : isObject(advance) && 'event' in advance ? 'event' : isObject(advance) && 'route' in advance ? 'route' : '';
  const nodes: Node[] = [
    { type: 'text', at: `${step}/id`, label: 'Step id' },
    { type: 'text', at: `${step}/title`, label: 'Title', optional: true, localized: locale },
    { type: 'text', at: `${step}/body`, label: 'Text', optional: true, multiline: true, localized: locale, hint: 'Markdown subset: **bold**, *italic*, `code`, [links](/path), lists with - and blank lines between paragraphs.' },
    ...targetNodes(step),
    { type: 'select', at: `${step}/placement`, label: 'Placement', optional: true, options: [['', 'Beside the target (auto), or centered without one'], ['top', 'Above'], ['bottom', 'Below'], ['left', 'Left'], ['right', 'Right'], ['center', 'Centered']] },
    { type: 'select', at: `${step}/align`, label: 'Alignment along the target', optional: true, options: [['', 'Centered'], ['start', 'At the start'], ['end', 'At the end']] },
    ...buttonNodes(root, step, locale),
    {
      type: 'select', at: `${step}/advance`, label: 'Goes on when',
      options: [['button', 'Next is pressed'], ['click', 'The target is clicked'], ['event', 'An event is recorded'], ['route', 'The page changes to']],
      read: () => kind,
      write: (r, k) => set(r, `${step}/advance`, k === 'button' ? undefined : k === 'click' ? 'click' : k === 'event' ? { event: '' } : { route: '' }),
    },
  ];
  if (kind === 'event') nodes.push({ type: 'text', at: `${step}/advance/event`, label: 'Event name' });
  if (kind === 'route') nodes.push({ type: 'text', at: `${step}/advance/route`, label: 'Page (URL pattern)', hint: 'Such as /invoices/*.' });
  nodes.push(
    { type: 'text', at: `${step}/url`, label: 'Shown on the page', optional: true, hint: 'A URL pattern such as /invoices/*; empty: wherever the tour is.' },
    { type: 'number', at: `${step}/wait_ms`, label: 'Wait for the target (ms)', optional: true, hint: 'Up to 60000; 5000 when empty.' },
    { type: 'select', at: `${step}/fallback`, label: 'When the target never appears', optional: true, options: [['', 'Skip the step'], ['center', 'Show it centered'], ['end', 'End the tour']] },
  );
  return nodes;
}

function tourNodes(root: Root): Node[] {
  const locale = defaultLocale(root);
  return [
    { type: 'select', at: '/tour/format', label: 'Text format', optional: true, options: [['', 'Markdown subset'], ['plain', 'Plain text']] },
    {
      type: 'list', at: '/tour/steps', noun: 'a step', legend: (i) => `Step ${i + 1}`, min: 1,
      make: (list) => ({ id: freshId(list, 'step-'), title: '', body: '' }),
      item: (at) => stepNodes(root, at, locale),
    },
    wordsGroup('/tour/labels', TOUR_WORDS, locale, 'Empty: the English words. A tour translated into another language needs them in that language too.'),
  ];
}

// Content changes and experiments.

const CHANGES: Array<[string, string]> = [
  ['text', 'Replace the text'], ['attribute', 'Set an attribute'], ['add_class', 'Add a class'], ['remove_class', 'Remove a class'],
  ['hide', 'Hide it'], ['show', 'Show it'], ['banner', 'Insert a banner'], ['variant', 'Show a layout variant'],
];
const ACTION_KEYS = ['text', 'attribute', 'value', 'add_class', 'remove_class', 'hide', 'show', 'banner', 'position', 'variant'];

function changeKind(change: unknown): string {
  if (!isObject(change)) return '';
  for (const [kind] of CHANGES) if (kind in change) return kind;
  return '';
}

/** Makes change `at` do `kind`, keeping its selector. */
function rekind(root: Root, at: string, kind: string): void {
  const change = get(root, at);
  const object: Json = isObject(change) ? change : {};
  for (const key of ACTION_KEYS) delete object[key];
  if (kind === 'variant') { delete object.selector; object.variant = ''; }
  else {
    if (typeof object.selector !== 'string') object.selector = '';
    const made: Record<string, Json> = {
      text: { text: '' }, attribute: { attribute: 'title', value: '' }, add_class: { add_class: '' }, remove_class: { remove_class: '' },
      hide: { hide: true }, show: { show: true }, banner: { banner: { title: '', text: '' } },
    };
    Object.assign(object, made[kind] ?? {});
  }
  set(root, at, object);
}

function changeNodes(root: Root, at: string): Node[] {
  const kind = changeKind(get(root, at));
  const nodes: Node[] = [{ type: 'select', at, label: 'Change', options: CHANGES, read: () => kind, write: (r, k) => rekind(r, at, k) }];
  if (kind !== 'variant') nodes.push({ type: 'text', at: `${at}/selector`, label: 'Elements (CSS selector)' });
  const placeholders = 'May hold {{user.first_name | there}}: a trait, and what to show without it.';
  switch (kind) {
    case 'text': nodes.push({ type: 'text', at: `${at}/text`, label: 'New text', hint: placeholders }); break;
    case 'attribute':
      nodes.push({ type: 'select', at: `${at}/attribute`, label: 'Attribute', options: [['title', 'title'], ['alt', 'alt'], ['placeholder', 'placeholder'], ['href', 'href (links)'], ['src', 'src (images)'], ['aria-label', 'aria-label']] });
      nodes.push({ type: 'text', at: `${at}/value`, label: 'Value', hint: placeholders });
      break;
    case 'add_class': nodes.push({ type: 'text', at: `${at}/add_class`, label: 'Class' }); break;
    case 'remove_class': nodes.push({ type: 'text', at: `${at}/remove_class`, label: 'Class' }); break;
    case 'banner':
      nodes.push(
        { type: 'text', at: `${at}/banner/title`, label: 'Banner title', optional: true, hint: placeholders },
        { type: 'text', at: `${at}/banner/text`, label: 'Banner text', multiline: true },
        { type: 'text', at: `${at}/banner/cta/label`, label: 'Button label', optional: true, write: (r, t) => writeCta(r, `${at}/banner/cta`, 'label', t) },
        { type: 'text', at: `${at}/banner/cta/url`, label: 'Button link', optional: true, write: (r, t) => writeCta(r, `${at}/banner/cta`, 'url', t) },
        { type: 'text', at: `${at}/banner/cta/event`, label: 'Button event', optional: true, write: (r, t) => writeCta(r, `${at}/banner/cta`, 'event', t) },
        {
          type: 'check', at: `${at}/banner/dismissible`, label: 'The user may close it',
          read: (r) => (get(r, `${at}/banner/dismissible`) === false ? '' : 'true'),
          write: (r, on) => set(r, `${at}/banner/dismissible`, on === 'true' ? undefined : false),
        },
        { type: 'select', at: `${at}/position`, label: 'Where', optional: true, options: [['', 'Before the element'], ['after', 'After it'], ['prepend', 'Inside, first'], ['append', 'Inside, last']] },
      );
      break;
    case 'variant': nodes.push({ type: 'text', at: `${at}/variant`, label: 'Variant', hint: 'As in data-waymark-variant="pricing-b": its group, a dash, its name.' }); break;
  }
  return nodes;
}

function writeCta(root: Root, at: string, part: string, text: string): void {
  set(root, `${at}/${part}`, text === '' ? undefined : text);
  const cta = get(root, at);
  if (isObject(cta) && Object.keys(cta).length === 0) set(root, at, undefined);
}

function changesList(root: Root, at: string): Node {
  return {
    type: 'list', at, noun: 'a change', legend: (i) => `Change ${i + 1}`,
    make: () => ({ selector: '', text: '' }),
    item: (change) => changeNodes(root, change),
  };
}

function contentNodes(root: Root): Node[] {
  const experiment = get(root, '/experiment');
  const nodes: Node[] = [
    { type: 'group', legend: 'Changes for everyone', hint: 'Applied to every user the targeting picks.', children: [changesList(root, '/changes')] },
    {
      type: 'check', at: '/experiment', label: 'Run an experiment (each user gets one variant)',
      read: (r) => (get(r, '/experiment') !== undefined ? 'true' : ''),
      write: (r, on) => set(r, '/experiment', on === 'true'
        ? { key: typeof r.id === 'string' ? r.id : 'experiment', variants: [{ key: 'control', weight: 0.5, changes: [] }, { key: 'treatment', weight: 0.5, changes: [] }], goals: [] }
        : undefined),
    },
  ];
  if (isObject(experiment)) {
    nodes.push({
      type: 'group', legend: 'Experiment', at: '/experiment', children: [
        { type: 'text', at: '/experiment/key', label: 'Experiment key', optional: true, hint: 'Reports name the experiment by it; the experience id when empty.' },
        { type: 'number', at: '/experiment/coverage', label: 'Share of users in the experiment (0 to 1)', optional: true, hint: '1 when empty.' },
        { type: 'lines', at: '/experiment/goals', label: 'Goals', hint: 'Event names, one a line: what counts as converting.', empty: [] },
        {
          type: 'list', at: '/experiment/variants', noun: 'a variant', legend: (i) => (i === 0 ? 'Variant 1 (control)' : `Variant ${i + 1}`), min: 2,
          make: (list) => ({ key: freshId(list, 'variant-'), weight: 0, changes: [] }),
          item: (variant) => [
            { type: 'text', at: `${variant}/key`, label: 'Variant key' },
            { type: 'number', at: `${variant}/weight`, label: 'Weight (0 to 1)', optional: true, hint: 'The weights add up to 1; all empty: equal shares.' },
            changesList(root, `${variant}/changes`),
          ],
        },
      ],
    });
  }
  return nodes;
}

/** The kind-specific fields of an experience, and the title of its section. */
export function kindForm(root: Root): { title: string; nodes: Node[] } | null {
  if (root.kind === 'survey' && isObject(root.survey)) return { title: 'Survey', nodes: surveyNodes(root) };
  if (root.kind === 'tour' && isObject(root.tour)) return { title: 'Tour', nodes: tourNodes(root) };
  if (root.kind === 'content') return { title: isObject(root.experiment) ? 'Content and experiment' : 'Content', nodes: contentNodes(root) };
  return null;
}

/** A new experience of `kind`, with an id not yet in `taken`, for the form to start from. */
export function newExperience(kind: 'survey' | 'tour' | 'content' | 'experiment', taken: Set<unknown>): Json {
  const base = { survey: 'nps', tour: 'tour', content: 'content', experiment: 'experiment' }[kind];
  let n = 1;
  while (taken.has(n === 1 ? base : `${base}-${n}`)) n += 1;
  const id = n === 1 ? base : `${base}-${n}`;
  switch (kind) {
    case 'survey':
      return {
        id, kind: 'survey', trigger: { page_view: true },
        survey: {
          questions: [{ id: 'score', type: 'nps', text: 'How likely are you to recommend us to a friend or colleague?', labels: { low: 'Not at all likely', high: 'Extremely likely' } }],
          thank_you: 'Thank you!',
        },
      };
    case 'tour':
      return { id, kind: 'tour', trigger: { page_view: true }, tour: { steps: [{ id: 'welcome', title: 'Welcome', body: 'A short tour of what is new.' }] } };
    case 'content':
      return { id, kind: 'content', trigger: { page_view: true }, changes: [{ selector: '', text: '' }] };
    case 'experiment':
      return { id, kind: 'content', trigger: { page_view: true }, experiment: { key: id, variants: [{ key: 'control', weight: 0.5, changes: [] }, { key: 'treatment', weight: 0.5, changes: [] }], goals: [] } };
  }
}
