// The forking Unix servers: handlers in child processes, every connection
// and datagram relayed by the parent.
// deno test --sanitize-ops --sanitize-resources -A tests/server/forking_unix_test.ts
import assert from "node:assert/strict";
import { AF_UNIX, SOCK_DGRAM, socket } from "../../net/mod.ts";
import {
  ForkingMixIn,
  ForkingUnixDatagramServer,
  ForkingUnixStreamServer,
  UnixStreamServer,
} from "../../server/mod.ts";
import {
  alive,
  capture_errors,
  echo_every_byte,
  eventually,
  LineClient,
} from "./fixtures/client.ts";
import { Command, DatagramEcho, RawEcho } from "./fixtures/handlers.ts";
import { server_suite } from "./_suite.ts";

const decoder = new TextDecoder();

async function in_temp_dir(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function open(path: string): Promise<LineClient> {
  const sock = socket(AF_UNIX);
  await sock.connect(path);
  return new LineClient(sock);
}

Deno.test("ForkingUnixStreamServer serves clients from child processes, none of which outlives server_close()", async () => {
  await in_temp_dir(async (dir) => {
    const server = new ForkingUnixStreamServer(`${dir}/s.sock`, Command);
    server.max_workers = 2;
    assert.ok(server instanceof ForkingMixIn);
    const serving = server.serve_forever(0.05);
    const pids = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const c = await open(`${dir}/s.sock`);
      assert.equal(await c.ask(`line ${i}`), `line ${i}`);
      pids.add(await c.ask("pid"));
      await c.close();
    }
    const children = server.active_children;
    assert.equal(children.length, 2);
    for (const pid of pids) assert.ok(children.includes(Number(pid)));
    assert.ok(!pids.has(String(Deno.pid)));
    await server.shutdown();
    await serving;
    await server.server_close();
    assert.deepEqual(server.active_children, []);
    for (const pid of children) assert.ok(!alive(pid), `${pid} outlived it`);
  });
});

Deno.test("ForkingUnixStreamServer relays every byte both ways", async () => {
  await in_temp_dir(async (dir) => {
    await using server = new ForkingUnixStreamServer(`${dir}/s.sock`, RawEcho);
    server.max_workers = 2;
    const serving = server.serve_forever(0.05);
    await echo_every_byte(`${dir}/s.sock`, 3, 4 * 1024 * 1024);
    await server.shutdown();
    await serving;
  });
});

Deno.test("ForkingUnixStreamServer closes the relayed clients of a child whose frame stream breaks, and only those", async () => {
  await in_temp_dir(async (dir) => {
    await using server = new ForkingUnixStreamServer(`${dir}/s.sock`, Command);
    server.max_workers = 2;
    const serving = server.serve_forever(0.05);
    const [, log] = await capture_errors(async () => {
      // Relayed to the least busy child: the two land on different ones.
      const a = await open(`${dir}/s.sock`);
      const a_pid = await a.ask("pid");
      const b = await open(`${dir}/s.sock`);
      assert.notEqual(await b.ask("pid"), a_pid);
      assert.equal(await a.ask("stdout"), "");
      await a.close();
      assert.equal(await b.ask("untouched"), "untouched");
      await b.close();
      assert.ok(
        await eventually(() =>
          server.active_children.length === 2 &&
          !server.active_children.includes(Number(a_pid))
        ),
      );
      const c = await open(`${dir}/s.sock`);
      assert.equal(await c.ask("after"), "after");
      await c.close();
    });
    assert.match(
      log,
      /ForkingUnixStreamServer: child \d+ stopped \(its frame stream broke: .*\); closed its 1 relayed connection/,
    );
    await server.shutdown();
    await serving;
  });
});

Deno.test("ForkingUnixStreamServer.handle_error() logs a failed handler", async () => {
  await in_temp_dir(async (dir) => {
    await using server = new ForkingUnixStreamServer(`${dir}/s.sock`, Command);
    server.max_workers = 1;
    const serving = server.serve_forever(0.05);
    const [, log] = await capture_errors(async () => {
      const c = await open(`${dir}/s.sock`);
      assert.equal(await c.ask("boom"), "");
      await c.close();
      assert.ok(await eventually(() => server.active_requests === 0));
    });
    assert.match(
      log,
      /Exception occurred during processing of request from .*\nboom from the handler/,
    );
    await server.shutdown();
    await serving;
  });
});

Deno.test("ForkingUnixDatagramServer replies from a child", async () => {
  await in_temp_dir(async (dir) => {
    await using server = new ForkingUnixDatagramServer(
      `${dir}/server.sock`,
      DatagramEcho,
    );
    server.max_workers = 1;
    assert.ok(server instanceof ForkingMixIn);
    const serving = server.serve_forever(0.05);
    await using client = socket(AF_UNIX, SOCK_DGRAM);
    client.bind(`${dir}/client.sock`);
    client.settimeout(5);
    for (let i = 0; i < 20; i++) {
      await client.sendto(`up:${i}`, `${dir}/server.sock`);
      const [data] = await client.recvfrom(100);
      assert.equal(decoder.decode(data), `UP:${i}`);
    }
    assert.equal(server.active_children.length, 1);
    await server.shutdown();
    await serving;
  });
});

Deno.test("ForkingMixIn makes a forking server of a custom Unix stream class", async () => {
  await in_temp_dir(async (dir) => {
    class Plain extends UnixStreamServer {}
    const Forking = ForkingMixIn(Plain);
    await using server = new Forking(`${dir}/s.sock`, Command);
    server.max_workers = 1;
    const serving = server.serve_forever(0.05);
    const c = await open(`${dir}/s.sock`);
    assert.equal(await c.ask("forked"), "forked");
    await c.close();
    await server.shutdown();
    await serving;
  });
});

// The behaviour suite of every server.
server_suite({
  Server: ForkingUnixStreamServer,
  family: "unix",
  type: "stream",
  concurrent: true,
  pooled: true,
});
server_suite({
  Server: ForkingUnixDatagramServer,
  family: "unix",
  type: "dgram",
  concurrent: true,
  pooled: true,
  reply_address_unbound: true,
});
