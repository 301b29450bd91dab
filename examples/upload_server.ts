// deno run --allow-net=127.0.0.1:9999 --allow-read=uploads --allow-write=uploads examples/upload_server.ts --dir uploads
// Ports the tutorials' file upload server: receive the file size, send an
// acknowledgement (the tutorial's fix for the sticky-packet problem), then
// receive exactly that many bytes. `--protocol framed` speaks net/framing.ts
// instead.
//
// Flags: --host/--port (the tutorial binds 192.168.14.39:999; we default to
// loopback, and to 9999 because ports below 1024 need root), --dir (where
// files go; written under a temporary name, renamed once complete),
// --protocol tutorial|framed (default tutorial), --name (the file name in the
// tutorial protocol, which sends none; the tutorial writes "new1.png"),
// --count N (serve N clients, then exit; 0, the default, serves forever).
// SIGINT or SIGTERM stops it; an upload cut short is removed, never kept.
//
// Safe to leave running:
// - an existing file is never replaced: an upload whose name is taken is
//   saved as name-1.ext, name-2.ext... and the log (and, framed, the final
//   answer) says under which name;
// - --max-size BYTES (default 1 GiB): a larger upload is refused from its
//   announced size, before a byte is written; --max-total BYTES (default
//   10 GiB): one that would take the folder's files past this is refused
//   too, so neither one client nor many fill the disk (set it below the free
//   space); in the tutorial protocol the refusal replaces the ack;
// - --timeout SECS (default 60): a client silent that long is dropped, so
//   one that connects and sends nothing cannot hold this one-at-a-time
//   server (0 waits forever).
//
// Protocol "tutorial" (byte for byte as the Python programs):
//   client -> server  the size in decimal ASCII, e.g. b"104857600"
//   server -> client  the ack "先走出" in UTF-8
//   client -> server  the file's bytes; the client then closes
// The server prints the SHA-256 of what it saved, to compare with the source.
//
// Protocol "framed" (every message is a 4-byte big-endian length + payload,
// send_msg/recv_msg; no message can stick to another):
//   client -> server  {"name", "size", "sha256"} as JSON
//   server -> client  {"ok": true, "name"} or {"ok": false, "error"}: not
//                     needed for framing, it lets the server refuse a name
//                     before the bytes flow
//   client -> server  the data, in messages of at most 1 MiB
//   server -> client  {"ok", "name", "size", "sha256"} or {"ok": false, "error"}
import { createHash, type Hash } from "node:crypto";
import { parseArgs } from "node:util";
import {
  IncompleteMessageError,
  recv_msg,
  send_msg,
  type Socket,
  socket,
} from "../net/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

/** Bytes per recv. The tutorial's 1024 would take 100 000 calls per 100 MB. */
const BUFSIZE = 64 * 1024;
/** The longest framed data message accepted. */
const MAX_CHUNK = 1024 * 1024;
/** The longest framed JSON header accepted. */
const MAX_HEADER = 64 * 1024;
/** The acknowledgement the tutorial's server sends. */
const ACK = "先走出";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "9999" },
    dir: { type: "string", default: "uploads" },
    protocol: { type: "string", default: "tutorial" },
    name: { type: "string", default: "new1.png" },
    count: { type: "string", default: "0" },
    "max-size": { type: "string", default: String(1024 ** 3) },
    "max-total": { type: "string", default: String(10 * 1024 ** 3) },
    timeout: { type: "string", default: "60" },
  },
});
const host = flags.host;
const port = number_flag("port", flags.port, "port");
const dir = flags.dir;
const protocol = flags.protocol;
const count = number_flag("count", flags.count, "count");
const max_size = number_flag("max-size", flags["max-size"], "bytes");
const max_total = number_flag("max-total", flags["max-total"], "bytes");
const timeout = number_flag("timeout", flags.timeout, "seconds");
if (protocol !== "tutorial" && protocol !== "framed") {
  console.error(`--protocol must be tutorial or framed, received ${protocol}`);
  Deno.exit(2);
}
const tutorial_name = safe_name(flags.name);
if (tutorial_name === null) {
  console.error(`--name must be a file name, received ${flags.name}`);
  Deno.exit(2);
}

const decoder = new TextDecoder();

/**
 * The last component of a received name, or null when nothing usable is
 * left: a client never chooses where the file goes ("../../etc/x" -> "x").
 */
function safe_name(name: string): string | null {
  const base = name.split(/[/\\]/).pop() ?? "";
  if (base === "" || base === "." || base === "..") return null;
  if (base.includes("\0")) return null;
  return base;
}

/** What the regular files in `dir` take, in bytes. */
async function dir_usage(): Promise<number> {
  let used = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    try {
      used += (await Deno.stat(`${dir}/${entry.name}`)).size;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // gone meanwhile
    }
  }
  return used;
}

