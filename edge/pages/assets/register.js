// The register (served by the edge at `/`): a cashier signs in with code and PIN at a terminal,
// scans or searches products, takes cash, card or both, prints the receipt, refunds by receipt
// number and runs the shift. Every figure (line totals, tax, change, refund amounts, X/Z reports)
// comes computed from the edge: the cart is priced by POST /v1/carts/quote, never here. The session
// token lives in sessionStorage (this tab), the unfinished cart in localStorage (per terminal), so a
// reload, a crashed tab or an expired session never loses it.
import {
  $,
  ApiError,
  api,
  clearMessage,
  configureApi,
  fill,
  guarded,
  h,
  minorText,
  moneyFormat,
  parseMinor,
  qty,
  say,
  table,
  timeFormat,
} from './common.js';

configureApi({
  name: "The till's edge agent",
  unreachable:
    "The till's edge agent did not answer: nothing is lost (the cart is kept). Check that it is running and try again.",
});

const KEY = {
  terminal: 'modernpos.register.terminal',
  session: 'modernpos.register.session',
  cart: (terminal) => `modernpos.register.cart.${terminal}`,
};
const TIMEOUT_MS = 10_000;

const state = {
  token: null,
  session: null,
  branch: { branch: '', currency: null, timeZone: 'UTC', taxRates: [] },
  money: moneyFormat('XXX'),
  time: timeFormat('UTC'),
  /** lines: [{sku} | {name, unitPriceMinor, taxRateBp, taxInclusive}, each with qtyMilli]; saleId once paying. */
  cart: { lines: [], saleId: null, unsure: false },
  quote: null,
  shift: null,
  refund: null,
};

// ---- helpers -------------------------------------------------------------------------------------

/** A random UUID (v4) that also works on a plain-http branch server, where crypto.randomUUID is absent. */
function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** A typed quantity ("2", "1.5", "0,25") in thousandths, or null. */
function parseQty(text) {
  const m = /^(\d{1,6})(?:[.,](\d{0,3}))?$/.exec(String(text).trim());
  if (!m) return null;
  const milli = Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(3, '0') || 0);
  return milli > 0 ? milli : null;
}

const money = (minor) => state.money(minor);
const amount = (text, what) => {
  if (String(text).trim() === '') return 0;
  const minor = parseMinor(text, state.money.digits);
  if (minor === null) throw new Error(`${what}: "${text}" is not an amount like 12.50`);
  return minor;
};

/** A cashier API call with the session; a session that ended turns the page into the sign-in. */
async function edge(path, options = {}) {
  try {
    return await api(path, { ...options, token: state.token, timeoutMs: TIMEOUT_MS });
  } catch (err) {
    if (
      err instanceof ApiError &&
      (err.code === 'cashier_session_invalid' || err.code === 'cashier_session_required')
    ) {
      endSession(
        'Your session has ended (expired, signed out or replaced). Sign in again: the cart is kept.',
      );
      err.handled = true;
    }
    throw err;
  }
}

// ---- the cart, kept across reloads -----------------------------------------------------------------

function saveCart() {
  if (!state.session) return;
  localStorage.setItem(KEY.cart(state.session.terminal), JSON.stringify(state.cart));
}

function loadCart(terminal) {
  try {
    const c = JSON.parse(localStorage.getItem(KEY.cart(terminal)) ?? 'null');
    if (c && Array.isArray(c.lines)) return { lines: c.lines, saleId: c.saleId ?? null, unsure: !!c.unsure };
  } catch {
    // a damaged entry: start empty
  }
  return { lines: [], saleId: null, unsure: false };
}

const wireLine = (l) =>
  'sku' in l
    ? { sku: l.sku, qtyMilli: l.qtyMilli }
    : {
        name: l.name,
        unitPriceMinor: l.unitPriceMinor,
        qtyMilli: l.qtyMilli,
        taxRateBp: l.taxRateBp,
        taxInclusive: l.taxInclusive,
      };

/**
 * Replaces the cart's lines with `lines` once the edge has priced them: a line it refuses (an
 * unknown product, a missing price) leaves the cart as it was, with the edge's reason on the page.
 */
async function setLines(lines) {
  if (!(await settlePending())) return false;
  if (lines.length === 0) {
    state.cart.lines = [];
    state.quote = null;
  } else {
    const quote = await edge('/v1/carts/quote', { method: 'POST', body: { lines: lines.map(wireLine) } });
    state.cart.lines = lines;
    state.quote = quote;
  }
  saveCart();
  renderCart();
  return true;
}

