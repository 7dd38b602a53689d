// Shared by the served pages (the cloud's dashboard and console, the edge's register): DOM building (text only, never HTML from data), the JSON API client
// with clear messages for every failure, the message area, and number and time formatting.

/** An element with attributes and children (strings become text nodes). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const $ = (id) => document.getElementById(id);

/** Replaces a container's content after its heading (cards keep their h2). */
export function fill(container, ...children) {
  const keep = [...container.children].filter((c) => /^H[1-6]$/.test(c.tagName));
  container.replaceChildren(...keep, ...children.flat().filter(Boolean));
}

/** Who the pages' API calls reach, for the messages when it does not answer (a page may change it). */
const server = {
  name: 'The cloud',
  unreachable: 'The cloud did not answer: check that it is running and try again.',
};
export function configureApi({ name, unreachable }) {
  if (name) server.name = name;
  if (unreachable) server.unreachable = unreachable;
}

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * Calls the JSON API. Resolves with the parsed body (null for 204), or the raw Response when
 * `raw` is set; rejects with an ApiError whose message a person can read (status 0 when the
 * server did not answer, or not within `timeoutMs`).
 */
export async function api(path, { method = 'GET', body, token, accept, raw, timeoutMs } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (accept) headers.accept = accept;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      // A server that went away mid-request may never answer: give up after `timeoutMs`.
      signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined,
    });
  } catch {
    throw new ApiError(0, 'network', server.unreachable);
  }
  if (res.ok && raw) return res;
  if (res.status === 204) return null;
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = undefined;
  }
  if (res.ok && parsed !== undefined) return parsed;
  const error = parsed?.error;
  if (error && typeof error.message === 'string') {
    const fields = Array.isArray(error.details)
      ? error.details.map((d) => `${d.path}: ${d.message}`).join('; ')
      : '';
    throw new ApiError(
      res.status,
      error.code,
      fields ? `${error.message} (${fields})` : error.message,
      error.details,
    );
  }
  throw new ApiError(
    res.status,
    'bad_answer',
    `${server.name} answered ${res.status} ${res.statusText || ''}`.trim(),
  );
}

let messageTimer;
/** Shows a message in the page's alert area: `error` (stays) or `ok` (fades after a while). */
export function say(text, kind = 'error') {
  const box = $('message');
  clearTimeout(messageTimer);
  box.className = `message ${kind}`;
  box.replaceChildren(
    h('span', {}, text),
    h('button', { type: 'button', class: 'link', onclick: () => (box.hidden = true) }, 'Dismiss'),
  );
  box.hidden = false;
  if (kind === 'ok') messageTimer = setTimeout(() => (box.hidden = true), 6000);
}
export const clearMessage = () => {
  $('message').hidden = true;
};

/**
 * Runs `work` and shows its failure instead of throwing: the page never goes blank. A failure
 * already shown (`handled`: a refused session turned into the sign-in) is not shown again.
 */
export async function guarded(work, describe = '') {
  try {
    return await work();
  } catch (err) {
    if (err?.handled) return undefined;
    const text = err instanceof Error ? err.message : String(err);
    say(describe ? `${describe}: ${text}` : text);
    return undefined;
  }
}

/** Money in minor units for display only (every figure comes computed from the server). */
export function moneyFormat(currency) {
  let nf;
  try {
    nf = new Intl.NumberFormat(undefined, { style: 'currency', currency });
  } catch {
    nf = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2 });
  }
  const digits = nf.resolvedOptions().maximumFractionDigits ?? 2;
  const fmt = (minor) => (minor === null || minor === undefined ? '—' : nf.format(minor / 10 ** digits));
  fmt.major = (minor) => minor / 10 ** digits;
  fmt.digits = digits;
  return fmt;
}

/** A typed amount in major units ("12.50" or "12,50") as exact minor units, or null if it is not one. */
export function parseMinor(text, digits) {
  const match = new RegExp(`^(\\d{1,12})(?:[.,](\\d{0,${digits}}))?$`).exec(String(text).trim());
  if (!match) return null;
  return Number(match[1]) * 10 ** digits + Number((match[2] ?? '').padEnd(digits, '0') || 0);
}

/** Minor units as the plain text a cashier would type ("1250" → "12.50"), exactly, without floats. */
export function minorText(minor, digits) {
  const text = String(minor).padStart(digits + 1, '0');
  return digits > 0 ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
}

/** Instants shown in one time zone (the tenant's), with the zone named once on the page. */
export function timeFormat(timeZone) {
  const df = new Intl.DateTimeFormat(undefined, {
    timeZone,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  return (iso) => (iso ? df.format(new Date(iso)) : 'never');
}

/** Today's date (YYYY-MM-DD) in a time zone. */
export function todayIn(timeZone, now = new Date()) {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

export const addDays = (date, days) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

export const qty = (milli) => (milli / 1000).toLocaleString(undefined, { maximumFractionDigits: 3 });

/** A table from column definitions `[label, row => value, {num}]`; its caption is for screen readers unless `showCaption`. */
export function table(
  columns,
  rows,
  { caption, showCaption = false, empty = 'Nothing in this period.' } = {},
) {
  if (rows.length === 0) return h('p', { class: 'muted empty' }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      caption ? h('caption', { class: showCaption ? null : 'sr-only' }, caption) : null,
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map(([label, , o]) => h('th', { scope: 'col', class: o?.num ? 'num' : null }, label)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            columns.map(([, get, o]) => h('td', { class: o?.num ? 'num' : null }, get(r))),
          ),
        ),
      ),
    ),
  );
}

/** Saves a Blob as a file through a temporary link. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Labelled form fields from `[id, label, attrs]`. */
export function fields(list) {
  return list.flatMap(([id, label, attrs = {}]) => {
    const control =
      attrs.options !== undefined
        ? h(
            'select',
            { id, name: id },
            attrs.options.map(([v, t]) => h('option', { value: v }, t)),
          )
        : h('input', { id, name: id, ...attrs });
    return [h('label', { for: id }, label), control];
  });
}
