// The HQ dashboard (served at `/`): signs in with the HQ session API, keeps the session token in
// sessionStorage (this tab only, gone when it closes) and fills every view from the JSON API with
// that token, so it sees exactly what the API lets the user see: their own tenant, as their role allows.
import { barChart, categoryBars, figures } from './charts.js';
import {
  $,
  ApiError,
  addDays,
  api,
  clearMessage,
  fields,
  fill,
  guarded,
  h,
  moneyFormat,
  qty,
  saveBlob,
  say,
  table,
  timeFormat,
  todayIn,
} from './common.js';

const STORE_KEY = 'modernpos.hq.session';
const ROLE_PERMISSIONS = {
  owner: ['*'],
  manager: ['catalog:write', 'users:write', 'devices:write', 'reports:read'],
  viewer: ['reports:read'],
};

const state = {
  token: null,
  orgId: null,
  user: null,
  timeZone: 'UTC',
  currency: 'XXX',
  money: moneyFormat('XXX'),
  time: timeFormat('UTC'),
  branches: [],
  view: 'sales',
};

const can = (permission) => {
  const granted = ROLE_PERMISSIONS[state.user?.role] ?? [];
  return granted.includes('*') || granted.includes(permission);
};

// ---- session ----------------------------------------------------------------------------------

