// A threaded TCP server's workers share its listening socket: they accept
// every connection, the main thread relays none, and no other process can
// join the port.
// deno test --sanitize-ops --sanitize-resources -A tests/server/shared_listener_test.ts
import assert from "node:assert/strict";
import { DefaultSelector, EVENT_READ } from "../../mux/mod.ts";
import {
  create_connection,
  EADDRINUSE,
  OSError,
  socket,
} from "../../net/mod.ts";
import { TCPServer, ThreadingTCPServer } from "../../server/mod.ts";
import { Command } from "./fixtures/handlers.ts";
import {
  join_shared,
  rejoin_shared,
  release_shared,
  share_listener,
} from "../../server/_shared_listener.ts";
import { delay, LineClient } from "./fixtures/client.ts";

// The server's port (a TCP server's address holds a number there).
function port_of(server: { server_address: unknown }): number {
  return (server.server_address as [string, number])[1];
}

function threaded(port = 0, workers = 2): ThreadingTCPServer {
  const server = new ThreadingTCPServer(["127.0.0.1", port], Command);
  server.max_workers = workers;
  return server;
}

// What the handler's socket says of the connection, checked against the
// client's view: a relayed request's socket would hold neither address.
async function check_ends(
  client: LineClient,
  server: ThreadingTCPServer,
): Promise<void> {
  const [own, peer] = JSON.parse(await client.ask("ends"));
  assert.deepEqual(own, server.server_address);
  assert.deepEqual(peer, client.sock.getsockname());
}

// Whether python3 can bind a SO_REUSEPORT socket to the port: "0" when it
// can, else the errno.
async function python_joins(port: number): Promise<string> {
  const code = [
    "import socket",
    "s = socket.socket()",
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)",
    "try:",
    `    s.bind(("127.0.0.1", ${port})); print(0)`,
    "except OSError as e:",
    "    print(e.errno)",
  ].join("\n");
  const out = await new Deno.Command("python3", {
    args: ["-c", code],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("ThreadingTCPServer's workers accept every connection, those made before serve_forever() too", async () => {
  await using server = threaded();
  const early = await Promise.all(
    Array.from({ length: 4 }, () => LineClient.open(server.server_address)),
  );
  const serving = server.serve_forever(0.05);
  const later = await Promise.all(
    Array.from({ length: 40 }, () => LineClient.open(server.server_address)),
  );
  try {
    await Promise.all([...early, ...later].map((c) => check_ends(c, server)));
  } finally {
    for (const c of [...early, ...later]) await c.close();
  }
  await server.shutdown();
  await serving;
});

Deno.test("ThreadingTCPServer's port cannot be joined by another process, unless allow_reuse_port", async () => {
  {
    await using server = threaded();
    const serving = server.serve_forever(0.05);
    await using client = await LineClient.open(server.server_address);
    await check_ends(client, server);
    assert.equal(await python_joins(port_of(server)), `${EADDRINUSE}`);
    await server.shutdown();
    await serving;
  }
  class Reusing extends ThreadingTCPServer {
    static override allow_reuse_port = true;
  }
  await using server = new Reusing(["127.0.0.1", 0], Command);
  server.max_workers = 1;
  assert.equal(await python_joins(port_of(server)), "0");
  const serving = server.serve_forever(0.05);
  await using client = await LineClient.open(server.server_address);
  assert.equal(await client.ask("hi"), "hi");
  await server.shutdown();
  await serving;
});

Deno.test("A port a ThreadingTCPServer holds is in use for another server of the process, and free after server_close()", async () => {
  const server = threaded();
  const port = port_of(server);
  const serving = server.serve_forever(0.05);
  const client = await LineClient.open(server.server_address);
  assert.equal(await client.ask("hi"), "hi");
  for (const Cls of [ThreadingTCPServer, TCPServer]) {
    assert.throws(
      () => new Cls(["127.0.0.1", port], Command),
      (error) => error instanceof OSError && error.errno === EADDRINUSE,
    );
  }
  await client.close();
  await server.shutdown();
  await serving;
  await server.server_close();
  // The workers' copies of the socket closed with it: the port is free.
  await using again = threaded(port, 1);
  assert.equal(port_of(again), port);
  const serving_again = again.serve_forever(0.05);
  await using next = await LineClient.open(again.server_address);
  await check_ends(next, again);
  await again.shutdown();
  await serving_again;
});

Deno.test("ThreadingTCPServer.handle_request() has a worker accept, before and after serve_forever()", async () => {
  await using server = threaded();
  const clients: LineClient[] = [];
  const open = async () => {
    clients.push(await LineClient.open(server.server_address));
    return clients.at(-1)!;
  };
  try {
    const a = await open();
    const handled = server.handle_request();
    await check_ends(a, server);
    await handled;
    // Connections made between calls wait for the next one, as in a backlog.
    const b = await open();
    const c = await open();
    await b.sock.sendall("b\n");
    const serving = server.serve_forever(0.05);
    assert.equal(await b.line(), "b");
    assert.equal(await c.ask("c"), "c");
    await server.shutdown();
    await serving;
    const d = await open();
    const again = server.handle_request();
    assert.equal(await d.ask("d"), "d");
    await again;
  } finally {
    for (const client of clients) await client.close();
  }
});

Deno.test("A ThreadingTCPServer worker busy with CPU-bound work holds up no new connection", async () => {
  await using server = threaded();
  const serving = server.serve_forever(0.05);
  const clients: LineClient[] = [];
  try {
    const busy = await LineClient.open(server.server_address);
    clients.push(busy);
    assert.equal(await busy.ask("hi"), "hi");
    // One worker spins for 3 s; the other takes every new connection.
    await busy.sock.sendall("spin 3000\n");
    await delay(300);
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) {
      const c = await LineClient.open(server.server_address);
      clients.push(c);
      assert.equal(await c.ask(`hi ${i}`), `hi ${i}`);
    }
    const took = performance.now() - t0;
    assert.ok(took < 2000, `10 clients took ${took.toFixed(0)} ms`);
    assert.equal(await busy.line(), "spun");
  } finally {
    for (const c of clients) await c.close();
  }
  await server.shutdown();
  await serving;
});

Deno.test("A released copy of the shared socket accepts nothing new and hands out first what it took", async () => {
  await using main = socket();
  main.bind(["127.0.0.1", 0]);
  share_listener(main, ["127.0.0.1", 0]);
  main.listen();
  const address = main.getsockname() as [string, number];
  await using copy = socket();
  join_shared(copy, address);
  copy.listen();
  // A non-blocking listener accepts ahead: the first client waits in it.
  copy.setblocking(false);
  await using first = await create_connection(address);
  await first.sendall("first");
  const selector = new DefaultSelector();
  selector.register(copy, EVENT_READ);
  assert.equal((await selector.select(5)).length, 1);
  selector.close();
  assert.equal(await release_shared(copy), true);
  // Released, the copy takes no new client: it waits in the accept queue.
  await using second = await create_connection(address);
  await second.sendall("second");
  await delay(100);
  rejoin_shared(copy, address, 5);
  copy.setblocking(true);
  for (const expected of ["first", "second"]) {
    const [conn] = await copy.accept();
    await using _conn = conn;
    assert.equal(new TextDecoder().decode(await conn.recv(100)), expected);
  }
});
