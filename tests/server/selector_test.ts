// The selector servers run the whole behaviour suite, plus SelectorMixIn.
import assert from "node:assert/strict";
import {
  BaseRequestHandler,
  SelectorMixIn,
  SelectorTCPServer,
  SelectorUDPServer,
  SelectorUnixStreamServer,
  TCPServer,
  UDPServer,
} from "../../server/mod.ts";
import { LineEcho } from "./_handlers.ts";
import { chat, server_suite } from "./_suite.ts";
import { socket } from "../../net/mod.ts";

server_suite({
  Server: SelectorTCPServer,
  family: "inet",
  type: "stream",
  concurrent: true,
});
server_suite({
  Server: SelectorUDPServer,
  family: "inet",
  type: "dgram",
  concurrent: true,
});
server_suite({
  Server: SelectorUnixStreamServer,
  family: "unix",
  type: "stream",
  concurrent: true,
});

const Mixed = SelectorMixIn(TCPServer);
server_suite({
  Server: Mixed,
  family: "inet",
  type: "stream",
  concurrent: true,
});

Deno.test("SelectorMixIn() makes instanceof true for every selector server", async () => {
  await using a = new SelectorTCPServer(["127.0.0.1", 0], BaseRequestHandler);
  await using b = new Mixed(["127.0.0.1", 0], LineEcho);
  await using c = new TCPServer(["127.0.0.1", 0], LineEcho);
  await using d = new UDPServer(["127.0.0.1", 0], BaseRequestHandler);
  assert.ok(a instanceof SelectorMixIn);
  assert.ok(b instanceof SelectorMixIn);
  assert.ok(b instanceof TCPServer);
  assert.ok(!(c instanceof SelectorMixIn));
  assert.ok(!(d instanceof SelectorMixIn));
  assert.equal(SelectorTCPServer.block_on_close, true);
  assert.equal(Mixed.block_on_close, true);
});

Deno.test("SelectorMixIn() keeps the base class's own overrides", async () => {
  class Counting extends TCPServer {
    verified = 0;
    override verify_request(): boolean {
      this.verified++;
      return true;
    }
  }
  const Concurrent = SelectorMixIn(Counting);
  await using server = new Concurrent(["127.0.0.1", 0], LineEcho);
  const run = server.serve_forever(0.05);
  await using a = socket();
  await a.connect(server.server_address);
  await using b = socket();
  await b.connect(server.server_address);
  assert.equal(await chat(b, "b\n"), "b\n");
  assert.equal(await chat(a, "a\n"), "a\n");
  assert.equal(server.verified, 2);
  assert.equal(server.active_requests, 2);
  await a.close();
  await b.close();
  await server.shutdown();
  await run;
});
