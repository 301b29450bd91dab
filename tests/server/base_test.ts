// BaseServer on its own: argument checks, a custom subclass, and its hooks.
import assert from "node:assert/strict";
import {
  type Address,
  create_connection,
  create_server,
  type Socket,
} from "../../net/mod.ts";
import {
  BaseRequestHandler,
  BaseServer,
  type RequestHandlerClass,
  TCPServer,
} from "../../server/mod.ts";

Deno.test("serve_forever() rejects a bad poll_interval", async () => {
  await using server = new TCPServer(["127.0.0.1", 0], BaseRequestHandler);
  assert.throws(() => server.serve_forever(-1), RangeError);
  assert.throws(() => server.serve_forever(Infinity), RangeError);
  assert.throws(
    () => server.serve_forever("1" as unknown as number),
    TypeError,
  );
});

Deno.test("serve_forever() rejects a second call while it runs", async () => {
  await using server = new TCPServer(["127.0.0.1", 0], BaseRequestHandler);
  const run = server.serve_forever(0.05);
  await assert.rejects(server.serve_forever(0.05), /running already/);
  await server.shutdown();
  await run;
});

Deno.test("BaseServer runs the lifecycle of a subclass that owns its socket", async () => {
  // What Python's BaseServer docs ask of a subclass: fileno, get_request,
  // and closing.
  class Mini extends BaseServer<Socket> {
    sock: Socket;
    closed: string[] = [];
    constructor(handler: RequestHandlerClass<Socket>) {
      const sock = create_server(["127.0.0.1", 0]);
      super(sock.getsockname(), handler);
      this.sock = sock;
    }
    fileno(): number {
      return this.sock.fileno();
    }
    get_request(): Promise<[Socket, Address]> {
      return this.sock.accept();
    }
    override async close_request(request: Socket): Promise<void> {
      this.closed.push("request");
      await request.close();
    }
    override async server_close(): Promise<void> {
      await this.sock.close();
    }
  }
  class Hello extends BaseRequestHandler<Socket> {
    override async handle() {
      await this.request.sendall("hello");
    }
  }
  await using server = new Mini(Hello);
  assert.equal(server.timeout, null);
  const run = server.serve_forever(0.05);
  await using client = await create_connection(
    server.server_address as [string, number],
  );
  client.settimeout(5);
  assert.equal(new TextDecoder().decode(await client.recv(10)), "hello");
  assert.equal((await client.recv(10)).length, 0);
  await server.shutdown();
  await run;
  assert.deepEqual(server.closed, ["request"]);
});

Deno.test("TCPServer closes its socket when binding fails", async () => {
  await using taken = new TCPServer(["127.0.0.1", 0], BaseRequestHandler);
  assert.throws(
    () => new TCPServer(taken.server_address, BaseRequestHandler),
    (e: unknown) => e instanceof Error && /Errno 98/.test(e.message),
  );
  // Let the failed server's close settle before the sanitizers look.
  await new Promise((resolve) => setTimeout(resolve, 10));
});
