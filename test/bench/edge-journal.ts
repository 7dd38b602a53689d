// Benchmark: the journal's cost on the edge's sale path, as a till meets it. `POST /v1/sales` (3 lines +
// cash, group commit as the edge serves it, synchronous=FULL) from 1 and from 16 keep-alive clients to
// two edge servers side by side: one whose store records each sale's hash-chain link, one without
// (EdgeStoreOptions.journal false, for this comparison only). Rounds alternate between the two in the
// same run; each side's figure is its median round. Target: with the journal ≥ 0.9× without.
// `edge-sales` prints the same comparison for recordSale alone, where the journal is a larger share.
import type { TestEdge } from '../helpers/edge.ts';
import { fmt, log, median, type Row, row } from './common.ts';
import { type LoadPlan, measure, serveEdge, signInTill } from './edge-http.ts';
import { createSalesEdge } from './edge-sales.ts';

const CONCURRENCY = [1, 16] as const;
const ROUNDS = 5;
const WARMUP_MS = 300;
const MEASURE_MS = 2_000;
const TARGET = 0.9;

interface Side {
  edge: TestEdge;
  url: string;
  token: string;
  stop: () => Promise<void>;
}

/** An edge with or without its journal, served with group commit, its test cashier signed in. */
async function serve(journal: boolean): Promise<Side> {
  const edge = await createSalesEdge({ journal });
  try {
    const server = await serveEdge(edge, true);
    const token = await signInTill(edge, server.url);
    return {
      edge,
      url: server.url,
      token,
      stop: async () => {
        await server.stop();
        edge.destroy();
      },
    };
  } catch (err) {
    edge.destroy();
    throw err;
  }
}

/** Sales per second of one round on `side`. */
async function round(side: Side, clients: number): Promise<number> {
  const plan: LoadPlan = {
    url: side.url,
    token: side.token,
    kind: 'sale',
    clients,
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
  };
  return (await measure(plan)).rate;
}

function report(clients: number, withJournal: number[], without: number[]): Row {
  const a = median(withJournal);
  const b = median(without);
  const rounds = (xs: number[]) => xs.map((x) => fmt(x, 0)).join(', ');
  log(
    `  ${clients} client${clients > 1 ? 's' : ''}: with the journal ${rounds(withJournal)}; without ${rounds(without)} sales/s: ${fmt(a / b, 2)}× (per sale ${fmt(1e6 / a - 1e6 / b, 0)} µs)`,
  );
  const limit = TARGET * b;
  return row(
    `edge-journal: POST /v1/sales, ${clients} keep-alive client${clients > 1 ? 's' : ''}, group commit, with each sale's journal link against without`,
    { value: a, text: `${fmt(a, 0)} sales/s (${fmt(a / b, 2)}× without)` },
    {
      ceiling: { value: b, text: `${fmt(b, 0)} sales/s without the journal` },
      higherIsBetter: true,
      target: { limit, text: `≥ ${TARGET}× without: ≥ ${fmt(limit, 0)}/s` },
    },
  );
}

export async function edgeJournalBench(): Promise<Row[]> {
  const sides: Side[] = [];
  try {
    const journaled = await serve(true);
    sides.push(journaled);
    const plain = await serve(false);
    sides.push(plain);
    // Both servers run sales once before any round counts: the first round is no one's warm-up.
    for (const side of [journaled, plain]) await round(side, Math.max(...CONCURRENCY));
    const rows: Row[] = [];
    for (const clients of CONCURRENCY) {
      const withJournal: number[] = [];
      const without: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        // The two swap places each round: neither always runs on the heels of the other.
        const pair = [
          async () => withJournal.push(await round(journaled, clients)),
          async () => without.push(await round(plain, clients)),
        ];
        for (const side of r % 2 === 0 ? pair : pair.reverse()) await side();
      }
      rows.push(report(clients, withJournal, without));
    }
    const chains = journaled.edge.store.verifyJournal();
    if (!chains.intact) throw new Error(`the benchmark's chain does not verify: ${JSON.stringify(chains)}`);
    return rows;
  } finally {
    for (const side of sides) await side.stop();
  }
}
