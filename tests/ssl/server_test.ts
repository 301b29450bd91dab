/**
 * socketservers over TLS, written the way Python programs do it:
 * `server.socket = await ctx.wrap_socket(server.socket, { server_side: true })`
 * before `serve_forever()`.
 *
 * Run: deno test --sanitize-ops --sanitize-resources -A tests/ssl/server_test.ts
 */
import assert from "node:assert/strict";
import { create_connection } from "../../net/mod.ts";
import {
  ForkingTCPServer,
  SelectorTCPServer,
  StreamRequestHandler,
  TCPServer,
  ThreadingTCPServer,
} from "../../server/mod.ts";
import type { SSLSocket } from "../../ssl/mod.ts";
import { Command } from "../server/fixtures/handlers.ts";
import { client_context, server_context } from "./_helpers.ts";

class LineEcho extends StreamRequestHandler {
  override async handle(): Promise<void> {
    for await (const line of this.rfile) {
      await this.wfile.write(new TextEncoder().encode("echo: "));
      await this.wfile.write(line);
    }
  }
}

async function tls_client(addr: [string, number]): Promise<SSLSocket> {
  const s = await client_context().wrap_socket(await create_connection(addr), {
    server_hostname: "localhost",
  });
  s.settimeout(20);
  return s;
}

// Opens `count` TLS clients at once; each sends line(i) while all are
// connected, and gets `expect(i)` back. Returns the clients for more talk.
async function all_at_once(
  addr: [string, number],
  count: number,
  line: (i: number) => string,
  expect: (i: number) => string,
  more: (clients: SSLSocket[]) => Promise<void> = async () => {},
): Promise<void> {
  const clients = await Promise.all(
    Array.from({ length: count }, () => tls_client(addr)),
  );
  try {
    await Promise.all(clients.map((c, i) => c.sendall(line(i))));
    const replies = await Promise.all(
      clients.map(async (c) => {
        // A file keeps its connection open until it is closed too.
        await using f = c.makefile("r", { encoding: "utf-8" });
        return await f.readline();
      }),
    );
    replies.forEach((r, i) => assert.equal(r, expect(i)));
    await more(clients);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

async function ask(addr: [string, number], text: string): Promise<string> {
  await using s = await tls_client(addr);
  await s.sendall(text + "\n");
  await using f = s.makefile("r", { encoding: "utf-8" });
  return await f.readline();
}

Deno.test("TCPServer serves TLS clients after its socket is wrapped", async () => {
  await using server = new TCPServer(["127.0.0.1", 0], LineEcho);
  server.socket = await server_context().wrap_socket(server.socket, {
    server_side: true,
  });
  const addr = server.server_address as [string, number];
  const serving = server.serve_forever(0.05);
  try {
    assert.equal(await ask(addr, "hello"), "echo: hello\n");
    // A client that fails its handshake, and one that speaks no TLS, are
    // skipped: accept() rejects with an OSError and the server goes on.
    const bad = create_connection(addr).then((s) =>
      s.sendall("not TLS at all\r\n\r\n").then(() => s.close())
    );
    await bad;
    assert.equal(await ask(addr, "你好"), "echo: 你好\n");
  } finally {
    await server.shutdown();
    await serving;
  }
});

Deno.test("SelectorTCPServer serves 50 TLS clients at once", async () => {
  await using server = new SelectorTCPServer(["127.0.0.1", 0], LineEcho);
  server.socket = await server_context().wrap_socket(server.socket, {
    server_side: true,
  });
  const addr = server.server_address as [string, number];
  const serving = server.serve_forever(0.05);
  try {
    // Every client holds its connection open while all of them talk.
    await all_at_once(
      addr,
      50,
      (i) => `client ${i}\n`,
      (i) => `echo: client ${i}\n`,
    );
  } finally {
    await server.shutdown();
    await serving;
  }
});

for (const Server of [ThreadingTCPServer, ForkingTCPServer]) {
  Deno.test(`${Server.name} serves TLS clients after its socket is wrapped, relaying through the main thread`, async () => {
    await using server = new Server(["127.0.0.1", 0], Command);
    server.max_workers = 2;
    server.socket = await server_context().wrap_socket(server.socket, {
      server_side: true,
    });
    const addr = server.server_address as [string, number];
    const serving = server.serve_forever(0.05);
    try {
      await all_at_once(
        addr,
        6,
        (i) => `你好 ${i}\n`,
        (i) => `你好 ${i}\n`,
        async ([first]) => {
          // The handler ran in a worker or child, not here.
          await using f = first!.makefile("r", { encoding: "utf-8" });
          await first!.sendall("pid\n");
          const pid = Number(await f.readline());
          if (Server === ForkingTCPServer) assert.notEqual(pid, Deno.pid);
          else assert.equal(pid, Deno.pid);
        },
      );
    } finally {
      await server.shutdown();
      await serving;
    }
  });
}