/** Why an upload of `size` bytes is refused, or null when it may come. */
async function refusal(size: number): Promise<string | null> {
  if (size > max_size) {
    return `${size} bytes is more than the limit of ${max_size} (--max-size)`;
  }
  const used = await dir_usage();
  if (used + size > max_total) {
    return `${size} bytes would take the folder past ${max_total} bytes (--max-total; ${used} used)`;
  }
  return null;
}

/** "name-n.ext" for n > 0: the n-th name tried when `name` is taken. */
function variant(name: string, n: number): string {
  if (n === 0) return name;
  const dot = name.lastIndexOf(".");
  return dot > 0
    ? `${name.slice(0, dot)}-${n}${name.slice(dot)}`
    : `${name}-${n}`;
}

/**
 * A file being received: written under a temporary name in `dir`, hashed as
 * it goes, given its real name (or a free variant) by `commit()`, deleted
 * by `abort()`.
 */
class Upload {
  readonly name: string;
  readonly tmp: string;
  readonly #file: Deno.FsFile;
  readonly #hash: Hash = createHash("sha256");
  readonly #start = performance.now();
  #size = 0;
  #open = true;
  #committed = false;

  private constructor(name: string, tmp: string, file: Deno.FsFile) {
    this.name = name;
    this.tmp = tmp;
    this.#file = file;
  }

  static async open(name: string): Promise<Upload> {
    const tmp = `${dir}/.${name}.${crypto.randomUUID().slice(0, 8)}.part`;
    const file = await Deno.open(tmp, { write: true, createNew: true });
    return new Upload(name, tmp, file);
  }

  async write(data: Uint8Array): Promise<void> {
    this.#hash.update(data);
    this.#size += data.length;
    // FsFile.write may write less than asked, as os.write does.
    for (let done = 0; done < data.length;) {
      done += await this.#file.write(data.subarray(done));
    }
  }

  sha256(): string {
    return this.#hash.digest("hex");
  }

