// Ledgerly: a small invoicing dashboard, standing in for a customer's product. It knows
// nothing about Waymark beyond the public API (window.waymark.track / identify / reset); the
// tour, the surveys and the content changes come from the project's config
// (demo-site/waymark.json), aimed at what any app has: data-waymark attributes, ids, a web
// component, a panel that renders late, layout variants marked up in advance.
const customers = [
  { id: 'c1', name: 'Northwind Traders', email: 'ap@northwind.example', plan: 'Enterprise', open: 4 },
  { id: 'c2', name: 'Blue Harbor Studio', email: 'billing@blueharbor.example', plan: 'Pro', open: 1 },
  { id: 'c3', name: 'Kestrel Logistics', email: 'finance@kestrel.example', plan: 'Pro', open: 2 },
  { id: 'c4', name: 'Maple & Co', email: 'hello@maple.example', plan: 'Starter', open: 0 },
];
const invoices = [
  { number: 'INV-1042', customer: 'Northwind Traders', amount: 12400, status: 'Overdue', due: '2026-11-02' },
  { number: 'INV-1043', customer: 'Blue Harbor Studio', amount: 1850, status: 'Sent', due: '2026-11-28' },
  { number: 'INV-1044', customer: 'Kestrel Logistics', amount: 5320, status: 'Paid', due: '2026-11-15' },
  { number: 'INV-1045', customer: 'Northwind Traders', amount: 980, status: 'Draft', due: '2026-12-05' },
];
const activity = [
  ['Kestrel Logistics paid INV-1044', '2 hours ago'],
  ['INV-1043 was opened by Blue Harbor Studio', 'yesterday'],
  ['A reminder for INV-1042 went to Northwind Traders', '3 days ago'],
];
const plans = [
  { name: 'Starter', monthly: 9, annual: 86, features: ['50 invoices a month', 'Card payments', 'E-mail reminders'] },
  { name: 'Pro', monthly: 29, annual: 278, features: ['Unlimited invoices', 'Bank reconciliation', 'Recurring invoices'], current: true },
  { name: 'Business', monthly: 79, annual: 758, features: ['Everything in Pro', 'Multi-currency', 'Approvals and roles'] },
];
const USER = { id: 'user_dana', first_name: 'Dana', last_name: 'Whitfield', plan: 'Pro', company: 'Ledgerly Demo GmbH' };

const money = (n) => new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' }).format(n);
const el = (html) => { const t = document.createElement('template'); t.innerHTML = html.trim(); return t.content; };
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function toast(message) {
  const node = document.getElementById('toast');
  node.textContent = message;
  node.classList.add('shown');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => node.classList.remove('shown'), 2500);
}

// A web component with an open shadow root, as design systems ship them: the forecast card
// inside it is a tour target that only a search of shadow roots finds.
customElements.define('ledgerly-cashflow', class extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: 'open' });
    const points = [38, 44, 41, 52, 58, 63];
    root.innerHTML = `<style>
      :host { display: block; }
      .card { height: 100%; box-sizing: border-box; background: #fff; border: 1px solid #e3e7ef; border-radius: .75rem; padding: 1rem 1.25rem; font-family: system-ui, sans-serif; color: #1d2433; }
      h2 { font-size: 1rem; color: #5d6678; margin: 0 0 .5rem; }
      .figure { font-size: 1.6rem; font-weight: 650; margin: 0; }
      .spark { display: flex; align-items: flex-end; gap: 4px; height: 2rem; margin-top: .5rem; }
      .spark span { flex: 1; background: #c9d4fb; border-radius: 2px 2px 0 0; }
      .spark span:last-child { background: #3454d1; }
      p.note { margin: .35rem 0 0; font-size: .8rem; color: #17714a; }
    </style>
    <section class="card" data-waymark="cashflow-forecast" aria-label="Cash flow forecast">
      <h2>Cash flow, next 30 days</h2>
      <p class="figure">${money(18650)}</p>
      <div class="spark" aria-hidden="true">${points.map((p) => `<span data-h="${p}"></span>`).join('')}</div>
      <p class="note">+12% on last month</p>
    </section>`;
    for (const bar of root.querySelectorAll('.spark span')) bar.style.height = `${bar.dataset.h}%`;
  }
});

// The dashboard's activity feed "comes from the server" 1.5 s after the page renders.
let feedTimer;
function loadActivityFeed() {
  clearTimeout(feedTimer);
  feedTimer = setTimeout(() => {
    const slot = document.getElementById('activity-slot');
    if (!slot) return;
    slot.replaceWith(el(`
      <section class="panel" data-waymark="activity-feed" aria-labelledby="activity-title">
        <h2 id="activity-title">Recent activity</h2>
        <ul class="feed">${activity.map(([what, when]) => `<li><span>${escape(what)}</span><time>${when}</time></li>`).join('')}</ul>
      </section>`));
  }, 1500);
}

