/**
 * Tests of what makes examples/upload_server.ts safe to leave running: it
 * never replaces a file, refuses an upload too large (--max-size) or one
 * that would overfill its folder (--max-total) before writing a byte, and
 * drops a client silent for --timeout. Run as subprocesses with exactly the
 * header commands (port and folders swapped for the test's own).
 */
import assert from "node:assert/strict";
import { create_connection } from "../../net/mod.ts";
import { free_port, PY, spawn } from "./_run.ts";
import {
  file_sha256,
  list,
  random_file,
  start_client,
  start_server,
  workspace,
} from "./_upload.ts";

const KiB = 1024;

Deno.test("upload_server.ts never replaces a file: a taken name gets -1, -2, and says so", async () => {
  await using ws = await workspace();
  const dir = `${ws.root}/uploads`;
  const mine = await random_file(`${dir}/new1.png`, 1 * KiB);
  const a = await random_file(`${ws.root}/src/a.bin`, 64 * KiB);
  const b = await random_file(`${ws.root}/src/b.bin`, 32 * KiB);
  const port = free_port();
  {
    await using server = await start_server(dir, port, ["--count", "2"]);
    // The tutorial protocol sends no name: every upload is "new1.png".
    for (const file of ["a.bin", "b.bin"]) {
      await using client = start_client(`${ws.root}/src/${file}`, port);
      await client.success();
    }
    await server.success();
    assert.match(
      server.stdout,
      /^"new1\.png" exists: saved as "new1-1\.png"$/m,
    );
    assert.match(
      server.stdout,
      /^"new1\.png" exists: saved as "new1-2\.png"$/m,
    );
  }
  // The framed protocol names it, and hears the name it got.
  await using server = await start_server(dir, port, [
    "--protocol",
    "framed",
    "--count",
    "1",
  ]);
  await using framed = start_client(`${ws.root}/src/a.bin`, port, [
    "--protocol",
    "framed",
    "--name",
    "new1.png",
  ]);
  await framed.success();
  await server.success();
  assert.match(framed.stdout, /the server saved new1-3\.png, sha256/);
  assert.match(server.stdout, /^"new1\.png" exists: saved as "new1-3\.png"$/m);
  assert.deepEqual(await list(dir), [
    "new1-1.png",
    "new1-2.png",
    "new1-3.png",
    "new1.png",
  ]);
  assert.equal(await file_sha256(`${dir}/new1.png`), mine);
  assert.equal(await file_sha256(`${dir}/new1-1.png`), a);
  assert.equal(await file_sha256(`${dir}/new1-2.png`), b);
  assert.equal(await file_sha256(`${dir}/new1-3.png`), a);
});

for (const protocol of ["tutorial", "framed"]) {
  Deno.test(`upload_server.ts refuses a ${protocol} upload over --max-size before writing`, async () => {
    await using ws = await workspace();
    const dir = `${ws.root}/uploads`;
    await random_file(`${ws.root}/src/big.bin`, 300 * KiB);
    const port = free_port();
    await using server = await start_server(dir, port, [
      "--protocol",
      protocol,
      "--count",
      "1",
      "--max-size",
      String(256 * KiB),
    ]);
    await using client = start_client(`${ws.root}/src/big.bin`, port, [
      "--protocol",
      protocol,
    ]);
    assert.equal((await client.status()).code, 1, client.report());
    assert.match(
      client.stdout,
      /refused: 307200 bytes is more than the limit of 262144 \(--max-size\)/,
    );
    await server.success();
    assert.match(server.stdout, /^refused: 307200 bytes is more than/m);
    assert.deepEqual(await list(dir), []); // not even a temporary file
  });
}

Deno.test("upload_server.ts refuses an upload that would take the folder past --max-total", async () => {
  await using ws = await workspace();
  const dir = `${ws.root}/uploads`;
  await random_file(`${dir}/old.bin`, 100 * KiB);
  await random_file(`${ws.root}/src/big.bin`, 60 * KiB);
  await random_file(`${ws.root}/src/small.bin`, 40 * KiB);
  const port = free_port();
  await using server = await start_server(dir, port, [
    "--count",
    "3",
    "--max-total",
    String(150 * KiB),
  ]);
  await using big = start_client(`${ws.root}/src/big.bin`, port);
  assert.equal((await big.status()).code, 1, big.report());
  assert.match(big.stdout, /past 153600 bytes \(--max-total; 102400 used\)/);
  // The tutorial's Python client, refused too: its file never lands.
  await using py = spawn("python3", [
    `${PY}upload_client.py`,
    "127.0.0.1",
    String(port),
    `${ws.root}/src/big.bin`,
  ]);
  await py.status();
  await using small = start_client(`${ws.root}/src/small.bin`, port);
  await small.success();
  await server.success();
  assert.equal(server.stdout.match(/^refused: /gm)?.length, 2, server.report());
  assert.deepEqual(await list(dir), ["new1.png", "old.bin"]);
  assert.equal((await Deno.stat(`${dir}/new1.png`)).size, 40 * KiB);
});

Deno.test("upload_server.ts drops a client silent for --timeout, then serves the next", async () => {
  await using ws = await workspace();
  const dir = `${ws.root}/uploads`;
  await random_file(`${ws.root}/src/f.bin`, 16 * KiB);
  const port = free_port();
  await using server = await start_server(dir, port, [
    "--count",
    "2",
    "--timeout",
    "1",
  ]);
  await using silent = await create_connection(["127.0.0.1", port], 10);
  await server.wait_for(/^connection from/m);
  const started = performance.now();
  await using client = start_client(`${ws.root}/src/f.bin`, port);
  await client.success();
  const waited = performance.now() - started;
  assert.ok(waited > 500, `served after ${waited} ms`);
  assert.equal((await silent.recv(16)).length, 0); // dropped
  await server.success();
  assert.match(server.stdout, /^upload failed: .*timed out$/m);
  assert.deepEqual(await list(dir), ["new1.png"]);
});
