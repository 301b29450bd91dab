// The tutorials' select echo servers, ported line by line: tutorial 000's
// server with per-client message queues and a writable list, and tutorial
// 004's "read | write separation" server. Python clients and ours talk to
// them at once.
import assert from "node:assert/strict";
import { select } from "../../mux/mod.ts";
import {
  type Address,
  AF_INET,
  SOCK_STREAM,
  type Socket,
  socket,
} from "./_net.ts";
import { python } from "./_util.ts";

const CLIENTS = 4;
const MESSAGES = ["first", "second", "third"];

function remove<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}

function str(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

// A client as the tutorials write it: send, wait for the echo, repeat.
async function client(port: number, id: number): Promise<string[]> {
  const sk = socket();
  await using _ = sk;
  await sk.connect(["127.0.0.1", port]);
  const got: string[] = [];
  for (const msg of MESSAGES) {
    await sk.sendall(`${msg} from ${id}`);
    got.push(str(await sk.recv(1024)));
  }
  return got;
}

const PY_CLIENT = `import socket, sys
sk = socket.socket()
sk.connect(("127.0.0.1", int(sys.argv[1])))
for msg in ("first", "second", "third"):
    sk.sendall(("%s from py" % msg).encode())
    print(sk.recv(1024).decode())
sk.close()`;

// Tutorial 000, "基于select实现socket服务端". The test adds one thing: once
// `expected` clients have come and gone it stops listening, so that
// `while inputs` ends.
async function queue_server(
  started: (port: number) => void,
  expected: number,
): Promise<string[]> {
  const log: string[] = [];
  const print = (...args: unknown[]) => log.push(args.join(" "));

  const server = socket(AF_INET, SOCK_STREAM);
  server.setblocking(false);
  const server_address: Address = ["127.0.0.1", 0]; // ('localhost', 10000)
  server.bind(server_address);
  print(
    "starting up on %s port %s",
    ...(server.getsockname() as [string, number]),
  );
  server.listen(5);
  started((server.getsockname() as [string, number])[1]);

  const inputs: Socket[] = [server];
  const outputs: Socket[] = [];
  const message_queues = new Map<Socket, Uint8Array[]>();
  let client_address: Address = "";
  let closed = 0;
  while (inputs.length > 0) {
    print("waiting for the next event");
    const [readable, writable, exceptional] = await select(
      inputs,
      outputs,
      inputs,
    );
    for (const s of readable) {
      if (s === server) {
        const [connection, address] = await s.accept();
        client_address = address;
        print("connection from", client_address);
        connection.setblocking(false);
        inputs.push(connection);
        message_queues.set(connection, []);
      } else {
        const data = await s.recv(1024);
        if (data.length > 0) {
          print(`received "${str(data)}" from ${s.getpeername()}`);
          message_queues.get(s)!.push(data);
          if (!outputs.includes(s)) {
            outputs.push(s);
          }
        } else {
          print("closing", client_address);
          if (outputs.includes(s)) {
            remove(outputs, s);
          }
          remove(inputs, s);
          await s.close();
          message_queues.delete(s);
          // The test's addition: stop once every client is done.
          if (++closed === expected) {
            remove(inputs, server);
            await server.close();
          }
        }
      }
    }
    for (const s of writable) {
      // Queue.get_nowait(); a socket closed above has no queue any more
      // (CPython's version raises KeyError there).
      const next_msg = message_queues.get(s)?.shift();
      if (next_msg === undefined) {
        print("  ", s.fileno(), "queue empty");
        remove(outputs, s);
      } else {
        print(`sending "${str(next_msg)}" to ${s.getpeername()}`);
        await s.send(next_msg);
      }
    }
    for (const s of exceptional) {
      print("exception condition on", s.getpeername());
      remove(inputs, s);
      if (outputs.includes(s)) {
        remove(outputs, s);
      }
      await s.close();
      message_queues.delete(s);
    }
  }
  return log;
}

// Tutorial 004, "select socket server - server read | write separation",
// with its one-second timeout. The test's addition, again: stop once
// `expected` clients are done.
async function separation_server(
  started: (port: number) => void,
  expected: number,
): Promise<string[]> {
  const log: string[] = [];
  const print = (...args: unknown[]) => log.push(args.join(" "));
  const sk = socket();
  sk.bind(["127.0.0.1", 0]); // ('127.0.0.1', 6666)
  sk.listen(5);
  sk.setblocking(false);
  started((sk.getsockname() as [string, number])[1]);
  const inputs: Socket[] = [sk];
  const outputs: Socket[] = [];
  const message = new Map<Socket, Uint8Array[]>();
  let closed = 0;
  for (let round = 0; round < 10_000 && inputs.length > 0; round++) {
    const [readable_list, writeable_list] = await select(
      inputs,
      outputs,
      [],
      1,
    );
    for (const r of readable_list) {
      if (r === sk) {
        const [conn] = await r.accept();
        inputs.push(conn);
        message.set(conn, []);
      } else {
        const client_data = await r.recv(1024);
        if (client_data.length > 0) {
          outputs.push(r);
          message.get(r)!.push(client_data);
        } else {
          remove(inputs, r);
          message.delete(r);
          await r.close();
          if (++closed === expected) {
            remove(inputs, sk);
            await sk.close();
          }
        }
      }
    }
    for (const w of writeable_list) {
      const data = message.get(w)?.shift();
      if (data !== undefined) {
        await w.sendall(data);
        print("echoed", str(data));
      }
      remove(outputs, w);
    }
  }
  return log;
}

for (
  const [name, server] of [
    ["tutorial 000's select server with message queues", queue_server],
    ["tutorial 004's read/write separation server", separation_server],
  ] as const
) {
  Deno.test(`${name} echoes for many clients at once`, async () => {
    let started!: (port: number) => void;
    const port = new Promise<number>((resolve) => started = resolve);
    const serving = server(started, CLIENTS + 1);
    const p = await port;
    const ours = Array.from({ length: CLIENTS }, (_, i) => client(p, i));
    const py = python(PY_CLIENT, String(p));
    const results = await Promise.all(ours);
    for (const [i, got] of results.entries()) {
      assert.deepEqual(got, MESSAGES.map((m) => `${m} from ${i}`));
    }
    assert.equal(
      (await py).trim(),
      MESSAGES.map((m) => `${m} from py`).join("\n"),
    );
    const log = await serving;
    assert.ok(log.length > 0);
    if (server === queue_server) {
      assert.ok(log.some((l) => l.startsWith('received "first from 0"')));
      assert.ok(log.some((l) => l.startsWith('sending "third from py"')));
      assert.equal(log.filter((l) => l.startsWith("closing")).length, 5);
    } else {
      assert.equal(log.filter((l) => l.startsWith("echoed")).length, 15);
    }
  });
}