/**
 * A payment sent without an answer (the edge went away mid-request, or the page gave up waiting) may
 * have been recorded: before the cart changes, ask the edge. Recorded: its receipt is shown and the
 * cart is done. Not yet: the cart changes, but keeps the id, because the request may still reach the
 * edge later; the next Pay sends that id again, and the edge answers the one sale it holds under it
 * instead of recording a second. Returns whether the cart may change.
 */
async function settlePending() {
  if (!state.cart.saleId || !state.cart.unsure) return true;
  try {
    const sale = await edge(`/v1/sales/${state.cart.saleId}`);
    finishSale(sale, 'That sale had been recorded before the connection dropped: here is its receipt.');
    return false;
  } catch (err) {
    if (err instanceof ApiError && err.code === 'sale_not_found') {
      state.cart.unsure = false;
      saveCart();
      return true;
    }
    throw err;
  }
}

async function requote() {
  if (state.cart.lines.length === 0) {
    state.quote = null;
    renderCart();
    return;
  }
  await guarded(async () => {
    state.quote = null;
    try {
      state.quote = await edge('/v1/carts/quote', {
        method: 'POST',
        body: { lines: state.cart.lines.map(wireLine) },
      });
    } finally {
      renderCart();
    }
  }, 'Could not price the cart');
}

function renderCart() {
  const q = state.quote;
  const lines = state.cart.lines;
  if (lines.length === 0) {
    fill($('cart'), h('p', { class: 'muted empty' }, 'The cart is empty. Scan an item to start.'));
    $('totals').replaceChildren(h('dt', {}, 'Total'), h('dd', { id: 'total' }, money(0)));
    return;
  }
  // Not priced (the edge refused a line, or did not answer): the lines are still shown, to be
  // changed or removed, and no total is shown rather than one the edge did not compute.
  const unpriced = (l) => ({
    name: l.name ?? l.sku,
    qtyMilli: l.qtyMilli,
    unitPriceMinor: null,
    totalMinor: null,
    taxRateBp: null,
  });
  const rows = lines.map((l, i) => ({ priced: q?.lines[i] ?? unpriced(l), i }));
  $('cart').replaceChildren(
    table(
      [
        ['Item', (r) => r.priced.name],
        [
          'Qty',
          (r) =>
            h('input', {
              class: 'qty',
              value: qty(r.priced.qtyMilli),
              inputmode: 'decimal',
              maxlength: '10',
              'aria-label': `Quantity of ${r.priced.name}`,
              onchange: (e) => changeQty(r.i, e.target),
              onkeydown: (e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  changeQty(r.i, e.target);
                }
              },
            }),
        ],
        ['Price', (r) => money(r.priced.unitPriceMinor), { num: true }],
        ['Tax', (r) => (r.priced.taxRateBp === null ? '—' : `${r.priced.taxRateBp / 100}%`), { num: true }],
        ['Total', (r) => money(r.priced.totalMinor), { num: true }],
        [
          '',
          (r) =>
            h(
              'button',
              {
                type: 'button',
                class: 'link',
                'aria-label': `Remove ${r.priced.name}`,
                onclick: () => removeLine(r.i),
              },
              'Remove',
            ),
        ],
      ],
      rows,
      { caption: 'Cart' },
    ),
  );
  if (!q) {
    $('totals').replaceChildren(h('dt', {}, 'Total'), h('dd', { id: 'total' }, 'not priced yet'));
    return;
  }
  $('totals').replaceChildren(
    h('dt', {}, 'Subtotal'),
    h('dd', {}, money(q.subtotalMinor)),
    ...(q.discountMinor > 0 ? [h('dt', {}, 'Discount'), h('dd', {}, money(q.discountMinor))] : []),
    h('dt', {}, q.lines.every((l) => l.taxInclusive) ? 'Tax included' : 'Tax'),
    h('dd', { id: 'tax' }, money(q.taxMinor)),
    h('dt', { class: 'grand' }, 'Total'),
    h('dd', { class: 'grand', id: 'total' }, money(q.totalMinor)),
  );
}

