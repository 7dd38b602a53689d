// Benchmark: the HQ reports of SPEC §10 on one tenant with 1,000,000 sale lines (issue 6): sales by
// day over the last 30 days of a year of data, the top 10 products and payments over the same days,
// each through `runReport` (its read-only snapshot, settings and freshness included) on a pool of the
// platform's engine; target p50 ≤ 200 ms each. Ceiling for each: one bare query on a plain pg.Client
// reading the same rows with the least work, timed the same way and interleaved with the report.
// The data is made by set-based SQL in the tenant database (not timed as a figure); EXPLAIN (ANALYZE,
// BUFFERS) of each report's main query, captured as the report sends it, is summarised at the end.
import type pg from 'pg';
import { type ReportName, reports, runReport } from '../../cloud/reports/reports.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { SqlDatabase, SqlQueryable } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { createTestPlatform } from '../helpers/engines.ts';
import {
  adminClient,
  checkInterrupted,
  fmt,
  log,
  median,
  now,
  orgId,
  percentile,
  type Row,
  rememberNames,
  row,
} from './common.ts';

export const REPORT_SALE_LINES = Number(process.env.BENCH_REPORTS_LINES || 1_000_000);
const SAMPLES = Number(process.env.BENCH_REPORTS_SAMPLES || 30);
const WARMUP = 3;
const DAYS = 365;
const PERIOD_DAYS = 30;
const TARGET_MS = 200;
/** Refunds: one line each, ~3 % of the documents. */
const REFUND_SHARE = 0.03;

/** Branches in four time zones; MAIN is the one onboarding makes (in the tenant's zone). */
const BRANCHES = [
  { code: 'MAIN', name: 'Paris Rivoli', timeZone: 'Europe/Paris', terminals: 3, weight: 1.0 },
  { code: 'LIS', name: 'Lisboa Chiado', timeZone: 'Europe/Lisbon', terminals: 2, weight: 0.8 },
  { code: 'NYC', name: 'New York SoHo', timeZone: 'America/New_York', terminals: 3, weight: 1.2 },
  { code: 'TYO', name: 'Tokyo Ginza', timeZone: 'Asia/Tokyo', terminals: 2, weight: 0.9 },
] as const;
const TENANT_TIME_ZONE = 'Europe/Paris';
const PRODUCTS = 500;
const CASHIERS_PER_BRANCH = 7;

const DAY_MS = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface GeneratedData {
  first: string;
  last: string;
  sales: number;
  refunds: number;
  lines: number;
  payments: number;
  shifts: number;
  ms: number;
}

/**
 * Fills a freshly onboarded tenant database with a year of documents ending yesterday (UTC):
 * `lines` sale lines in all, refunds included. Set-based SQL only; the caller's client must be a
 * superuser or the tenant's owner. Ends with ANALYZE (and VACUUM: see below).
 */
