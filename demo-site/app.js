// Ledgerly: a small invoicing dashboard, standing in for a customer's product. It knows
// nothing about Waymark beyond the public API (window.waymark.track / identify).
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

const pages = {
  '/': {
    title: 'Dashboard',
    render: () => {
      const outstanding = invoices.filter((i) => i.status !== 'Paid').reduce((a, i) => a + i.amount, 0);
      return el(`
        <h1>Good morning</h1>
        <section class="cards">
          <article class="card" data-waymark="card-outstanding"><h2>Outstanding</h2><p class="figure">${money(outstanding)}</p></article>
          <article class="card" data-waymark="card-overdue"><h2>Overdue</h2><p class="figure">${invoices.filter((i) => i.status === 'Overdue').length} invoices</p></article>
          <article class="card" data-waymark="card-customers"><h2>Customers</h2><p class="figure">${customers.length}</p></article>
        </section>
        <section class="panel" data-waymark="getting-started">
          <h2>Getting started</h2>
          <ol class="checklist">
            <li>Add your company details in <a href="/settings" data-link>Settings</a></li>
            <li>Create your first invoice</li>
            <li>Connect a bank account for automatic reconciliation</li>
          </ol>
          <button class="button primary" data-action="new-invoice" data-waymark="new-invoice">New invoice</button>
        </section>`);
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
      <table class="table" data-waymark="invoice-table">
        <thead><tr><th>Number</th><th>Customer</th><th>Due</th><th>Status</th><th class="num">Amount</th></tr></thead>
        <tbody>${invoices.map((i) => `<tr><td>${i.number}</td><td>${escape(i.customer)}</td><td>${i.due}</td><td><span class="status ${i.status.toLowerCase()}">${i.status}</span></td><td class="num">${money(i.amount)}</td></tr>`).join('')}</tbody>
      </table>`),
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
      <h1>Reports</h1>
      <section class="panel" data-waymark="revenue-chart">
        <h2>Revenue, last 6 months</h2>
        <div class="bars">${[42, 55, 48, 61, 70, 66].map((v, i) => `<div class="bar" style="height:${v}%" title="Month ${i + 1}"></div>`).join('')}</div>
      </section>
      <button class="button" data-action="export" data-waymark="export-report">Export report</button>`),
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
  const view = document.getElementById('view');
  view.replaceChildren(page.render());
  for (const link of document.querySelectorAll('.sidebar a')) {
    link.toggleAttribute('aria-current', link.getAttribute('href') === location.pathname);
  }
}

function navigate(path) {
  if (path === location.pathname) return;
  history.pushState({}, '', path);
  render();
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-link]');
  if (link && !event.metaKey && !event.ctrlKey) {
    event.preventDefault();
    navigate(link.getAttribute('href'));
    return;
  }
  const action = event.target.closest('[data-action]')?.dataset.action;
  if (action === 'new-invoice') {
    const number = `INV-${1046 + invoices.length - 4}`;
    invoices.push({ number, customer: 'Maple & Co', amount: 640, status: 'Draft', due: '2026-12-20' });
    window.waymark.track('invoice_created', { number, amount: 640, currency: 'EUR', from: location.pathname });
    toast(`Draft ${number} created`);
    if (location.pathname === '/invoices') render();
  } else if (action === 'export') {
    window.waymark.track('export_completed', { format: 'csv', rows: invoices.length });
    toast('Export ready');
  } else if (action === 'add-customer') {
    window.waymark.track('customer_add_started');
    toast('Customer form coming soon');
  }
});

document.addEventListener('submit', (event) => {
  if (event.target.id !== 'settings') return;
  event.preventDefault();
  window.waymark.track('settings_saved', { terms: new FormData(event.target).get('terms') });
  toast('Settings saved');
});

const signInButton = document.getElementById('sign-in');
function signIn() {
  window.waymark.identify('user_dana', { name: 'Dana Whitfield', plan: 'Pro', company: 'Ledgerly Demo GmbH' });
  const signOut = el('<button class="button ghost" id="sign-out">Sign out</button>').firstElementChild;
  // Logging out: the SDK forgets the user, the behaviour profile and the outbox.
  signOut.addEventListener('click', () => {
    window.waymark.reset();
    document.getElementById('account').replaceChildren(signInButton);
  });
  document.getElementById('account').replaceChildren(el('<span class="user">Dana Whitfield · Pro</span>'), signOut);
}
signInButton.addEventListener('click', signIn);

window.addEventListener('popstate', render);
render();