async function changeQty(index, input) {
  const milli = parseQty(input.value);
  if (milli === null) {
    say(`"${input.value}" is not a quantity: type a number above zero, like 2 or 0.5.`);
    input.value = qty(state.cart.lines[index].qtyMilli);
    return;
  }
  if (milli === state.cart.lines[index].qtyMilli) return;
  const lines = state.cart.lines.map((l, i) => (i === index ? { ...l, qtyMilli: milli } : l));
  if (!(await guarded(() => setLines(lines), 'Could not change the quantity'))) renderCart();
}

async function removeLine(index) {
  await guarded(() => setLines(state.cart.lines.filter((_, i) => i !== index)), 'Could not remove the item');
  $('scan').focus();
}

async function addProduct(product) {
  clearMessage();
  $('results').replaceChildren();
  const at = state.cart.lines.findIndex((l) => l.sku === product.sku);
  const lines =
    at >= 0
      ? state.cart.lines.map((l, i) => (i === at ? { ...l, qtyMilli: l.qtyMilli + 1000 } : l))
      : [...state.cart.lines, { sku: product.sku, qtyMilli: 1000 }];
  await guarded(() => setLines(lines), `Could not add ${product.name}`);
  $('scan').focus();
}

/** Enter in the scan field: an exact barcode or SKU adds at once; a name shows the matches. */
async function scan(event) {
  event.preventDefault();
  const value = $('scan').value.trim();
  if (value === '') {
    if (state.cart.lines.length > 0) $('tendered').focus();
    return;
  }
  await guarded(async () => {
    const { products } = await edge(`/v1/products?q=${encodeURIComponent(value)}&limit=8`);
    const exact = products.find((p) => p.sku === value || p.barcode === value);
    if (exact || products.length === 1) {
      $('scan').value = '';
      await addProduct(exact ?? products[0]);
    } else if (products.length === 0) {
      $('results').replaceChildren();
      say(`No product matches "${value}": check the barcode, or search by name or SKU.`);
      // The next scan replaces what did not match.
      $('scan').select();
    } else {
      $('results').replaceChildren(
        h('p', { class: 'muted small' }, `${products.length} matches: choose one`),
        h(
          'ul',
          { class: 'result-list' },
          products.map((p) =>
            h(
              'li',
              {},
              h(
                'button',
                {
                  type: 'button',
                  onclick: () => {
                    $('scan').value = '';
                    void addProduct(p);
                  },
                },
                `${p.name} · ${p.sku} · ${p.priceMinor === null ? 'no price' : money(p.priceMinor)}`,
              ),
            ),
          ),
        ),
      );
      $('results').querySelector('button')?.focus();
    }
  }, 'Could not look the item up');
}

async function addOpenLine(event) {
  event.preventDefault();
  await guarded(async () => {
    const name = $('o-name').value.trim();
    if (!name) throw new Error('Type a description for the item');
    const unitPriceMinor = parseMinor($('o-price').value, state.money.digits);
    if (unitPriceMinor === null) throw new Error(`"${$('o-price').value}" is not an amount like 12.50`);
    const [rateBp, inclusive] = $('o-tax').value.split(':');
    const line = {
      name,
      unitPriceMinor,
      qtyMilli: 1000,
      taxRateBp: Number(rateBp),
      taxInclusive: inclusive === 'true',
    };
    if (await setLines([...state.cart.lines, line])) {
      $('o-name').value = '';
      $('o-price').value = '';
      $('scan').focus();
    }
  }, 'Could not add the item');
}

// ---- payment and receipt ---------------------------------------------------------------------------