export async function generateReportData(
  client: pg.Client,
  lines = REPORT_SALE_LINES,
): Promise<GeneratedData> {
  const start = now();
  const lastMs = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS;
  const last = isoDate(lastMs);
  const first = isoDate(lastMs - (DAYS - 1) * DAY_MS);
  const refunds = Math.round((lines / 3) * REFUND_SHARE);
  const saleLines = lines - refunds;
  const terminals = BRANCHES.flatMap((b) =>
    Array.from({ length: b.terminals }, (_, i) => ({
      branch: b.code,
      terminal: `T${i + 1}`,
      tz: b.timeZone,
      weight: b.weight,
    })),
  );
  // Candidate sales: ~4 % more than needed, so the cut to exactly `saleLines` lines (in random order)
  // thins every day alike. Weekends sell 1.4× a weekday, Fridays 1.15×, and the year grows by 20 %.
  const weights = terminals.reduce((n, t) => n + t.weight, 0);
  const meanDayFactor = (4 * 0.9 + 1.15 + 2 * 1.4) / 7;
  const perShift = (1.04 * (saleLines / 3.03)) / (DAYS * weights * meanDayFactor);
  const q = (sql: string, params?: unknown[]) => client.query(sql, params);
  const step = async (label: string, sql: string, params?: unknown[]) => {
    checkInterrupted();
    const t = now();
    await q(sql, params);
    stepMs.push(`${label} ${fmt((now() - t) / 1000)}`);
  };
  const stepMs: string[] = [];

  // Session-only settings for a bulk load; temp_buffers must precede the first temporary table.
  await q(`SET synchronous_commit = off; SET temp_buffers = '512MB'; SET work_mem = '256MB'`);
  await q('SELECT setseed(0.6)');

  // Reference data: branches, their tills (devices, terminals), cashiers, tax rates, products.
  await q(
    `CREATE TEMP TABLE g_terminals (branch text, terminal text, tz text, weight float8, device_id text)`,
  );
  await q(
    `INSERT INTO g_terminals SELECT branch, terminal, tz, weight, gen_random_uuid()::text
     FROM json_to_recordset($1::json) AS t(branch text, terminal text, tz text, weight float8)`,
    [JSON.stringify(terminals)],
  );
  await q(
    `INSERT INTO branches (id, code, name, time_zone, active, created_at, updated_at)
     SELECT gen_random_uuid()::text, code, name, tz, true, now(), now()
     FROM json_to_recordset($1::json) AS b(code text, name text, tz text)
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, time_zone = EXCLUDED.time_zone`,
    [JSON.stringify(BRANCHES.map((b) => ({ code: b.code, name: b.name, tz: b.timeZone })))],
  );
  await q(
    `INSERT INTO devices (id, branch_id, name, token_hash, created_at, last_seen_at, last_applied_seq, store_id)
     SELECT t.device_id, b.id, 'Till ' || t.branch || ' ' || t.terminal,
       encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'hex'), now() - interval '400 days',
       now() - random() * interval '2 hours', 0, gen_random_uuid()::text
     FROM g_terminals t JOIN branches b ON b.code = t.branch`,
  );
  await q(
    `INSERT INTO terminals (branch_id, code, device_id, created_at)
     SELECT b.id, t.terminal, t.device_id, now() - interval '400 days'
     FROM g_terminals t JOIN branches b ON b.code = t.branch`,
  );
  await q(
    `CREATE TEMP TABLE g_users AS
     SELECT b.code AS branch, k, gen_random_uuid()::text AS id, 'Cashier ' || b.code || ' ' || (k + 1) AS name
     FROM (SELECT DISTINCT branch AS code FROM g_terminals) b, generate_series(0, ${CASHIERS_PER_BRANCH - 1}) k`,
  );
  await q(
    `INSERT INTO users (id, email, name, role_id, active, created_at, updated_at)
     SELECT id, lower(branch) || '.' || (k + 1) || '@bench.example', name, 'cashier', true,
       now() - interval '400 days', now() - interval '400 days'
     FROM g_users`,
  );
  await q(
    `INSERT INTO tax_rates (id, name, rate_bp, inclusive, is_default, created_at, updated_at) VALUES
       (gen_random_uuid()::text, 'Standard 20 %', 2000, true, false, now(), now()),
       (gen_random_uuid()::text, 'Reduced 5.5 %', 550, true, false, now(), now())`,
  );
  // Prices log-uniform from 1.00 to 60.00; every tenth product is sold by weight (price per kg).
  await q(
    `CREATE TEMP TABLE g_products AS
     SELECT i AS n, gen_random_uuid()::text AS id, 'SKU-' || lpad(i::text, 5, '0') AS sku,
       (ARRAY['Coffee', 'Tea', 'Milk', 'Bread', 'Cheese', 'Apples', 'Soap', 'Pasta', 'Rice', 'Juice'])[1 + i % 10]
         || ' ' || i AS name,
       (ARRAY['grocery', 'drinks', 'household', 'bakery', 'deli'])[1 + i % 5] AS category,
       CASE WHEN i % 4 = 0 THEN 2000 ELSE 550 END AS rate_bp,
       i % 10 = 5 AS weighed,
       round(100 * exp(random() * ln(60)))::bigint AS price
     FROM generate_series(1, ${PRODUCTS}) i`,
  );
  await q(
    `INSERT INTO products (id, sku, barcode, name, category, tax_rate_id, active, created_at, updated_at)
     SELECT p.id, p.sku, '376' || lpad(p.n::text, 10, '0'), p.name, p.category, r.id, true,
       now() - interval '400 days', now() - interval '400 days'
     FROM g_products p JOIN tax_rates r ON r.rate_bp = p.rate_bp AND NOT r.is_default`,
  );
  await q(
    `INSERT INTO prices (id, product_id, branch_id, price_minor, effective_from, created_at)
     SELECT gen_random_uuid()::text, id, NULL, price, now() - interval '400 days', now() - interval '400 days'
     FROM g_products`,
  );

  // One shift per till and business day, 07:30 to 22:00 local.
  await step(
    'shifts',
    `CREATE TEMP TABLE g_shifts AS
     SELECT gen_random_uuid()::text AS id, t.branch, t.terminal, t.device_id, t.tz, t.weight,
       d::date AS day, d::date - DATE '${first}' AS day_index
     FROM g_terminals t, generate_series(DATE '${first}', DATE '${last}', interval '1 day') d`,
  );
  // Sales between 08:00 and 21:00 local (peaking mid-afternoon), 1 to 15 lines (mean ~3).
  await step(
    'candidates',
    `CREATE TEMP TABLE g_cand AS
     SELECT sh.id AS shift_id, sh.branch, sh.terminal, sh.device_id, sh.tz, sh.day,
       (sh.day + make_interval(secs => 28800 + (random() + random()) / 2 * 46800)) AT TIME ZONE sh.tz AS occurred_at,
       least(15, 1 + floor(-2.5 * ln(1 - random())))::int AS n_lines,
       CASE WHEN random() < 0.85 THEN floor(random() * ${CASHIERS_PER_BRANCH})::int END AS cashier_k,
       random() AS pay, random() AS shuffle
     FROM (
       SELECT sh.*, round(sh.weight * ${perShift}
         * CASE extract(isodow FROM sh.day) WHEN 6 THEN 1.4 WHEN 7 THEN 1.4 WHEN 5 THEN 1.15 ELSE 0.9 END
         * (0.9 + 0.2 * sh.day_index / ${DAYS - 1}.0) * (0.75 + 0.5 * random()))::int AS cnt
       FROM g_shifts sh) sh,
     generate_series(1, sh.cnt)`,
  );
  await step(
    'cut',
    `CREATE TEMP TABLE g_sale AS
     SELECT gen_random_uuid()::text AS id, x.shift_id, x.branch, x.terminal, x.device_id, x.tz, x.day,
       x.occurred_at, least(x.n_lines, ${saleLines} - (x.cum - x.n_lines))::int AS n_lines, x.cashier_k, x.pay
     FROM (SELECT c.*, sum(c.n_lines) OVER (ORDER BY c.shuffle ROWS UNBOUNDED PRECEDING) AS cum FROM g_cand c) x
     WHERE x.cum - x.n_lines < ${saleLines}`,
  );
  const [made] = (await q('SELECT count(*)::int AS n, coalesce(sum(n_lines), 0)::int AS l FROM g_sale')).rows;
  if (made.l !== saleLines)
    throw new Error(`generated ${made.l} sale lines, not ${saleLines}: too few candidates`);

  // Lines: products by a skewed popularity, 1 to 3+ units (or 0.15–2 kg), 8 % with a 10 % discount,
  // 1 % open-price lines without a product; tax included in the price.
  await step(
    'lines',
    `CREATE TEMP TABLE g_lines AS
     WITH raw AS (
       SELECT s.id AS sale_id, s.occurred_at, s.day, s.branch, ln AS line_no,
         1 + floor(${PRODUCTS} * power(random(), 2.5))::int AS pn, random() AS r1, random() AS r2
       FROM g_sale s, generate_series(1, s.n_lines) ln),
     q AS (
       SELECT raw.*, p.price, p.rate_bp, r2 > 0.99 AS open_price,
         CASE WHEN p.weighed THEN 150 + floor(r1 * 1850)::bigint
           WHEN r1 < 0.8 THEN 1000 WHEN r1 < 0.95 THEN 2000
           ELSE 3000 + 1000 * floor((r1 - 0.95) * 60)::bigint END AS qty,
         p.id, p.name
       FROM raw JOIN g_products p ON p.n = raw.pn),
     a AS (SELECT q.*, round(q.qty * q.price / 1000.0)::bigint AS amount FROM q),
     d AS (SELECT a.*, CASE WHEN r2 < 0.08 THEN round(a.amount * 0.1)::bigint ELSE 0 END AS disc FROM a)
     SELECT sale_id, occurred_at, day, branch, line_no,
       CASE WHEN open_price THEN NULL ELSE id END AS product_id,
       CASE WHEN open_price THEN 'Miscellaneous' ELSE name END AS name,
       qty, price AS unit, amount, disc, rate_bp,
       round((amount - disc) * rate_bp / (10000.0 + rate_bp))::bigint AS tax, amount - disc AS total
     FROM d`,
  );
  await step(
    'totals',
    `CREATE TEMP TABLE g_tot AS
     SELECT sale_id, sum(amount)::bigint AS sub, sum(disc)::bigint AS disc, sum(tax)::bigint AS tax,
       sum(total)::bigint AS total
     FROM g_lines GROUP BY sale_id`,
  );
  // Refunds of one line each, up to 14 days after the sale (most the same day), same till.
  await step(
    'refunds',
    `CREATE TEMP TABLE g_refund AS
     WITH picked AS (
       SELECT o.*, least(DATE '${last}', o.day + floor(power(random(), 3) * 15)::int) AS rday,
         1 + floor(random() * o.n_lines)::int AS orig_line, random() AS t, random() AS why
       FROM g_sale o ORDER BY random() LIMIT ${refunds})
     SELECT gen_random_uuid()::text AS id, p.id AS original_sale_id, p.branch, p.terminal, p.device_id,
       sh.id AS shift_id, p.rday AS day, p.cashier_k, p.pay < 0.42 AS cash,
       greatest(p.occurred_at + interval '5 minutes',
         (p.rday + make_interval(secs => 28800 + p.t * 46800)) AT TIME ZONE p.tz) AS occurred_at,
       (ARRAY['damaged', 'wrong item', 'changed mind'])[1 + floor(p.why * 3)::int] AS reason,
       l.line_no AS orig_line, l.product_id, l.name, l.qty, l.unit, l.amount, l.disc, l.rate_bp, l.tax, l.total
     FROM picked p
     JOIN g_lines l ON l.sale_id = p.id AND l.line_no = p.orig_line
     JOIN g_shifts sh ON sh.branch = p.branch AND sh.terminal = p.terminal AND sh.day = p.rday`,
  );

  // The tenant's tables, in the order the documents happened (as syncs append them).
  await step(
    'sales',
    `INSERT INTO sales (id, receipt_no, kind, original_sale_id, branch_code, terminal, device_id, shift_id,
       cashier, cashier_user_id, customer_id, currency, subtotal_minor, discount_minor, tax_minor, total_minor,
       change_minor, occurred_at, business_date, reason, flags, received_at)
     SELECT d.id, d.branch || '-' || d.terminal || '-' || d.series
         || lpad((row_number() OVER (PARTITION BY d.branch, d.terminal, d.series ORDER BY d.occurred_at))::text, 6, '0'),
       d.kind, d.original_sale_id, d.branch, d.terminal, d.device_id, d.shift_id, u.name, u.id, NULL, 'EUR',
       d.sub, d.disc, d.tax, d.total, d.change, d.occurred_at, d.day, d.reason, '[]',
       d.occurred_at + random() * interval '10 minutes'
     FROM (
       SELECT s.id, 'sale' AS kind, '' AS series, NULL AS original_sale_id, s.branch, s.terminal, s.device_id,
         s.shift_id, s.cashier_k, t.sub, t.disc, t.tax, t.total,
         CASE WHEN s.pay < 0.42 THEN (ceil(t.total / 500.0) * 500)::bigint - t.total ELSE 0 END AS change,
         s.occurred_at, s.day, NULL AS reason
       FROM g_sale s JOIN g_tot t ON t.sale_id = s.id
       UNION ALL
       SELECT r.id, 'refund', 'R', r.original_sale_id, r.branch, r.terminal, r.device_id, r.shift_id, r.cashier_k,
         r.amount, r.disc, r.tax, r.total, 0, r.occurred_at, r.day, r.reason
       FROM g_refund r) d
     LEFT JOIN g_users u ON u.branch = d.branch AND u.k = d.cashier_k
     ORDER BY d.occurred_at`,
  );
  await step(
    'sale_lines',
    `INSERT INTO sale_lines (sale_id, line_no, product_id, name, qty_milli, unit_price_minor, amount_minor,
       discount_minor, tax_rate_bp, tax_inclusive, tax_minor, total_minor, original_line_no, flags,
       business_date, kind, branch_code)
     SELECT sale_id, line_no, product_id, name, qty, unit, amount, disc, rate_bp, true, tax, total, orig_line, '[]',
       day, kind, branch
     FROM (
       SELECT sale_id, occurred_at, line_no, product_id, name, qty, unit, amount, disc, rate_bp, tax, total,
         NULL::int AS orig_line, day, 'sale' AS kind, branch
       FROM g_lines
       UNION ALL
       SELECT id, occurred_at, 1, product_id, name, qty, unit, amount, disc, rate_bp, tax, total, orig_line,
         day, 'refund', branch
       FROM g_refund) l
     ORDER BY occurred_at, sale_id, line_no`,
  );
  // Cash 42 % (tendered rounded up to 5.00), card 50 %, voucher then card 5 %, voucher alone 3 %;
  // a refund pays back cash if the sale was paid cash, else to the card.
  await step(
    'payments',
    `INSERT INTO payments (sale_id, payment_no, method, amount_minor, tendered_minor, change_minor, reference,
       business_date, kind, branch_code)
     SELECT sale_id, payment_no, method, amount, tendered, amount_change, reference, day, kind, branch
     FROM (
       SELECT s.id AS sale_id, s.occurred_at, s.day, 'sale' AS kind, s.branch, 1 AS payment_no,
         CASE WHEN s.pay < 0.42 THEN 'cash' WHEN s.pay < 0.92 THEN 'card' ELSE 'voucher' END AS method,
         CASE WHEN s.pay >= 0.92 AND s.pay < 0.97 AND t.total > 1000 THEN 1000 ELSE t.total END AS amount,
         CASE WHEN s.pay < 0.42 THEN (ceil(t.total / 500.0) * 500)::bigint
           WHEN s.pay >= 0.92 AND s.pay < 0.97 AND t.total > 1000 THEN 1000 ELSE t.total END AS tendered,
         CASE WHEN s.pay < 0.42 THEN (ceil(t.total / 500.0) * 500)::bigint - t.total ELSE 0 END AS amount_change,
         CASE WHEN s.pay >= 0.42 AND s.pay < 0.92 THEN 'AUTH' || floor(random() * 1e6)::int END AS reference
       FROM g_sale s JOIN g_tot t ON t.sale_id = s.id
       UNION ALL
       SELECT s.id, s.occurred_at, s.day, 'sale', s.branch, 2, 'card', t.total - 1000, t.total - 1000, 0,
         'AUTH' || floor(random() * 1e6)::int
       FROM g_sale s JOIN g_tot t ON t.sale_id = s.id
       WHERE s.pay >= 0.92 AND s.pay < 0.97 AND t.total > 1000
       UNION ALL
       SELECT r.id, r.occurred_at, r.day, 'refund', r.branch, 1, CASE WHEN r.cash THEN 'cash' ELSE 'card' END,
         r.total, r.total, 0, NULL
       FROM g_refund r) p
     ORDER BY occurred_at, sale_id, payment_no`,
  );
  // Shifts closed with the cash drawer counted as expected, and the card total counted.
  await step(
    'shifts',
    `INSERT INTO shifts (id, branch_code, terminal, device_id, opened_by, opened_at, opening_float_minor,
       business_date, closed_by, closed_at, counted_cash_minor)
     SELECT sh.id, sh.branch, sh.terminal, sh.device_id, u.id, (sh.day + time '07:30') AT TIME ZONE sh.tz, 20000,
       sh.day, u.id, (sh.day + time '22:00') AT TIME ZONE sh.tz, 20000 + coalesce(c.cash, 0)
     FROM g_shifts sh
     LEFT JOIN g_users u ON u.branch = sh.branch AND u.k = 0
     LEFT JOIN (
       SELECT s.shift_id, sum(CASE WHEN s.kind = 'sale' THEN p.amount_minor ELSE -p.amount_minor END) AS cash
       FROM sales s JOIN payments p ON p.sale_id = s.id WHERE p.method = 'cash' GROUP BY 1) c ON c.shift_id = sh.id
     ORDER BY sh.day, sh.branch, sh.terminal`,
  );
  await step(
    'shift_counts',
    `INSERT INTO shift_counts (shift_id, method, counted_minor)
     SELECT id, 'cash', counted_cash_minor FROM shifts
     UNION ALL
     SELECT s.shift_id, p.method, greatest(0, sum(CASE WHEN s.kind = 'sale' THEN p.amount_minor ELSE -p.amount_minor END))
     FROM sales s JOIN payments p ON p.sale_id = s.id WHERE p.method <> 'cash' GROUP BY 1, 2`,
  );
  await q('DROP TABLE g_terminals, g_users, g_products, g_shifts, g_cand, g_sale, g_lines, g_tot, g_refund');
  // VACUUM as well as ANALYZE: autovacuum vacuums insert-only tables too (PostgreSQL ≥ 13), and would
  // otherwise start in the middle of the measurement after a million inserted rows.
  await step(
    'vacuum analyze',
    'VACUUM (ANALYZE) sales, sale_lines, payments, shifts, shift_counts, products, prices, users, branches, devices, terminals, tax_rates',
  );
  const [counts] = (
    await q(
      `SELECT (SELECT count(*) FROM sales WHERE kind = 'sale')::int AS sales,
         (SELECT count(*) FROM sales WHERE kind = 'refund')::int AS refunds,
         (SELECT count(*) FROM sale_lines)::int AS lines,
         (SELECT count(*) FROM payments)::int AS payments,
         (SELECT count(*) FROM shifts)::int AS shifts`,
    )
  ).rows;
  if (counts.lines !== lines) throw new Error(`${counts.lines} sale lines generated, expected ${lines}`);
  // Lines and payments carry their sale's date, kind and branch (tenant migration 0006), which the
  // reports read without joining sales: the generated copies must be their sale's.
  const [drift] = (
    await q(
      `SELECT (SELECT count(*) FROM sale_lines l JOIN sales s ON s.id = l.sale_id
         WHERE (l.business_date, l.kind, l.branch_code) IS DISTINCT FROM (s.business_date, s.kind, s.branch_code))::int
       + (SELECT count(*) FROM payments p JOIN sales s ON s.id = p.sale_id
         WHERE (p.business_date, p.kind, p.branch_code) IS DISTINCT FROM (s.business_date, s.kind, s.branch_code))::int AS n`,
    )
  ).rows;
  if (drift.n !== 0)
    throw new Error(`${drift.n} lines or payments differ from their sale's date, kind or branch`);
  const ms = now() - start;
  log(`  generation steps (s): ${stepMs.join(', ')}`);
  return { first, last, ...counts, ms };
}

