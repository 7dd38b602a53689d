// The operator console (served at `/admin`): the admin token is typed in once and kept in
// sessionStorage (this tab only); every call goes to the admin API under /admin/… with it.
import { $, ApiError, api, clearMessage, guarded, h, moneyFormat, saveBlob, say, table } from './common.js';

const STORE_KEY = 'modernpos.admin.token';
let token = null;
let offboarding = null;

async function admin(path, options = {}) {
  try {
    return await api(path, { ...options, token });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      forget('The admin token was refused: enter the current one.');
      err.handled = true;
    }
    throw err;
  }
}

function forget(message) {
  sessionStorage.removeItem(STORE_KEY);
  token = null;
  $('app').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('token').value = '';
  if (message) say(message);
  $('token').focus();
}

async function open(candidate) {
  token = candidate;
  const ok = await guarded(() => admin('/admin/tenants'), 'Could not reach the admin API');
  if (!ok) {
    if (token) $('sign-in').hidden = false;
    return;
  }
  sessionStorage.setItem(STORE_KEY, token);
  $('sign-in').hidden = true;
  $('sign-out').hidden = false;
  $('app').hidden = false;
  $('who').textContent = 'Operator';
  await loadTenants();
}

const size = (bytes) => {
  if (bytes === null || bytes === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u += 1;
  }
  return `${n.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
};
const when = (iso) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : 'never';

async function loadTenants() {
  const host = $('tenants');
  host.setAttribute('aria-busy', 'true');
  host.replaceChildren(h('p', { class: 'muted' }, 'Gathering every tenant’s figures…'));
  try {
    const report = await admin('/admin/reports/tenants');
    $('fleet-generated').textContent =
      `As of ${when(report.generatedAt)} (times in this browser’s zone).` +
      (report.failed.length
        ? ` ${report.failed.length} tenant(s) could not be read: ${report.failed.join(', ')}.`
        : '');
    host.replaceChildren(
      table(
        [
          ['Organization', (t) => h('span', {}, h('strong', {}, t.orgId), h('br'), t.name)],
          ['Status', (t) => h('span', { class: `badge ${t.status}` }, t.status)],
          [
            'Schema',
            (t) =>
              `${t.schemaVersion} of ${t.latestSchemaVersion}${t.schemaVersion < t.latestSchemaVersion ? ' (behind)' : ''}`,
          ],
          ['Size', (t) => size(t.sizeBytes), { num: true }],
          [
            'Sales today',
            (t) =>
              t.salesToday
                ? `${t.salesToday.count} · ${moneyFormat(t.currency ?? 'XXX')(t.salesToday.netMinor)}`
                : '—',
            { num: true },
          ],
          ['Devices', (t) => t.devices ?? '—', { num: true }],
          ['Last sync', (t) => when(t.lastSyncAt)],
          [
            '',
            (t) =>
              t.error ? h('span', { class: 'error' }, `${t.error.code}: ${t.error.message}`) : actions(t),
          ],
        ],
        report.tenants,
        { empty: 'No tenants yet: onboard the first below.' },
      ),
    );
  } catch (err) {
    host.replaceChildren(
      h(
        'p',
        { class: 'error' },
        err.handled
          ? 'Enter the admin token to see the tenants.'
          : `Could not load the tenants: ${err.message}`,
      ),
    );
  } finally {
    host.removeAttribute('aria-busy');
  }
}

function actions(t) {
  const box = h('div', { class: 'row-actions' });
  if (t.status === 'offboarded') return box;
  box.append(
    h(
      'button',
      {
        type: 'button',
        dataset: { migrate: t.orgId },
        onclick: () =>
          guarded(async () => {
            const r = await admin(`/admin/tenants/${encodeURIComponent(t.orgId)}/migrate`, {
              method: 'POST',
            });
            const applied = Array.isArray(r.applied) ? r.applied.length : 0;
            say(
              r.ok === false
                ? `Migration of ${t.orgId} failed: ${r.error?.message ?? 'see the logs'}`
                : `${t.orgId} is at schema ${r.to ?? t.latestSchemaVersion} (${applied} migration(s) applied).`,
              r.ok === false ? 'error' : 'ok',
            );
            await loadTenants();
          }, `Migrate ${t.orgId}`),
      },
      'Migrate',
    ),
    h(
      'button',
      {
        type: 'button',
        onclick: () =>
          guarded(async () => {
            const res = await admin(`/admin/tenants/${encodeURIComponent(t.orgId)}/export`, { raw: true });
            saveBlob(await res.blob(), `${t.orgId}.tar.gz`);
          }, `Export ${t.orgId}`),
      },
      'Export',
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'danger',
        dataset: { offboard: t.orgId },
        onclick: () => askOffboard(t.orgId),
      },
      'Offboard…',
    ),
  );
  return box;
}

function askOffboard(orgId) {
  offboarding = orgId;
  $('offboard-org').textContent = orgId;
  $('offboard-confirm').value = '';
  $('offboard-go').disabled = true;
  $('offboard-dialog').showModal();
  $('offboard-confirm').focus();
}

async function offboard(event) {
  event.preventDefault();
  const orgId = offboarding;
  if (!orgId || $('offboard-confirm').value !== orgId) {
    say('Type the organization id exactly to confirm.');
    return;
  }
  $('offboard-go').disabled = true;
  const done = await guarded(
    () =>
      admin(`/admin/tenants/${encodeURIComponent(orgId)}/offboard`, {
        method: 'POST',
        body: { confirm: true },
      }),
    `Offboard ${orgId}`,
  );
  $('offboard-dialog').close();
  offboarding = null;
  if (done) {
    say(
      done.alreadyOffboarded
        ? `${orgId} was already offboarded.`
        : `${orgId} is offboarded; its database is dropped.`,
      'ok',
    );
    await loadTenants();
  }
}

async function onboard(event) {
  event.preventDefault();
  clearMessage();
  const value = (id) => $(id).value.trim();
  const body = { orgId: value('on-org'), name: value('on-name') };
  if (!body.orgId || !body.name) {
    say('An organization id and a name are needed.');
    (body.orgId ? $('on-name') : $('on-org')).focus();
    return;
  }
  if (value('on-email')) body.ownerEmail = value('on-email');
  if (value('on-tz')) body.timezone = value('on-tz');
  if (value('on-currency')) body.currency = value('on-currency').toUpperCase();
  const button = $('onboard-form').querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const r = await admin('/admin/tenants', { method: 'POST', body });
    const out = $('onboarded');
    out.replaceChildren(
      h(
        'div',
        { class: 'token-box' },
        h('h3', {}, `${r.orgId} is ready${r.resumed ? ' (an interrupted onboarding was finished)' : ''}`),
        h('p', {}, `Owner: ${r.ownerEmail}. Database: ${r.database}.`),
        h(
          'label',
          { for: 'owner-password' },
          'Owner password: give it to the customer now, it is not shown again',
        ),
        h('input', {
          id: 'owner-password',
          readonly: true,
          value: r.ownerPassword ?? '',
          spellcheck: 'false',
        }),
      ),
    );
    $('onboard-form').reset();
    say(`${r.orgId} onboarded.`, 'ok');
    $('owner-password').focus();
    await loadTenants();
  } catch (err) {
    if (!err.handled) say(`Onboarding failed: ${err.message}`);
  } finally {
    button.disabled = false;
  }
}

function wire() {
  $('sign-in-form').addEventListener('submit', (e) => {
    e.preventDefault();
    clearMessage();
    const value = $('token').value.trim();
    if (!value) {
      say('Enter the admin token.');
      return;
    }
    open(value);
  });
  $('sign-out').addEventListener('click', () => {
    forget();
    say('The token is forgotten by this tab.', 'ok');
  });
  $('refresh').addEventListener('click', () => loadTenants());
  $('onboard-form').addEventListener('submit', onboard);
  $('offboard-form').addEventListener('submit', offboard);
  $('offboard-confirm').addEventListener('input', () => {
    $('offboard-go').disabled = $('offboard-confirm').value !== offboarding;
  });
  $('offboard-cancel').addEventListener('click', () => $('offboard-dialog').close());
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  $('zones').replaceChildren(...zones.map((z) => h('option', { value: z })));
  window.addEventListener('unhandledrejection', (e) => {
    if (!e.reason?.handled) say(`Something went wrong: ${e.reason?.message ?? e.reason}`);
  });
}

wire();
$('loading').hidden = true;
const saved = sessionStorage.getItem(STORE_KEY);
if (saved) open(saved);
else {
  $('sign-in').hidden = false;
  $('token').focus();
}
