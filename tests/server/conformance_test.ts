// What CPython's socketserver tests expect of the handler files.
import assert from "node:assert/strict";
import { create_connection, socketpair } from "../../net/mod.ts";
import {
  SocketWriter,
  StreamRequestHandler,
  TCPServer,
} from "../../server/mod.ts";

Deno.test("SocketWriter fileno() is the connection's, as Python's wfile", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  const wfile = new SocketWriter(a);
  assert.equal(wfile.fileno(), a.fileno());
  await wfile.close();
});

Deno.test("StreamRequestHandler wfile.fileno() equals the request's fileno()", async () => {
  const seen: Array<[number, number]> = [];
  class Handler extends StreamRequestHandler {
    override async handle(): Promise<void> {
      seen.push([this.wfile.fileno(), this.request.fileno()]);
      await this.wfile.write("ok");
    }
  }
  await using server = new TCPServer(["127.0.0.1", 0], Handler);
  const serving = server.handle_request();
  await using client = await create_connection(
    server.server_address as [string, number],
  );
  assert.equal(new TextDecoder().decode(await client.recv(16)), "ok");
  await serving;
  assert.equal(seen.length, 1);
  assert.equal(seen[0]![0], seen[0]![1]);
  assert.ok(seen[0]![0] >= 3);
});

Deno.test("SocketWriter write() of bad data rejects, never throws synchronously", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  const wfile = new SocketWriter(a);
  let result: unknown;
  assert.doesNotThrow(() => result = wfile.write(42 as never));
  await assert.rejects(result as Promise<number>, TypeError);
  await wfile.close();
});