function stored() {
  try {
    const value = JSON.parse(sessionStorage.getItem(STORE_KEY) ?? 'null');
    return typeof value?.token === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** An API call as the signed-in user; an answer of 401 ends the page's session with a message. */
async function hq(path, options = {}) {
  try {
    return await api(path, { ...options, token: state.token });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && state.token) {
      endSession('Your session has expired or was ended. Sign in again.');
      err.handled = true;
    }
    throw err;
  }
}

function endSession(message) {
  sessionStorage.removeItem(STORE_KEY);
  state.token = null;
  state.user = null;
  $('app').hidden = true;
  $('sign-out').hidden = true;
  $('who').textContent = '';
  $('sign-in').hidden = false;
  if (message) say(message);
  $('password').value = '';
  ($('org').value ? ($('email').value ? $('password') : $('email')) : $('org')).focus();
}

async function signIn(event) {
  event.preventDefault();
  clearMessage();
  const orgId = $('org').value.trim().toLowerCase();
  const email = $('email').value.trim();
  const password = $('password').value;
  if (!orgId || !email || !password) {
    say('Enter the organization, your email and your password.');
    return;
  }
  const button = event.submitter ?? $('sign-in-form').querySelector('button');
  button.disabled = true;
  try {
    const session = await api(`/v1/orgs/${encodeURIComponent(orgId)}/sessions`, {
      method: 'POST',
      body: { email, password },
    });
    sessionStorage.setItem(STORE_KEY, JSON.stringify({ token: session.token, orgId }));
    $('password').value = '';
    await start(session.token);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) say('Wrong organization, email or password.');
    else if (err instanceof ApiError && err.status === 403)
      say(`This account cannot sign in to HQ: ${err.message}`);
    else say(`Could not sign in: ${err.message}`);
    $('password').focus();
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  const token = state.token;
  endSession();
  say('Signed out.', 'ok');
  if (token) await api('/v1/session', { method: 'DELETE', token }).catch(() => undefined);
}

/** Shows the dashboard for a stored or new token (or the sign-in if it is no longer good). */
async function start(token) {
  state.token = token;
  // The branches are asked for with the session, not after it: one round trip less before the first
  // view. Plain `api`: a refused token is the session call's to report.
  const branches = api('/v1/branches', { token });
  branches.catch(() => undefined);
  let who;
  try {
    who = await hq('/v1/session');
  } catch (err) {
    if (!err.handled) {
      say(`Could not reach HQ: ${err.message}`);
      // Keep the token: the cloud may be back in a moment. Offer the sign-in meanwhile.
      $('sign-in').hidden = false;
    }
    return;
  }
  state.orgId = who.orgId;
  state.user = who.user;
  state.timeZone = who.timeZone ?? 'UTC';
  state.currency = who.currency ?? 'XXX';
  state.money = moneyFormat(state.currency);
  state.time = timeFormat(state.timeZone);
  $('who').textContent = `${who.user.name} (${who.user.role}) · ${who.orgId}`;
  $('zone').textContent = `Dates and times in ${state.timeZone}; amounts in ${state.currency}.`;
  clearMessage();
  $('sign-in').hidden = true;
  $('sign-out').hidden = false;
  $('app').hidden = false;
  await loadBranches(branches);
  setPreset($('preset').value);
  const fromHash = location.hash.slice(1);
  await show(VIEWS[fromHash] ? fromHash : 'sales');
}

// ---- filters ----------------------------------------------------------------------------------

async function loadBranches(pending = hq('/v1/branches')) {
  const answer = await guarded(() => pending, 'Branches');
  state.branches = answer?.branches ?? [];
  const select = $('branch');
  const current = select.value;
  select.replaceChildren(
    h('option', { value: '' }, 'All branches'),
    state.branches.map((b) => h('option', { value: b.code }, `${b.name} (${b.code})`)),
  );
  select.value = state.branches.some((b) => b.code === current) ? current : '';
}

function setPreset(preset) {
  const today = todayIn(state.timeZone);
  if (preset === 'custom') return;
  let from = today;
  if (preset === '7') from = addDays(today, -6);
  if (preset === '30') from = addDays(today, -29);
  if (preset === 'month') from = `${today.slice(0, 8)}01`;
  $('from').value = from;
  $('to').value = today;
}

/** The report query of the filters (period and branch), checked before anything is asked. */
function filterQuery({ period = true } = {}) {
  const q = new URLSearchParams();
  if (period) {
    const from = $('from').value;
    const to = $('to').value;
    if (!from || !to) throw new Error('Choose both dates of the period.');
    if (from > to) throw new Error('The period starts after it ends.');
    q.set('from', from);
    q.set('to', to);
  }
  if ($('branch').value) q.set('branch', $('branch').value);
  return q;
}

const report = (name, params) => hq(`/v1/reports/${name}?${params}`);

// ---- views ------------------------------------------------------------------------------------

const VIEWS = {
  sales: loadSales,
  health: loadHealth,
  catalog: loadCatalog,
  devices: loadDevices,
  users: loadUsers,
  downloads: loadDownloads,
};

async function show(view) {
  state.view = view;
  for (const button of document.querySelectorAll('.tabs button')) {
    if (button.dataset.view === view) button.setAttribute('aria-current', 'page');
    else button.removeAttribute('aria-current');
  }
  for (const name of Object.keys(VIEWS)) $(`view-${name}`).hidden = name !== view;
  if (location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`);
  // Busy from the click on, not only once a card starts loading: nothing reads a half-shown view.
  const host = $(`view-${view}`);
  host.setAttribute('aria-busy', 'true');
  try {
    await VIEWS[view]();
  } finally {
    host.removeAttribute('aria-busy');
  }
}

/** Fills a card from `load`, showing progress and, on failure, the reason inside the card. */
async function card(id, load) {
  const el = $(id);
  el.setAttribute('aria-busy', 'true');
  fill(el, h('p', { class: 'muted' }, 'Loading…'));
  try {
    fill(el, ...[await load()].flat());
  } catch (err) {
    fill(
      el,
      h(
        'p',
        { class: 'error' },
        err.handled ? 'Sign in again to see this.' : `Could not load: ${err.message}`,
      ),
    );
  } finally {
    el.removeAttribute('aria-busy');
  }
}

function csvButton(name, params, label = 'Download CSV') {
  return h(
    'button',
    {
      type: 'button',
      class: 'csv',
      dataset: { report: name },
      onclick: () => guarded(() => downloadCsv(name, params), `CSV of ${name}`),
    },
    label,
  );
}

async function downloadCsv(name, params) {
  const res = await hq(`/v1/reports/${name}?${params}`, { accept: 'text/csv', raw: true });
  const disposition = res.headers.get('content-disposition') ?? '';
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `${name}.csv`;
  saveBlob(await res.blob(), filename);
}

function freshnessLine(f) {
  if (!f) return '';
  const parts = [`Last sync ${state.time(f.lastSyncAt)}`];
  if (f.oldestOutboxEmptyAt)
    parts.push(`every sale recorded before ${state.time(f.oldestOutboxEmptyAt)} is in`);
  else if (f.devices > 0)
    parts.push('a till has not yet reported being in sync, so recent sales may be missing');
  if (f.neverSynced > 0) parts.push(`${f.neverSynced} device(s) never synced`);
  if (f.quarantined > 0) parts.push(`${f.quarantined} mutation(s) waiting in quarantine (see Device health)`);
  return `${parts.join(' · ')}.`;
}

async function loadSales() {
  let q;
  try {
    q = filterQuery();
  } catch (err) {
    say(err.message);
    return;
  }
  const m = state.money;
  const salesColumns = (first) => [
    first,
    ['Sales', (r) => r.count, { num: true }],
    ['Gross', (r) => m(r.grossMinor), { num: true }],
    ['Discounts', (r) => m(r.discountsMinor), { num: true }],
    ['Refunds', (r) => m(r.refundsMinor), { num: true }],
    ['Net', (r) => m(r.netMinor), { num: true }],
    ['Tax', (r) => m(r.taxMinor), { num: true }],
  ];
  const by = (groupBy) => new URLSearchParams([...q, ['groupBy', groupBy]]);
  // One call for every card (GET /v1/sales-overview: each table read once); the CSV
  // buttons still download each report. A failure shows in every card.
  const overview = hq(`/v1/sales-overview?${q}`);
  overview.catch(() => undefined);
  await Promise.all([
    card('card-day', async () => {
      const o = await overview;
      const r = { rows: o.byDay };
      $('freshness').textContent = freshnessLine(o.freshness);
      renderTotals(o.totals);
      const holder = h('div');
      requestAnimationFrame(() =>
        barChart(holder, {
          label: 'Net sales by business date',
          labels: r.rows.map((x) => x.businessDate.slice(5)),
          series: [{ label: 'Net', values: r.rows.map((x) => m.major(x.netMinor)) }],
          format: (v) => m(Math.round(v * 10 ** m.digits)),
        }),
      );
      return [
        holder,
        figures('Figures by day', salesColumns(['Date', (x) => x.businessDate]), r.rows),
        csvButton('sales', by('day')),
      ];
    }),
    card('card-hour', async () => {
      const r = { rows: (await overview).byHour };
      const holder = h('div');
      requestAnimationFrame(() =>
        barChart(holder, {
          label: 'Sales by local hour',
          labels: r.rows.map((x) => String(x.hour).padStart(2, '0')),
          series: [{ label: 'Net', values: r.rows.map((x) => m.major(x.netMinor)) }],
          format: (v) => m(Math.round(v * 10 ** m.digits)),
        }),
      );
      return [
        holder,
        h('p', { class: 'muted' }, "Each sale at the hour on its branch's own clock."),
        figures(
          'Figures by hour',
          salesColumns(['Hour', (x) => `${String(x.hour).padStart(2, '0')}:00`]),
          r.rows,
        ),
        csvButton('sales', by('hour')),
      ];
    }),
    card('card-branch', async () => {
      const r = { rows: (await overview).byBranch };
      return [
        r.rows.length === 0
          ? h('p', { class: 'muted empty' }, 'No sales in this period.')
          : categoryBars(r.rows, {
              label: (x) => x.branch,
              value: (x) => x.netMinor,
              text: (x) => m(x.netMinor),
            }),
        figures('Figures by branch', salesColumns(['Branch', (x) => x.branch]), r.rows),
        csvButton('sales', by('branch')),
      ];
    }),
    card('card-top', async () => {
      const r = (await overview).topProducts;
      return [
        r.byRevenue.length === 0
          ? h('p', { class: 'muted empty' }, 'No catalog products sold in this period.')
          : categoryBars(r.byRevenue, {
              label: (x) => x.name,
              value: (x) => x.revenueMinor,
              text: (x) => m(x.revenueMinor),
            }),
        figures(
          'Top products by quantity',
          [
            ['#', (x) => x.rank, { num: true }],
            ['SKU', (x) => x.sku],
            ['Name', (x) => x.name],
            ['Quantity', (x) => qty(x.qtyMilli), { num: true }],
            ['Revenue', (x) => m(x.revenueMinor), { num: true }],
          ],
          r.byQuantity,
        ),
        csvButton('top-products', new URLSearchParams([...q, ['limit', '10']])),
      ];
    }),
    card('card-payments', async () => {
      const r = { rows: (await overview).payments };
      const total = r.rows.reduce((n, x) => n + Math.max(0, x.netMinor), 0);
      return [
        r.rows.length === 0
          ? h('p', { class: 'muted empty' }, 'No payments in this period.')
          : categoryBars(r.rows, {
              label: (x) => x.method,
              value: (x) => x.netMinor,
              text: (x) =>
                `${m(x.netMinor)}${total > 0 ? ` · ${Math.round((x.netMinor / total) * 100)}%` : ''}`,
            }),
        figures(
          'Payment figures',
          [
            ['Method', (x) => x.method],
            ['Payments', (x) => x.count, { num: true }],
            ['Taken', (x) => m(x.takenMinor), { num: true }],
            ['Refunded', (x) => m(x.refundedMinor), { num: true }],
            ['Net', (x) => m(x.netMinor), { num: true }],
          ],
          r.rows,
        ),
        csvButton('payments', q),
      ];
    }),
    card('card-refunds', async () => {
      const r = (await overview).refunds;
      const shown = r.latest;
      return [
        h(
          'p',
          {},
          `${r.count} refund(s), ${m(r.totalMinor)}.`,
          shown.length < r.count ? ` The latest ${shown.length} are listed; the CSV has them all.` : '',
        ),
        table(
          [
            ['Receipt', (x) => x.receiptNo],
            ['Branch', (x) => x.branch],
            ['Date', (x) => x.businessDate],
            ['Amount', (x) => m(x.totalMinor), { num: true }],
            ['Reason', (x) => x.reason ?? ''],
            ['Refunds sale', (x) => x.originalReceiptNo ?? ''],
          ],
          shown,
          { caption: 'Refunds', empty: 'No refunds in this period.' },
        ),
        csvButton('refunds', q),
      ];
    }),
    card('card-flags', async () => {
      const r = (await overview).flags;
      return [
        h('p', {}, `${r.flaggedDocuments} flagged document(s).`),
        r.totals.length === 0
          ? h('p', { class: 'muted empty' }, 'Nothing flagged in this period.')
          : categoryBars(r.totals, {
              label: (x) => x.flag,
              value: (x) => x.count,
              text: (x) => String(x.count),
            }),
        figures(
          'Flags by date and branch',
          [
            ['Date', (x) => x.businessDate],
            ['Branch', (x) => x.branch],
            ['Flag', (x) => x.flag],
            ['Documents', (x) => x.count, { num: true }],
          ],
          r.rows,
        ),
        csvButton('flags', q),
      ];
    }),
  ]);
}

function renderTotals(t) {
  const m = state.money;
  const stat = (label, value) => h('div', { class: 'stat' }, h('span', {}, label), h('strong', {}, value));
  $('totals').replaceChildren(
    stat('Net sales', m(t.netMinor)),
    stat('Sales', String(t.count)),
    stat('Average ticket', m(t.averageTicketMinor)),
    stat('Refunds', `${t.refundsCount} · ${m(t.refundsMinor)}`),
    stat('Tax', m(t.taxMinor)),
  );
}

/** A device's sync state in words, from its three instants (docs/freshness.md). */
function syncState(d) {
  if (d.revoked) return 'revoked';
  if (!d.lastSyncAt) return d.lastSeenAt ? 'connected, never synced' : 'never synced';
  if (d.outboxEmptyAt && d.outboxEmptyAt >= d.lastSyncAt) return 'in sync';
  // Acknowledged since it last reported an empty outbox: sales after that instant may still be on the till.
  return 'catching up';
}

/** An age in seconds in words: "45 s", "12 min", "3 h", "2 d". */
function ageText(seconds) {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86400)} d`;
}

/** The backlog a device last reported, less what was applied since (docs/freshness.md). */
function backlogCell(d, t) {
  if (d.backlogPending === null) return h('span', { title: 'this device has not reported a backlog' }, '—');
  return h('span', { title: `reported ${t(d.backlogReportedAt)}` }, String(d.backlogPending));
}

/** The oldest unsynced sale: reported by the device, else bounded by its last empty outbox. */
function oldestUnsyncedCell(d, t) {
  if (d.oldestUnsyncedAt) return `${t(d.oldestUnsyncedAt)} (${ageText(d.oldestUnsyncedAgeSeconds)} old)`;
  if (syncState(d) === 'catching up' && d.backlogPending !== 0) {
    return d.outboxEmptyAt ? `after ${t(d.outboxEmptyAt)}` : 'unknown';
  }
  return '—';
}

/** Journal links the cloud flagged on push for the device's edge database (docs/journal.md). */
function journalBreaksCell(d) {
  if (d.journalBreaks === 0) return '0';
  return h(
    'span',
    { class: 'badge journal-break', title: 'run `modernpos journal verify` (docs/journal.md)' },
    String(d.journalBreaks),
  );
}

async function loadHealth() {
  let q;
  try {
    q = filterQuery({ period: false });
  } catch (err) {
    say(err.message);
    return;
  }
  const t = state.time;
  const names = new Map();
  await card('card-freshness', async () => {
    const r = await report('freshness', q);
    for (const d of r.devices) names.set(d.deviceId, `${d.name} (${d.branch})`);
    return [
      table(
        [
          ['Branch', (b) => b.branch],
          ['Devices', (b) => b.devices, { num: true }],
          ['Last sync', (b) => t(b.lastSyncAt)],
          ['Oldest last sync', (b) => t(b.oldestSyncAt)],
          ['Never synced', (b) => b.neverSynced, { num: true }],
          ['Everything in before', (b) => (b.oldestOutboxEmptyAt ? t(b.oldestOutboxEmptyAt) : 'unknown')],
          ['Backlog', (b) => b.backlogPending, { num: true }],
          ['Oldest unsynced sale', (b) => (b.oldestUnsyncedAt ? t(b.oldestUnsyncedAt) : '—')],
          ['Quarantined', (b) => b.quarantined, { num: true }],
        ],
        r.branches,
        { showCaption: true, caption: 'Per branch', empty: 'No devices yet.' },
      ),
      table(
        [
          ['Device', (d) => d.name],
          ['Branch', (d) => d.branch],
          ['State', (d) => h('span', { class: `badge ${syncState(d).replace(/\W+/g, '-')}` }, syncState(d))],
          ['Last sync', (d) => t(d.lastSyncAt)],
          ['Backlog', (d) => backlogCell(d, t), { num: true }],
          ['Oldest unsynced sale', (d) => oldestUnsyncedCell(d, t)],
          ['Last seen', (d) => t(d.lastSeenAt)],
          ['Quarantined', (d) => d.quarantined, { num: true }],
          ['Journal breaks', (d) => journalBreaksCell(d), { num: true }],
        ],
        r.devices,
        { showCaption: true, caption: 'Per device', empty: 'No devices yet.' },
      ),
      csvButton('freshness', q),
    ];
  });
  await card('card-quarantine', async () => {
    const r = await hq('/v1/sync/quarantine');
    const rows = r.quarantine.filter(
      (x) => !$('branch').value || (names.get(x.deviceId) ?? '').endsWith(`(${$('branch').value})`),
    );
    return table(
      [
        ['Device', (x) => names.get(x.deviceId) ?? x.deviceId],
        ['Kind', (x) => x.kind],
        ['Why', (x) => `${x.reasonCode}: ${x.reason}`],
        ['Received', (x) => t(x.receivedAt)],
        ['', (x) => (can('devices:write') ? quarantineActions(x) : '')],
      ],
      rows,
      { caption: 'Quarantined mutations', empty: 'Nothing in quarantine.' },
    );
  });
}

function quarantineActions(item) {
  const box = h('div', { class: 'row-actions' });
  const done = async (message) => {
    say(message, 'ok');
    await loadHealth();
  };
  const replay = (payload) =>
    guarded(async () => {
      const r = await hq(`/v1/sync/quarantine/${encodeURIComponent(item.id)}/replay`, {
        method: 'POST',
        body: payload === undefined ? {} : { payload },
      });
      await done(`Replayed: ${r?.status ?? 'applied'}.`);
    }, 'Replay');
  const editor = () => {
    const id = `fix-${item.id}`;
    const area = h('textarea', { id, rows: 8, cols: 60 }, JSON.stringify(item.payload, null, 2));
    const form = h(
      'form',
      {
        class: 'inline-form',
        onsubmit: (e) => {
          e.preventDefault();
          let payload;
          try {
            payload = JSON.parse(area.value);
          } catch {
            say('The corrected payload is not valid JSON.');
            return;
          }
          replay(payload);
        },
      },
      h('label', { for: id }, 'Corrected payload (JSON)'),
      area,
      h('button', { type: 'submit' }, 'Replay corrected'),
    );
    box.replaceChildren(form);
    area.focus();
  };
  const discard = () => {
    const id = `reason-${item.id}`;
    const input = h('input', { id, required: true, maxlength: 500 });
    const form = h(
      'form',
      {
        class: 'inline-form',
        onsubmit: (e) => {
          e.preventDefault();
          if (!input.value.trim()) {
            say('Say why it is discarded.');
            return;
          }
          guarded(async () => {
            await hq(`/v1/sync/quarantine/${encodeURIComponent(item.id)}/discard`, {
              method: 'POST',
              body: { reason: input.value.trim() },
            });
            await done('Discarded.');
          }, 'Discard');
        },
      },
      h('label', { for: id }, 'Reason for discarding'),
      input,
      h('button', { type: 'submit', class: 'danger' }, 'Discard'),
    );
    box.replaceChildren(form);
    input.focus();
  };
  box.append(
    h('button', { type: 'button', onclick: () => replay(undefined) }, 'Replay'),
    h('button', { type: 'button', onclick: editor }, 'Correct…'),
    h('button', { type: 'button', class: 'danger', onclick: discard }, 'Discard…'),
  );
  return box;
}

/** Parses an amount typed in major units ("12.5") into minor units, exactly; null if malformed. */
function parseMoney(text) {
  const digits = state.money.digits;
  const match = new RegExp(`^(\\d{1,12})(?:[.,](\\d{0,${digits}}))?$`).exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * 10 ** digits + Number((match[2] ?? '').padEnd(digits, '0') || 0);
}

/** A form whose submit runs `send(values)`; shows success or the API's reason, then reloads the view. */
function writeForm(title, list, send, okText) {
  const form = h(
    'form',
    { class: 'form-grid' },
    h('h3', {}, title),
    fields(list),
    h('button', { type: 'submit' }, title),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const values = Object.fromEntries(
      list.map(([id, , attrs]) => {
        const el = form.querySelector(`#${id}`);
        return [id, attrs?.type === 'checkbox' ? el.checked : el.value.trim()];
      }),
    );
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const result = await hq(...send(values));
      say(typeof okText === 'function' ? okText(result) : okText, 'ok');
      await show(state.view);
    } catch (err) {
      if (!err.handled) say(`${title}: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

const post = (path, body, method = 'POST') => [path, { method, body }];

async function loadCatalog() {
  const m = state.money;
  const writer = can('catalog:write');
  const [taxRates, branches] = await Promise.all([
    guarded(() => hq('/v1/tax-rates'), 'Tax rates').then((r) => r?.taxRates ?? []),
    guarded(() => hq('/v1/branches'), 'Branches').then((r) => r?.branches ?? []),
  ]);
  const rateName = new Map(
    taxRates.map((t) => [t.id, `${t.name} (${t.rateBp / 100}%${t.inclusive ? ' incl.' : ''})`]),
  );
  await card('card-products', async () => {
    const { products } = await hq('/v1/products');
    const list = table(
      [
        ['SKU', (p) => p.sku],
        ['Name', (p) => p.name],
        ['Barcode', (p) => p.barcode ?? ''],
        ['Category', (p) => p.category ?? ''],
        ['Tax rate', (p) => rateName.get(p.taxRateId) ?? ''],
        ['Price', (p) => m(p.priceMinor), { num: true }],
        ['Active', (p) => (p.active ? 'yes' : 'no')],
        [
          '',
          (p) =>
            writer
              ? h(
                  'button',
                  {
                    type: 'button',
                    onclick: () =>
                      guarded(async () => {
                        await hq(`/v1/products/${encodeURIComponent(p.id)}`, {
                          method: 'PATCH',
                          body: { active: !p.active },
                        });
                        say(`${p.name} ${p.active ? 'deactivated' : 'activated'}.`, 'ok');
                        await loadCatalog();
                      }, p.name),
                  },
                  p.active ? 'Deactivate' : 'Activate',
                )
              : '',
        ],
      ],
      products,
      { caption: 'Products', empty: 'No products yet.' },
    );
    if (!writer)
      return [list, h('p', { class: 'muted' }, 'Your role may read the catalog but not change it.')];
    const taxOptions = [['', 'Default rate'], ...taxRates.map((t) => [t.id, rateName.get(t.id)])];
    const money = (v) => {
      const minor = parseMoney(v);
      if (minor === null) throw new Error(`"${v}" is not an amount like 12.50`);
      return minor;
    };
    const optional = (o) =>
      Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && v !== undefined));
    return [
      list,
      h(
        'div',
        { class: 'forms' },
        writeForm(
          'Add product',
          [
            ['p-sku', 'SKU', { required: true, maxlength: 64 }],
            ['p-name', 'Name', { required: true, maxlength: 200 }],
            ['p-price', `Price (${state.currency})`, { required: true, inputmode: 'decimal' }],
            ['p-tax', 'Tax rate', { options: taxOptions }],
            ['p-barcode', 'Barcode', { maxlength: 64 }],
            ['p-category', 'Category', { maxlength: 100 }],
          ],
          (v) =>
            post(
              '/v1/products',
              optional({
                sku: v['p-sku'],
                name: v['p-name'],
                priceMinor: money(v['p-price']),
                taxRateId: v['p-tax'],
                barcode: v['p-barcode'],
                category: v['p-category'],
              }),
            ),
          (r) => `Product ${r.sku} added.`,
        ),
        writeForm(
          'Set price',
          [
            ['pr-product', 'Product', { options: products.map((p) => [p.id, `${p.sku} · ${p.name}`]) }],
            ['pr-price', `Price (${state.currency})`, { required: true, inputmode: 'decimal' }],
            [
              'pr-branch',
              'Branch',
              { options: [['', 'Every branch'], ...branches.map((b) => [b.code, b.name])] },
            ],
          ],
          (v) =>
            post(
              '/v1/prices',
              optional({
                productId: v['pr-product'],
                priceMinor: money(v['pr-price']),
                branchCode: v['pr-branch'],
              }),
            ),
          'Price set.',
        ),
      ),
    ];
  });
  await card('card-tax', async () => [
    table(
      [
        ['Name', (t) => t.name],
        ['Rate', (t) => `${t.rateBp / 100}%`, { num: true }],
        ['Included in price', (t) => (t.inclusive ? 'yes' : 'no')],
        ['Default', (t) => (t.isDefault ? 'yes' : '')],
      ],
      taxRates,
      { caption: 'Tax rates', empty: 'No tax rates.' },
    ),
    writer
      ? writeForm(
          'Add tax rate',
          [
            ['t-name', 'Name', { required: true, maxlength: 100 }],
            ['t-rate', 'Rate (%)', { required: true, inputmode: 'decimal' }],
            ['t-inclusive', 'Included in prices', { type: 'checkbox' }],
            ['t-default', 'Default rate', { type: 'checkbox' }],
          ],
          (v) => {
            const match = /^(\d{1,3})(?:[.,](\d{1,2}))?$/.exec(v['t-rate']);
            if (!match) throw new Error('Give the rate as a percentage like 19 or 7.5');
            const rateBp = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
            return post('/v1/tax-rates', {
              name: v['t-name'],
              rateBp,
              inclusive: v['t-inclusive'],
              isDefault: v['t-default'],
            });
          },
          'Tax rate added.',
        )
      : null,
  ]);
  await card('card-branches', async () => [
    table(
      [
        ['Code', (b) => b.code],
        ['Name', (b) => b.name],
        ['Time zone', (b) => b.timeZone],
      ],
      branches,
      { caption: 'Branches', empty: 'No branches.' },
    ),
    writer
      ? writeForm(
          'Add branch',
          [
            ['b-code', 'Code', { required: true, maxlength: 32 }],
            ['b-name', 'Name', { required: true, maxlength: 200 }],
            ['b-zone', 'Time zone', { required: true, value: state.timeZone }],
          ],
          (v) => post('/v1/branches', { code: v['b-code'], name: v['b-name'], timeZone: v['b-zone'] }),
          'Branch added.',
        )
      : null,
  ]);
}

async function loadDevices() {
  const t = state.time;
  const writer = can('devices:write');
  await card('card-devices', async () => {
    const { devices } = await hq('/v1/devices');
    const list = table(
      [
        ['Name', (d) => d.name],
        ['Branch', (d) => d.branch],
        ['Registered', (d) => t(d.createdAt)],
        ['Last sync', (d) => t(d.lastSyncAt)],
        ['Last seen', (d) => t(d.lastSeenAt)],
        ['Status', (d) => (d.revokedAt ? `revoked ${t(d.revokedAt)}` : 'active')],
        [
          '',
          (d) =>
            writer && !d.revokedAt
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'danger',
                    onclick: () => {
                      if (!confirm(`Revoke ${d.name}? It is disconnected at once and cannot sync again.`))
                        return;
                      guarded(async () => {
                        await hq(`/v1/devices/${encodeURIComponent(d.id)}`, { method: 'DELETE' });
                        say(`${d.name} revoked.`, 'ok');
                        await loadDevices();
                      }, 'Revoke');
                    },
                  },
                  'Revoke',
                )
              : '',
        ],
      ],
      devices,
      { caption: 'Devices', empty: 'No devices registered.' },
    );
    if (!writer) return list;
    const form = writeForm(
      'Register device',
      [
        ['d-branch', 'Branch', { options: state.branches.map((b) => [b.code, `${b.name} (${b.code})`]) }],
        ['d-name', 'Name', { required: true, maxlength: 120, placeholder: 'Till 2' }],
      ],
      (v) => post('/v1/devices', { branch: v['d-branch'], name: v['d-name'] }),
      (r) => {
        state.newDevice = r;
        return `Device registered in ${r.branch}.`;
      },
    );
    const fresh = state.newDevice;
    state.newDevice = undefined;
    if (fresh) queueMicrotask(() => $('device-token')?.select());
    return [list, form, fresh ? tokenBox(fresh) : null];
  });
}

/** The new device's token, shown once: HQ copies it into the edge's configuration. */
function tokenBox(device) {
  return h(
    'div',
    { class: 'token-box', id: 'new-token' },
    h('h3', {}, 'Device token: copy it now, it is not shown again'),
    h('label', { for: 'device-token' }, `Token of device ${device.deviceId} (${device.branch})`),
    h('input', { id: 'device-token', readonly: true, value: device.token, size: 60, spellcheck: 'false' }),
    h(
      'button',
      {
        type: 'button',
        onclick: () =>
          navigator.clipboard
            ?.writeText(device.token)
            .then(() => say('Token copied.', 'ok'))
            .catch(() => say('Copy it by hand: the browser refused the clipboard.')),
      },
      'Copy',
    ),
    h('p', { class: 'muted' }, 'Give it to the edge agent (MODERNPOS_DEVICE_TOKEN; see docs/edge.md).'),
  );
}

async function loadUsers() {
  const writer = can('users:write');
  const owner = state.user?.role === 'owner';
  await card('card-users', async () => {
    const { users } = await hq('/v1/users');
    const list = table(
      [
        ['Name', (u) => u.name],
        ['Email', (u) => u.email ?? ''],
        ['Role', (u) => u.role],
        ['Active', (u) => (u.active ? 'yes' : 'no')],
        [
          '',
          (u) =>
            writer && u.role !== 'owner' && (u.role !== 'manager' || owner)
              ? h(
                  'button',
                  {
                    type: 'button',
                    onclick: () =>
                      guarded(async () => {
                        await hq(`/v1/users/${encodeURIComponent(u.id)}`, {
                          method: 'PATCH',
                          body: { active: !u.active },
                        });
                        say(`${u.name} ${u.active ? 'deactivated' : 'activated'}.`, 'ok');
                        await loadUsers();
                      }, u.name),
                  },
                  u.active ? 'Deactivate' : 'Activate',
                )
              : '',
        ],
      ],
      users,
      { caption: 'Users', empty: 'No users.' },
    );
    if (!writer)
      return [list, h('p', { class: 'muted' }, 'Your role may read the users but not change them.')];
    const roles = [
      ['cashier', 'Cashier (PIN, sells at the edge)'],
      ['viewer', 'Viewer (HQ, reads reports)'],
      ...(owner ? [['manager', 'Manager (HQ, manages the catalog)']] : []),
    ];
    const form = writeForm(
      'Add user',
      [
        ['u-role', 'Role', { options: roles }],
        ['u-name', 'Name', { required: true, maxlength: 200 }],
        ['u-email', 'Email (HQ users; optional for cashiers)', { type: 'email', maxlength: 254 }],
        [
          'u-secret',
          'PIN (cashiers, 4–8 digits) or password (HQ, 12+ characters)',
          { type: 'password', required: true, autocomplete: 'new-password' },
        ],
      ],
      (v) => {
        const role = v['u-role'];
        const body =
          role === 'cashier'
            ? {
                role,
                name: v['u-name'],
                pin: v['u-secret'],
                ...(v['u-email'] ? { email: v['u-email'] } : {}),
              }
            : { role, name: v['u-name'], email: v['u-email'], password: v['u-secret'] };
        return post('/v1/users', body);
      },
      (r) => `User added (${r.role}).`,
    );
    return [list, form];
  });
}

const DOWNLOADS = [
  ['sales', 'Sales by day', { groupBy: 'day' }],
  ['sales', 'Sales by branch', { groupBy: 'branch' }],
  ['sales', 'Sales by local hour', { groupBy: 'hour' }],
  ['sales', 'Sales by cashier', { groupBy: 'cashier' }],
  ['top-products', 'Top products', { limit: '100' }],
  ['payments', 'Payment mix', {}],
  ['tax', 'Tax', {}],
  ['refunds', 'Refunds', {}],
  ['flags', 'Flagged sales', {}],
  ['z', 'Z reports and day-end', {}],
  ['inventory', 'Inventory (now)', {}, false],
  ['freshness', 'Device health (now)', {}, false],
];

async function loadDownloads() {
  await card('card-downloads', async () => {
    const rows = DOWNLOADS.map(([name, label, extra, period = true]) => {
      const q = filterQuery({ period });
      for (const [k, v] of Object.entries(extra)) q.set(k, v);
      return h('li', {}, csvButton(name, q, label));
    });
    return [
      h(
        'p',
        { class: 'muted' },
        'For the period and branch above (inventory and device health are as of now).',
      ),
      h('ul', { class: 'downloads' }, rows),
    ];
  });
}

// ---- wiring -----------------------------------------------------------------------------------

function wire() {
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  for (const button of document.querySelectorAll('.tabs button')) {
    button.addEventListener('click', () => guarded(() => show(button.dataset.view)));
  }
  $('preset').addEventListener('change', () => {
    setPreset($('preset').value);
    if ($('preset').value === 'custom') $('from').focus();
  });
  for (const id of ['from', 'to']) $(id).addEventListener('input', () => ($('preset').value = 'custom'));
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    clearMessage();
    guarded(() => show(state.view));
  });
  $('branch').addEventListener('change', () => guarded(() => show(state.view)));
  window.addEventListener('unhandledrejection', (e) => {
    if (!e.reason?.handled) say(`Something went wrong: ${e.reason?.message ?? e.reason}`);
  });
}

wire();
$('loading').hidden = true;
const saved = stored();
if (saved) {
  $('org').value = saved.orgId ?? '';
  guarded(() => start(saved.token));
} else {
  $('sign-in').hidden = false;
  $('org').focus();
}
