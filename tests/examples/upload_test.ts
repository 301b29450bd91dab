/**
 * Tests of examples/upload_server.ts and examples/upload_client.ts, run as
 * subprocesses with exactly the permissions their header commands give (the
 * port, the upload folder and the file are swapped for the test's own), and
 * against the tutorial's Python 3 programs in tests/examples/py/.
 */
import assert from "node:assert/strict";
import { type Child, free_port, header_args, PY, spawn } from "./_run.ts";
import {
  CHILD_MS,
  file_sha256,
  list,
  random_file,
  start_client,
  start_server,
  workspace,
} from "./_upload.ts";

const CLIENT = "examples/upload_client.ts";
const MiB = 1024 * 1024;

function python(script: string, args: string[]): Child {
  return spawn("python3", ["-u", `${PY}${script}`, ...args], {
    what: script,
    timeout_ms: CHILD_MS,
  });
}

function mib_per_s(text: string, pattern: RegExp): string {
  return text.match(pattern)?.[1] ?? "?";
}

// ---- the tests ----

for (const protocol of ["tutorial", "framed"]) {
  Deno.test(`upload: 100 MiB in the ${protocol} protocol arrives intact, with progress lines`, async () => {
    await using ws = await workspace();
    const file = `${ws.root}/src/big.bin`;
    const dir = `${ws.root}/uploads`;
    const sha = await random_file(file, 100 * MiB);
    const port = free_port();
    await using server = await start_server(dir, port, [
      "--protocol",
      protocol,
      "--count",
      "1",
    ]);
    await using client = start_client(file, port, ["--protocol", protocol]);
    await client.success();
    await server.success();
    const saved = protocol === "tutorial" ? "new1.png" : "big.bin";
    assert.deepEqual(await list(dir), [saved]);
    assert.equal(await file_sha256(`${dir}/${saved}`), sha);
    assert.match(server.stdout, new RegExp(`sha256 ${sha}`));
    assert.match(server.stdout, /saved .* \(104857600 bytes\)/);
    if (protocol === "tutorial") {
      assert.match(server.stdout, /file size: 104857600 bytes; sent the ack/);
      assert.match(client.stdout, /^先走出\n/); // the client prints the ack
    } else {
      assert.match(server.stdout, /verified/);
      assert.match(client.stdout, new RegExp(`sha256 ${sha} ok`));
    }
    // stderr is a pipe, not a terminal: one plain line per 10%, no "\r".
    const lines = client.stderr.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 10, client.stderr);
    assert.ok(!client.stderr.includes("\r"));
    lines.forEach((line, i) => {
      assert.match(
        line,
        /^progress: +\d+% \d+\.\d\/100\.0 MiB \d+\.\d MiB\/s ETA \d+:\d\d$/,
      );
      assert.equal(Number(line.match(/(\d+)%/)![1]), (i + 1) * 10, line);
    });
    console.log(
      `  ${protocol}: client ${
        mib_per_s(client.stdout, /\(([\d.]+) MiB\/s\)/)
      } MiB/s, server ${mib_per_s(server.stdout, /\(([\d.]+) MiB\/s\)/)} MiB/s`,
    );
  });
}

Deno.test("upload: the tutorial's Python 3 client uploads 100 MiB to our server", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/f.png`;
  const dir = `${ws.root}/uploads`;
  const sha = await random_file(file, 100 * MiB);
  const port = free_port();
  await using server = await start_server(dir, port, ["--count", "1"]);
  await using client = python("upload_client.py", [
    "127.0.0.1",
    String(port),
    file,
  ]);
  await client.success();
  await server.success();
  assert.equal(client.stdout, "先走出\n");
  assert.deepEqual(await list(dir), ["new1.png"]);
  assert.equal(await file_sha256(`${dir}/new1.png`), sha);
  assert.match(server.stdout, new RegExp(`sha256 ${sha}`));
  console.log(
    `  python client: server ${
      mib_per_s(server.stdout, /\(([\d.]+) MiB\/s\)/)
    } MiB/s`,
  );
});

Deno.test("upload: our client uploads to the tutorial's Python 3 server", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/f.png`;
  const out = `${ws.root}/new1.png`;
  const sha = await random_file(file, 20 * MiB);
  const port = free_port();
  await using server = python("upload_server.py", [
    "127.0.0.1",
    String(port),
    out,
  ]);
  await server.wait_for(/listening on/);
  await using client = start_client(file, port, []);
  await client.success();
  await server.success();
  assert.match(server.stdout, /received 20971520 bytes/);
  assert.equal(await file_sha256(out), sha);
});

