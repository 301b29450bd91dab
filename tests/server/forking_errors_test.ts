// A forking server's handler that fails reaches the server's handle_error()
// in the parent, whose default logs it, as a threaded server's does.
// deno test --sanitize-ops --sanitize-resources -A tests/server/forking_errors_test.ts
import assert from "node:assert/strict";
import { AF_INET, SOCK_DGRAM, socket } from "../../net/mod.ts";
import {
  ForkingTCPServer,
  ForkingUDPServer,
  ThreadingTCPServer,
} from "../../server/mod.ts";
import { capture_errors, eventually, LineClient } from "./fixtures/client.ts";
import { Command, DatagramEcho } from "./fixtures/handlers.ts";

// What BaseServer.handle_error() logs for a request from 127.0.0.1.
const LOGGED =
  /-{40}\nException occurred during processing of request from \('127\.0\.0\.1', \d+\)\nboom from the (datagram )?handler\n-{40}/;

for (const Server of [ForkingTCPServer, ThreadingTCPServer]) {
  Deno.test(`${Server.name}.handle_error() logs a failed handler for a connection an agent accepted`, async () => {
    await using server = new Server(["127.0.0.1", 0], Command);
    server.max_workers = 1;
    const serving = server.serve_forever(0.05);
    const [, log] = await capture_errors(async () => {
      await using c = await LineClient.open(server.server_address);
      assert.equal(await c.ask("boom"), "");
      assert.ok(await eventually(() => server.active_requests === 0));
    });
    assert.match(log, LOGGED);
    await server.shutdown();
    await serving;
  });

  Deno.test(`${Server.name}.handle_error() logs a failed handler for a connection the main listener relayed`, async () => {
    await using server = new Server(["127.0.0.1", 0], Command);
    server.max_workers = 1;
    const [, log] = await capture_errors(async () => {
      // Queued before any agent listens: the main listener accepts it.
      await using c = await LineClient.open(server.server_address);
      await c.sock.sendall("boom\n");
      await server.handle_request();
      assert.equal(await c.line(), "");
      assert.ok(await eventually(() => server.active_requests === 0));
    });
    assert.match(log, LOGGED);
  });
}

Deno.test("ForkingUDPServer.handle_error() logs a failed datagram handler", async () => {
  await using server = new ForkingUDPServer(["127.0.0.1", 0], DatagramEcho);
  server.max_workers = 1;
  const serving = server.serve_forever(0.05);
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => {
    lines.push(
      args.map((a) => a instanceof Error ? a.message : String(a)).join(" "),
    );
  };
  try {
    await using client = socket(AF_INET, SOCK_DGRAM);
    await client.sendto("boom", server.server_address);
    assert.ok(await eventually(() => LOGGED.test(lines.join("\n"))));
  } finally {
    console.error = original;
  }
  assert.match(lines.join("\n"), LOGGED);
  await server.shutdown();
  await serving;
});
