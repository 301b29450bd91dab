// Out of file descriptors: each TCP server type in a subprocess with
// `ulimit -n 64` runs out of descriptors; it logs it, keeps running, keeps
// serving the clients it holds and serves new ones once descriptors free up.
// Concurrent servers run out under a flood of clients; the blocking
// TCPServer, which holds one connection at a time, when the rest of its
// process fills the table.
// deno test --sanitize-ops --sanitize-resources -A tests/stress/fd_test.ts
import assert from "node:assert/strict";
import { type Socket, socket } from "../../net/mod.ts";
import { until } from "../_until.ts";
import { delay, json_lines } from "./_util.ts";

const decoder = new TextDecoder();
const LIMIT = 64;
const CLIENTS = 80;

interface Kind {
  name: string;
  // Serves many clients at once (else one at a time).
  concurrent: boolean;
}

const kinds: Kind[] = [
  { name: "SelectorTCPServer", concurrent: true },
  { name: "TCPServer", concurrent: false },
  { name: "ThreadingTCPServer", concurrent: true },
  // Not ForkingTCPServer: a child out of descriptors reports the EMFILE of
  // a relayed connection's socketpair(), and reading that error's stack
  // makes Deno 2.9.6 panic (stacker: pthread_getattr_np fails with EMFILE).
  // The child dies with every client it holds; the server starts another.
];

// Reads until a whole line came (or EOF); what came, or "" on a timeout.
async function line(sock: Socket): Promise<string> {
  let got = "";
  for (let i = 0; i < 100 && !got.endsWith("\n"); i++) {
    const data = await sock.recv(4096);
    if (data.length === 0) break;
    got += decoder.decode(data);
  }
  return got;
}

async function chat(sock: Socket, text: string): Promise<string> {
  await sock.sendall(text);
  return await line(sock);
}

// Whether one client connects and gets its echo within `seconds`.
async function served(
  address: [string, number],
  text: string,
  seconds: number,
  keep?: Socket[],
): Promise<boolean> {
  const c = socket();
  c.settimeout(seconds);
  try {
    await c.connect(address);
    return (await chat(c, text)) === text;
  } catch {
    return false;
  } finally {
    if (keep) keep.push(c);
    else await c.close();
  }
}

interface LowLimitServer {
  address: [string, number];
  pid: number;
  // Sends "fill" or "free"; returns how many files the server holds open.
  command(what: "fill" | "free"): Promise<number>;
}

// Runs the server under a low descriptor limit while `fn` runs; returns
// what it wrote to stderr.
async function with_low_limit_server(
  kind: Kind,
  fn: (server: LowLimitServer) => Promise<void>,
): Promise<string> {
  const script = new URL("./_fd_server.ts", import.meta.url).pathname;
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit -n ${LIMIT} && exec "$0" run --unstable-net --allow-net=127.0.0.1 --allow-read "$1" "$2"`,
      Deno.execPath(),
      script,
      kind.name,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "piped",
  }).spawn();
  const lines = json_lines(child.stdout);
  const writer = child.stdin.getWriter();
  const stderr = new Response(child.stderr).text();
  let err = "";
  try {
    const { port } = await lines.next<{ port: number }>();
    await fn({
      address: ["127.0.0.1", port],
      pid: child.pid,
      command: async (what) => {
        await writer.write(new TextEncoder().encode(`${what}\n`));
        return (await lines.next<{ files: number }>()).files;
      },
    });
  } finally {
    await lines.cancel();
    await writer.close().catch(() => {});
    try {
      child.kill("SIGTERM");
    } catch {
      // It ended already: its stderr says why.
    }
    await child.status;
    err = (await stderr).trim();
    if (err !== "") console.log(`server stderr: ${err.slice(0, 500)}`);
  }
  return err;
}

// Opens CLIENTS clients at once (each connects and chats within 3 s) and
// returns them, open, with how many were served.
async function flood(
  address: [string, number],
): Promise<{ clients: Socket[]; ok: number }> {
  const clients: Socket[] = [];
  const results = await Promise.all(
    Array.from(
      { length: CLIENTS },
      (_, i) => served(address, `flood ${i}\n`, 3, clients),
    ),
  );
  return { clients, ok: results.filter(Boolean).length };
}

// Runs the server out of descriptors while it serves: returns the clients
// it serves meanwhile, open, and how many there are.
async function exhaust(
  kind: Kind,
  server: LowLimitServer,
): Promise<{ held: Socket[]; ok: number }> {
  // Served at first (a pooled server's workers listen by then).
  assert.ok(await served(server.address, "first\n", 10), "not served");
  if (kind.concurrent) {
    const { clients, ok } = await flood(server.address);
    console.log(`${ok} of ${CLIENTS} flood clients served`);
    assert.ok(ok > 0 && ok < CLIENTS, `${ok} served: no EMFILE reached`);
    return { held: clients, ok };
  }
  // One connection at a time: the client being served stays, the rest of
  // the process takes every other descriptor.
  const held: Socket[] = [];
  assert.ok(await served(server.address, "held\n", 10, held), "not served");
  const files = await server.command("fill");
  console.log(`${files} files fill the server's descriptor table`);
  assert.ok(files > 0, "no descriptor left to fill");
  return { held, ok: 1 };
}

