// The console's pages, routed by the URL's fragment: #/sign-in, #/p/PROJECT (experiences),
// #/p/PROJECT/e/INDEX (the editor), #/p/PROJECT/json (the whole draft), #/p/PROJECT/versions,
// #/p/PROJECT/audit, #/p/PROJECT/r/ID (an experience's report), #/p/PROJECT/events,
// #/p/PROJECT/users and #/p/PROJECT/settings (admins).

import { allows, call, project, type AuditEntry, type Change, type Config, type Draft, type Experience, type Me, type Published, type Role, type Version } from './api.js';
import { DraftCopy } from './draft.js';
import { announce, h, replace, when } from './dom.js';
import { renderEditor } from './editor.js';
import { newExperience } from './kinds.js';
import { renderPreview } from './preview.js';
import { renderEvents, renderReport, versionFromPath } from './reports.js';
import { renderSettings } from './settings.js';
import { renderUsers } from './users.js';
import { renderWhole } from './whole.js';

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
let me: Me | null = null;
let open: DraftCopy | null = null;
/** The page shown last, and where to go back to after signing in again. */
let lastPage = '#/';
let returnTo: string | null = null;

function roleIn(name: string): Role | undefined {
  return me?.projects.find((p) => p.project === name)?.role;
}

function heading(text: string): HTMLHeadingElement {
  return h('h1', { tabindex: '-1' }, text);
}

function problemText(message: string): HTMLElement {
  return h('p', { class: 'problem', role: 'alert' }, message);
}

function renderNav(current: string | null): void {
  if (!me || current === null) {
    replace(nav);
    return;
  }
  const base = `#/p/${encodeURIComponent(current)}`;
  const link = (href: string, text: string) => h('a', { href, 'aria-current': location.hash === href ? 'page' : undefined }, text);
  const signOut = h('button', { type: 'button', class: 'link' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    await call('DELETE', '/session');
    me = null;
    location.hash = '#/sign-in';
  });
  replace(nav, h('ul', {},
    h('li', {}, link(base, 'Experiences')),
    h('li', {}, link(`${base}/json`, 'JSON')),
    h('li', {}, link(`${base}/events`, 'Events')),
    h('li', {}, link(`${base}/versions`, 'Versions')),
    h('li', {}, link(`${base}/audit`, 'Audit log')),
    allows(roleIn(current), 'admin') ? h('li', {}, link(`${base}/users`, 'Users')) : null,
    allows(roleIn(current), 'admin') ? h('li', {}, link(`${base}/settings`, 'Settings')) : null,
    h('li', { class: 'who' }, `${me.name} (${roleIn(current) ?? 'no role'})`, ' ', signOut)));
}

// Sign in.
function renderSignIn(): void {
  const message = h('p', { class: 'problem', id: 'sign-in-problem', role: 'alert' });
  const name = h('input', { id: 'name', name: 'username', autocomplete: 'username', required: true, 'aria-describedby': 'sign-in-problem' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'aria-describedby': 'sign-in-problem' });
  const form = h('form', { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('div', { class: 'field' }, h('label', { for: 'name' }, 'User name'), name),
    h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password),
    message,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.textContent = '';
    const answer = await call<Me>('POST', '/session', { name: name.value, password: password.value });
    if (!answer.ok) {
      message.textContent = answer.problem.message;
      password.select();
      return;
    }
    me = answer.value;
    const first = me.projects[0]?.project;
    const back = returnTo;
    returnTo = null;
    location.hash = back ?? (first ? `#/p/${encodeURIComponent(first)}` : '#/none');
  });
  replace(main, h('h1', { id: 'sign-in-title', tabindex: '-1' }, 'Sign in to the console'), form);
  name.focus();
}

async function loadDraft(name: string): Promise<DraftCopy | null> {
  const answer = await call<Draft>('GET', `${project(name)}/draft`);
  if (!answer.ok) {
    replace(main, heading('The draft could not be loaded'), problemText(answer.problem.message));
    return null;
  }
  return new DraftCopy(name, answer.value, allows(roleIn(name), 'editor'));
}