/** A database whose transactions record every statement sent (to EXPLAIN exactly what a report runs). */
function recording(db: SqlDatabase, sent: { sql: string; params: unknown[] }[]) {
  return {
    transaction: <T>(fn: (tx: SqlQueryable) => Promise<T>) =>
      db.transaction((tx) =>
        fn({
          ...tx,
          query: (sql, params) => {
            sent.push({ sql, params: [...(params ?? [])] });
            return tx.query(sql, params);
          },
        }),
      ),
  };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Alias?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Actual Total Time'?: number;
  'Heap Fetches'?: number;
  Plans?: PlanNode[];
}

interface Explained {
  Plan: PlanNode & { 'Shared Hit Blocks'?: number; 'Shared Read Blocks'?: number };
  'Planning Time': number;
  'Execution Time': number;
  JIT?: { Timing?: { Total?: number } };
}

/** One line per plan node, nested by indentation: type, relation or index, rows × loops, time. */
function planLines(node: PlanNode, depth = 0): string[] {
  const on = node['Index Name']
    ? ` ${node['Index Name']}`
    : node['Relation Name']
      ? ` ${node['Relation Name']}`
      : '';
  const rows = node['Actual Rows'] ?? 0;
  const loops = node['Actual Loops'] ?? 1;
  const fetches = node['Heap Fetches'] === undefined ? '' : `, heap fetches ${node['Heap Fetches']}`;
  const time = fmt((node['Actual Total Time'] ?? 0) * loops);
  const line = `${'  '.repeat(depth)}${node['Node Type']}${on} (${rows}${loops > 1 ? ` × ${loops}` : ''} rows, ${time} ms${fetches})`;
  return [line, ...(node.Plans ?? []).flatMap((child) => planLines(child, depth + 1))];
}

