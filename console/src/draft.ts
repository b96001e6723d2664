// The draft being edited: a working copy on this page, saved to the server a moment after
// each change. A failed save keeps the copy and says so, and tries again; a save refused
// because someone else saved first keeps the copy too, and lets the author choose.

import { call, project, type Config, type Diagnostic, type Draft, type Problem, type Published } from './api.js';
import { when } from './dom.js';

export type SaveState =
  | { kind: 'saved'; at: number }
  | { kind: 'pending' }
  | { kind: 'saving' }
  | { kind: 'failed'; problem: Problem; retryInMs: number }
  | { kind: 'conflict'; theirs: Draft }
  | { kind: 'read-only' };

const QUIET_MS = 600;
const RETRY_MS = [2_000, 5_000, 15_000, 30_000];

export class DraftCopy {
  config: Config;
  revision: number;
  diagnostics: Diagnostic[];
  state: SaveState;
  /** Whether a JSON view holds text that is not valid yet (so not saved): leaving the page
   * would lose it, as it would lose changes not yet saved. */
  unreadable = false;
  private timer: number | undefined;
  private failures = 0;
  private changedWhileSaving = false;
  private listeners: Array<() => void> = [];

  constructor(readonly projectName: string, draft: Draft, readonly canSave: boolean) {
    this.config = draft.config;
    this.revision = draft.revision;
    this.diagnostics = draft.diagnostics;
    this.state = canSave ? { kind: 'saved', at: draft.saved_at } : { kind: 'read-only' };
    window.addEventListener('beforeunload', this.guard);
  }

  /** Stops listening (the page left the editor). */
  close(): void {
    window.removeEventListener('beforeunload', this.guard);
    window.clearTimeout(this.timer);
    this.listeners = [];
  }

  /** Forgets the listeners of the page shown before. */
  unwatch(): void {
    this.listeners = [];
  }

  /** Calls `listener` after every change of state or diagnostics. */
  watch(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Whether everything on this page is on the server. */
  get settled(): boolean {
    return this.state.kind === 'saved';
  }

  get errors(): Diagnostic[] {
    return this.diagnostics.filter((d) => d.severity === 'error');
  }

  /** Applies an edit to the working copy and saves it shortly. */
  edit(change: (config: Config) => void): void {
    change(this.config);
    if (!this.canSave) return;
    if (this.state.kind === 'saving') this.changedWhileSaving = true;
    else if (this.state.kind !== 'conflict') this.schedule(QUIET_MS);
    if (this.state.kind !== 'saving' && this.state.kind !== 'conflict') this.set({ kind: 'pending' });
  }

  /** Saves now (before publishing); resolves once the copy is on the server, or not. */
  async flush(): Promise<boolean> {
    window.clearTimeout(this.timer);
    if (this.state.kind === 'pending' || this.state.kind === 'failed') await this.save();
    return this.settled;
  }

  /** Replaces the whole working copy (the JSON view of the whole draft) and saves it shortly. */
  replaceAll(config: Config): void {
    this.edit((current) => {
      for (const key of Object.keys(current)) delete current[key];
      Object.assign(current, config);
    });
  }

  /** Saves what is pending, then publishes the revision on the server; says what happened. */
  async publish(): Promise<{ ok: boolean; message: string }> {
    if (!(await this.flush())) return { ok: false, message: 'Not published: the draft could not be saved first.' };
    const answer = await call<Published>('POST', `${project(this.projectName)}/draft/publish`, { revision: this.revision });
    if (answer.ok) {
      this.set(this.state);
      return { ok: true, message: `Published as version ${answer.value.version}.` };
    }
    if (answer.problem.diagnostics) this.diagnostics = answer.problem.diagnostics;
    this.set(this.state);
    return { ok: false, message: `Not published: ${answer.problem.message}` };
  }

  /** After a conflict: keep this page's copy, saving it over theirs. */
  keepMine(): void {
    if (this.state.kind !== 'conflict') return;
    this.revision = this.state.theirs.revision;
    this.set({ kind: 'pending' });
    void this.save();
  }

  /** After a conflict: take theirs, dropping this page's changes. */
  takeTheirs(): void {
    if (this.state.kind !== 'conflict') return;
    const theirs = this.state.theirs;
    this.config = theirs.config;
    this.revision = theirs.revision;
    this.diagnostics = theirs.diagnostics;
    this.set({ kind: 'saved', at: theirs.saved_at });
  }

  private guard = (event: BeforeUnloadEvent) => {
    if (this.canSave && (!this.settled || this.unreadable)) event.preventDefault();
  };

  private schedule(ms: number): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.save(), ms);
  }

  private set(state: SaveState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }

  private async save(): Promise<void> {
    this.changedWhileSaving = false;
    this.set({ kind: 'saving' });
    const answer = await call<Draft>('PUT', `${project(this.projectName)}/draft`, { revision: this.revision, config: this.config });
    if (answer.ok) {
      this.failures = 0;
      this.revision = answer.value.revision;
      this.diagnostics = answer.value.diagnostics;
      if (this.changedWhileSaving) {
        this.set({ kind: 'pending' });
        this.schedule(QUIET_MS);
      } else this.set({ kind: 'saved', at: answer.value.saved_at });
      return;
    }
    const problem = answer.problem;
    if (problem.error === 'draft_conflict' && problem.draft) {
      this.set({ kind: 'conflict', theirs: problem.draft });
      return;
    }
    if (problem.retryable) {
      const wait = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)] ?? 30_000;
      this.failures += 1;
      this.schedule(wait);
      this.set({ kind: 'failed', problem, retryInMs: wait });
    } else this.set({ kind: 'failed', problem, retryInMs: 0 });
  }
}

/** What the save status line says; `unreadable`: the JSON the author is typing is not valid
 * yet, so the page holds text the server does not have. */
export function describeSave(draft: DraftCopy, unreadable = false): string {
  const state = draft.state;
  if (unreadable && (state.kind === 'saved' || state.kind === 'pending' || state.kind === 'saving')) {
    return 'Not saved: the JSON is not valid yet. The server keeps the last valid version; fix the text to save it.';
  }
  switch (state.kind) {
    case 'read-only': return 'You can read this draft; editing it needs the editor role.';
    case 'saved': return state.at > 0 ? `All changes saved (${when(state.at)}).` : 'No changes yet.';
    case 'pending': return 'Unsaved changes…';
    case 'saving': return 'Saving…';
    case 'failed': return state.retryInMs > 0
      ? `Not saved: ${state.problem.message} Your changes are kept on this page; trying again in ${Math.round(state.retryInMs / 1000)} s.`
      : `Not saved: ${state.problem.message} Your changes are kept on this page.`;
    case 'conflict': return `Not saved: ${state.theirs.saved_by} saved the draft meanwhile. Your changes are kept on this page.`;
  }
}