async function activeConfig(name: string): Promise<{ version: number; config: Config } | null> {
  const versions = await call<Version[]>('GET', `${project(name)}/versions`);
  const active = versions.ok ? versions.value.find((v) => v.active) : undefined;
  if (!active) return null;
  return versionConfig(name, active.version);
}

interface QuestionFigures { type: string; score?: number | null }
interface SurveyReport { responses: number; completion_rate: number | null; questions: QuestionFigures[] }
interface TourFunnel { funnel: { steps: Array<{ count: number; conversion_from_start: { rate: number | null } | null }> } }

interface VariantFigures { key: string; conversion_rate: number | null }
interface ExperimentReport { exposures: number; goal: string; srm_flag: boolean; variants: VariantFigures[] }

const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);
const wholePercent = (rate: number | null | undefined) => (rate === null || rate === undefined || !Number.isFinite(rate) ? '—' : `${Math.round(rate * 100)}%`);

/** A tour's headline: how many started it, and the share of them who completed it. */
async function tourHeadline(name: string, id: string): Promise<string> {
  const answer = await call<TourFunnel>('GET', `${project(name)}/reports/tours/${encodeURIComponent(id)}`);
  if (!answer.ok) return 'Report unavailable';
  const steps = answer.value.funnel.steps;
  const started = steps[0]?.count ?? 0;
  if (started === 0) return 'Not started yet';
  return `${started} started · ${wholePercent(steps[steps.length - 1]?.conversion_from_start?.rate)} completed`;
}

async function experimentHeadline(name: string, key: string): Promise<string> {
  const answer = await call<ExperimentReport>('GET', `${project(name)}/reports/experiments/${encodeURIComponent(key)}`);
  if (!answer.ok) return answer.problem.error === 'unknown_experiment' ? 'No exposures yet' : 'Report unavailable';
  const report = answer.value;
  const rates = report.variants.map((v) => `${v.key} ${percent(v.conversion_rate)}`).join(' · ');
  return `${report.exposures} exposed; ${report.goal}: ${rates}${report.srm_flag ? ' · sample ratio warning' : ''}`;
}

async function headline(name: string, experience: Experience): Promise<string> {
  const experiment = experience.experiment as { key?: unknown } | undefined;
  if (experiment && typeof experiment.key === 'string') return experimentHeadline(name, experiment.key);
  if (typeof experience.id !== 'string') return 'No id, so no report';
  if (experience.kind === 'tour') return tourHeadline(name, experience.id);
  if (experience.kind !== 'survey') return 'No figure of its own (see Events)';
  const answer = await call<SurveyReport>('GET', `${project(name)}/reports/surveys/${encodeURIComponent(experience.id)}`);
  if (!answer.ok) return answer.problem.error === 'unknown_survey' ? 'No responses yet' : 'Report unavailable';
  const nps = answer.value.questions.find((q) => q.type === 'nps');
  const score = nps && typeof nps.score === 'number' ? ` · NPS ${Math.round(nps.score)}` : '';
  const n = answer.value.responses;
  const completion = n > 0 ? ` · ${wholePercent(answer.value.completion_rate)} completed` : '';
  return `${n} response${n === 1 ? '' : 's'}${score}${completion}`;
}

/** What the list says of an experience's state: draft (never published), live, paused or ended. */
function state(experience: Experience, live: Config | undefined): { label: string; live: string | null } {
  const published = live?.experiences?.find((e) => e.id === experience.id);
  if (!published) return { label: 'Draft', live: null };
  const now = published.state === 'paused' ? 'Paused' : published.state === 'ended' ? 'Ended' : 'Live';
  return { label: JSON.stringify(published) === JSON.stringify(experience) ? now : `${now}, edited in draft`, live: now };
}