async function pay(event) {
  event?.preventDefault();
  clearMessage();
  if (state.cart.lines.length === 0) {
    say('The cart is empty: scan an item first.');
    $('scan').focus();
    return;
  }
  let payments;
  try {
    const card = amount($('card').value, 'Card amount');
    const cash = amount($('tendered').value, 'Cash tendered');
    payments = [
      ...(card > 0 ? [{ method: 'card', amountMinor: card }] : []),
      ...(cash > 0 ? [{ method: 'cash', amountMinor: cash }] : []),
    ];
  } catch (err) {
    say(err.message);
    return;
  }
  if (payments.length === 0 && (state.quote?.totalMinor ?? 0) > 0) {
    say('Enter the cash tendered, a card amount, or both.');
    $('tendered').focus();
    return;
  }
  // The id is kept with the cart: sent again after a lost answer, the edge answers the first sale.
  if (!state.cart.saleId) state.cart.saleId = uuid();
  state.cart.unsure = true;
  saveCart();
  const button = $('pay');
  button.disabled = true;
  try {
    const sale = await edge('/v1/sales', {
      method: 'POST',
      body: {
        id: state.cart.saleId,
        terminal: state.session.terminal,
        lines: state.cart.lines.map(wireLine),
        payments,
      },
    });
    // The id of a payment whose answer was lost earlier: the edge answers the sale it recorded then.
    const earlier = state.quote && sale.totalMinor !== state.quote.totalMinor;
    finishSale(
      sale,
      earlier
        ? 'This sale had been recorded earlier, with the cart as it was then: here is its receipt. Ring up anything missing as a new sale.'
        : undefined,
    );
  } catch (err) {
    if (err instanceof ApiError && err.status !== 0) {
      // Refused: nothing was written, the same id may be used again.
      state.cart.unsure = false;
      saveCart();
    }
    if (err.handled) return;
    if (err.code === 'payment_short') {
      const d = err.details ?? {};
      say(
        `Payment short: ${money(d.paidMinor)} tendered for a total of ${money(d.totalMinor)}. Enter more cash or a card amount.`,
      );
      $('tendered').focus();
    } else if (err.code === 'change_not_cash') {
      say('The card amount is more than the total: change is given only in cash.');
      $('card').focus();
    } else if (err.status === 0) {
      say(
        "The till's edge agent did not answer, so the sale may or may not be recorded. The cart is kept: press Pay again when it is back (the same sale is never recorded twice).",
      );
    } else {
      say(`The sale was not recorded: ${err.message}`);
    }
  } finally {
    button.disabled = false;
  }
}

function finishSale(sale, note) {
  state.cart = { lines: [], saleId: null, unsure: false };
  state.quote = null;
  saveCart();
  renderCart();
  $('tendered').value = '';
  $('card').value = '';
  showReceipt(sale);
  if (note) say(note, 'ok');
  void refreshSync();
}

function showReceipt(doc) {
  const refund = doc.kind === 'refund';
  const pays = doc.payments.map((p) =>
    h(
      'tr',
      {},
      h(
        'td',
        {},
        refund ? `Refunded ${p.method}` : p.method === 'cash' ? 'Cash tendered' : `Paid ${p.method}`,
      ),
      h('td', { class: 'num' }, money(p.tenderedMinor)),
    ),
  );
  $('receipt').replaceChildren(
    h('p', { class: 'center' }, h('strong', {}, `Branch ${doc.branch}`), h('br'), `Terminal ${doc.terminal}`),
    h(
      'p',
      { class: 'center' },
      refund ? 'REFUND' : 'SALE',
      h('br'),
      h('span', { id: 'receipt-number' }, doc.receiptNo),
    ),
    h('p', { class: 'center small' }, state.time(doc.occurredAt), doc.cashier ? ` · ${doc.cashier}` : ''),
    h(
      'table',
      { class: 'receipt-lines' },
      h(
        'tbody',
        {},
        doc.lines.map((l) =>
          h(
            'tr',
            {},
            h(
              'td',
              {},
              l.name,
              h('br'),
              h('span', { class: 'small' }, `${qty(l.qtyMilli)} × ${money(l.unitPriceMinor)}`),
            ),
            h('td', { class: 'num' }, money(l.totalMinor)),
          ),
        ),
      ),
    ),
    h(
      'table',
      { class: 'receipt-totals' },
      h(
        'tbody',
        {},
        h('tr', {}, h('td', {}, 'Subtotal'), h('td', { class: 'num' }, money(doc.subtotalMinor))),
        h(
          'tr',
          {},
          h('td', {}, doc.lines.every((l) => l.taxInclusive) ? 'Tax included' : 'Tax'),
          h('td', { class: 'num' }, money(doc.taxMinor)),
        ),
        h('tr', { class: 'grand' }, h('td', {}, 'Total'), h('td', { class: 'num' }, money(doc.totalMinor))),
        pays,
        refund
          ? null
          : h(
              'tr',
              { class: 'grand' },
              h('td', {}, 'Change'),
              h('td', { class: 'num', id: 'change' }, money(doc.changeMinor)),
            ),
      ),
    ),
    h('p', { class: 'center small' }, 'Thank you'),
  );
  $('receipt-area').hidden = false;
  document.body.classList.add('has-receipt');
  $('new-sale').focus();
}

