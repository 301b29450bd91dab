// Relayed streams hold a bounded number of bytes in flight each way: a
// client that stops reading makes its handler's writes wait, and the main
// process does not buffer what the handler writes meanwhile.
// deno test --sanitize-ops --sanitize-resources -A tests/server/flow_control_test.ts
import assert from "node:assert/strict";
import {
  type Address,
  AF_UNIX,
  create_connection,
  SHUT_WR,
  SOCK_STREAM,
  type Socket,
  socket,
} from "../../net/mod.ts";
import {
  ForkingTCPServer,
  ForkingUnixStreamServer,
  ThreadingTCPServer,
  ThreadingUnixStreamServer,
} from "../../server/mod.ts";
import { delay } from "./fixtures/client.ts";
import { Flood, flood_byte, FLOOD_CHUNK, Sink } from "./fixtures/handlers.ts";

/** About 128 MiB. */
const CHUNKS = 2089;
const TOTAL = CHUNKS * FLOOD_CHUNK;
/**
 * The most the main process may grow while the client does not read, as
 * the issue asks. Its RSS also counts the garbage of the relayed chunks not
 * yet collected, in the main thread and in a worker, which lives in this
 * same process; with the bytes handed over rather than copied between the
 * two, the peaks measured were 0-14 MiB. Without flow control the same
 * floods grew it by 130-177 MiB.
 */
const GROWTH = 32 * 1024 * 1024;

async function connect(address: Address): Promise<Socket> {
  if (typeof address === "string") {
    const sock = socket(AF_UNIX, SOCK_STREAM);
    await sock.connect(address);
    return sock;
  }
  return await create_connection(address as [string, number]);
}

// Asks for the flood, reads nothing for `idle_ms` while sampling this
// process's RSS, then reads every byte, checking each is in order; returns
// the largest growth seen.
async function flood(
  client: Socket,
  address: Address,
  idle_ms: number,
): Promise<number> {
  // A first small flood on another connection, so that the agent's start
  // and compiling the relay are not counted.
  {
    await using warm = await connect(address);
    await warm.sendall("16\n");
    await read_all(warm, 16 * FLOOD_CHUNK);
  }
  // And a small one on the measured connection itself: a connection the
  // main listener relays warms the relay path, whose first use (socket
  // pairs, the worker's heap in this same process) is no backlog.
  await client.sendall("16\n");
  await read_all(client, 16 * FLOOD_CHUNK);
  const base = Deno.memoryUsage().rss;
  await client.sendall(`${CHUNKS}\n`);
  let peak = 0;
  const end = performance.now() + idle_ms;
  while (performance.now() < end) {
    await delay(100);
    peak = Math.max(peak, Deno.memoryUsage().rss - base);
  }
  await read_all(client, TOTAL);
  return peak;
}

// Reads `total` bytes of the flood, checking each is in order.
async function read_all(client: Socket, total: number): Promise<void> {
  const buffer = new Uint8Array(256 * 1024);
  let got = 0;
  for (let turns = 0; turns < 1_000_000 && got < total; turns++) {
    const n = await client.recv_into(buffer);
    if (n === 0) break;
    for (let i = 0; i < n; i++) {
      if (buffer[i] !== flood_byte(got + i)) {
        throw new Error(`byte ${got + i} is ${buffer[i]}, out of order`);
      }
    }
    got += n;
  }
  assert.equal(got, total);
}

for (const Server of [ThreadingUnixStreamServer, ForkingUnixStreamServer]) {
  Deno.test(`${Server.name} holds at most a window per relay when the client stops reading`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using server = new Server(`${dir}/s.sock`, Flood);
      server.max_workers = 1;
      const serving = server.serve_forever(0.05);
      await using client = await connect(server.server_address);
      const peak = await flood(client, server.server_address, 2500);
      assert.ok(peak < GROWTH, `grew ${(peak / 2 ** 20).toFixed(1)} MiB`);
      await client.close();
      await server.shutdown();
      await serving;
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

// With allow_reuse_port a threaded server's socket joins a SO_REUSEPORT
// group, as a forking server's does, and its main listener relays.
class ReusingThreadingTCPServer extends ThreadingTCPServer {
  static override allow_reuse_port = true;
}

for (const Server of [ReusingThreadingTCPServer, ForkingTCPServer]) {
  Deno.test(`${Server.name} holds at most a window per relay for a connection the main listener accepted`, async () => {
    await using server = new Server(["127.0.0.1", 0], Flood);
    server.max_workers = 1;
    // Connected before serving starts: the main listener accepts it, and
    // its bytes cross the relay.
    await using client = await connect(server.server_address);
    const serving = server.serve_forever(0.05);
    const peak = await flood(client, server.server_address, 2500);
    assert.ok(peak < GROWTH, `grew ${(peak / 2 ** 20).toFixed(1)} MiB`);
    await client.close();
    await server.shutdown();
    await serving;
  });
}

Deno.test("ThreadingUnixStreamServer holds at most a window per relay when the handler does not read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using server = new ThreadingUnixStreamServer(`${dir}/s.sock`, Sink);
    server.max_workers = 1;
    const serving = server.serve_forever(0.05);
    await using client = await connect(server.server_address);
    const chunk = new Uint8Array(FLOOD_CHUNK);
    for (let i = 0; i < chunk.length; i++) chunk[i] = flood_byte(i);
    // A first small round on another connection, so that the relay's
    // first use (the worker's heap, in this same process) is not counted.
    {
      await using warm = await connect(server.server_address);
      await warm.sendall("0\n");
      for (let i = 0; i < 64; i++) await warm.sendall(chunk);
      await warm.shutdown(SHUT_WR);
      await warm.recv(100);
    }
    const base = Deno.memoryUsage().rss;
    await client.sendall("2500\n");
    // The client writes as fast as it is let; the handler reads nothing
    // for 2.5 s, so the writes must wait, not pile up in the main thread.
    const writing = (async () => {
      for (let i = 0; i < CHUNKS; i++) await client.sendall(chunk);
    })();
    // Should an assertion below fail, the close that follows must not turn
    // these writes into an uncaught rejection that hides its message.
    writing.catch(() => {});
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      await delay(100);
      peak = Math.max(peak, Deno.memoryUsage().rss - base);
    }
    assert.ok(peak < GROWTH, `grew ${(peak / 2 ** 20).toFixed(1)} MiB`);
    await writing;
    await client.shutdown(SHUT_WR);
    const reply = new TextDecoder().decode(await client.recv(100)).trim();
    assert.equal(reply, String(TOTAL));
    await client.close();
    await server.shutdown();
    await serving;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