/** Pause, Resume and End for a published experience: each publishes a new version. */
function stateActions(name: string, id: string, live: string): HTMLElement {
  const result = h('span', { class: 'kind', role: 'status' });
  const button = (label: string, to: 'live' | 'paused' | 'ended') => {
    const b = h('button', { type: 'button', 'aria-label': `${label} ${id}` }, label);
    b.addEventListener('click', async () => {
      b.disabled = true;
      const done = await call<Published>('POST', `${project(name)}/experiences/${encodeURIComponent(id)}/state`, { state: to });
      if (done.ok) {
        announce(`${id} is ${to === 'live' ? 'live again' : to}, as version ${done.value.version}.`);
        await renderList(name);
        main.querySelector<HTMLElement>(`button[aria-label="${CSS.escape(`${to === 'live' ? 'Pause' : 'Resume'} ${id}`)}"]`)?.focus();
      } else {
        result.textContent = `Not changed: ${done.problem.message}`;
        b.disabled = false;
      }
    });
    return b;
  };
  const buttons = live === 'Live' ? [button('Pause', 'paused'), button('End', 'ended')]
    : live === 'Paused' ? [button('Resume', 'live'), button('End', 'ended')]
      : [button('Resume', 'live')];
  return h('span', { class: 'state-actions' }, ...buttons, result);
}

// The experiences of a project.
async function renderList(name: string): Promise<void> {
  const [draft, live] = await Promise.all([loadDraft(name), activeConfig(name)]);
  if (!draft) return;
  open = draft;
  const experiences = draft.config.experiences ?? [];
  const canPublish = allows(roleIn(name), 'publisher');
  const rows = await Promise.all(experiences.map(async (experience, index) => {
    const id = typeof experience.id === 'string' ? experience.id : `(no id) ${index + 1}`;
    const shown = state(experience, live?.config);
    return h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `#/p/${encodeURIComponent(name)}/e/${index}` }, id), h('span', { class: 'kind' }, typeof experience.kind === 'string' ? experience.kind : 'no kind')),
      h('td', {}, shown.label, shown.live && canPublish && typeof experience.id === 'string' ? stateActions(name, experience.id, shown.live) : null),
      h('td', {}, await headline(name, experience),
        typeof experience.id === 'string' ? h('a', { class: 'kind', href: `#/p/${encodeURIComponent(name)}/r/${encodeURIComponent(experience.id)}` }, 'Report') : null));
  }));
  const removed = (live?.config.experiences ?? []).filter((e) => !experiences.some((d) => d.id === e.id));
  const create = (kind: 'survey' | 'tour' | 'content' | 'experiment', label: string) => {
    const button = h('button', { type: 'button', class: kind === 'survey' ? 'primary' : undefined }, label);
    button.addEventListener('click', () => {
      const made = newExperience(kind, new Set(experiences.map((e) => e.id)));
      draft.edit((config) => { config.experiences = [...(config.experiences ?? []), made]; });
      location.hash = `#/p/${encodeURIComponent(name)}/e/${(draft.config.experiences ?? []).length - 1}`;
    });
    return button;
  };
  replace(main,
    heading(`Experiences in ${name}`),
    h('p', {}, live ? `Version ${live.version} is live. ` : 'Nothing is published yet. ', `The draft is at revision ${draft.revision}`, draft.errors.length ? `, with ${draft.errors.length} error(s).` : '.'),
    draft.canSave ? h('p', { class: 'actions' }, create('survey', 'New NPS survey'), create('tour', 'New tour'), create('content', 'New content change'), create('experiment', 'New experiment')) : null,
    h('div', { class: 'table' }, h('table', {},
      h('caption', {}, 'Tours, surveys, content and experiments in the draft'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Experience'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Headline'))),
      h('tbody', {}, ...rows))),
    removed.length ? h('p', {}, `Live but removed in the draft: ${removed.map((e) => String(e.id)).join(', ')}.`) : null);
}

/** A published version's config, if there is such a version. */
async function versionConfig(name: string, version: number): Promise<{ version: number; config: Config } | null> {
  const one = await call<{ config: Config }>('GET', `${project(name)}/versions/${version}`);
  return one.ok ? { version, config: one.value.config } : null;
}

async function renderReportPage(name: string, id: string, version: number | null): Promise<void> {
  // A report of one version names its questions and steps as that version defined them.
  const [draft, live] = await Promise.all([call<Draft>('GET', `${project(name)}/draft`), version === null ? activeConfig(name) : versionConfig(name, version)]);
  const experience = live?.config.experiences?.find((e) => e.id === id) ?? (draft.ok ? draft.value.config.experiences?.find((e) => e.id === id) : undefined);
  await renderReport(main, { name, id, version }, experience);
}