function closeReceipt() {
  $('receipt-area').hidden = true;
  document.body.classList.remove('has-receipt');
  show('sale');
  $('scan').focus();
}

// ---- refunds ------------------------------------------------------------------------------------------

async function lookUp(event) {
  event.preventDefault();
  clearMessage();
  // Receipt numbers are capitals (`MAIN-T1-000042`); sale ids are matched whatever their case.
  const no = $('receipt-no').value.trim().toUpperCase();
  if (!no) {
    say('Type the receipt number printed on the receipt.');
    return;
  }
  await guarded(async () => {
    const found = await edge(`/v1/receipts/${encodeURIComponent(no)}`);
    state.refund = { ...found, quote: null };
    renderRefund();
    $('refund').querySelector('input')?.focus();
  }, 'Could not find the receipt');
}

function refundRequest() {
  const lines = [];
  for (const input of $('refund').querySelectorAll('input.refund-qty')) {
    if (input.value.trim() === '' || input.value.trim() === '0') continue;
    const milli = parseQty(input.value);
    if (milli === null) throw new Error(`"${input.value}" is not a quantity`);
    lines.push({ lineNo: Number(input.dataset.line), qtyMilli: milli });
  }
  return lines;
}

async function quoteRefund() {
  const r = state.refund;
  await guarded(async () => {
    const lines = refundRequest();
    r.quote =
      lines.length === 0
        ? null
        : await edge(`/v1/sales/${r.sale.id}/refunds/quote`, { method: 'POST', body: { lines } });
    $('refund-total').textContent = money(r.quote?.totalMinor ?? 0);
  }, 'Could not price the refund');
}

function renderRefund() {
  const { sale, refunded } = state.refund;
  const back = new Map(refunded.map((l) => [l.lineNo, l.qtyMilli]));
  const box = $('refund');
  box.hidden = false;
  box.replaceChildren(
    h('h2', {}, `Refund of ${sale.receiptNo}`),
    h('p', { class: 'muted' }, `${state.time(sale.occurredAt)} · total ${money(sale.totalMinor)}`),
    table(
      [
        ['Item', (l) => l.name],
        ['Sold', (l) => qty(l.qtyMilli), { num: true }],
        ['Refunded', (l) => qty(back.get(l.lineNo) ?? 0), { num: true }],
        ['Total', (l) => money(l.totalMinor), { num: true }],
        [
          'Refund qty',
          (l) =>
            h('input', {
              class: 'qty refund-qty',
              value: '0',
              inputmode: 'decimal',
              maxlength: '10',
              dataset: { line: String(l.lineNo) },
              'aria-label': `Quantity of ${l.name} to refund`,
              onchange: () => void quoteRefund(),
            }),
        ],
      ],
      sale.lines,
      { caption: 'Lines of the sale' },
    ),
    h(
      'form',
      { class: 'form-grid', id: 'refund-form', novalidate: true, onsubmit: doRefund },
      h('label', { for: 'r-method' }, 'Give back by'),
      h(
        'select',
        { id: 'r-method' },
        h('option', { value: 'cash' }, 'Cash'),
        h('option', { value: 'card' }, 'Card'),
      ),
      h('label', { for: 'r-reason' }, 'Reason'),
      h('input', { id: 'r-reason', maxlength: '200' }),
      h('label', { for: 'r-mgr-code' }, 'Manager code (if needed)'),
      h('input', { id: 'r-mgr-code', maxlength: '16', autocomplete: 'off' }),
      h('label', { for: 'r-mgr-pin' }, 'Manager PIN'),
      h('input', {
        id: 'r-mgr-pin',
        type: 'password',
        maxlength: '8',
        inputmode: 'numeric',
        autocomplete: 'off',
      }),
      h('p', {}, 'To give back: ', h('strong', { id: 'refund-total' }, money(0))),
      h('button', { type: 'submit' }, 'Refund'),
    ),
  );
}

async function doRefund(event) {
  event.preventDefault();
  clearMessage();
  const r = state.refund;
  await guarded(async () => {
    await quoteRefund();
    if (!r.quote) throw new Error('Type the quantity to refund on at least one line');
    const code = $('r-mgr-code').value.trim();
    const pin = $('r-mgr-pin').value;
    const reason = $('r-reason').value.trim();
    const doc = await edge(`/v1/sales/${r.sale.id}/refunds`, {
      method: 'POST',
      body: {
        id: uuid(),
        terminal: state.session.terminal,
        lines: refundRequest(),
        payments:
          r.quote.totalMinor > 0 ? [{ method: $('r-method').value, amountMinor: r.quote.totalMinor }] : [],
        ...(reason ? { reason } : {}),
        ...(code && pin ? { approval: { code, pin } } : {}),
      },
    });
    state.refund = null;
    $('refund').hidden = true;
    $('receipt-no').value = '';
    showReceipt(doc);
    void refreshSync();
  }, 'The refund was not recorded');
}

