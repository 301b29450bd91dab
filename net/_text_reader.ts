/**
 * Text reads over a socket, as Python's `TextIOWrapper`: streaming decoding
 * (a character split across two receives decodes whole), counts in code
 * points, and the `newline` modes (universal, `""`, `"\n"`, `"\r"`,
 * `"\r\n"`). What a call does not return stays decoded for the next one.
 * @module
 */
import type { _Codec } from "./_codecs.ts";
import type { _Recv } from "./_byte_reader.ts";

export class _TextReader {
  #sock: _Recv;
  #bufsize: number;
  #codec: _Codec;
  #newline: string | null;
  // Unread text is #text[#tpos..], already decoded.
  #text = "";
  #tpos = 0;
  #pendingCR = false;

  constructor(
    sock: _Recv,
    bufsize: number,
    codec: _Codec,
    newline: string | null,
  ) {
    this.#sock = sock;
    this.#bufsize = bufsize;
    this.#codec = codec;
    this.#newline = newline;
  }

  clear(): void {
    this.#text = "";
    this.#tpos = 0;
  }

  async read(n: number): Promise<string> {
    if (n === 0) return "";
    const parts: string[] = [];
    let have = 0;
    for (;;) {
      const t = this.#text;
      const pos = this.#tpos;
      if (n < 0) {
        if (pos < t.length) parts.push(t.slice(pos));
        this.#tpos = t.length;
      } else {
        const [end, got] = _advance(t, pos, t.length, n - have);
        this.#tpos = end;
        have += got;
        if (have >= n) {
          if (parts.length === 0) return t.slice(pos, end);
          parts.push(t.slice(pos, end));
          return parts.join("");
        }
        if (end > pos) parts.push(t.slice(pos, end));
      }
      let more: boolean;
      try {
        more = await this.#fill();
      } catch (err) {
        this.#unread(parts);
        throw err;
      }
      if (!more) {
        // The decoder's last words (and a held "\r") came with the EOF.
        const t = this.#text;
        const pos = this.#tpos;
        const [end] = n < 0 ? [t.length] : _advance(t, pos, t.length, n - have);
        parts.push(t.slice(pos, end));
        this.#tpos = end;
        return parts.join("");
      }
    }
  }

  async readline(limit: number): Promise<string> {
    const parts: string[] = [];
    let have = 0;
    let eof = false;
    for (;;) {
      const t = this.#text;
      const pos = this.#tpos;
      const eol = this.#find_eol(t, pos, eof);
      // A final "\r" may be the first half of "\r\n": keep it for later.
      const hold = !eof && eol < 0 && t.length > pos &&
        (this.#newline === "" || this.#newline === "\r\n") &&
        t.charCodeAt(t.length - 1) === 13;
      let end = eol >= 0 ? eol : hold ? t.length - 1 : t.length;
      let done = eol >= 0 || eof;
      if (limit >= 0) {
        const [cut, got] = _advance(t, pos, end, limit - have);
        have += got;
        if (have >= limit) {
          end = cut;
          done = true;
        }
      }
      this.#tpos = end;
      if (done) {
        if (parts.length === 0) return t.slice(pos, end);
        parts.push(t.slice(pos, end));
        return parts.join("");
      }
      if (end > pos) parts.push(t.slice(pos, end));
      try {
        eof = !await this.#fill();
      } catch (err) {
        this.#unread(parts);
        throw err;
      }
    }
  }

  // Receives and decodes one chunk; false at end of file.
  async #fill(): Promise<boolean> {
    const chunk = await this.#sock.recv(this.#bufsize);
    const more = chunk.length > 0;
    const codec = this.#codec;
    let s = more ? codec.decode(chunk) : codec.flush();
    if (this.#newline === null) {
      // Universal newlines: hold a final "\r" back until we know whether
      // "\n" follows, then turn "\r\n" and "\r" into "\n".
      if (this.#pendingCR) {
        s = "\r" + s;
        this.#pendingCR = false;
      }
      if (more && s.endsWith("\r")) {
        this.#pendingCR = true;
        s = s.slice(0, -1);
      }
      if (s.includes("\r")) s = s.replace(/\r\n?/g, "\n");
    }
    const rest = this.#tpos < this.#text.length
      ? this.#text.slice(this.#tpos)
      : "";
    this.#text = rest + s;
    this.#tpos = 0;
    return more;
  }

  #unread(parts: string[]): void {
    if (parts.length === 0) return;
    parts.push(this.#text.slice(this.#tpos));
    this.#text = parts.join("");
    this.#tpos = 0;
  }

  // Index just after the first line ending at or after `pos`, or -1.
  #find_eol(t: string, pos: number, eof: boolean): number {
    switch (this.#newline) {
      case null:
      case "\n": {
        const i = t.indexOf("\n", pos);
        return i < 0 ? -1 : i + 1;
      }
      case "\r": {
        const i = t.indexOf("\r", pos);
        return i < 0 ? -1 : i + 1;
      }
      case "\r\n": {
        const i = t.indexOf("\r\n", pos);
        return i < 0 ? -1 : i + 2;
      }
      default: {
        // newline "": any of "\n", "\r", "\r\n" ends a line, kept as is.
        const i = t.indexOf("\n", pos);
        const j = t.indexOf("\r", pos);
        if (j < 0 || (i >= 0 && i < j)) return i < 0 ? -1 : i + 1;
        if (j + 1 < t.length) return t.charCodeAt(j + 1) === 10 ? j + 2 : j + 1;
        return eof ? j + 1 : -1;
      }
    }
  }
}

function is_high(u: number): boolean {
  return u >= 0xd800 && u <= 0xdbff;
}

function is_low(u: number): boolean {
  return u >= 0xdc00 && u <= 0xdfff;
}

/** Python counts code points: a surrogate pair is one character. */
export function _code_points(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if (is_high(s.charCodeAt(i)) && is_low(s.charCodeAt(i + 1))) {
      n--;
      i++;
    }
  }
  return n;
}

// Walks up to `n` code points of s[from..to): [end index, code points walked].
function _advance(
  s: string,
  from: number,
  to: number,
  n: number,
): [number, number] {
  let i = from;
  let c = 0;
  while (i < to && c < n) {
    i += i + 1 < to && is_high(s.charCodeAt(i)) &&
        is_low(s.charCodeAt(i + 1))
      ? 2
      : 1;
    c++;
  }
  return [i, c];
}
