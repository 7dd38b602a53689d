// A JS array as the text of a Postgres array literal (`{"a","b",NULL,3}`), for array parameters
// such as those of the set-based `unnest` inserts. The pg driver makes the same text itself, but per
// element through its general value conversion and two regular-expression replaces; a nightly push
// sends some 60,000 elements a batch, so the common case is written here in one pass. Both engines
// read the text as they read an array (Postgres casts the parameter, PGlite passes the string on).

/**
 * The literal of a one-dimensional array of strings, numbers, bigints, booleans and nulls (undefined
 * reads as null, as the pg driver has it); undefined when an element is anything else, so the caller
 * leaves that array to the driver.
 */
export function arrayLiteral(values: readonly unknown[]): string | undefined {
  let text = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) text += ',';
    const v = values[i];
    if (typeof v === 'string') {
      text +=
        v.includes('"') || v.includes('\\')
          ? `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
          : `"${v}"`;
    } else if (typeof v === 'number' || typeof v === 'bigint') text += String(v);
    else if (typeof v === 'boolean') text += v ? 't' : 'f';
    else if (v === null || v === undefined) text += 'NULL';
    else return undefined;
  }
  return `${text}}`;
}