// ---- shift ------------------------------------------------------------------------------------------------

async function loadShift() {
  await guarded(async () => {
    const { shift } = await edge(`/v1/shifts/open?terminal=${encodeURIComponent(state.session.terminal)}`);
    // Drawn again only when the shift changed: a form being typed into is never replaced under the cashier.
    const changed = !$('shift').dataset.shown || (shift?.id ?? '') !== (state.shift?.id ?? '');
    state.shift = shift;
    if (changed) renderShift();
  }, 'Could not read the shift');
}

function form(id, title, list, onsubmit) {
  return h(
    'form',
    { id, class: 'form-grid', novalidate: true, onsubmit },
    h('h3', {}, title),
    list.flatMap(([fid, label, control]) => [h('label', { for: fid }, label), control]),
    h('button', { type: 'submit' }, title),
  );
}

function renderShift() {
  const s = state.shift;
  $('shift').dataset.shown = 'true';
  if (!s) {
    fill(
      $('shift'),
      h('p', {}, `No shift is open on terminal ${state.session.terminal}.`),
      form(
        'open-shift',
        'Open shift',
        [
          [
            'float',
            'Opening float (cash in the drawer)',
            h('input', { id: 'float', inputmode: 'decimal', maxlength: '16' }),
          ],
        ],
        (e) =>
          shiftWrite(e, async () => {
            if ($('float').value.trim() === '')
              throw new Error('Count the float in the drawer and type it (0 for none)');
            const openingFloatMinor = amount($('float').value, 'Opening float');
            await edge('/v1/shifts', {
              method: 'POST',
              body: { id: uuid(), terminal: state.session.terminal, openingFloatMinor },
            });
            return 'Shift opened.';
          }),
      ),
    );
    return;
  }
  fill(
    $('shift'),
    h(
      'p',
      {},
      `Open since ${state.time(s.openedAt)}${s.openedBy ? ` by ${s.openedBy}` : ''}, float ${money(s.openingFloatMinor)}.`,
    ),
    h('button', { type: 'button', id: 'x-report', onclick: () => void showReport('x') }, 'X report'),
    form(
      'cash-form',
      'Cash in or out',
      [
        [
          'cm-direction',
          'Direction',
          h(
            'select',
            { id: 'cm-direction' },
            h('option', { value: 'in' }, 'In'),
            h('option', { value: 'out' }, 'Out'),
          ),
        ],
        ['cm-amount', 'Amount', h('input', { id: 'cm-amount', inputmode: 'decimal', maxlength: '16' })],
        ['cm-reason', 'Reason', h('input', { id: 'cm-reason', maxlength: '200' })],
      ],
      (e) =>
        shiftWrite(e, async () => {
          const amountMinor = amount($('cm-amount').value, 'Amount');
          const reason = $('cm-reason').value.trim();
          if (amountMinor <= 0 || !reason) throw new Error('Give an amount above zero and a reason');
          await edge(`/v1/shifts/${s.id}/cash-movements`, {
            method: 'POST',
            body: { id: uuid(), direction: $('cm-direction').value, amountMinor, reason },
          });
          return `Cash ${$('cm-direction').value} recorded.`;
        }),
    ),
    form(
      'close-shift',
      'Close shift',
      [['counted', 'Counted cash', h('input', { id: 'counted', inputmode: 'decimal', maxlength: '16' })]],
      (e) =>
        shiftWrite(e, async () => {
          if ($('counted').value.trim() === '') throw new Error('Count the cash in the drawer and type it');
          const countedMinor = amount($('counted').value, 'Counted cash');
          const z = await edge(`/v1/shifts/${s.id}/close`, {
            method: 'POST',
            body: { counted: [{ method: 'cash', countedMinor }] },
          });
          renderReport(z);
          // Closing the shift ends the sessions at this terminal: sign in again for the next one.
          state.shift = null;
          fill(
            $('shift'),
            h('p', {}, 'Shift closed: its Z report is below. Sign in again to open the next shift.'),
            h('button', { type: 'button', class: 'primary', onclick: () => endSession() }, 'Sign in again'),
          );
          say('Shift closed.', 'ok');
          return null;
        }),
    ),
  );
}