/** EXPLAIN (ANALYZE, BUFFERS) of one statement on `client`: the plan's lines and its totals. */
export async function explain(
  client: pg.Client,
  sql: string,
  params: unknown[],
): Promise<{ lines: string[]; summary: string; ms: number }> {
  const res = await client.query<{ 'QUERY PLAN': Explained[] }>(
    `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`,
    params,
  );
  const e = res.rows[0]!['QUERY PLAN'][0]!;
  const jit = e.JIT?.Timing?.Total;
  const buffers = `shared hit ${e.Plan['Shared Hit Blocks'] ?? 0}, read ${e.Plan['Shared Read Blocks'] ?? 0}`;
  return {
    lines: planLines(e.Plan),
    summary: `execution ${fmt(e['Execution Time'])} ms, planning ${fmt(e['Planning Time'])} ms${jit === undefined ? '' : `, of which JIT ${fmt(jit)} ms`}; buffers ${buffers}`,
    ms: e['Execution Time'],
  };
}

interface Measured {
  report: number[];
  ceiling: number[];
}

/** Warm-up, then SAMPLES runs of the report each followed by its ceiling (alternating which goes first). */
async function measure(runOnce: () => Promise<void>, ceilingOnce: () => Promise<void>): Promise<Measured> {
  const report: number[] = [];
  const ceiling: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    checkInterrupted();
    const timed = async (fn: () => Promise<void>, into: number[]) => {
      const t = now();
      await fn();
      if (i >= WARMUP) into.push(now() - t);
    };
    if (i % 2 === 0) {
      await timed(runOnce, report);
      await timed(ceilingOnce, ceiling);
    } else {
      await timed(ceilingOnce, ceiling);
      await timed(runOnce, report);
    }
  }
  return { report, ceiling };
}

