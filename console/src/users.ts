// The users page, for a project's admins: who has a role in the project, adding a user,
// changing a role and taking the project away. The server does each with the command line's
// accounts code and records it in the audit log.

import { call, project, type Role } from './api.js';
import { announce, h, replace, uid } from './dom.js';

interface ProjectUser { name: string; role: Role; created_at: number }

const ROLES: Array<[Role, string]> = [['viewer', 'Viewer (reads)'], ['editor', 'Editor (drafts)'], ['publisher', 'Publisher (publishes)'], ['admin', 'Admin (users)']];

function roleSelect(id: string, chosen: Role, label?: string): HTMLSelectElement {
  return h('select', { id, 'aria-label': label }, ...ROLES.map(([role, text]) => h('option', { value: role, selected: role === chosen }, text)));
}

/** Renders the users of `name` into `main`; `me` is the signed-in admin. */
export async function renderUsers(main: HTMLElement, name: string, me: string): Promise<void> {
  const answer = await call<ProjectUser[]>('GET', `${project(name)}/users`);
  const problem = h('p', { class: 'problem', role: 'alert', id: 'users-problem' });
  if (!answer.ok) {
    replace(main, h('h1', { tabindex: '-1' }, 'Users'), problem);
    problem.textContent = answer.problem.message;
    return;
  }
  const body = h('tbody');
  const show = (users: ProjectUser[]) => replace(body, ...users.map((user) => {
    const select = roleSelect(uid('role'), user.role, `Role of ${user.name}`);
    const self = user.name === me;
    select.disabled = self;
    select.addEventListener('change', async () => {
      problem.textContent = '';
      const done = await call<ProjectUser[]>('PUT', `${project(name)}/users/${encodeURIComponent(user.name)}`, { role: select.value });
      if (!done.ok) { problem.textContent = `Not changed: ${done.problem.message}`; select.value = user.role; return; }
      announce(`${user.name} is now ${select.value}.`);
      show(done.value);
      main.querySelector<HTMLElement>(`select[aria-label="${CSS.escape(`Role of ${user.name}`)}"]`)?.focus();
    });
    const remove = h('button', { type: 'button', disabled: self }, `Remove ${user.name}`);
    remove.addEventListener('click', async () => {
      problem.textContent = '';
      const done = await call<ProjectUser[]>('DELETE', `${project(name)}/users/${encodeURIComponent(user.name)}`);
      if (!done.ok) { problem.textContent = `Not removed: ${done.problem.message}`; return; }
      announce(`${user.name} no longer has a role in ${name}.`);
      show(done.value);
      main.querySelector<HTMLElement>('#user-name')?.focus();
    });
    return h('tr', {},
      h('th', { scope: 'row' }, user.name, self ? h('span', { class: 'kind' }, 'you') : null,
        h('span', { class: 'kind' }, `since ${new Date(user.created_at).toLocaleDateString(undefined, { dateStyle: 'medium' })}`)),
      h('td', {}, select, h('div', { class: 'member-action' }, self ? h('span', { class: 'kind' }, 'Another admin can change your role.') : remove)));
  }));
  show(answer.value);

  const newName = h('input', { id: 'user-name', autocomplete: 'off', required: true, 'aria-describedby': 'user-name-hint users-problem' });
  const password = h('input', { id: 'user-password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10, 'aria-describedby': 'user-password-hint users-problem' });
  const role = roleSelect('user-role', 'viewer');
  // The server's refusals say what is wrong (the name, the password, the role), so the
  // browser's own validation bubbles are not used.
  const form = h('form', { class: 'add-user', novalidate: true, 'aria-labelledby': 'add-user-title' },
    h('h2', { id: 'add-user-title' }, 'Add a user'),
    h('div', { class: 'field' }, h('label', { for: 'user-name' }, 'User name'), h('p', { class: 'hint', id: 'user-name-hint' }, 'Letters, digits, ., _, - or @; what they sign in with.'), newName),
    h('div', { class: 'field' }, h('label', { for: 'user-password' }, 'First password'), h('p', { class: 'hint', id: 'user-password-hint' }, 'At least 10 characters; tell it to them yourself.'), password),
    h('div', { class: 'field' }, h('label', { for: 'user-role' }, 'Role'), role),
    h('button', { type: 'submit', class: 'primary' }, 'Add the user'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.textContent = '';
    const done = await call<ProjectUser[]>('POST', `${project(name)}/users`, { name: newName.value.trim(), password: password.value, role: role.value });
    if (!done.ok) { problem.textContent = `Not added: ${done.problem.message}`; newName.focus(); return; }
    announce(`${newName.value.trim()} can now sign in as ${role.value}.`);
    show(done.value);
    newName.value = '';
    password.value = '';
    newName.focus();
  });
  replace(main,
    h('h1', { tabindex: '-1' }, `Users of ${name}`),
    problem,
    h('div', { class: 'table users-table' }, h('table', {},
      h('caption', {}, 'Who may sign in to this project, and what each may do'),
      h('thead', {}, h('tr', {}, ...['User', 'Role'].map((t) => h('th', { scope: 'col' }, t)))),
      body)),
    h('section', { class: 'add-user' }, form));
}
