/**
 * The text codecs of a socket file in text mode: UTF-8 and every other
 * label `TextDecoder` knows (decode only, but UTF-8), and the single-byte
 * Latin-1 and ASCII, with Python's "strict" and "replace" error handlers.
 * @module
 */

export interface _Codec {
  decode(chunk: Uint8Array): string;
  flush(): string;
  encode: ((s: string) => Uint8Array) | null;
}

const UTF8 = ["utf-8", "utf8", "u8", "utf"];
const LATIN1 = ["latin-1", "latin1", "iso-8859-1", "iso8859-1", "l1"];
const ASCII = ["ascii", "us-ascii", "646"];

function decode_error(encoding: string, cause: unknown): RangeError {
  return new RangeError(
    `Cannot decode input: invalid "${encoding}" data`,
    { cause },
  );
}

/**
 * The codec for `encoding`.
 *
 * @throws {RangeError} For an encoding nothing here knows.
 */
export function _make_codec(encoding: string, strict: boolean): _Codec {
  const name = encoding.toLowerCase().replaceAll("_", "-");
  if (UTF8.includes(name)) {
    const decoder = new TextDecoder("utf-8", {
      fatal: strict,
      ignoreBOM: true, // Python's "utf-8" keeps a BOM; "utf-8-sig" drops it
    });
    const encoder = new TextEncoder();
    return decoding(decoder, encoding, (s) => encoder.encode(s));
  }
  const single = LATIN1.includes(name) ? 0xff : ASCII.includes(name) ? 0x7f : 0;
  if (single !== 0) return single_byte(single, encoding, strict);
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(name, { fatal: strict });
  } catch (err) {
    throw new RangeError(
      `Cannot make file: unknown encoding "${encoding}"`,
      { cause: err },
    );
  }
  return decoding(decoder, encoding, null);
}

// A codec that decodes with `decoder`, streaming across chunks.
function decoding(
  decoder: TextDecoder,
  encoding: string,
  encode: ((s: string) => Uint8Array) | null,
): _Codec {
  return {
    decode(chunk) {
      try {
        return decoder.decode(chunk, { stream: true });
      } catch (err) {
        throw decode_error(encoding, err);
      }
    },
    flush() {
      try {
        return decoder.decode();
      } catch (err) {
        throw decode_error(encoding, err);
      }
    },
    encode,
  };
}

// Latin-1 (max 0xff) or ASCII (max 0x7f): one byte per character.
function single_byte(max: number, encoding: string, strict: boolean): _Codec {
  return {
    decode(chunk) {
      if (max === 0x7f) {
        const bad = chunk.findIndex((b) => b > 0x7f);
        if (bad >= 0) {
          if (strict) {
            throw new RangeError(
              `Cannot decode input: invalid "${encoding}" data: byte 0x${
                chunk[bad]!.toString(16)
              } in position ${bad}`,
            );
          }
          return latin1(chunk).replace(/[\x80-\xff]/g, "\ufffd");
        }
      }
      return latin1(chunk);
    },
    flush: () => "",
    encode(s) {
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) {
        const u = s.charCodeAt(i);
        if (u > max) {
          if (strict) {
            throw new RangeError(
              `Cannot encode output: "${encoding}" cannot encode character "${
                s[i]
              }" in position ${i}`,
            );
          }
          out[i] = 0x3f;
        } else {
          out[i] = u;
        }
      }
      return out;
    },
  };
}

function latin1(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 8192) {
    parts.push(
      String.fromCharCode.apply(
        null,
        bytes.subarray(i, i + 8192) as unknown as number[],
      ),
    );
  }
  return parts.join("");
}
