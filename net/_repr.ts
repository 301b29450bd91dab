// Python's repr() of the values an address holds: str and int.

// What Python's str.isprintable() refuses: controls, formats, surrogates,
// private use, unassigned, and separators other than the space.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python's `repr()` of a str: its quotes and its escapes. */
export function _repr_str(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (code === 0x20 || !UNPRINTABLE.test(ch)) out += ch;
    else if (code <= 0xff) out += `\\x${hex(code, 2)}`;
    else if (code <= 0xffff) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return out + quote;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, "0");
}

/** Python's `repr()` of a tuple of str and int items. */
export function _repr_tuple(items: readonly unknown[]): string {
  const parts = items.map((x) => typeof x === "string" ? _repr_str(x) : `${x}`);
  return `(${parts.join(", ")}${parts.length === 1 ? "," : ""})`;
}
