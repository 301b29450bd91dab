/**
 * Tests of the single-threaded server examples: select_server.ts,
 * select_stdin.ts, select_two_ports.ts, epoll_server.ts and
 * nonblocking_server.ts, run as subprocesses with exactly their header
 * commands (the port swapped for a free one), against clients of our own and
 * the tutorials' Python 3 programs in tests/examples/py/.
 */
import assert from "node:assert/strict";
import { create_connection, type Socket } from "../../net/mod.ts";
import { type Child, free_port, PY, run_example, spawn } from "./_run.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Two different free ports. */
function two_ports(): [number, number] {
  const a = free_port();
  for (let i = 0; i < 20; i++) {
    const b = free_port();
    if (b !== a) return [a, b];
  }
  throw new Error("no second free port");
}

/** A client of ours, bounded in time. */
async function connect(port: number): Promise<Socket> {
  return await create_connection(["127.0.0.1", port], 10);
}

/** Receives exactly `n` bytes (the sockets have a timeout). */
async function recv_exactly(sock: Socket, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const chunk = await sock.recv(Math.min(65536, n - got));
    assert.ok(chunk.length > 0, `closed after ${got} of ${n} bytes`);
    out.set(chunk, got);
    got += chunk.length;
  }
  return out;
}

/** A Python client that sends `text`, then resets its connection. */
function py_resetter(port: number, text: string): Child {
  const code = `import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode())
time.sleep(0.3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()`;
  return spawn("python3", ["-c", code, String(port), text]);
}

// --- select_server.ts ------------------------------------------------------

const SELECT_SERVER = "examples/select_server.ts";
const LINES = ["hello", "你好 世界", "a 'quoted' \"line\""];

function start_select_server(port: number, extra: string[] = []): Child {
  return run_example(
    SELECT_SERVER,
    { "127.0.0.1:10000": `127.0.0.1:${port}` },
    ["--port", String(port), ...extra],
  );
}

Deno.test("select_server.ts echoes to the tutorial's Python clients and ours at once", async () => {
  const port = free_port();
  await using server = start_select_server(port, ["--count", "3"]);
  await server.wait_for(
    /starting up on 127\.0\.0\.1 port \d+\nwaiting/,
    "stderr",
  );

  const py_clients = [0, 1].map((i) =>
    spawn("python3", [`${PY}select_client.py`, "127.0.0.1", String(port)], {
      stdin: "piped",
      what: `select_client.py #${i}`,
    })
  );
  // Ours sends 200 KB at once: the echo takes many rounds of the writable
  // list, and partial sends must lose nothing.
  const big = encoder.encode("0123456789".repeat(20_000));
  const ours = (async () => {
    await using sock = await connect(port);
    await sock.sendall(big);
    return await recv_exactly(sock, big.length);
  })();
  for (const py of py_clients) {
    await py.write(LINES.map((l) => `${l}\n`).join(""));
    await py.end();
  }
  for (const py of py_clients) {
    await py.success();
    // Each answer printed is exactly the line sent.
    const answers = py.stdout.split("please input message:").slice(1, -1)
      .map((s) => s.replace(/\n$/, ""));
    assert.deepEqual(answers, LINES, py.report());
    await py[Symbol.asyncDispose]();
  }
  assert.deepEqual(await ours, big);
  await server.success(); // --count 3: `while inputs` ended
  const log = server.stderr;
  assert.equal(
    log.match(/^connection from \('127\.0\.0\.1', \d+\)$/gm)?.length,
    3,
  );
  assert.equal(log.match(/^closing \('127\.0\.0\.1', \d+\)$/gm)?.length, 3);
  assert.match(log, /^received "你好 世界" from \('127\.0\.0\.1', \d+\)$/m);
  assert.match(log, /^sending "hello" to \('127\.0\.0\.1', \d+\)$/m);
  assert.match(log, /queue empty$/m);
});

Deno.test("select_server.ts survives a client that resets its connection", async () => {
  const port = free_port();
  await using server = start_select_server(port, ["--count", "2"]);
  await server.wait_for(/waiting for the next event/, "stderr");
  await using resetter = py_resetter(port, "bye");
  await resetter.success();
  // The server still serves the next client.
  await using sock = await connect(port);
  await sock.sendall("after the reset");
  assert.equal(decoder.decode(await sock.recv(1024)), "after the reset");
  await sock.close();
  await server.success();
  assert.equal(server.stderr.match(/^closing /gm)?.length, 2, server.report());
});

Deno.test("select_server.ts stops cleanly on SIGTERM with a client connected", async () => {
  const port = free_port();
  await using server = start_select_server(port);
  await server.wait_for(/waiting for the next event/, "stderr");
  await using sock = await connect(port);
  await sock.sendall("ping");
  assert.equal(decoder.decode(await sock.recv(1024)), "ping");
  server.kill("SIGTERM");
  await server.success();
  assert.match(server.stderr, /server stopped/);
  assert.equal((await sock.recv(1024)).length, 0); // closed by the server
});

// --- select_stdin.ts -------------------------------------------------------

const SELECT_STDIN = "examples/select_stdin.ts";
const you_input = (out: string) => out.match(/^you input: .*\n\n/gm) ?? [];