async function shiftWrite(event, work) {
  event.preventDefault();
  clearMessage();
  await guarded(async () => {
    const done = await work();
    if (done) {
      say(done, 'ok');
      await loadShift();
    }
  }, 'Not recorded');
}

async function showReport() {
  await guarded(async () => renderReport(await edge(`/v1/shifts/${state.shift.id}/x-report`)), 'No report');
}

function renderReport(r) {
  const box = $('report');
  box.hidden = false;
  box.replaceChildren(
    h('h2', { id: 'report-title' }, r.kind === 'z' ? 'Z report' : 'X report'),
    h('p', { class: 'muted' }, `Terminal ${r.shift.terminal} · opened ${state.time(r.shift.openedAt)}`),
    h(
      'dl',
      { class: 'totals-list' },
      [
        ['Sales', `${r.salesCount} · ${money(r.salesTotalMinor)}`],
        ['Refunds', `${r.refundsCount} · ${money(r.refundsTotalMinor)}`],
        ['Tax', money(r.taxMinor)],
        ['Float', money(r.shift.openingFloatMinor)],
        ['Cash in', money(r.cashInMinor)],
        ['Cash out', money(r.cashOutMinor)],
        // A Z report's seal (docs/edge.md#the-journal): the terminal's grand totals and its last document.
        ...(r.seal
          ? [
              ['Grand sales', money(r.seal.grandSalesMinor)],
              ['Grand refunds', money(r.seal.grandRefundsMinor)],
              ['Grand tax', money(r.seal.grandTaxMinor)],
              ['Sealed after', r.seal.lastDocumentHash.slice(0, 16)],
            ]
          : []),
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
    table(
      [
        ['Tender', (t) => t.method],
        ['Expected', (t) => money(t.expectedMinor), { num: true }],
        ['Counted', (t) => money(t.countedMinor), { num: true }],
        ['Difference', (t) => money(t.differenceMinor), { num: true }],
      ],
      r.tenders,
      { caption: 'Tenders', empty: 'No tenders yet.' },
    ),
  );
  box.querySelector('h2').scrollIntoView?.();
}

// ---- sync badge -------------------------------------------------------------------------------------------

let syncTimer;
async function refreshSync() {
  clearTimeout(syncTimer);
  const badge = $('sync');
  try {
    const s = await api('/v1/sync/status', { timeoutMs: 5000 });
    const last = s.lastSyncAt
      ? new Date(s.lastSyncAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
      : 'never';
    badge.className = `sync ${s.connected ? 'online' : 'offline'}${s.pending > 0 ? ' pending' : ''}`;
    badge.dataset.pending = String(s.pending);
    badge.dataset.connected = String(s.connected);
    badge.textContent = `${s.connected ? 'Online' : 'Offline'} · ${s.pending} pending · last sync ${last}`;
    badge.title = s.lastError ? `Last sync error: ${s.lastError}` : 'Sync with the cloud';
  } catch {
    badge.className = 'sync down';
    badge.dataset.connected = 'false';
    badge.textContent = 'Edge agent not answering';
  }
  syncTimer = setTimeout(refreshSync, 2000);
}

// ---- session --------------------------------------------------------------------------------------------

function endSession(message, kind = 'error') {
  sessionStorage.removeItem(KEY.session);
  state.token = null;
  state.session = null;
  $('app').hidden = true;
  $('sign-out').hidden = true;
  $('who').textContent = '';
  $('sign-in').hidden = false;
  $('pin').value = '';
  if (message) say(message, kind);
  ($('terminal').value ? ($('code').value ? $('pin') : $('code')) : $('terminal')).focus();
}

async function signIn(event) {
  event.preventDefault();
  clearMessage();
  const terminal = $('terminal').value.trim().toUpperCase();
  const code = $('code').value.trim().toUpperCase();
  const pin = $('pin').value;
  if (!terminal || !code || !pin) {
    say('Enter the terminal, your cashier code and your PIN.');
    return;
  }
  const button = $('sign-in-form').querySelector('button');
  button.disabled = true;
  try {
    const session = await api('/v1/cashier-sessions', {
      method: 'POST',
      body: { terminal, code, pin },
      timeoutMs: TIMEOUT_MS,
    });
    localStorage.setItem(KEY.terminal, terminal);
    sessionStorage.setItem(KEY.session, session.token);
    $('pin').value = '';
    await start(session.token, session);
  } catch (err) {
    if (err.code === 'cashier_pin_wrong') {
      const left = err.details?.attemptsLeft;
      say(
        `Wrong cashier code or PIN.${left !== undefined ? ` ${left} attempts left before this code is locked.` : ''}`,
      );
    } else if (err.code === 'cashier_locked') {
      const until = err.details?.lockedUntil;
      say(
        `Too many wrong PINs: this code is locked${until ? ` until ${state.time(until)}` : ' for a while'}.`,
      );
    } else if (err.code === 'invalid_input') {
      say(`Check the sign-in: ${err.message}`);
    } else say(`Could not sign in: ${err.message}`);
    $('pin').value = '';
    $('pin').focus();
  } finally {
    button.disabled = false;
  }
}

async function start(token, known) {
  state.token = token;
  const session = known ?? (await edge('/v1/cashier-sessions/current'));
  state.session = session;
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('sign-out').hidden = false;
  $('who').textContent =
    `${session.user.name} · terminal ${session.terminal} · branch ${state.branch.branch}`;
  state.cart = loadCart(session.terminal);
  show('sale');
  renderCart();
  await guarded(async () => {
    if (await settlePending()) await requote();
  }, 'Could not check the last payment');
  void loadShift();
  $('scan').focus();
}

async function signOut() {
  await guarded(() => edge('/v1/cashier-sessions/current', { method: 'DELETE' }), 'Sign-out');
  endSession('Signed out. The cart is kept for the next sign-in at this terminal.', 'ok');
}

// ---- views and keys --------------------------------------------------------------------------------------

function show(view) {
  for (const b of document.querySelectorAll('.tabs button')) {
    if (b.dataset.view === view) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  for (const v of ['sale', 'refund', 'shift']) $(`view-${v}`).hidden = v !== view;
  if (view === 'shift') void loadShift();
}

async function loadBranch() {
  try {
    state.branch = await api('/v1/branch', { timeoutMs: TIMEOUT_MS });
  } catch (err) {
    say(`Could not read the branch: ${err.message}`);
  }
  const currency = state.branch.currency ?? 'XXX';
  state.money = moneyFormat(currency);
  state.time = timeFormat(state.branch.timeZone);
  const rates = state.branch.taxRates.length
    ? state.branch.taxRates
    : [{ name: 'No tax', rateBp: 0, inclusive: false, isDefault: true }];
  $('o-tax').replaceChildren(
    ...rates.map((t) =>
      h(
        'option',
        { value: `${t.rateBp}:${t.inclusive}`, selected: t.isDefault },
        `${t.name} (${t.rateBp / 100}%)`,
      ),
    ),
  );
}

async function boot() {
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => void signOut());
  $('scan-form').addEventListener('submit', scan);
  $('open-form').addEventListener('submit', addOpenLine);
  $('pay-form').addEventListener('submit', pay);
  $('lookup-form').addEventListener('submit', lookUp);
  $('exact-cash').addEventListener('click', () => {
    if (!state.quote) return;
    $('card').value = '';
    $('tendered').value = minorText(state.quote.totalMinor, state.money.digits);
    void pay();
  });
  $('all-card').addEventListener('click', () => {
    if (!state.quote) return;
    $('tendered').value = '';
    $('card').value = minorText(state.quote.totalMinor, state.money.digits);
    void pay();
  });
  $('print').addEventListener('click', () => window.print());
  $('new-sale').addEventListener('click', closeReceipt);
  for (const b of document.querySelectorAll('.tabs button'))
    b.addEventListener('click', () => show(b.dataset.view));
  $('pay-form').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') $('scan').focus();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('receipt-area').hidden) closeReceipt();
  });
  await loadBranch();
  $('terminal').value = localStorage.getItem(KEY.terminal) ?? '';
  $('loading').hidden = true;
  void refreshSync();
  const token = sessionStorage.getItem(KEY.session);
  if (token) {
    state.token = token;
    const resumed = await guarded(() => start(token), 'Could not resume the session');
    if (resumed === undefined && !state.session) endSession();
  } else endSession();
}

boot().catch((err) => say(`The register could not start: ${err.message}`));
