// The operator console's document, served at `/admin` (the admin API's JSON routes stay under
// /admin/…). Static: the script (assets/console.js) holds the admin token in sessionStorage and
// calls the admin API with it.
import { pageShell } from '../../src/pages/shell.ts';

const body = `
<header class="bar">
  <h1>ModernPOS <span class="muted">operator console</span></h1>
  <p id="who" class="who"></p>
  <button type="button" id="sign-out" hidden>Forget token</button>
</header>
<div id="message" class="message" role="alert" aria-live="assertive" hidden></div>
<main id="main" tabindex="-1">
  <p id="loading">Loading the console…</p>
  <noscript><p class="error">This page needs JavaScript to talk to the admin API.</p></noscript>

  <section id="sign-in" class="card narrow" hidden aria-labelledby="sign-in-title">
    <h2 id="sign-in-title">Operator sign-in</h2>
    <p class="muted">The admin token is in <code>data/admin.token</code> (or <code>MODERNPOS_ADMIN_TOKEN</code>).</p>
    <form id="sign-in-form" novalidate>
      <label for="token">Admin token</label>
      <input id="token" name="token" type="password" autocomplete="off" required maxlength="500" spellcheck="false">
      <button type="submit">Open the console</button>
    </form>
  </section>

  <section id="app" hidden aria-label="Console">
    <article class="card wide" id="card-tenants">
      <h2>Tenants</h2>
      <p id="fleet-generated" class="muted"></p>
      <button type="button" id="refresh">Refresh</button>
      <div id="tenants"></div>
    </article>

    <article class="card wide" id="card-onboard">
      <h2>Onboard a tenant</h2>
      <form id="onboard-form" class="form-grid">
        <label for="on-org">Organization id</label>
        <input id="on-org" required maxlength="48" pattern="[a-z0-9][a-z0-9_]*" spellcheck="false" aria-describedby="on-org-help">
        <p id="on-org-help" class="muted help">Lower-case letters, digits and underscores (at most 48); it names the database.</p>
        <label for="on-name">Name</label>
        <input id="on-name" required maxlength="200">
        <label for="on-email">Owner email</label>
        <input id="on-email" type="email" maxlength="254" placeholder="owner@example.com">
        <label for="on-tz">Time zone</label>
        <input id="on-tz" maxlength="64" placeholder="UTC" list="zones">
        <datalist id="zones"></datalist>
        <label for="on-currency">Currency</label>
        <input id="on-currency" maxlength="3" placeholder="USD" pattern="[A-Z]{3}">
        <button type="submit">Onboard</button>
      </form>
      <div id="onboarded" aria-live="polite"></div>
    </article>

    <dialog id="offboard-dialog" aria-labelledby="offboard-title">
      <form id="offboard-form" method="dialog">
        <h2 id="offboard-title">Offboard a tenant</h2>
        <p>Offboarding drops the tenant's database. Export it first if it is needed.</p>
        <label for="offboard-confirm">Type <strong id="offboard-org"></strong> to confirm</label>
        <input id="offboard-confirm" autocomplete="off" spellcheck="false" required>
        <div class="actions">
          <button type="button" id="offboard-cancel">Cancel</button>
          <button type="submit" id="offboard-go" class="danger" disabled>Offboard</button>
        </div>
      </form>
    </dialog>
  </section>
</main>
`;

export const consoleHtml = pageShell({
  title: 'ModernPOS operator console',
  script: 'console.js',
  preload: ['common.js'],
  body,
});