  /** How long the bytes took to come, and how fast they came. */
  speed(): string {
    const seconds = (performance.now() - this.#start) / 1000;
    const rate = this.#size / 1024 / 1024 / Math.max(seconds, 1e-6);
    return `in ${seconds.toFixed(2)} s (${rate.toFixed(1)} MiB/s)`;
  }

  /**
   * Gives the finished file its name, or the first free variant when a file
   * has it already; returns the name used. link() fails when the name
   * exists, where rename() would replace that file without a word.
   */
  async commit(): Promise<string> {
    this.#close();
    for (let n = 0; n < 1000; n++) {
      const name = variant(this.name, n);
      try {
        await Deno.link(this.tmp, `${dir}/${name}`); // needs read and write
      } catch (err) {
        if (err instanceof Deno.errors.AlreadyExists) continue;
        throw err;
      }
      this.#committed = true;
      await Deno.remove(this.tmp);
      if (name !== this.name) {
        console.log(
          `${printable(JSON.stringify(this.name))} exists: saved as ${
            printable(JSON.stringify(name))
          }`,
        );
      }
      return name;
    }
    throw new Error(`${this.name} and 999 variants of it exist`);
  }

  /** Deletes the temporary file (nothing to do once committed). */
  async abort(): Promise<void> {
    if (this.#committed) return;
    this.#close();
    try {
      await Deno.remove(this.tmp);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    this.#committed = true; // removed: nothing left to do
  }

  #close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#file.close();
  }
}

/** The tutorial's protocol, with the Python server's structure. */
async function receive_tutorial(conn: Socket): Promise<void> {
  const file_size = decoder.decode(await conn.recv(1024));
  if (file_size === "") {
    console.log("the client closed before sending the size");
    return;
  }
  // Python's int(): digits, maybe with spaces around. Anything else here
  // (data stuck to the size: the sticky-packet problem) is refused.
  if (!/^\s*\+?\d+\s*$/.test(file_size)) {
    console.log(
      `bad size header ${printable(JSON.stringify(file_size.slice(0, 40)))}`,
    );
    return;
  }
  const total = Number(file_size);
  let has_total = 0;
  const refused = await refusal(total);
  if (refused !== null) {
    console.log(`refused: ${refused}`);
    await conn.sendall(`refused: ${refused}`); // instead of the ack
    return;
  }
  await conn.sendall(ACK); // solves the sticky-packet problem
  console.log(`file size: ${total} bytes; sent the ack ${ACK}`);
  const f = await Upload.open(tutorial_name!);
  try {
    let lost = "";
    while (true) {
      if (total === has_total) break;
      let re: Uint8Array;
      try {
        // Never more than what is left: the server reads exactly `total`.
        re = await conn.recv(Math.min(BUFSIZE, total - has_total));
      } catch (err) {
        lost = stopping
          ? " (the server is stopping)"
          : ` (${(err as Error).message})`;
        break;
      }
      if (re.length === 0) break; // the client closed early
      await f.write(re);
      has_total = has_total + re.length;
    }
    if (has_total < total) {
      console.log(
        `truncated: received ${has_total} of ${total} bytes${lost}; nothing saved`,
      );
      return;
    }
    const sha256 = f.sha256();
    const saved = await f.commit();
    console.log(
      `saved ${dir}/${saved} (${total} bytes) ${f.speed()} sha256 ${sha256}`,
    );
  } finally {
    await f.abort();
  }
}

/** Our protocol: framed JSON header, framed data, framed result. */
async function receive_framed(conn: Socket): Promise<void> {
  const reply = (answer: Record<string, unknown>) =>
    send_msg(conn, JSON.stringify(answer));
  const head = await recv_msg(conn, { max_size: MAX_HEADER });
  if (head === null) {
    console.log("the client closed before sending the header");
    return;
  }
  let header: { name?: unknown; size?: unknown; sha256?: unknown };
  try {
    header = JSON.parse(decoder.decode(head));
  } catch {
    header = {};
  }
  const { name, size, sha256 } = header;
  if (
    typeof name !== "string" || typeof sha256 !== "string" ||
    typeof size !== "number" || !Number.isSafeInteger(size) || size < 0
  ) {
    console.log(`bad header ${printable(head.subarray(0, 200))}`);
    await reply({ ok: false, error: "bad header" });
    return;
  }
  console.log(`header: name ${printable(JSON.stringify(name))}, ${size} bytes`);
  const safe = safe_name(name);
  if (safe === null) {
    console.log(`refused the name ${printable(JSON.stringify(name))}`);
    await reply({ ok: false, error: `refused name ${JSON.stringify(name)}` });
    return;
  }
  if (safe !== name) {
    console.log(
      `name ${printable(JSON.stringify(name))} reduced to ${
        printable(JSON.stringify(safe))
      }`,
    );
  }
  const refused = await refusal(size);
  if (refused !== null) {
    console.log(`refused: ${refused}`);
    await reply({ ok: false, error: refused });
    return;
  }
  const f = await Upload.open(safe);
  try {
    await reply({ ok: true, name: safe });
    let has_total = 0;
    let lost = "";
    while (has_total < size) {
      let chunk: Uint8Array | null;
      try {
        chunk = await recv_msg(conn, { max_size: MAX_CHUNK });
      } catch (err) {
        if (!(err instanceof IncompleteMessageError)) {
          lost = stopping
            ? " (the server is stopping)"
            : ` (${(err as Error).message})`;
        }
        // A message cut in the middle: count the bytes that did arrive.
        if (err instanceof IncompleteMessageError && err.part === "payload") {
          has_total += err.received;
        }
        break;
      }
      if (chunk === null) break; // closed between messages
      if (has_total + chunk.length > size) {
        console.log(`refused: more than the announced ${size} bytes`);
        await reply({ ok: false, error: "more data than announced" });
        return;
      }
      await f.write(chunk);
      has_total += chunk.length;
    }
    if (has_total < size) {
      console.log(
        `truncated: received ${has_total} of ${size} bytes${lost}; nothing saved`,
      );
      return;
    }
    const got = f.sha256();
    if (got !== sha256.toLowerCase()) {
      console.log(
        `sha256 mismatch: header ${sha256}, data ${got}; nothing saved`,
      );
      await reply({ ok: false, error: `sha256 mismatch: received ${got}` });
      return;
    }
    const saved = await f.commit();
    console.log(
      `saved ${dir}/${saved} (${size} bytes) ${f.speed()} sha256 ${got} verified`,
    );
    await reply({ ok: true, name: saved, size, sha256: got });
  } finally {
    await f.abort();
  }
}

await Deno.mkdir(dir, { recursive: true });
await using sk = socket();
sk.bind([host, port]);
sk.listen(5);

let stopping = false;
let current: Socket | null = null;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.log("stopping");
  void sk.close();
  void current?.close(); // an upload in progress is cut short and removed
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

const [bound_host, bound_port] = sk.getsockname() as [string, number];
console.log(
  `listening on ${bound_host}:${bound_port} (protocol ${protocol}), saving to ${dir}`,
);

let served = 0;
while (!stopping && (count === 0 || served < count)) {
  let conn: Socket;
  let address: unknown;
  try {
    [conn, address] = await sk.accept();
  } catch (err) {
    if (stopping) break;
    throw err;
  }
  current = conn;
  if (timeout > 0) conn.settimeout(timeout);
  console.log(`connection from ${JSON.stringify(address)}`);
  try {
    if (protocol === "tutorial") await receive_tutorial(conn);
    else await receive_framed(conn);
  } catch (err) {
    console.log(`upload failed: ${(err as Error).message}`);
  } finally {
    current = null;
    await conn.close();
  }
  served++;
}
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);
