// Expand and contract for tenant migrations (docs/migrations.md): during a rollout the previous
// release's code still serves tenants whose schema is already the new one, so a migration may only
// add what that code can ignore. This finds the steps it could not live with, statement by statement.

/** A step the previous release's code cannot live with, and why. */
export interface ContractStep {
  statement: string;
  reason: string;
}

/**
 * The first line of a file allowed to contract: `-- contract: <why>`. Such a file ships in a release
 * after the one that stopped using what it drops, renames or tightens.
 */
export const CONTRACT_MARKER = /^--\s*contract:\s*(\S.*)$/;

/** The reason a file is marked as a contract step, or undefined when it is not marked. */
export function contractReason(sql: string): string | undefined {
  const first =
    sql
      .replace(/^\uFEFF/, '')
      .split('\n', 1)[0]
      ?.trim() ?? '';
  return CONTRACT_MARKER.exec(first)?.[1]?.trim();
}

/**
 * The file's statements without comments, each on one line with single spaces. Quoted strings,
 * quoted identifiers and dollar-quoted bodies are kept whole: a `;` or `--` inside them splits nothing.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const flush = () => {
    const s = current.replace(/\s+/g, ' ').trim();
    if (s) statements.push(s);
    current = '';
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const rest = sql.slice(i);
    if (rest.startsWith('--')) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
      current += ' ';
    } else if (rest.startsWith('/*')) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
      current += ' ';
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(c, j);
        if (k === -1) {
          j = sql.length;
          break;
        }
        if (sql[k + 1] === c)
          j = k + 2; // a doubled quote inside the string
        else {
          j = k + 1;
          break;
        }
      }
      current += sql.slice(i, j);
      i = j;
    } else if (c === '$' && /^\$[A-Za-z_]*\$/.test(rest)) {
      const tag = /^\$[A-Za-z_]*\$/.exec(rest)![0];
      const end = sql.indexOf(tag, i + tag.length);
      const j = end === -1 ? sql.length : end + tag.length;
      current += sql.slice(i, j);
      i = j;
    } else if (c === ';') {
      flush();
      i++;
    } else {
      current += c;
      i++;
    }
  }
  flush();
  return statements;
}

/** Splits on commas outside parentheses and quotes: the clauses of one ALTER TABLE. */
function topLevelClauses(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out;
}

/** A name as written, without quotes or schema, lower-cased (`"public"."Sales"` → `sales`). */
const bareName = (name: string) => (name.split('.').at(-1) ?? name).replace(/"/g, '').toLowerCase();

const NAME = String.raw`(?:"[^"]+"|[A-Za-z_][\w$]*)(?:\.(?:"[^"]+"|[A-Za-z_][\w$]*))?`;
const CREATE_TABLE = new RegExp(
  String.raw`^CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(${NAME})`,
  'i',
);
const ALTER_TABLE = new RegExp(
  String.raw`^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(${NAME})\s*\*?\s+(.*)$`,
  'i',
);

/** Checks that apply to any statement, whatever its table. */
const STATEMENT_RULES: { pattern: RegExp; reason: string }[] = [
  {
    // DROP NOT NULL only relaxes; every other drop takes away something old code may use.
    pattern: /\bDROP\b(?!\s+NOT\s+NULL\b)/i,
    reason: 'drops something the previous release may still read, write or rely on',
  },
  { pattern: /\bRENAME\b/i, reason: 'renames something the previous release still uses by its old name' },
  {
    pattern: /\bALTER\s+(?:COLUMN\s+)?(?:"[^"]+"|[A-Za-z_][\w$]*)\s+(?:SET\s+DATA\s+)?TYPE\b/i,
    reason: 'changes a column type under the previous release',
  },
  {
    pattern: /\bSET\s+NOT\s+NULL\b/i,
    reason: 'sets NOT NULL on a column the previous release may not fill',
  },
];

/** The steps of one statement that the previous release cannot live with. */
function checkStatement(statement: string, createdHere: ReadonlySet<string>): string[] {
  // A string's contents are data, never a step: `WHERE reason = 'drop'` drops nothing.
  const masked = statement.replace(/'(?:[^']|'')*'/g, "''");
  const reasons = STATEMENT_RULES.filter((r) => r.pattern.test(masked)).map((r) => r.reason);
  const alter = ALTER_TABLE.exec(masked);
  if (alter && !createdHere.has(bareName(alter[1]!))) {
    for (const clause of topLevelClauses(alter[2]!)) {
      const add = /^ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(.*)$/i.exec(clause);
      if (!add || /^(CONSTRAINT|CHECK|UNIQUE|PRIMARY|FOREIGN|EXCLUDE)\b/i.test(add[1]!)) continue;
      if (/\bNOT\s+NULL\b/i.test(add[1]!) && !/\bDEFAULT\b/i.test(add[1]!)) {
        reasons.push(
          'adds a NOT NULL column without a DEFAULT to an existing table: the previous release inserts rows without it',
        );
      }
    }
  }
  return reasons;
}

/** Every step of `sql` the previous release's code cannot live with (a contract file is not exempted here). */
export function findContractSteps(sql: string): ContractStep[] {
  const createdHere = new Set<string>();
  const steps: ContractStep[] = [];
  for (const statement of splitStatements(sql)) {
    const created = CREATE_TABLE.exec(statement);
    if (created) createdHere.add(bareName(created[1]!));
    for (const reason of checkStatement(statement, createdHere)) steps.push({ statement, reason });
  }
  return steps;
}

/**
 * What is wrong with migration `file` under expand and contract: nothing for a file marked
 * `-- contract: …`, else one line per step the previous release cannot live with.
 */
export function expandContractViolations(file: string, sql: string): string[] {
  if (contractReason(sql) !== undefined) return [];
  return findContractSteps(sql).map(
    (s) =>
      `${file}: ${s.reason}: ${s.statement.length > 200 ? `${s.statement.slice(0, 200)}…` : s.statement}` +
      ' (expand only; or mark the file `-- contract: <why>` and ship it a release later, see docs/migrations.md)',
  );
}