async function renderEditorPage(name: string, index: number): Promise<void> {
  // The list may have just added an experience to the open copy: keep it, unsaved edits and all.
  const draft = open && open.projectName === name ? open : await loadDraft(name);
  if (!draft) return;
  open = draft;
  draft.unwatch();
  renderEditor(main, draft, index, roleIn(name));
  const preview = renderPreview(draft, index);
  if (preview) main.append(preview);
  if (draft.state.kind === 'failed') void draft.flush();
}

async function renderWholePage(name: string): Promise<void> {
  const draft = open && open.projectName === name ? open : await loadDraft(name);
  if (!draft) return;
  open = draft;
  draft.unwatch();
  renderWhole(main, draft, roleIn(name));
  if (draft.state.kind === 'failed') void draft.flush();
}

function describeChange(change: Change): HTMLElement {
  const show = (value: unknown) => h('code', {}, JSON.stringify(value));
  const verb = { added: 'Added', removed: 'Removed', changed: 'Changed' }[change.op];
  return h('li', { class: change.op }, h('strong', {}, verb), ' ', h('code', {}, change.pointer || '/'), ': ',
    change.op === 'changed' ? h('span', {}, show(change.before), ' → ', show(change.after)) : show(change.op === 'added' ? change.after : change.before));
}