const pages = {
  '/': {
    title: 'Dashboard',
    render: () => {
      const outstanding = invoices.filter((i) => i.status !== 'Paid').reduce((a, i) => a + i.amount, 0);
      loadActivityFeed();
      return el(`
        <h1 id="greeting">Good to see you</h1>
        <p class="lede">Here is where your invoicing stands today.</p>
        <section class="cards" aria-label="Summary">
          <article class="card" data-waymark="card-outstanding"><h2>Outstanding</h2><p class="figure">${money(outstanding)}</p></article>
          <article class="card" data-waymark="card-overdue"><h2>Overdue</h2><p class="figure">${invoices.filter((i) => i.status === 'Overdue').length} invoice</p></article>
          <ledgerly-cashflow></ledgerly-cashflow>
        </section>
        <div class="columns">
          <section class="panel" data-waymark="getting-started" aria-labelledby="start-title">
            <h2 id="start-title">Getting started</h2>
            <ol class="checklist">
              <li>Add your company details in <a href="/settings" data-link>Settings</a></li>
              <li>Create your first invoice</li>
              <li>Connect a bank account for automatic reconciliation</li>
            </ol>
            <button class="button primary" data-action="new-invoice" data-waymark="new-invoice">New invoice</button>
          </section>
          <div id="activity-slot" class="panel skeleton" aria-busy="true"><h2>Recent activity</h2><p class="muted">Loading…</p></div>
        </div>`);
    },
  },
  '/invoices': {
    title: 'Invoices',
    render: () => el(`
      <div class="page-head">
        <h1>Invoices</h1>
        <div class="actions">
          <button class="button" data-action="export" data-waymark="export-csv">Export CSV</button>
          <button class="button primary" data-action="new-invoice" data-waymark="new-invoice">New invoice</button>
        </div>
      </div>
      <div class="table-wrap">
        <table class="table" data-waymark="invoice-table">
          <caption class="visually-hidden">Invoices</caption>
          <thead><tr><th scope="col">Number</th><th scope="col">Customer</th><th scope="col">Due</th><th scope="col">Status</th><th scope="col" class="num">Amount</th></tr></thead>
          <tbody>${invoices.map((i) => `<tr><td>${i.number}</td><td>${escape(i.customer)}</td><td>${i.due}</td><td><span class="status ${i.status.toLowerCase()}">${i.status}</span></td><td class="num">${money(i.amount)}</td></tr>`).join('')}</tbody>
        </table>
      </div>`),
  },
  '/customers': {
    title: 'Customers',
    render: () => el(`
      <div class="page-head"><h1>Customers</h1><button class="button primary" data-action="add-customer" data-waymark="add-customer">Add customer</button></div>
      <ul class="list">${customers.map((c) => `<li><strong>${escape(c.name)}</strong><span>${escape(c.email)}</span><span class="tag">${c.plan}</span><span>${c.open} open</span></li>`).join('')}</ul>`),
  },
  '/reports': {
    title: 'Reports',
    render: () => el(`
      <div class="page-head"><h1>Reports</h1><button class="button" data-action="export" data-waymark="export-report">Export report</button></div>
      <section class="panel" data-waymark="revenue-chart" aria-labelledby="revenue-title">
        <h2 id="revenue-title">Revenue, last 6 months</h2>
        <div class="bars" role="img" aria-label="Revenue rising from 42 to 66 thousand euros">${[42, 55, 48, 61, 70, 66].map((v) => `<div class="bar" data-h="${v}"></div>`).join('')}</div>
      </section>`),
  },
  // Two layouts of the plans page, both in the markup; a content experiment shows one.
  // Without Waymark (or outside the experiment) the first is what everyone sees.
  '/plans': {
    title: 'Plans & billing',
    render: () => el(`
      <h1>Plans &amp; billing</h1>
      <p class="lede">You are on <strong>Pro</strong>, billed monthly. Change plans at any time.</p>
      <section class="plans" data-waymark-variant="pricing-a" aria-label="Plans, monthly prices">
        ${plans.map((p) => `
          <article class="plan${p.current ? ' current' : ''}">
            <h2>${p.name}</h2>
            <p class="price">${money(p.monthly)}<span> / month</span></p>
            <ul>${p.features.map((f) => `<li>${f}</li>`).join('')}</ul>
            ${p.current ? '<p class="badge">Your plan</p>' : `<button class="button primary" data-action="upgrade" data-plan="${p.name}" data-layout="monthly">Switch to ${p.name}</button>`}
          </article>`).join('')}
      </section>
      <section class="plans annual" data-waymark-variant="pricing-b" aria-label="Plans, annual prices" hidden>
        ${plans.map((p) => `
          <article class="plan${p.name === 'Business' ? ' recommended' : ''}${p.current ? ' current' : ''}">
            ${p.name === 'Business' ? '<p class="ribbon">Most popular</p>' : ''}
            <h2>${p.name}</h2>
            <p class="price">${money(Math.round(p.annual / 12))}<span> / month, billed yearly</span></p>
            <p class="saving">Save ${money(p.monthly * 12 - p.annual)} a year</p>
            <ul>${p.features.map((f) => `<li>${f}</li>`).join('')}</ul>
            ${p.current ? '<button class="button" data-action="upgrade" data-plan="Pro" data-layout="annual">Pay yearly</button>' : `<button class="button primary" data-action="upgrade" data-plan="${p.name}" data-layout="annual">Switch to ${p.name}</button>`}
          </article>`).join('')}
      </section>`),
  },
  '/settings': {
    title: 'Settings',
    render: () => el(`
      <h1>Settings</h1>
      <form class="panel form" id="settings" data-waymark="settings-form">
        <label>Company name <input name="company" value="Ledgerly Demo GmbH"></label>
        <label>Invoice prefix <input name="prefix" value="INV-"></label>
        <label>Default payment terms <select name="terms"><option>14 days</option><option selected>30 days</option><option>60 days</option></select></label>
        <button class="button primary" type="submit" data-waymark="save-settings">Save settings</button>
      </form>`),
  },
};

