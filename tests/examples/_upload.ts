/**
 * The upload tests' helpers: the server and client started as their headers
 * say, a temporary workspace, random files and their SHA-256, listings.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type Child, run_example } from "./_run.ts";

const MiB = 1024 * 1024;
/** Every upload child is killed after this long: 100 MiB take a while. */
export const CHILD_MS = 90_000;

/** Starts the server as its header says, plus `extra`; waits until it listens. */
export async function start_server(
  dir: string,
  port: number,
  extra: string[],
): Promise<Child> {
  const server = run_example(
    "examples/upload_server.ts",
    { "127.0.0.1:9999": `127.0.0.1:${port}`, uploads: dir },
    ["--port", String(port), ...extra],
    { timeout_ms: CHILD_MS },
  );
  await server.wait_for(/listening on 127\.0\.0\.1:\d+/);
  return server;
}

/** Starts the client as its header says, sending `file`, plus `extra`. */
export function start_client(
  file: string,
  port: number,
  extra: string[] = [],
): Child {
  return run_example(
    "examples/upload_client.ts",
    { "127.0.0.1:9999": `127.0.0.1:${port}`, "f.png": file },
    ["--port", String(port), ...extra],
    { timeout_ms: CHILD_MS },
  );
}

/** A temporary folder with `src/` (files to send) and `uploads/`, removed on dispose. */
export async function workspace(): Promise<AsyncDisposable & { root: string }> {
  const root = await Deno.makeTempDir({ prefix: "upload_test_" });
  await Deno.mkdir(`${root}/src`);
  await Deno.mkdir(`${root}/uploads`);
  return {
    root,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** Writes `size` random bytes to a new file `path`; returns their SHA-256. */
export async function random_file(path: string, size: number): Promise<string> {
  const hash = createHash("sha256");
  using f = await Deno.open(path, { write: true, createNew: true });
  const buf = new Uint8Array(Math.min(MiB, size));
  for (let done = 0; done < size;) {
    const n = Math.min(buf.length, size - done);
    for (let at = 0; at < n; at += 65536) {
      crypto.getRandomValues(buf.subarray(at, Math.min(at + 65536, n)));
    }
    hash.update(buf.subarray(0, n));
    for (let w = 0; w < n;) w += await f.write(buf.subarray(w, n));
    done += n;
  }
  return hash.digest("hex");
}

/** The SHA-256 of the file at `path`, in hex. */
export async function file_sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  using f = await Deno.open(path);
  const buf = new Uint8Array(MiB);
  for (;;) {
    const n = await f.read(buf);
    if (n === null) break;
    hash.update(buf.subarray(0, n));
  }
  return hash.digest("hex");
}

/** The names in `dir`, sorted. */
export async function list(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}