for (const protocol of ["tutorial", "framed"]) {
  Deno.test(`upload: a ${protocol} client that sends half and closes is reported truncated, nothing saved`, async () => {
    await using ws = await workspace();
    const file = `${ws.root}/src/half.bin`;
    const dir = `${ws.root}/uploads`;
    await random_file(file, 10 * MiB);
    const port = free_port();
    await using server = await start_server(dir, port, [
      "--protocol",
      protocol,
      "--count",
      "1",
    ]);
    await using client = python("upload_truncated.py", [
      "127.0.0.1",
      String(port),
      file,
      protocol,
      "half",
    ]);
    await client.success();
    await server.success();
    assert.match(
      server.stdout,
      /truncated: received 5242880 of 10485760 bytes.*; nothing saved/,
    );
    assert.doesNotMatch(server.stdout, /saved \//);
    assert.deepEqual(await list(dir), []); // the temporary file is gone too
  });

  Deno.test(`upload: killing a ${protocol} client by PID mid-way leaves nothing saved`, async () => {
    await using ws = await workspace();
    const file = `${ws.root}/src/slow.bin`;
    const dir = `${ws.root}/uploads`;
    await random_file(file, 40 * MiB);
    const port = free_port();
    await using server = await start_server(dir, port, [
      "--protocol",
      protocol,
      "--count",
      "1",
    ]);
    // 10 MiB/s: the 40 MiB take about 4 s, so the kill lands mid-way.
    await using client = start_client(file, port, [
      "--protocol",
      protocol,
      "--rate",
      String(10 * MiB),
    ]);
    await client.wait_for(/progress: +10%/, "stderr");
    client.kill("SIGKILL");
    assert.notEqual((await client.status()).code, 0);
    await server.success();
    const m = server.stdout.match(
      /truncated: received (\d+) of 41943040 bytes.*; nothing saved/,
    );
    assert.ok(m, server.report());
    assert.ok(Number(m[1]) > 0 && Number(m[1]) < 40 * MiB, m[0]);
    assert.deepEqual(await list(dir), []);
  });
}

Deno.test("upload: a framed upload with a wrong sha256 is refused, nothing saved", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/x.bin`;
  const dir = `${ws.root}/uploads`;
  await random_file(file, 3 * MiB);
  const port = free_port();
  await using server = await start_server(dir, port, [
    "--protocol",
    "framed",
    "--count",
    "1",
  ]);
  await using client = python("upload_truncated.py", [
    "127.0.0.1",
    String(port),
    file,
    "framed",
    "badsha",
  ]);
  await client.success();
  await server.success();
  assert.match(server.stdout, /sha256 mismatch: .*; nothing saved/);
  assert.match(client.stdout, /"ok": ?false.*sha256 mismatch/);
  assert.deepEqual(await list(dir), []);
});

Deno.test('upload: the name "../../etc/x" lands as "x" in the folder; ".." is refused', async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/data.bin`;
  const dir = `${ws.root}/uploads`;
  const sha = await random_file(file, 1 * MiB);
  const port = free_port();
  await using server = await start_server(dir, port, [
    "--protocol",
    "framed",
    "--count",
    "2",
  ]);
  {
    await using client = start_client(file, port, [
      "--protocol",
      "framed",
      "--name",
      "../../etc/x",
    ]);
    await client.success();
    assert.match(client.stdout, /the server accepted "x"/);
  }
  {
    await using client = start_client(file, port, [
      "--protocol",
      "framed",
      "--name",
      "..",
    ]);
    assert.equal((await client.status()).code, 1, client.report());
    assert.match(client.stdout, /the server refused: refused name/);
  }
  await server.success();
  assert.match(server.stdout, /name "\.\.\/\.\.\/etc\/x" reduced to "x"/);
  assert.match(server.stdout, /refused the name "\.\."/);
  assert.deepEqual(await list(dir), ["x"]);
  assert.equal(await file_sha256(`${dir}/x`), sha);
  assert.deepEqual(await list(ws.root), ["src", "uploads"]);
});