export async function reportsBench(): Promise<Row[]> {
  if (!Number.isInteger(REPORT_SALE_LINES) || REPORT_SALE_LINES < 10_000) {
    throw new Error('BENCH_REPORTS_LINES must be a whole number ≥ 10000');
  }
  const platform = await createTestPlatform('postgres');
  rememberNames(platform.config.controlDatabase!, platform.config.templateDatabase!);
  let admin: pg.Client | undefined;
  let db: ReturnType<typeof platform.engine.openDatabase> | undefined;
  try {
    const org = orgId('r', 0);
    await onboardTenant(platform.tenants, {
      orgId: org,
      name: 'Reports bench',
      timezone: TENANT_TIME_ZONE,
      currency: 'EUR',
    });
    const database = tenantDatabaseName(org);
    admin = await adminClient(database);
    const data = await generateReportData(admin);
    log(
      `  generated in ${fmt(data.ms / 1000)} s (not the figure): ${data.lines} sale lines, ${data.sales} sales, ` +
        `${data.refunds} refunds, ${data.payments} payments, ${data.shifts} shifts; ` +
        `${BRANCHES.length} branches (${BRANCHES.map((b) => b.timeZone).join(', ')}), ${data.first}..${data.last}`,
    );
    const sizes = await admin.query<{ t: string; size: string }>(
      `SELECT t, pg_size_pretty(pg_total_relation_size(t::regclass)) AS size
       FROM unnest(ARRAY['sales', 'sale_lines', 'payments']) t`,
    );
    log(`  sizes with indexes: ${sizes.rows.map((r) => `${r.t} ${r.size}`).join(', ')}`);

    const to = data.last;
    const from = new Date(Date.parse(`${to}T00:00:00Z`) - (PERIOD_DAYS - 1) * DAY_MS)
      .toISOString()
      .slice(0, 10);
    db = platform.engine.openDatabase(database);
    const tenantDb = db;
    const at = new Date();
    const rawClient = admin;
    const range = [from, to];
    const scalar = async (sql: string) =>
      (await rawClient.query(sql, range)).rows[0] as Record<string, number>;

    const cases: {
      name: ReportName;
      label: string;
      query: Record<string, string>;
      ceiling: string;
      ceilingLabel: string;
      check: (
        result: Awaited<ReturnType<typeof runReport>>,
        raw: Record<string, number>,
      ) => string | undefined;
    }[] = [
      {
        name: 'sales',
        label: `sales by day, ${PERIOD_DAYS} days`,
        query: { from, to, groupBy: 'day' },
        ceiling:
          'SELECT count(*)::int AS n, sum(total_minor)::bigint AS total FROM sales WHERE business_date BETWEEN $1::date AND $2::date',
        ceilingLabel: 'count + sum over sales in range',
        check: (r, raw) => {
          const t = r.body.totals as { count: number; refundsCount: number };
          return t.count + t.refundsCount === raw.n ? undefined : `${t.count}+${t.refundsCount} ≠ ${raw.n}`;
        },
      },
      {
        name: 'top-products',
        label: `top 10 products, ${PERIOD_DAYS} days`,
        query: { from, to, limit: '10' },
        ceiling:
          'SELECT count(*)::int AS n FROM sale_lines WHERE business_date BETWEEN $1::date AND $2::date',
        ceilingLabel: 'count of sale_lines in range',
        check: (r) => {
          const b = r.body as { byQuantity: unknown[]; byRevenue: unknown[] };
          return b.byQuantity.length === 10 && b.byRevenue.length === 10 ? undefined : 'not 10 products';
        },
      },
      {
        name: 'payments',
        label: `payments by method, ${PERIOD_DAYS} days`,
        query: { from, to },
        ceiling:
          'SELECT count(*)::int AS n, sum(amount_minor)::bigint AS total FROM payments WHERE business_date BETWEEN $1::date AND $2::date',
        ceilingLabel: 'count + sum over payments in range',
        check: (r, raw) => {
          const rows = r.body.rows as { count: number; refundsCount: number }[];
          const n = rows.reduce((s, x) => s + x.count + x.refundsCount, 0);
          return n === raw.n ? undefined : `${n} payments ≠ ${raw.n}`;
        },
      },
    ];

    const out: Row[] = [];
    const explains: string[] = [];
    for (const c of cases) {
      const parsed = reports[c.name].query.parse(c.query);
      const runOnce = () => runReport(tenantDb, c.name, parsed, at);
      const mismatch = c.check(await runOnce(), await scalar(c.ceiling));
      if (mismatch) throw new Error(`${c.name}: the report disagrees with its ceiling's rows: ${mismatch}`);
      const m = await measure(
        async () => {
          await runOnce();
        },
        async () => {
          await scalar(c.ceiling);
        },
      );
      const p50 = median(m.report);
      const p95 = percentile(m.report, 95);
      const c50 = median(m.ceiling);
      const c95 = percentile(m.ceiling, 95);
      log(
        `  ${c.name}: p50 ${fmt(p50)} ms, p95 ${fmt(p95)} ms over ${SAMPLES} runs; ` +
          `ceiling (${c.ceilingLabel}) p50 ${fmt(c50)} ms, p95 ${fmt(c95)} ms`,
      );
      out.push(
        row(
          `reports: ${c.label}, ${data.lines} lines, p50 of ${SAMPLES} (p95 ${fmt(p95)} ms)`,
          { value: p50, text: `${fmt(p50)} ms` },
          {
            ceiling: { value: c50, text: `${fmt(c50)} ms ${c.ceilingLabel}` },
            target: { limit: TARGET_MS, text: `p50 ≤ ${TARGET_MS} ms` },
          },
        ),
      );
    }

    // EXPLAIN what each report sends: its heaviest statement (by execution time) in full.
    const explainCases: {
      name: ReportName;
      query: Record<string, string>;
      pick: (sql: string) => boolean;
    }[] = [
      ...cases.map((c) => ({
        name: c.name,
        query: c.query,
        pick: (sql: string) => /FROM (sales s|sale_lines l|payments p)\b/.test(sql),
      })),
      { name: 'refunds', query: { from, to }, pick: (sql) => sql.includes('LEFT JOIN sales o') },
      { name: 'z', query: { from, to }, pick: (sql) => sql.includes('s.shift_id = ANY') },
    ];
    for (const e of explainCases) {
      const sent: { sql: string; params: unknown[] }[] = [];
      await runReport(recording(tenantDb, sent), e.name, reports[e.name].query.parse(e.query), at);
      const candidates = sent.filter((s) => e.pick(s.sql));
      if (candidates.length === 0) throw new Error(`${e.name}: no statement to EXPLAIN`);
      let heaviest: Awaited<ReturnType<typeof explain>> | undefined;
      for (const s of candidates) {
        const x = await explain(rawClient, s.sql, s.params);
        if (!heaviest || x.ms > heaviest.ms) heaviest = x;
      }
      explains.push(`  ${e.name}: ${heaviest!.summary}`, ...heaviest!.lines.map((l) => `      ${l}`));
    }
    log(`  EXPLAIN (ANALYZE, BUFFERS) of each report's heaviest statement, ${from}..${to}:`);
    for (const line of explains) log(line);
    return out;
  } finally {
    await db?.close();
    await admin?.end();
    await platform.destroy();
  }
}
