// Out of file descriptors: a SelectorTCPServer in a subprocess with
// `ulimit -n 64` gets more clients than it has descriptors for.
// deno test --sanitize-ops --sanitize-resources -A tests/stress/fd_test.ts
import assert from "node:assert/strict";
import { type Socket, socket } from "../../net/mod.ts";
import { within } from "./_util.ts";

const decoder = new TextDecoder();
const LIMIT = 64;
const CLIENTS = 80;

async function chat(sock: Socket, text: string): Promise<string> {
  await sock.sendall(text);
  let got = "";
  for (let i = 0; i < 100 && !got.endsWith("\n"); i++) {
    const data = await sock.recv(4096);
    if (data.length === 0) break;
    got += decoder.decode(data);
  }
  return got;
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

// Runs the server under a low descriptor limit while `fn` runs.
async function with_low_limit_server(
  fn: (address: [string, number], pid: number) => Promise<void>,
): Promise<string> {
  const script = new URL("./_fd_server.ts", import.meta.url).pathname;
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit -n ${LIMIT} && exec "$0" run --unstable-net --allow-net=127.0.0.1 --allow-read "$1" SelectorTCPServer`,
      Deno.execPath(),
      script,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const stderr = new Response(child.stderr).text();
  let err = "";
  try {
    let head = "";
    for (let i = 0; i < 100 && !head.includes("\n"); i++) {
      const { value, done } = await within(reader.read(), 20_000, "port");
      if (done) break;
      head += decoder.decode(value);
    }
    const { port } = JSON.parse(head.split("\n")[0]!) as { port: number };
    await fn(["127.0.0.1", port], child.pid);
  } finally {
    await reader.cancel();
    child.kill("SIGTERM");
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

Deno.test(`SelectorTCPServer under ulimit -n ${LIMIT}: out of descriptors, it keeps running and serving its clients`, async () => {
  await with_low_limit_server(async (address, pid) => {
    assert.ok(await served(address, "first\n", 10), "not served at start");
    const { clients, ok } = await flood(address);
    try {
      console.log(`${ok} of ${CLIENTS} flood clients served`);
      assert.ok(ok > 0 && ok < CLIENTS, `${ok} served: no EMFILE reached`);
      // Still running, and the clients it holds are still served.
      // kill -0: Deno reads /proc only with --allow-all.
      const probe = await new Deno.Command("kill", {
        args: ["-0", String(pid)],
        stdout: "null",
        stderr: "null",
      }).output();
      assert.ok(probe.success, `server ${pid} is gone`);
      const answers = await Promise.all(clients.map(async (c) => {
        c.settimeout(1);
        try {
          return (await chat(c, "again\n")) === "again\n";
        } catch {
          return false; // Never accepted.
        }
      }));
      const answered = answers.filter(Boolean).length;
      console.log(`${answered} held clients answered again`);
      assert.ok(answered >= ok - 1, `only ${answered} of ${ok} answered`);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});

Deno.test({
  name:
    `SelectorTCPServer under ulimit -n ${LIMIT}: serves new clients again once descriptors free up`,
  fn: async () => {
    const log = await with_low_limit_server(async (address) => {
      const { clients, ok } = await flood(address);
      await Promise.all(clients.map((c) => c.close()));
      assert.ok(ok < CLIENTS, "no EMFILE reached");
      let again = false;
      for (let i = 0; i < 10 && !again; i++) {
        again = await served(address, `after ${i}\n`, 1);
      }
      assert.ok(again, "no client served after descriptors were freed");
    });
    // The server said why it could not accept.
    assert.match(
      log,
      /cannot accept: OSError: \[Errno 24\] Too many open files/,
    );
  },
});