function render() {
  const page = pages[location.pathname] ?? { title: 'Not found', render: () => el('<h1>Page not found</h1><p><a href="/" data-link>Back to the dashboard</a></p>') };
  document.title = `${page.title} · Ledgerly`;
  clearTimeout(feedTimer);
  const view = document.getElementById('view');
  view.replaceChildren(page.render());
  // Heights from data attributes, so that the markup carries no style attributes.
  for (const bar of view.querySelectorAll('.bar[data-h]')) bar.style.height = `${bar.dataset.h}%`;
  for (const link of document.querySelectorAll('.sidebar a[data-link]')) {
    if (link.getAttribute('href') === location.pathname) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function navigate(path) {
  if (path === location.pathname) return;
  history.pushState({}, '', path);
  render();
  document.getElementById('view').focus({ preventScroll: true });
}

function exportCsv() {
  const rows = [['number', 'customer', 'due', 'status', 'amount'], ...invoices.map((i) => [i.number, i.customer, i.due, i.status, i.amount])];
  const csv = rows.map((r) => r.map((v) => `"${String(v).replace(/"/g, '""')}"`).join(',')).join('\n');
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  link.download = 'ledgerly-invoices.csv';
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  window.waymark.track('export_completed', { format: 'csv', rows: invoices.length, from: location.pathname });
  toast(`Exported ${invoices.length} invoices`);
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-link]');
  if (link && !event.metaKey && !event.ctrlKey && !event.shiftKey) {
    event.preventDefault();
    navigate(link.getAttribute('href'));
    return;
  }
  const button = event.target.closest('[data-action]');
  const action = button?.dataset.action;
  if (action === 'new-invoice') {
    const number = `INV-${1046 + invoices.length - 4}`;
    invoices.push({ number, customer: 'Maple & Co', amount: 640, status: 'Draft', due: '2026-12-20' });
    window.waymark.track('invoice_created', { number, amount: 640, currency: 'EUR', from: location.pathname });
    toast(`Draft ${number} created`);
    if (location.pathname === '/invoices') render();
  } else if (action === 'export') {
    exportCsv();
  } else if (action === 'add-customer') {
    window.waymark.track('customer_add_started');
    toast('Customer form coming soon');
  } else if (action === 'upgrade') {
    window.waymark.track('plan_upgrade_clicked', { plan: button.dataset.plan, layout: button.dataset.layout });
    toast(`${button.dataset.plan}: our team will confirm the change by e-mail`);
  }
});

document.addEventListener('submit', (event) => {
  if (event.target.id !== 'settings') return;
  event.preventDefault();
  window.waymark.track('settings_saved', { terms: new FormData(event.target).get('terms') });
  toast('Settings saved');
});

// Signing in tells Waymark who this is (the traits feed `user.*` in targeting and in text
// placeholders such as the dashboard greeting). The demo remembers it across reloads, as a
// session cookie would.
const account = document.getElementById('account');
const signInButton = document.getElementById('sign-in');
function showSignedIn() {
  const signOut = el('<button class="button ghost" id="sign-out">Sign out</button>').firstElementChild;
  // Logging out: the SDK forgets the user, the behaviour profile and the outbox; the app
  // starts over on the dashboard, as a real one would.
  signOut.addEventListener('click', () => {
    localStorage.removeItem('ledgerly:user');
    window.waymark.reset();
    location.assign('/');
  });
  account.replaceChildren(el(`<span class="user"><span class="avatar" aria-hidden="true">DW</span>${USER.first_name} ${USER.last_name} · ${USER.plan}</span>`), signOut);
}
signInButton.addEventListener('click', () => {
  const { id, ...traits } = USER;
  window.waymark.identify(id, traits);
  localStorage.setItem('ledgerly:user', id);
  showSignedIn();
  toast(`Signed in as ${USER.first_name}`);
});
if (localStorage.getItem('ledgerly:user')) showSignedIn();

window.addEventListener('popstate', render);
render();
