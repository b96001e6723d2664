// The whole draft as JSON: features, policy and every experience, for what the forms do not
// edit (tours, content changes, experiments). Diagnostics are listed with their pointers.

import { allows, type Config, type Role } from './api.js';
import { describeSave, DraftCopy } from './draft.js';
import { h, replace } from './dom.js';

/** Renders the JSON view of the whole draft into `main`. */
export function renderWhole(main: HTMLElement, draft: DraftCopy, role: Role | undefined): void {
  draft.unreadable = false;
  const status = h('p', { class: 'save-status', id: 'save-status', 'aria-live': 'polite' });
  const syntax = h('p', { class: 'field-error', id: 'whole-syntax' });
  const list = h('ul', { class: 'diagnostics', id: 'whole-diagnostics', 'aria-label': 'Problems in the draft' });
  const json = h('textarea', { id: 'whole-json', class: 'json', rows: 28, spellcheck: 'false', 'aria-describedby': 'whole-syntax whole-diagnostics', disabled: !draft.canSave });
  json.value = JSON.stringify(draft.config, null, 2);
  // While the text is not a config, what the server has is not what the author sees.
  let broken = false;
  json.addEventListener('input', () => {
    broken = true;
    draft.unreadable = true;
    let parsed: unknown;
    try {
      parsed = JSON.parse(json.value);
    } catch (error) {
      syntax.textContent = `Not JSON yet, so not saved: ${(error as Error).message}`;
      json.setAttribute('aria-invalid', 'true');
      render();
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      syntax.textContent = 'A config is a JSON object ({…}); not saved.';
      json.setAttribute('aria-invalid', 'true');
      render();
      return;
    }
    broken = false;
    draft.unreadable = false;
    syntax.textContent = '';
    json.removeAttribute('aria-invalid');
    draft.replaceAll(parsed as Config);
  });
  const result = h('p', { class: 'publish-result', role: 'status' });
  const publish = h('button', { type: 'button', class: 'primary' }, 'Publish');
  publish.addEventListener('click', async () => {
    publish.disabled = true;
    result.textContent = 'Publishing…';
    result.textContent = (await draft.publish()).message;
    render();
  });
  function render(): void {
    replace(status, describeSave(draft, broken), draft.state.kind === 'failed' && draft.state.problem.status === 401 ? h('span', {}, ' ', h('a', { href: '#/sign-in' }, 'Sign in again')) : null);
    status.classList.toggle('bad', broken || draft.state.kind === 'failed' || draft.state.kind === 'conflict');
    replace(list, ...draft.diagnostics.map((d) => h('li', { class: d.severity }, h('strong', {}, d.severity === 'error' ? 'Error' : 'Warning'), ' at ', h('code', {}, d.pointer || '/'), `: ${d.message}`)));
    publish.disabled = broken || draft.errors.length > 0 || draft.state.kind === 'conflict';
  }
  draft.watch(render);
  replace(main,
    h('h1', { tabindex: '-1' }, `The whole draft of ${draft.projectName}`),
    status,
    h('section', { 'aria-labelledby': 'whole-title' },
      h('h2', { id: 'whole-title' }, h('label', { for: 'whole-json' }, 'Config (JSON)')),
      json, syntax, list),
    allows(role, 'publisher') ? h('div', { class: 'actions' }, publish, result) : null);
  render();
}