Deno.test("upload: the client draws a bar with \\r at most about 10 times a second", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/bar.bin`;
  const dir = `${ws.root}/uploads`;
  await random_file(file, 8 * MiB);
  const port = free_port();
  await using server = await start_server(dir, port, ["--count", "1"]);
  const start = performance.now();
  // 8 MiB at 8 MiB/s: about one second of redraws.
  await using client = start_client(file, port, [
    "--progress",
    "bar",
    "--rate",
    String(8 * MiB),
  ]);
  await client.success();
  const seconds = (performance.now() - start) / 1000;
  await server.success();
  const frames = client.stderr.split("\r").filter((f) => f !== "");
  assert.ok(client.stderr.endsWith("\n"), JSON.stringify(client.stderr));
  for (const frame of frames) {
    assert.match(
      frame,
      /^\[[#-]{30}\] +\d+% [\d.]+\/8\.0 MiB [\d.]+ MiB\/s ETA (\d+:\d\d|--:--) *\n?$/,
    );
  }
  assert.match(frames.at(-1)!, /^\[#{30}\] 100% 8\.0\/8\.0 MiB/);
  assert.ok(frames.length >= 3, `${frames.length} frames`);
  assert.ok(
    frames.length <= seconds * 10 + 3,
    `${frames.length} frames in ${seconds.toFixed(2)} s`,
  );
});

Deno.test("upload: on a terminal the client picks the bar by itself", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/tty.bin`;
  const dir = `${ws.root}/uploads`;
  await random_file(file, 4 * MiB);
  const port = free_port();
  await using server = await start_server(dir, port, ["--count", "1"]);
  const args = header_args(CLIENT, {
    "127.0.0.1:9999": `127.0.0.1:${port}`,
    "f.png": file,
  });
  // Under python's pty: stdout and stderr are a terminal, "\n" reads "\r\n".
  await using client = python("upload_pty.py", [
    Deno.execPath(),
    ...args,
    "--port",
    String(port),
    "--rate",
    String(8 * MiB),
  ]);
  await client.success();
  await server.success();
  assert.doesNotMatch(client.stdout, /progress:/);
  const frames = client.stdout.match(/\r\[[#-]{30}\] +\d+% /g) ?? [];
  assert.ok(frames.length >= 2, client.report());
  assert.match(client.stdout, /\r\[#{30}\] 100% 4\.0\/4\.0 MiB/);
});

Deno.test("upload: SIGTERM stops the server; an upload in progress is removed", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/slow.bin`;
  const dir = `${ws.root}/uploads`;
  await random_file(file, 20 * MiB);
  const port = free_port();
  await using server = await start_server(dir, port, ["--protocol", "framed"]);
  await using client = start_client(file, port, [
    "--protocol",
    "framed",
    "--rate",
    String(10 * MiB),
  ]);
  await client.wait_for(/progress: +10%/, "stderr");
  server.kill("SIGTERM");
  await server.success();
  assert.notEqual((await client.status()).code, 0);
  assert.match(server.stdout, /stopping/);
  assert.match(
    server.stdout,
    /truncated: received \d+ of 20971520 bytes \(the server is stopping\)/,
  );
  assert.match(client.stdout, /upload failed: \[Errno (32|104)\] /);
  assert.deepEqual(await list(dir), []);
});

Deno.test("upload: the client reports a refused connection in one line", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/f.png`;
  await random_file(file, 1000);
  const port = free_port(); // nothing listens there
  await using client = start_client(file, port, []);
  assert.equal((await client.status()).code, 1, client.report());
  assert.equal(
    client.stdout,
    "upload failed: [Errno 111] Connection refused\n",
  );
  assert.equal(client.stderr, "");
});
