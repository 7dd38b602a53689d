// The register's document, served by the edge at `/`. Static (the same bytes for everyone): the
// script (assets/register.js) signs the cashier in with the edge's cashier sessions and does
// everything else through the cashier API with that session (docs/register.md).
import { pageShell } from '../../src/pages/shell.ts';

const body = `
<header class="bar">
  <h1>ModernPOS <span class="muted">Register</span></h1>
  <p id="who" class="who" aria-live="polite"></p>
  <p id="sync" class="sync unknown" role="status" aria-live="polite" title="Sync with the cloud">Sync: checking…</p>
  <button type="button" id="sign-out" hidden>Sign out</button>
</header>
<div id="message" class="message" role="alert" aria-live="assertive" hidden></div>
<main id="main" tabindex="-1">
  <p id="loading">Loading the register…</p>
  <noscript><p class="error">The register needs JavaScript to talk to the till's edge agent.</p></noscript>

  <section id="sign-in" class="card narrow" hidden aria-labelledby="sign-in-title">
    <h2 id="sign-in-title">Sign in at the till</h2>
    <form id="sign-in-form" novalidate>
      <label for="terminal">Terminal</label>
      <input id="terminal" name="terminal" required maxlength="16" autocomplete="off" spellcheck="false" autocapitalize="characters">
      <label for="code">Cashier code</label>
      <input id="code" name="code" required maxlength="16" autocomplete="username" spellcheck="false" autocapitalize="characters">
      <label for="pin">PIN</label>
      <input id="pin" name="pin" type="password" required maxlength="8" inputmode="numeric" autocomplete="current-password">
      <button type="submit">Sign in</button>
    </form>
  </section>

  <section id="app" hidden aria-label="Register">
    <nav class="tabs" aria-label="Views">
      <button type="button" data-view="sale" aria-current="page">Sale</button>
      <button type="button" data-view="refund">Refund</button>
      <button type="button" data-view="shift">Shift</button>
    </nav>

    <section id="view-sale" class="view sale-view" aria-label="Sale">
      <div class="sale-main">
        <form id="scan-form" class="scan" autocomplete="off">
          <label for="scan">Scan a barcode, or search by name or SKU</label>
          <div class="row">
            <input id="scan" name="scan" maxlength="120" spellcheck="false" aria-describedby="scan-help">
            <button type="submit">Add</button>
          </div>
          <p id="scan-help" class="muted small">Enter adds the item. Enter on an empty field goes to payment.</p>
        </form>
        <div id="results" class="results" aria-live="polite"></div>
        <div class="card" id="cart-card">
          <h2>Cart</h2>
          <div id="cart"></div>
        </div>
        <details id="open-line" class="card">
          <summary>Open-price item</summary>
          <form id="open-form" class="form-grid" novalidate>
            <label for="o-name">Description</label>
            <input id="o-name" required maxlength="120">
            <label for="o-price">Price</label>
            <input id="o-price" required inputmode="decimal" maxlength="16">
            <label for="o-tax">Tax rate</label>
            <select id="o-tax"></select>
            <button type="submit">Add item</button>
          </form>
        </details>
      </div>
      <aside class="sale-side" aria-label="Totals and payment">
        <div class="card totals-card">
          <h2>Total</h2>
          <dl id="totals" class="totals-list"></dl>
        </div>
        <form id="pay-form" class="card pay" novalidate>
          <h2>Payment</h2>
          <label for="tendered">Cash tendered</label>
          <input id="tendered" inputmode="decimal" maxlength="16" autocomplete="off">
          <label for="card">Card amount</label>
          <input id="card" inputmode="decimal" maxlength="16" autocomplete="off">
          <div class="row">
            <button type="submit" id="pay">Pay</button>
            <button type="button" id="exact-cash">Exact cash</button>
            <button type="button" id="all-card">All by card</button>
          </div>
          <p class="muted small">Split: a card amount and the cash tendered for the rest.</p>
        </form>
      </aside>
    </section>

    <section id="view-refund" class="view" aria-label="Refund" hidden>
      <form id="lookup-form" class="card filters" novalidate>
        <label for="receipt-no">Receipt number</label>
        <input id="receipt-no" maxlength="64" spellcheck="false" autocapitalize="characters">
        <button type="submit">Find</button>
      </form>
      <div id="refund" class="card" hidden></div>
    </section>

    <section id="view-shift" class="view" aria-label="Shift" hidden>
      <div id="shift" class="card"><h2>Shift</h2></div>
      <div id="report" class="card" hidden></div>
    </section>
  </section>

  <section id="receipt-area" class="card receipt-area" hidden aria-labelledby="receipt-title">
    <h2 id="receipt-title">Receipt</h2>
    <div id="receipt" class="receipt"></div>
    <div class="row no-print">
      <button type="button" id="print">Print</button>
      <button type="button" id="new-sale" class="primary">New sale</button>
    </div>
  </section>
</main>
`;

export const registerHtml = pageShell({
  title: 'ModernPOS Register',
  script: 'register.js',
  preload: ['common.js'],
  styles: ['register.css'],
  body,
});
