// The console's only way to the server: same-origin requests with the session cookie, which
// scripts cannot read. Nothing is kept in the browser's storage.

export type Role = 'viewer' | 'editor' | 'publisher' | 'admin';
const ORDER: Role[] = ['viewer', 'editor', 'publisher', 'admin'];

/** Whether `held` may do what `needed` may. */
export function allows(held: Role | undefined, needed: Role): boolean {
  return held !== undefined && ORDER.indexOf(held) >= ORDER.indexOf(needed);
}

export interface Membership { project: string; role: Role }
export interface Me { name: string; projects: Membership[]; expires_at: number }
export interface Diagnostic { severity: 'error' | 'warning'; code: string; subject: string; pointer: string; message: string }
export interface Draft { revision: number; saved_at: number; saved_by: string; config: Config; diagnostics: Diagnostic[] }
export interface Version { version: number; published_at: number; key_id: string; rolled_back_from: number | null; active: boolean }
export interface Published extends Version { warnings: Diagnostic[] }
export interface Change { op: 'added' | 'removed' | 'changed'; pointer: string; before?: unknown; after?: unknown }
export interface AuditEntry { seq: number; at: number; actor: string; action: 'published' | 'rolled_back' | 'draft_saved' | 'paused' | 'resumed' | 'ended' | 'user_added' | 'role_changed' | 'user_removed' | 'origins_changed' | 'key_rotated'; version: number | null; from_version?: number; experience?: string; user?: string; role?: Role; setting?: string }
export interface Experience { id?: unknown; kind?: unknown; [field: string]: unknown }
export interface Config { experiences?: Experience[]; [field: string]: unknown }

/** A refusal or failure, as the API describes it (`error` is its stable tag). */
export interface Problem { status: number; error: string; message: string; retryable: boolean; diagnostics?: Diagnostic[]; draft?: Draft }

export type Answer<T> = { ok: true; value: T } | { ok: false; problem: Problem };

/** Calls the console API; network failures and non-JSON answers become problems too. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
  let response: Response;
  try {
    response = await fetch(`/console/api${path}`, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    return { ok: false, problem: { status: 0, error: 'offline', message: 'The server could not be reached.', retryable: true } };
  }
  let json: unknown = null;
  try { json = await response.json(); } catch { /* described below */ }
  if (response.ok && json !== null) return { ok: true, value: json as T };
  const described = (json ?? {}) as Partial<Problem>;
  return {
    ok: false,
    problem: {
      status: response.status,
      error: described.error ?? 'unexpected_answer',
      message: described.message ?? `The server answered ${response.status}.`,
      retryable: described.retryable ?? response.status >= 500,
      diagnostics: described.diagnostics,
      draft: described.draft,
    },
  };
}

export const project = (name: string) => `/projects/${encodeURIComponent(name)}`;
