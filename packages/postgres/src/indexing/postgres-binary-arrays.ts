// Arrays as query parameters in PostgreSQL's binary format. `pg` sends a Buffer parameter in
// binary, and the server then reads each element as it is (`array_recv`), where an array written
// as text (`{"…","…"}`) is escaped here element by element and parsed there character by
// character: for the hundreds of thousands of values of a derived index's batch, reading binary
// costs the server about a third less, and this process less again.

/** Type OIDs of the element types written (built-in types: the same on every server). */
const OID = { text: 25, int4: 23, int8: 20 } as const;

/**
 * An element type of {@link binaryArray}: `text`, `int4` (integer) or `int8` (bigint).
 *
 * @example
 * ```ts
 * const type: BinaryElementType = 'int8';
 * ```
 */
export type BinaryElementType = keyof typeof OID;

/**
 * A one-dimensional array of `type` in PostgreSQL's binary format, `null` elements included: the
 * header (one dimension, whether it has nulls, the element type, its length, lower bound 1), then
 * each element's length (-1 for null) and bytes (UTF-8 text, big-endian integers). Pass it as a
 * parameter cast to the array type (`${binaryArray('int8', times)}::bigint[]`).
 *
 * @example
 * ```ts
 * await sql`SELECT * FROM unnest(${binaryArray('text', ids)}::text[], ${binaryArray('int4', lines)}::integer[])`.execute(db);
 * ```
 */
export function binaryArray(
  type: BinaryElementType,
  values: ReadonlyArray<string | number | null>,
): Buffer {
  let size = 20;
  let nulls = 0;
  for (const value of values) {
    if (value === null) {
      nulls = 1;
      size += 4;
    } else if (type === 'text') size += 4 + Buffer.byteLength(value as string, 'utf8');
    else size += type === 'int8' ? 12 : 8;
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.writeInt32BE(1, 0);
  at = out.writeInt32BE(nulls, at);
  at = out.writeInt32BE(OID[type], at);
  at = out.writeInt32BE(values.length, at);
  at = out.writeInt32BE(1, at);
  for (const value of values) {
    if (value === null) {
      at = out.writeInt32BE(-1, at);
    } else if (type === 'text') {
      const length = out.write(value as string, at + 4, 'utf8');
      out.writeInt32BE(length, at);
      at += 4 + length;
    } else if (type === 'int8') {
      at = out.writeInt32BE(8, at);
      at = out.writeBigInt64BE(BigInt(value), at);
    } else {
      at = out.writeInt32BE(4, at);
      at = out.writeInt32BE(value as number, at);
    }
  }
  return out;
}
