// Audience conditions (GrowthBook's condition language, as sdk/core/src/rules/targeting
// compiles it) as a tree the builder can show: AND and OR groups of rules on one attribute
// each. `parse` reads any condition; the parts it cannot show as rules stay as raw JSON, and a
// condition whose tree would not write back exactly the same JSON is kept whole as raw JSON,
// so nothing an author wrote is ever lost or changed by being shown.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Rule { type: 'rule'; attribute: string; op: string; value: Json; short: boolean }
export interface Group { type: 'group'; op: 'and' | 'or'; items: Item[]; listed: boolean }
export interface Raw { type: 'raw'; json: { [key: string]: Json } }
export type Item = Rule | Group | Raw;

const isObject = (v: unknown): v is { [key: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads one condition object as a group (an object's keys are ANDed). */
function parseObject(json: { [key: string]: Json }): Group {
  const keys = Object.keys(json);
  if (keys.length === 1 && (keys[0] === '$or' || keys[0] === '$and') && Array.isArray(json[keys[0]])) {
    const list = json[keys[0]] as Json[];
    return { type: 'group', op: keys[0] === '$or' ? 'or' : 'and', listed: true, items: list.map(parseItem) };
  }
  const items: Item[] = [];
  for (const key of keys) {
    const value = json[key] as Json;
    if ((key === '$or' || key === '$and') && Array.isArray(value)) items.push(parseObject({ [key]: value }));
    else if (key.startsWith('$')) items.push({ type: 'raw', json: { [key]: value } });
    else if (isObject(value) && Object.keys(value).length > 0 && Object.keys(value).every((k) => k.startsWith('$'))) {
      for (const [op, arg] of Object.entries(value)) items.push({ type: 'rule', attribute: key, op, value: arg, short: false });
    } else if (isObject(value)) items.push({ type: 'raw', json: { [key]: value } });
    else items.push({ type: 'rule', attribute: key, op: '$eq', value, short: true });
  }
  return { type: 'group', op: 'and', listed: false, items };
}

/** An element of an `$or` or `$and` list: one rule when that is all it holds. */
function parseItem(json: Json): Item {
  if (!isObject(json)) return { type: 'raw', json: { $value: json } };
  const group = parseObject(json);
  const only = group.items[0];
  if (!group.listed && group.items.length === 1 && only && only.type !== 'group') return only;
  return group;
}

function writeRule(rule: Rule): Json {
  return rule.short ? rule.value : { [rule.op]: rule.value };
}

/** Writes an item as a condition object. */
export function write(item: Item): { [key: string]: Json } {
  if (item.type === 'rule') return { [item.attribute]: writeRule(item) };
  if (item.type === 'raw') return item.json;
  if (item.op === 'or' || item.listed) return { [item.op === 'or' ? '$or' : '$and']: item.items.map(write) };
  // An AND group as one object, unless two of its items would want the same key.
  const out: { [key: string]: Json } = {};
  for (const child of item.items) {
    if (child.type === 'rule') {
      const there = out[child.attribute];
      if (there === undefined) { out[child.attribute] = writeRule(child); continue; }
      if (!child.short && isObject(there) && Object.keys(there).every((k) => k.startsWith('$')) && !(child.op in there)) {
        there[child.op] = child.value;
        continue;
      }
      return write({ ...item, listed: true });
    }
    const written = child.type === 'group' && child.op === 'and' ? { $and: write({ ...child, listed: true }).$and as Json } : write(child);
    for (const [key, value] of Object.entries(written)) {
      if (key in out) return write({ ...item, listed: true });
      out[key] = value;
    }
  }
  return out;
}

/** The tree of a condition (an absent one is an empty AND group); raw when it cannot be shown. */
export function parse(condition: unknown): Group | Raw {
  if (condition === undefined) return { type: 'group', op: 'and', listed: false, items: [] };
  if (!isObject(condition)) return { type: 'raw', json: { $value: condition as Json } };
  const tree = parseObject(condition);
  return JSON.stringify(write(tree)) === JSON.stringify(condition) ? tree : { type: 'raw', json: condition };
}

/** What a condition tree writes: `undefined` for an empty top-level AND group (everyone). */
export function serialise(tree: Group | Raw): Json | undefined {
  if (tree.type === 'raw') return '$value' in tree.json && Object.keys(tree.json).length === 1 ? tree.json.$value as Json : tree.json;
  if (tree.op === 'and' && !tree.listed && tree.items.length === 0) return undefined;
  return write(tree);
}

// What conditions can read (the runtime's attributes: sdk/runtime/src/experiences.rs, and the
// behaviour profile: sdk/core/src/rules/profile.rs).

export interface Family { id: string; label: string; name?: string; windows?: Array<[string, string]>; numeric: boolean }

export const FAMILIES: Family[] = [
  { id: 'trait', label: 'Trait', name: 'Trait name', numeric: false },
  { id: 'event', label: 'Times an event happened', name: 'Event name', numeric: true, windows: [['count_today', 'today'], ['count_7d', 'in the last 7 days'], ['count_30d', 'in the last 30 days'], ['total', 'ever']] },
  { id: 'days_since', label: 'Days since an event', name: 'Event name', numeric: true },
  { id: 'sessions', label: 'Sessions', numeric: true },
  { id: 'active_30d', label: 'Active days in the last 30', numeric: true },
  { id: 'active_total', label: 'Active days ever', numeric: true },
  { id: 'page_views', label: 'Page views ever', numeric: true },
  { id: 'engagement', label: 'Engagement (0 to 1)', numeric: true },
  { id: 'churn_risk', label: 'Churn risk (0 to 1)', numeric: true },
  { id: 'url', label: 'Page URL', numeric: false },
  { id: 'path', label: 'Page path', numeric: false },
  { id: 'device_type', label: 'Device (mobile or desktop)', numeric: false },
  { id: 'device_width', label: 'Viewport width (px)', numeric: true },
  { id: 'locale', label: 'Locale', numeric: false },
  { id: 'user_id', label: 'User id', numeric: false },
  { id: 'other', label: 'Another attribute', name: 'Attribute path', numeric: false },
];

const FIXED: Record<string, string> = {
  sessions: 'behavior.sessions.count', active_30d: 'behavior.active_days.count_30d', active_total: 'behavior.active_days.total',
  page_views: 'behavior.page_views.total', engagement: 'behavior.engagement', churn_risk: 'behavior.churn_risk',
  url: 'url', path: 'path', device_type: 'device.type', device_width: 'device.width', locale: 'locale', user_id: 'id',
};

/** Which family an attribute path belongs to, with its name and window. */
export function familyOf(attribute: string): { family: Family; name: string; window: string } {
  const find = (id: string) => FAMILIES.find((f) => f.id === id) as Family;
  for (const [id, path] of Object.entries(FIXED)) if (path === attribute) return { family: find(id), name: '', window: '' };
  let m = /^user\.([^.]*)$/.exec(attribute);
  if (m) return { family: find('trait'), name: m[1] ?? '', window: '' };
  m = /^behavior\.event\.([^.]*)\.(count_today|count_7d|count_30d|total)$/.exec(attribute);
  if (m) return { family: find('event'), name: m[1] ?? '', window: m[2] ?? 'count_30d' };
  m = /^behavior\.days_since\.([^.]*)$/.exec(attribute);
  if (m) return { family: find('days_since'), name: m[1] ?? '', window: '' };
  return { family: find('other'), name: attribute, window: '' };
}

/** The attribute path of a family with its name and window. */
export function attributeOf(family: string, name: string, window: string): string {
  if (FIXED[family]) return FIXED[family];
  if (family === 'trait') return `user.${name}`;
  if (family === 'event') return `behavior.event.${name}.${window || 'count_30d'}`;
  if (family === 'days_since') return `behavior.days_since.${name}`;
  return name;
}

export const OPERATORS: Array<[string, string]> = [
  ['$eq', 'is'], ['$ne', 'is not'], ['$gt', 'is more than'], ['$gte', 'is at least'], ['$lt', 'is less than'], ['$lte', 'is at most'],
  ['$in', 'is one of'], ['$nin', 'is none of'], ['$regex', 'matches the pattern'], ['$notRegex', 'does not match the pattern'],
  ['$exists', 'is set, or not'], ['$vgte', 'is a version at least'], ['$vlt', 'is a version below'],
];

/** The text a rule's value is edited as. */
export function valueText(rule: Rule): string {
  if (rule.op === '$exists') return rule.value === false ? 'false' : 'true';
  if ((rule.op === '$in' || rule.op === '$nin') && Array.isArray(rule.value)) return rule.value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
  if (OPERATORS.some(([op]) => op === rule.op)) return typeof rule.value === 'string' ? rule.value : JSON.stringify(rule.value);
  return JSON.stringify(rule.value);
}

function scalar(text: string, numeric: boolean): Json {
  const trimmed = text.trim();
  if (numeric || /^-?\d+(\.\d+)?$/.test(trimmed)) {
    const n = Number(trimmed);
    if (trimmed !== '' && Number.isFinite(n)) return n;
  }
  if (!numeric && (trimmed === 'true' || trimmed === 'false')) return trimmed === 'true';
  return text;
}

/** The value a rule's text stands for, by its operator and attribute. */
export function valueFrom(text: string, op: string, attribute: string): Json {
  const numeric = familyOf(attribute).family.numeric;
  if (op === '$exists') return text !== 'false';
  if (op === '$in' || op === '$nin') return text.split(',').map((t) => t.trim()).filter((t) => t !== '').map((t) => scalar(t, numeric));
  if (op === '$regex' || op === '$notRegex' || op === '$vgte' || op === '$vlt') return text;
  if (OPERATORS.some(([o]) => o === op)) return scalar(text, numeric);
  try { return JSON.parse(text) as Json; } catch { return text; }
}
