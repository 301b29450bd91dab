/**
 * Joining byte arrays: one copy into an array of the total size, none when
 * there is a single part.
 * @module
 */

const EMPTY = new Uint8Array(0);

/** `parts` joined; `total` is the sum of their lengths. */
export function _concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 0) return EMPTY;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
