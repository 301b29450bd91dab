// deno run --allow-net=127.0.0.1:9999 --allow-read=f.png examples/upload_client.ts f.png
// Ports the tutorials' file upload client: send the file size, wait for the
// server's acknowledgement (the tutorial's fix for the sticky-packet
// problem), then send the file. `--protocol framed` speaks net/framing.ts
// instead.
//
// Flags: --host/--port (default 127.0.0.1:9999; the tutorial's server is on
// 192.168.14.39:999), --protocol tutorial|framed (default tutorial; see
// examples/upload_server.ts for both), --name (framed only: the name to send,
// default the file's own), --rate BYTES (at most this many bytes a second; 0,
// the default, is as fast as possible: handy to watch the bar on loopback),
// --progress auto|bar|lines|none (default auto: a bar redrawn with "\r" when
// stderr is a terminal, a line every 10% when it is not).
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { OSError, recv_msg, send_msg, socket } from "../net/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

/** Bytes read from the file and sent at a time. */
const CHUNK = 256 * 1024;
/** The progress bar redraws at most this often, in milliseconds. */
const REDRAW_MS = 100;
const MiB = 1024 * 1024;
/** The tutorial server's acknowledgement of the size; anything else refuses. */
const ACK = "先走出";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "9999" },
    protocol: { type: "string", default: "tutorial" },
    name: { type: "string" },
    rate: { type: "string", default: "0" },
    progress: { type: "string", default: "auto" },
  },
});
const host = flags.host;
const port = number_flag("port", flags.port, "port");
const protocol = flags.protocol;
const rate = number_flag("rate", flags.rate, "bytes");
const path = positionals[0] ?? "f.png"; // the tutorial sends "f.png"
if (protocol !== "tutorial" && protocol !== "framed") {
  console.error(`--protocol must be tutorial or framed, received ${protocol}`);
  Deno.exit(2);
}
const mode = flags.progress === "auto"
  ? (Deno.stderr.isTerminal() ? "bar" : "lines")
  : flags.progress;
if (mode !== "bar" && mode !== "lines" && mode !== "none") {
  console.error(
    `--progress must be auto, bar, lines or none, received ${mode}`,
  );
  Deno.exit(2);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function write_stderr(text: string): void {
  const bytes = encoder.encode(text);
  for (let done = 0; done < bytes.length;) {
    done += Deno.stderr.writeSync(bytes.subarray(done));
  }
}

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.ceil(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * Progress on stderr: a bar redrawn in place ("\r") at most every 100 ms on a
 * terminal, or a plain line at each 10% when stderr is a file or a pipe.
 */
class Progress {
  readonly #total: number;
  readonly #start = performance.now();
  #drawn = -Infinity;
  #next_tenth = 1;

  constructor(total: number) {
    this.#total = total;
  }

  update(done: number): void {
    const now = performance.now();
    const finished = done >= this.#total;
    if (mode === "bar") {
      if (!finished && now - this.#drawn < REDRAW_MS) return;
      this.#drawn = now;
      write_stderr(`\r${this.#bar(done, now)}${finished ? "\n" : ""}`);
    } else if (mode === "lines") {
      // A line for each tenth crossed (a 0-byte file is 100% at once).
      const tenth = this.#total === 0
        ? 10
        : Math.floor(done * 10 / this.#total);
      if (tenth < this.#next_tenth) return;
      this.#next_tenth = tenth + 1;
      write_stderr(`progress: ${this.#stats(done, now)}\n`);
    }
  }

  #stats(done: number, now: number): string {
    const seconds = (now - this.#start) / 1000;
    const speed = seconds > 0 ? done / seconds : 0;
    const percent = this.#total === 0 ? 100 : done * 100 / this.#total;
    const left = this.#total - done;
    const eta = left <= 0 ? 0 : speed > 0 ? left / speed : Infinity;
    return `${percent.toFixed(0).padStart(3)}% ${mib(done)}/${
      mib(this.#total)
    } MiB ${(speed / MiB).toFixed(1)} MiB/s ETA ${clock(eta)}`;
  }

  #bar(done: number, now: number): string {
    const width = 30;
    const filled = this.#total === 0
      ? width
      : Math.floor(done * width / this.#total);
    return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${
      this.#stats(done, now)
    }  `;
  }
}

/** Waits so that `sent` bytes take at least `sent / rate` seconds. */
async function throttle(sent: number, start: number): Promise<void> {
  if (rate <= 0) return;
  const ahead = sent / rate * 1000 - (performance.now() - start);
  if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead));
}

async function file_sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  using f = await Deno.open(path);
  const buf = new Uint8Array(CHUNK);
  for (;;) {
    const n = await f.read(buf);
    if (n === null) break;
    hash.update(buf.subarray(0, n));
  }
  return hash.digest("hex");
}

/** The tutorial's client, line by line; returns the exit code. */
async function upload(): Promise<number> {
  const obj = socket();
  await using _obj = obj;
  await obj.connect([host, port]);
  const size = (await Deno.stat(path)).size; // 文件大小, the file size
  const sha256 = protocol === "framed" ? await file_sha256(path) : "";
  if (protocol === "tutorial") {
    await obj.sendall(String(size));
    const ack = decoder.decode(await obj.recv(1024));
    console.log(printable(ack)); // the server's ack
    // Anything else is a refusal (too large, say): sending the file would
    // only run into a closed connection.
    if (ack !== ACK) return 1;
  } else {
    const name = flags.name ?? path.split(/[/\\]/).pop()!;
    await send_msg(obj, JSON.stringify({ name, size, sha256 }));
    const answer = JSON.parse(decoder.decode((await recv_msg(obj))!));
    if (!answer.ok) {
      console.log(`the server refused: ${printable(String(answer.error))}`);
      return 1;
    }
    console.log(
      `the server accepted ${printable(JSON.stringify(answer.name))}`,
    );
  }

  const progress = new Progress(size);
  const start = performance.now();
  let sent = 0;
  {
    using f = await Deno.open(path);
    const buf = new Uint8Array(CHUNK);
    progress.update(0);
    for (;;) {
      const n = await f.read(buf);
      if (n === null) break;
      if (protocol === "tutorial") await obj.sendall(buf.subarray(0, n));
      else await send_msg(obj, buf.subarray(0, n));
      sent += n;
      progress.update(sent);
      await throttle(sent, start);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `sent ${sent} bytes in ${seconds.toFixed(2)} s (${
      (sent / MiB / Math.max(seconds, 1e-6)).toFixed(1)
    } MiB/s)`,
  );
  if (protocol === "framed") {
    const result = await recv_msg(obj, { max_size: 64 * 1024 });
    const answer = result === null ? null : JSON.parse(decoder.decode(result));
    if (answer?.ok) {
      console.log(
        `the server saved ${printable(String(answer.name))}, sha256 ${
          printable(String(answer.sha256))
        } ok`,
      );
    } else {
      console.log(
        `the server did not save it: ${
          printable(String(answer?.error ?? "no answer"))
        }`,
      );
      return 1;
    }
  }
  return 0;
}

try {
  Deno.exitCode = await upload();
} catch (err) {
  // A refused connection, or a server gone mid-way: one line, no stack.
  if (!(err instanceof OSError)) throw err;
  if (mode === "bar") write_stderr("\n");
  console.log(`upload failed: ${err.message}`);
  Deno.exitCode = 1;
}
