// Forking servers: handlers in a pool of child Deno processes.
// deno test --sanitize-ops --sanitize-resources -A tests/server/forking_test.ts
import assert from "node:assert/strict";
import { AF_INET, SHUT_WR, SOCK_DGRAM, socket } from "../../net/mod.ts";
import { TCPServer } from "../../server/mod.ts";
import {
  ForkingMixIn,
  ForkingTCPServer,
  ForkingUDPServer,
} from "../../server/mod.ts";
import { child_flags } from "../../server/_permissions.ts";
import { Command, DatagramEcho, Echo } from "./fixtures/handlers.ts";
import {
  alive,
  capture_errors,
  delay,
  eventually,
  LineClient,
  two_agents,
} from "./fixtures/client.ts";

import { server_suite } from "./_suite.ts";

const decoder = new TextDecoder();
const fixtures = new URL("./fixtures/", import.meta.url);

function tcp(cls = Command, children = 2): ForkingTCPServer {
  const server = new ForkingTCPServer(["127.0.0.1", 0], cls);
  server.max_workers = children;
  return server;
}

// PIDs whose parent is this process, from the process table (through ps:
// Deno reads /proc only with --allow-all).
function my_children(): number[] {
  const out = new Deno.Command("ps", {
    args: ["-o", "pid=", "--ppid", String(Deno.pid)],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const own = new Set<number>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const pid = Number(line.trim());
    if (line.trim() !== "" && Number.isInteger(pid)) own.add(pid);
  }
  // ps itself has exited by now; drop its PID should it be listed.
  return [...own].filter(alive);
}

async function run_script(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-net", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

Deno.test("ForkingTCPServer serves clients from child processes, none of which outlives server_close()", async () => {
  const before = my_children();
  const server = tcp(Command, 2);
  const serving = server.serve_forever(0.05);
  const pids = new Set<string>();
  for (let i = 0; i < 8; i++) {
    await using c = await LineClient.open(server.server_address);
    assert.equal(await c.ask(`line ${i}`), `line ${i}`);
    pids.add(await c.ask("pid"));
  }
  const children = server.active_children;
  assert.equal(children.length, 2);
  for (const pid of pids) assert.ok(children.includes(Number(pid)));
  for (const pid of children) {
    assert.ok(alive(pid));
    assert.ok(my_children().includes(pid));
  }
  await server.shutdown();
  await serving;
  await server.server_close();
  assert.deepEqual(server.active_children, []);
  for (const pid of children) {
    assert.ok(!alive(pid), `child ${pid} outlived the server`);
  }
  assert.deepEqual(my_children().filter((p) => !before.includes(p)), []);
});

Deno.test("ForkingTCPServer replaces a killed child; its client is closed, others go on", async () => {
  await using server = tcp(Command, 2);
  const serving = server.serve_forever(0.05);
  const [, log] = await capture_errors(async () => {
    const { a, b, others } = await two_agents(server.server_address);
    for (const o of others) await o.close();
    const victim = Number(await a.ask("pid"));
    Deno.kill(victim, "SIGKILL");
    assert.equal(await a.line(), "");
    await a.close();
    assert.equal(await b.ask("untouched"), "untouched");
    await b.close();
    assert.ok(
      await eventually(() =>
        server.active_children.length === 2 &&
        !server.active_children.includes(victim)
      ),
    );
    for (let i = 0; i < 6; i++) {
      await using c = await LineClient.open(server.server_address);
      assert.equal(await c.ask(`after ${i}`), `after ${i}`);
    }
  });
  assert.match(
    log,
    /ForkingTCPServer: child \d+ stopped \(it was killed by SIGKILL\)/,
  );
  await server.shutdown();
  await serving;
});

Deno.test("ForkingTCPServer sends a child's error to handle_error and keeps serving", async () => {
  const seen: string[] = [];
  class Server extends ForkingTCPServer {
    override handle_error(_r: unknown, _a: unknown, error: unknown): void {
      seen.push((error as Error).message);
    }
  }
  await using server = new Server(["127.0.0.1", 0], Command);
  server.max_workers = 1;
  const serving = server.serve_forever(0.05);
  const bad = await LineClient.open(server.server_address);
  await bad.sock.sendall("boom\n");
  assert.equal(await bad.line(), "");
  await bad.close();
  assert.ok(await eventually(() => seen.length === 1));
  assert.equal(seen[0], "boom from the handler");
  await using good = await LineClient.open(server.server_address);
  assert.equal(await good.ask("still"), "still");
  await server.shutdown();
  await serving;
});

Deno.test("ForkingTCPServer gives handlers this.server.server_address and a shutdown() that stops it", async () => {
  await using server = tcp(Command, 2);
  const serving = server.serve_forever(0.05);
  await using c = await LineClient.open(server.server_address);
  assert.deepEqual(JSON.parse(await c.ask("addr")), server.server_address);
  assert.equal(await c.ask("stop"), "stopped");
  await serving;
});

Deno.test("ForkingTCPServer.server_close() waits for handlers with block_on_close, not with daemon_threads", async () => {
  for (const daemon of [false, true]) {
    const server = tcp(Command, 1);
    server.daemon_threads = daemon;
    const serving = server.serve_forever(0.05);
    const c = await LineClient.open(server.server_address);
    // A running handler, not a connection still queued at a listener.
    assert.equal(await c.ask("ready"), "ready");
    await c.sock.sendall("sleep 1500\n");
    await c.sock.shutdown(SHUT_WR);
    await delay(100);
    await server.shutdown();
    await serving;
    const children = server.active_children;
    const started = performance.now();
    await server.server_close();
    const took = performance.now() - started;
    if (daemon) {
      assert.ok(took < 1000, `took ${took} ms`);
      assert.equal(await c.line(), "");
    } else {
      assert.ok(took >= 600, `took ${took} ms`);
      assert.equal(await c.line(), "slept");
    }
    for (const pid of children) assert.ok(!alive(pid));
    await c.close();
  }
});

Deno.test("ForkingTCPServer runs CPU-bound handlers in parallel", async () => {
  await using server = tcp(Command, 2);
  const serving = server.serve_forever(0.05);
  const { a, b, others } = await two_agents(server.server_address);
  for (const o of others) await o.close();
  const started = performance.now();
  const replies = await Promise.all([a.ask("spin 600"), b.ask("spin 600")]);
  const elapsed = performance.now() - started;
  assert.deepEqual(replies, ["spun", "spun"]);
  assert.ok(elapsed < 1100, `took ${elapsed} ms`);
  await a.close();
  await b.close();
  await server.shutdown();
  await serving;
});

Deno.test("ForkingUDPServer relays every datagram and reply under load", async () => {
  const server = new ForkingUDPServer(["127.0.0.1", 0], DatagramEcho);
  server.max_workers = 2;
  const serving = server.serve_forever(0.05);
  const client = socket(AF_INET, SOCK_DGRAM);
  client.settimeout(5);
  const total = 1000;
  const got = new Set<string>();
  let sent = 0;
  while (got.size < total) {
    while (sent < total && sent - got.size < 32) {
      await client.sendto(
        `up:${sent}:${"y".repeat(sent % 700)}`,
        server.server_address,
      );
      sent++;
    }
    const text = decoder.decode((await client.recvfrom(2048))[0]);
    const n = text.split(":")[1]!;
    assert.equal(text, `UP:${n}:${"Y".repeat(Number(n) % 700)}`);
    got.add(n);
  }
  const children = server.active_children;
  await client.close();
  await server.shutdown();
  await serving;
  await server.server_close();
  for (const pid of children) assert.ok(!alive(pid));
});

Deno.test("ForkingMixIn makes a forking server of a custom class", async () => {
  class Plain extends TCPServer {}
  const Forking = ForkingMixIn(Plain);
  await using server = new Forking(["127.0.0.1", 0], Echo);
  server.max_workers = 1;
  assert.ok(server instanceof ForkingMixIn);
  const serving = server.serve_forever(0.05);
  await using c = await LineClient.open(server.server_address);
  assert.equal(await c.ask("forked"), "forked");
  await server.shutdown();
  await serving;
});

Deno.test("child_flags() passes grants held in full as they are, never run", () => {
  const flags = child_flags(
    { module: new URL("handlers.ts", fixtures).href, name: "Echo" },
    "listen",
    ["127.0.0.1", 8000],
  );
  // Whatever this test process holds in full is passed on as it is.
  const names = ["read", "write", "net", "env", "sys", "ffi"] as const;
  const held = names.filter((name) => {
    const status = Deno.permissions.querySync({ name });
    return status.state === "granted" && !status.partial;
  });
  assert.ok(held.length >= 4, `unscoped grants here: ${held.join(",")}`);
  for (const name of held) {
    assert.ok(flags.includes(`--allow-${name}`), name);
  }
  for (const name of names.filter((n) => !held.includes(n))) {
    assert.ok(!flags.includes(`--allow-${name}`), `${name} is not held`);
  }
  assert.ok(!flags.some((flag) => flag.startsWith("--allow-run")));
});

Deno.test("ForkingTCPServer gives a child no permission its parent lacks", async () => {
  const script = new URL("fork_perms.ts", fixtures).pathname;
  const root = new URL("../../", import.meta.url).pathname;
  const scoped = await run_script([
    "--allow-net=127.0.0.1",
    `--allow-read=${root}`,
    `--allow-run=${Deno.execPath()}`,
    script,
  ]);
  assert.equal(scoped.code, 0, scoped.stderr);
  // Only scoped grants reach the child: no permission is granted unscoped.
  assert.equal(
    scoped.stdout.trim(),
    "read=prompt,write=prompt,net=prompt,env=prompt,run=prompt,sys=prompt",
  );
  const all = await run_script(["-A", script]);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(
    all.stdout.trim(),
    "read=granted,write=granted,net=granted,env=granted,run=prompt,sys=granted",
  );
});

Deno.test("ForkingTCPServer finds an exported handler of the main module", async () => {
  const result = await run_script([
    "--allow-net=127.0.0.1",
    `--allow-read=${new URL("../../", import.meta.url).pathname}`,
    `--allow-run=${Deno.execPath()}`,
    new URL("main_handler.ts", fixtures).pathname,
    "forking",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), "HELLO 0|HELLO 1|HELLO 2|HELLO 3");
});

// The behaviour suite of every server.
server_suite({
  Server: ForkingTCPServer,
  family: "inet",
  type: "stream",
  concurrent: true,
  pooled: true,
});
server_suite({
  Server: ForkingUDPServer,
  family: "inet",
  type: "dgram",
  concurrent: true,
  pooled: true,
});
