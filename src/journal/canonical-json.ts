// The journal's canonical JSON (docs/journal.md#canonical-form): object keys sorted by UTF-16 code
// unit, no whitespace, strings escaped as JSON.stringify escapes them, integers only (no fraction,
// no exponent, no -0), arrays in their given order. One text per value, so a hash over it is
// reproducible by anyone holding the same values.

export type CanonicalValue =
  | null
  | boolean
  | number
  | string
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue };

export function canonicalJson(value: CanonicalValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value))
        throw new Error(`the journal's canonical form holds integers only, not ${value}`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'string':
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v: CanonicalValue) => canonicalJson(v)).join(',')}]`;
  const obj = value as { readonly [key: string]: CanonicalValue };
  const keys = Object.keys(obj).sort();
  return `{${keys
    .map((k) => {
      const v = obj[k];
      if (v === undefined)
        throw new Error(`the journal's canonical form writes an absent field as null (${k})`);
      return `${JSON.stringify(k)}:${canonicalJson(v)}`;
    })
    .join(',')}}`;
}

// An instant already in the canonical form on a day every month has (1–28): itself, without a parse.
// Every instant the edge writes is one (toISOString); the rest go through Date, which rejects an
// impossible date and writes the others canonically.
const CANONICAL_INSTANT =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/** An instant in the canonical form: UTC, milliseconds (finer digits cut off), `YYYY-MM-DDTHH:mm:ss.sssZ`. */
export function canonicalInstant(instant: string): string {
  if (CANONICAL_INSTANT.test(instant)) return instant;
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) throw new Error(`not an instant: ${instant}`);
  return d.toISOString();
}
