// JSON pointers (RFC 6901): where diagnostics and diffs point, and where form fields write.

function parts(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value at `pointer` in `root`, if any. */
export function get(root: unknown, pointer: string): unknown {
  let here: unknown = root;
  for (const part of parts(pointer)) {
    if (here === null || typeof here !== 'object') return undefined;
    here = (here as Record<string, unknown>)[part];
  }
  return here;
}

/** Sets the value at `pointer` in `root`, making objects on the way; `undefined` removes it. */
export function set(root: Record<string, unknown>, pointer: string, value: unknown): void {
  const path = parts(pointer);
  const last = path.pop();
  if (last === undefined) return;
  let here: Record<string, unknown> = root;
  for (const part of path) {
    const next = here[part];
    if (next === null || typeof next !== 'object') here[part] = {};
    here = here[part] as Record<string, unknown>;
  }
  if (value === undefined) {
    if (Array.isArray(here)) here.splice(Number(last), 1);
    else delete here[last];
  } else here[last] = value;
}

/** Where a diagnostic at `pointer` shows among fields at `fields`: the field itself, else the
 * first field inside it (a missing object's first part), else the nearest one around it. */
export function fieldFor(pointer: string, fields: string[]): string | undefined {
  if (fields.includes(pointer)) return pointer;
  const inside = fields.find((f) => f.startsWith(`${pointer}/`));
  if (inside) return inside;
  return fields.filter((f) => pointer.startsWith(`${f}/`)).sort((a, b) => b.length - a.length)[0];
}
