// The HQ dashboard's document, served at `/`. Static: the script (assets/dashboard.js) signs in with
// the HQ session API, keeps the token in sessionStorage and fills every view from the JSON API.
import { pageShell } from '../../src/pages/shell.ts';

const body = `
<header class="bar">
  <h1>ModernPOS <span class="muted">HQ</span></h1>
  <p id="who" class="who" aria-live="polite"></p>
  <button type="button" id="sign-out" hidden>Sign out</button>
</header>
<div id="message" class="message" role="alert" aria-live="assertive" hidden></div>
<main id="main" tabindex="-1">
  <p id="loading">Loading the dashboard…</p>
  <noscript><p class="error">This page needs JavaScript to talk to the HQ API.</p></noscript>

  <section id="sign-in" class="card narrow" hidden aria-labelledby="sign-in-title">
    <h2 id="sign-in-title">Sign in to HQ</h2>
    <form id="sign-in-form" novalidate>
      <label for="org">Organization</label>
      <input id="org" name="org" autocomplete="organization" required maxlength="48" spellcheck="false">
      <label for="email">Email</label>
      <input id="email" name="email" type="email" autocomplete="username" required maxlength="254">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200">
      <button type="submit">Sign in</button>
    </form>
  </section>

  <section id="app" hidden aria-label="Dashboard">
    <nav class="tabs" aria-label="Views">
      <button type="button" data-view="sales" aria-current="page">Sales</button>
      <button type="button" data-view="health">Device health</button>
      <button type="button" data-view="catalog">Catalog</button>
      <button type="button" data-view="devices">Devices</button>
      <button type="button" data-view="users">Users</button>
      <button type="button" data-view="downloads">CSV downloads</button>
    </nav>

    <form id="filters" class="filters" aria-label="Period and branch">
      <label for="preset">Period</label>
      <select id="preset">
        <option value="today">Today</option>
        <option value="7">Last 7 days</option>
        <option value="30" selected>Last 30 days</option>
        <option value="month">This month</option>
        <option value="custom">Custom</option>
      </select>
      <label for="from">From</label>
      <input id="from" type="date" required>
      <label for="to">To</label>
      <input id="to" type="date" required>
      <label for="branch">Branch</label>
      <select id="branch"><option value="">All branches</option></select>
      <button type="submit">Show</button>
      <p id="zone" class="muted"></p>
    </form>

    <section id="view-sales" class="view" aria-label="Sales">
      <p id="freshness" class="freshness"></p>
      <div id="totals" class="totals"></div>
      <div class="grid">
        <article class="card wide" id="card-day"><h2>Sales by day</h2></article>
        <article class="card wide" id="card-hour"><h2>Sales by local hour</h2></article>
        <article class="card" id="card-branch"><h2>Sales by branch</h2></article>
        <article class="card" id="card-top"><h2>Top products</h2></article>
        <article class="card" id="card-payments"><h2>Payment mix</h2></article>
        <article class="card" id="card-flags"><h2>Flagged sales</h2></article>
        <article class="card wide" id="card-refunds"><h2>Refunds</h2></article>
      </div>
    </section>

    <section id="view-health" class="view" aria-label="Device health" hidden>
      <article class="card wide" id="card-freshness"><h2>Device health</h2></article>
      <article class="card wide" id="card-quarantine"><h2>Quarantined mutations</h2></article>
    </section>

    <section id="view-catalog" class="view" aria-label="Catalog" hidden>
      <article class="card wide" id="card-products"><h2>Products and prices</h2></article>
      <article class="card" id="card-tax"><h2>Tax rates</h2></article>
      <article class="card" id="card-branches"><h2>Branches</h2></article>
    </section>

    <section id="view-devices" class="view" aria-label="Devices" hidden>
      <article class="card wide" id="card-devices"><h2>Devices</h2></article>
    </section>

    <section id="view-users" class="view" aria-label="Users" hidden>
      <article class="card wide" id="card-users"><h2>Users</h2></article>
    </section>

    <section id="view-downloads" class="view" aria-label="CSV downloads" hidden>
      <article class="card wide" id="card-downloads"><h2>Every report as CSV</h2>
        <p class="muted">For the period and branch above (inventory and device health are as of now).</p>
      </article>
    </section>
  </section>
</main>
`;

export const dashboardHtml = pageShell({
  title: 'ModernPOS HQ',
  script: 'dashboard.js',
  preload: ['common.js', 'charts.js', 'vendor/uPlot.esm.js'],
  styles: ['vendor/uPlot.min.css'],
  body,
});
