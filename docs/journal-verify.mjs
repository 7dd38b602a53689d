// Checks an export of GET /v1/journal on its own (docs/journal.md#checking-an-export): plain Node, no
// dependency. Usage: node journal-verify.mjs ORG FILE. Per chain: seqs gapless from its first
// exported link, each prevHash the previous hash (seq 1: the genesis of ORG, or of no org), canonical in canonical
// form and naming the entry's seq, kind and prevHash, sha256(canonical) the hash.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const [org, file] = process.argv.slice(2);
if (!org || !file) {
  console.error('usage: node journal-verify.mjs ORG FILE');
  process.exit(2);
}
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
const canonical = (v) => {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v === null || typeof v !== 'object')
    return typeof v !== 'number' || Number.isSafeInteger(v) ? JSON.stringify(v) : '?';
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
    .join(',')}}`;
};
const parsed = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
function problem(e, chain) {
  const doc = parsed(e.canonical);
  if (e.seq !== chain.seq) return `seq is not ${chain.seq}`;
  if (e.prevHash !== chain.prev) return 'prevHash is not the previous hash';
  if (e.canonical === '') return 'the document is not stored (canonical is empty)';
  if (canonical(doc) !== e.canonical) return 'canonical is not in canonical form';
  if (doc?.format !== 1 || doc.seq !== e.seq || doc.kind !== e.kind || doc.prevHash !== e.prevHash)
    return "canonical does not name the entry's seq, kind and prevHash";
  if (sha256(e.canonical) !== e.hash) return 'sha256(canonical) is not the hash';
}
const chains = new Map();
for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
  if (line.trim() === '') continue;
  const e = JSON.parse(line);
  const id = `store ${e.storeId} branch ${e.branch} terminal ${e.terminal}`;
  const genesisOf = (o) =>
    sha256(
      canonical({ format: 1, genesis: { branch: e.branch, org: o, store: e.storeId, terminal: e.terminal } }),
    );
  // Seq 1 chains from the genesis of ORG, or of no org (an edge that recorded before it knew its tenant).
  const first = e.prevHash === genesisOf('') ? genesisOf('') : genesisOf(org);
  const chain = chains.get(id) ?? { seq: e.seq, prev: e.seq === 1 ? first : e.prevHash };
  const broken = problem(e, chain);
  if (broken) {
    console.log(`broken: ${id} seq ${e.seq}: ${broken}`);
    process.exit(1);
  }
  chains.set(id, { seq: e.seq + 1, prev: e.hash });
}
console.log('intact');