async function renderVersions(name: string): Promise<void> {
  const answer = await call<Version[]>('GET', `${project(name)}/versions`);
  if (!answer.ok) {
    replace(main, heading('Versions'), problemText(answer.problem.message));
    return;
  }
  const versions = answer.value;
  const canRollBack = allows(roleIn(name), 'publisher');
  const result = h('p', { role: 'status' });
  const diff = h('section', { 'aria-labelledby': 'diff-title' });
  const rows = versions.map((v) => {
    let action: HTMLElement | string = v.active ? 'Live' : '';
    if (!v.active && canRollBack) {
      const button = h('button', { type: 'button' }, `Roll back to version ${v.version}`);
      button.addEventListener('click', async () => {
        button.disabled = true;
        const done = await call<Published>('POST', `${project(name)}/rollback`, { version: v.version });
        if (done.ok) {
          announce(`Version ${v.version} is live again, as version ${done.value.version}.`);
          await renderVersions(name);
        } else {
          result.textContent = `Not rolled back: ${done.problem.message}`;
          button.disabled = false;
        }
      });
      action = button;
    }
    return h('tr', {},
      h('th', { scope: 'row' }, String(v.version), v.rolled_back_from ? h('span', { class: 'kind' }, `rollback to ${v.rolled_back_from}`) : null),
      h('td', {}, when(v.published_at), h('span', { class: 'kind' }, `by ${v.key_id.replace(/^console:/, '')}`)),
      h('td', {}, action));
  });
  const choices = ['draft', ...versions.map((v) => String(v.version))];
  const picker = (id: string, label: string, chosen: string) => {
    const select = h('select', { id }, ...choices.map((c) => h('option', { value: c, selected: c === chosen }, c === 'draft' ? 'the draft' : `version ${c}`)));
    return { select, field: h('div', { class: 'field inline' }, h('label', { for: id }, label), select) };
  };
  const from = picker('diff-from', 'From', versions[1] ? String(versions[1].version) : versions[0] ? String(versions[0].version) : 'draft');
  const to = picker('diff-to', 'To', versions[0] ? 'draft' : 'draft');
  const show = h('button', { type: 'submit' }, 'Show changes');
  const list = h('ul', { class: 'changes', 'aria-live': 'polite' });
  const form = h('form', { class: 'diff-form' }, from.field, to.field, show);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const changes = await call<{ changes: Change[] }>('GET', `${project(name)}/diff?from=${from.select.value}&to=${to.select.value}`);
    if (!changes.ok) replace(list, h('li', {}, changes.problem.message));
    else if (changes.value.changes.length === 0) replace(list, h('li', {}, 'No changes.'));
    else replace(list, ...changes.value.changes.map(describeChange));
  });
  replace(diff, h('h2', { id: 'diff-title' }, 'Compare'), form, list);
  replace(main, heading(`Versions of ${name}`),
    versions.length === 0 ? h('p', {}, 'Nothing is published yet.') : h('div', { class: 'table' }, h('table', {},
      h('caption', {}, 'Published versions, newest first (a published version never changes)'),
      h('thead', {}, h('tr', {}, ...['Version', 'Published', 'Action'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...rows))),
    result, diff);
}

async function renderAudit(name: string): Promise<void> {
  const answer = await call<{ entries: AuditEntry[] }>('GET', `${project(name)}/audit`);
  if (!answer.ok) {
    replace(main, heading('Audit log'), problemText(answer.problem.message));
    return;
  }
  const what = (e: AuditEntry) => {
    switch (e.action) {
      case 'published': return `Published version ${e.version ?? '?'}`;
      case 'rolled_back': return `Rolled back to version ${e.from_version ?? '?'} (as version ${e.version ?? '?'})`;
      case 'draft_saved': return `Edited the draft (revision ${e.version ?? '?'})`;
      case 'paused': return `Paused ${e.experience ?? '?'} (version ${e.version ?? '?'})`;
      case 'resumed': return `Resumed ${e.experience ?? '?'} (version ${e.version ?? '?'})`;
      case 'ended': return `Ended ${e.experience ?? '?'} (version ${e.version ?? '?'})`;
      case 'user_added': return `Added ${e.user ?? '?'} as ${e.role ?? '?'}`;
      case 'role_changed': return `Made ${e.user ?? '?'} ${e.role ?? '?'}`;
      case 'user_removed': return `Removed ${e.user ?? '?'} from the project`;
      case 'origins_changed': return e.setting ? `Let pages at ${e.setting} send events` : 'Let pages anywhere send events';
      case 'key_rotated': return `Rotated the ${e.setting ?? '?'} key`;
    }
  };
  replace(main, heading(`Audit log of ${name}`),
    answer.value.entries.length === 0 ? h('p', {}, 'Nothing has happened yet.') : h('div', { class: 'table' }, h('table', {},
      h('caption', {}, 'Who changed, published or rolled back what, newest first'),
      h('thead', {}, h('tr', {}, ...['When', 'Who', 'What'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...answer.value.entries.map((e) => h('tr', {}, h('td', {}, when(e.at)), h('td', {}, e.actor), h('td', {}, what(e))))))));
}

async function route(): Promise<void> {
  if (!me) {
    const answer = await call<Me>('GET', '/session');
    if (answer.ok) me = answer.value;
  }
  const hash = location.hash || '#/';
  const [, kind, name, page, arg, detail] = hash.split('/').map((p) => decodeURIComponent(p));
  if (!me || kind === 'sign-in') {
    // A copy with changes the server does not have survives signing in again: the editor
    // it came from gets it back, and saves it.
    if (open && open.settled) { open.close(); open = null; }
    if (open) returnTo = lastPage;
    renderNav(null);
    renderSignIn();
    return;
  }
  lastPage = hash;
  if (kind !== 'p' || !name) {
    const first = me.projects[0]?.project;
    if (first) location.hash = `#/p/${encodeURIComponent(first)}`;
    else replace(main, heading('No projects'), h('p', {}, 'You have no role in any project yet; ask an admin.'));
    return;
  }
  if (open && (open.projectName !== name || (page !== 'e' && page !== 'json'))) {
    if (!open.settled && open.canSave) await open.flush();
    open.close();
    open = null;
  }
  renderNav(name);
  if (page === 'e' && arg !== undefined) await renderEditorPage(name, Number(arg));
  else if (page === 'json') await renderWholePage(name);
  else if (page === 'versions') await renderVersions(name);
  else if (page === 'audit') await renderAudit(name);
  else if (page === 'r' && arg) await renderReportPage(name, arg, versionFromPath(detail));
  else if (page === 'events') await renderEvents(main, name);
  else if (page === 'users') await renderUsers(main, name, me.name);
  else if (page === 'settings') await renderSettings(main, name);
  else await renderList(name);
  main.querySelector<HTMLElement>('h1')?.focus();
}

window.addEventListener('hashchange', () => void route());
void route();