Deno.test("select_stdin.ts prints each line as the tutorial's Python 3 program does", async () => {
  const input = "hello\n你好\n  spaced  \n";
  await using ours = run_example(SELECT_STDIN, {}, [], { stdin: "piped" });
  await using py = spawn("python3", [`${PY}select_stdin.py`], {
    stdin: "piped",
  });
  for (const child of [ours, py]) {
    await child.write(input);
    await child.end();
  }
  await ours.success();
  await py.success();
  assert.deepEqual(you_input(ours.stdout), you_input(py.stdout), ours.report());
  assert.equal(you_input(ours.stdout).length, 3, ours.report());
  assert.match(ours.stdout, /^\[<stdin>\]\nArray\nyou input: {2}hello\n\n/);
});

Deno.test("select_stdin.ts returns an empty list when the timeout passes", async () => {
  await using ours = run_example(SELECT_STDIN, {}, ["--timeout", "0.2"], {
    stdin: "piped",
  });
  // Two timeouts, each an empty list, before any input.
  await ours.wait_for(/^\[\]\nArray\n\[\]\nArray\n/);
  await ours.write("late\n");
  await ours.wait_for(/you input: {2}late\n/);
  await ours.end();
  await ours.success();
});

// --- select_two_ports.ts ---------------------------------------------------

const TWO_PORTS = "examples/select_two_ports.ts";

Deno.test("select_two_ports.ts accepts on both ports and sends each client its address", async () => {
  const [port1, port2] = two_ports();
  await using server = run_example(
    TWO_PORTS,
    {
      "127.0.0.1:7777": `127.0.0.1:${port1}`,
      "127.0.0.1:7778": `127.0.0.1:${port2}`,
    },
    ["--port", String(port1), "--port2", String(port2), "--count", "4"],
  );
  await server.wait_for(/listening on/);
  // Python checks the reply against its own repr(getsockname()).
  const code = `import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
data = s.recv(1024)
print(data.decode() == repr(s.getsockname()), data.decode())
s.close()`;
  const pys = [port1, port2].map((p) =>
    spawn("python3", ["-c", code, String(p)])
  );
  const ours = [port2, port1].map(async (p) => {
    await using sock = await connect(p);
    const [host, mine] = sock.getsockname() as [string, number];
    assert.equal(decoder.decode(await sock.recv(1024)), `('${host}', ${mine})`);
  });
  await Promise.all(ours);
  for (const py of pys) {
    await py.success();
    assert.match(py.stdout, /^True \('127\.0\.0\.1', \d+\)\n$/, py.report());
    await py[Symbol.asyncDispose]();
  }
  await server.success();
  for (const p of [port1, port2]) {
    const on = server.stdout.match(new RegExp(`\\) on port ${p}$`, "gm"));
    assert.equal(on?.length, 2, server.report());
  }
});

Deno.test("select_two_ports.ts stops on SIGTERM", async () => {
  const [port1, port2] = two_ports();
  await using server = run_example(
    TWO_PORTS,
    {
      "127.0.0.1:7777": `127.0.0.1:${port1}`,
      "127.0.0.1:7778": `127.0.0.1:${port2}`,
    },
    ["--port", String(port1), "--port2", String(port2)],
  );
  await server.wait_for(/listening on/);
  server.kill("SIGTERM");
  await server.success();
});

// --- epoll_server.ts and nonblocking_server.ts -----------------------------

for (
  const example of [
    "examples/epoll_server.ts",
    "examples/nonblocking_server.ts",
  ]
) {
  const start = (port: number, extra: string[] = []) =>
    run_example(
      example,
      { "127.0.0.1:8080": `127.0.0.1:${port}` },
      ["--port", String(port), ...extra],
    );

  Deno.test(`${example} prints what the tutorial's Python clients and ours send`, async () => {
    const port = free_port();
    await using server = start(port, ["--count", "4"]);
    await server.wait_for(/listening on/);
    for (const text of ["heh", "你好"]) {
      await using py = spawn("python3", [
        `${PY}tcp_client.py`,
        "127.0.0.1",
        String(port),
        text,
      ]);
      await py.success();
    }
    {
      await using sock = await connect(port);
      await sock.sendall("from deno");
    }
    await using resetter = py_resetter(port, "then reset");
    await resetter.success();
    await server.success(); // --count 4
    const out = server.stdout;
    for (const text of ["heh", "你好", "from deno", "then reset"]) {
      assert.match(
        out,
        new RegExp(`^client \\('127\\.0\\.0\\.1', \\d+\\) sent: ${text}$`, "m"),
        server.report(),
      );
    }
    assert.equal(out.match(/ connected$/gm)?.length, 4, server.report());
    assert.equal(out.match(/closed the connection$/gm)?.length, 4);
  });

  Deno.test(`${example} serves clients that overlap, and stops on SIGTERM`, async () => {
    const port = free_port();
    await using server = start(port);
    await server.wait_for(/listening on/);
    const a = await connect(port);
    const b = await connect(port);
    await a.sendall("a1");
    await b.sendall("b1");
    await server.wait_for(/sent: b1$/m);
    await a.sendall("a2");
    await server.wait_for(/sent: a2$/m);
    await a.close();
    await server.wait_for(/closed the connection$/m);
    server.kill("SIGTERM");
    await server.success();
    assert.match(server.stdout, /server stopped/);
    await b.close();
  });
}