// Closes the held clients and frees the descriptors; for a blocking server,
// first shows that a client that comes while none is free waits.
async function release(
  kind: Kind,
  server: LowLimitServer,
  held: Socket[],
): Promise<void> {
  await Promise.all(held.map((c) => c.close()));
  if (kind.concurrent) return;
  // The server closes its side of the held client: take that one too.
  await delay(300);
  await server.command("fill");
  const waiting: Socket[] = [];
  try {
    assert.ok(
      !(await served(server.address, "waiting\n", 1, waiting)),
      "a client was accepted with no descriptor free",
    );
    assert.equal(await server.command("free"), 0);
    // The queued client is accepted now and gets its echo.
    waiting[0]!.settimeout(10);
    assert.equal(await line(waiting[0]!), "waiting\n");
  } finally {
    await Promise.all(waiting.map((c) => c.close()));
  }
}

for (const kind of kinds) {
  Deno.test(`${kind.name} under ulimit -n ${LIMIT}: out of descriptors, it keeps running and serving its clients`, async () => {
    await with_low_limit_server(kind, async (server) => {
      const { held, ok } = await exhaust(kind, server);
      try {
        // Still running, and the clients it holds are still served.
        // kill -0: Deno reads /proc only with --allow-all.
        const probe = await new Deno.Command("kill", {
          args: ["-0", String(server.pid)],
          stdout: "null",
          stderr: "null",
        }).output();
        assert.ok(probe.success, `server ${server.pid} is gone`);
        const answers = await Promise.all(held.map(async (c) => {
          c.settimeout(1);
          try {
            return (await chat(c, "again\n")) === "again\n";
          } catch {
            return false; // Never accepted.
          }
        }));
        const answered = answers.filter(Boolean).length;
        console.log(`${answered} held clients answered again`);
        // Of a flood, one straggler may go unanswered.
        const need = kind.concurrent ? ok - 1 : ok;
        assert.ok(answered >= need, `only ${answered} of ${ok} answered`);
      } finally {
        await Promise.all(held.map((c) => c.close()));
      }
    });
  });

  Deno.test(`${kind.name} under ulimit -n ${LIMIT}: serves new clients again once descriptors free up`, async () => {
    const log = await with_low_limit_server(kind, async (server) => {
      const { held } = await exhaust(kind, server);
      await release(kind, server, held);
      let tries = 0;
      await until(
        () => served(server.address, `after ${tries++}\n`, 1),
        10_000,
        "a client served after descriptors were freed",
      );
      // And the next ones, one after another.
      for (let i = 0; i < 3; i++) {
        assert.ok(await served(server.address, `next ${i}\n`, 5), `next ${i}`);
      }
    });
    // The server said why it could not accept.
    assert.match(
      log,
      /cannot accept: OSError: \[Errno 24\] Too many open files/,
    );
    // Every line names the user's class, a worker's included.
    for (const line of log.split("\n")) {
      if (line.includes("cannot accept")) {
        assert.ok(line.startsWith(`${kind.name}: `), line);
      }
    }
  });
}
