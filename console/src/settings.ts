// A project's settings, for its admins: the origins its pages may send events from, and its
// keys (by kind, prefix and dates; a rotated key's new value is shown once, on this page,
// and kept nowhere in the browser).

import { call, project } from './api.js';
import { announce, h, replace, when } from './dom.js';

interface Key { key_id: string; kind: 'public' | 'admin'; prefix: string; created_at: number; revoked_at: number | null }
interface Settings { origins: string[]; keys: Key[] }

/** Renders the settings of `name` into `main`. */
export async function renderSettings(main: HTMLElement, name: string): Promise<void> {
  const answer = await call<Settings>('GET', `${project(name)}/settings`);
  const problem = h('p', { class: 'problem', role: 'alert', id: 'settings-problem' });
  if (!answer.ok) {
    replace(main, h('h1', { tabindex: '-1' }, 'Settings'), problem);
    problem.textContent = answer.problem.message;
    return;
  }
  const origins = h('textarea', { id: 'origins', rows: 4, spellcheck: 'false', 'aria-describedby': 'origins-hint settings-problem' });
  origins.value = answer.value.origins.join('\n');
  const originsForm = h('form', { 'aria-labelledby': 'origins-title' },
    h('h2', { id: 'origins-title' }, 'Where pages may send events from'),
    h('div', { class: 'field' }, h('label', { for: 'origins' }, 'Origins'),
      h('p', { class: 'hint', id: 'origins-hint' }, 'One a line, such as https://app.example or http://localhost:3000; empty lets any origin send.'), origins),
    h('button', { type: 'submit', class: 'primary' }, 'Save the origins'));
  originsForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.textContent = '';
    const list = origins.value.split('\n').map((o) => o.trim()).filter((o) => o !== '');
    const done = await call<Settings>('PUT', `${project(name)}/origins`, { origins: list });
    if (!done.ok) { problem.textContent = `Not saved: ${done.problem.message}`; origins.focus(); return; }
    origins.value = done.value.origins.join('\n');
    announce(done.value.origins.length ? `Pages at ${done.value.origins.join(', ')} may send events.` : 'Pages anywhere may send events.');
  });

  const keysBody = h('tbody');
  const showKeys = (keys: Key[]) => replace(keysBody, ...keys.map((k) => h('tr', {},
    h('th', { scope: 'row' }, `${k.prefix}…`, h('span', { class: 'kind' }, k.kind)),
    h('td', {}, when(k.created_at), h('span', { class: 'kind' }, k.revoked_at === null ? 'in use' : `revoked ${when(k.revoked_at)}`)))));
  showKeys(answer.value.keys);
  const fresh = h('div', { class: 'new-key', role: 'status' });
  const rotate = (kind: 'public' | 'admin', label: string, warning: string) => {
    const button = h('button', { type: 'button' }, label);
    button.addEventListener('click', async () => {
      problem.textContent = '';
      button.disabled = true;
      const done = await call<{ key: string; settings: Settings }>('POST', `${project(name)}/keys/rotate`, { kind });
      button.disabled = false;
      if (!done.ok) { problem.textContent = `Not rotated: ${done.problem.message}`; return; }
      showKeys(done.value.settings.keys);
      const id = `new-${kind}-key`;
      replace(fresh, h('label', { for: id }, `The new ${kind} key (copy it now: it is not shown again)`),
        h('input', { id, type: 'text', readonly: true, value: done.value.key, spellcheck: 'false', autocomplete: 'off' }),
        h('p', { class: 'hint' }, warning));
      fresh.querySelector<HTMLInputElement>('input')?.select();
      fresh.querySelector<HTMLInputElement>('input')?.focus();
    });
    return button;
  };
  replace(main,
    h('h1', { tabindex: '-1' }, `Settings of ${name}`),
    problem,
    h('section', { class: 'settings' }, originsForm),
    h('section', { class: 'settings', 'aria-labelledby': 'keys-title' },
      h('h2', { id: 'keys-title' }, 'Keys'),
      h('p', { class: 'hint' }, 'Only their first characters are kept for showing; the collector stores a digest of each.'),
      h('div', { class: 'table' }, h('table', {},
        h('caption', {}, 'The project\'s keys, newest first'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Made'))),
        keysBody)),
      h('p', { class: 'item-actions' },
        rotate('public', 'Rotate the public key', 'Pages with the old public key can no longer send events: put the new one in your pages now.'),
        rotate('admin', 'Rotate the admin key', 'Scripts with the old admin key can no longer publish or read reports.')),
      fresh));
}
