// The tutorials' select servers on listening sockets, ported line by line:
// tutorial 004's "one select over two ports" and its single-port version,
// and tutorial 000's multi-client receiver (select(inputs, [], inputs, 1)).
import assert from "node:assert/strict";
import { select } from "../../mux/mod.ts";
import {
  AF_INET,
  SO_REUSEADDR,
  SOCK_STREAM,
  type Socket,
  socket,
  SOL_SOCKET,
} from "./_net.ts";

function repr(address: unknown): string {
  const [host, port] = address as [string, number];
  return `('${host}', ${port})`;
}

function str(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

Deno.test("tutorial 004: one select over two listening ports", async () => {
  const printed: string[] = [];
  const sk1 = socket();
  sk1.bind(["127.0.0.1", 0]); // ("127.0.0.1", 7777)
  sk1.listen(5);
  sk1.setblocking(false);
  const sk2 = socket();
  sk2.bind(["127.0.0.1", 0]); // ("127.0.0.1", 7778)
  sk2.listen(5);
  sk2.setblocking(false);
  const port1 = (sk1.getsockname() as [string, number])[1];
  const port2 = (sk2.getsockname() as [string, number])[1];

  // Two clients on each port; each should get its own address back.
  const clients = [port1, port2, port2, port1].map(async (port) => {
    const c = socket();
    await using _ = c;
    await c.connect(["127.0.0.1", port]);
    return [repr(c.getsockname()), str(await c.recv(1024))];
  });

  const accepted: Socket[] = [];
  // while True:, bounded: until the four clients are served.
  for (let round = 0; round < 100 && accepted.length < 4; round++) {
    const [readable, _writeable, _errable] = await select(
      [sk1, sk2],
      [],
      [],
      1,
    );
    for (const s of readable) {
      const [cnn, add] = await s.accept();
      await cnn.sendall(repr(add));
      printed.push(repr(add));
      accepted.push(cnn);
    }
  }
  for (const [mine, got] of await Promise.all(clients)) assert.equal(got, mine);
  assert.equal(printed.length, 4);
  for (const s of [...accepted, sk1, sk2]) await s.close();
});

Deno.test("tutorial 004: select over one listening socket with a timeout", async () => {
  const sk = socket();
  sk.bind(["127.0.0.1", 0]);
  sk.listen(5);
  sk.setblocking(false);
  const port = (sk.getsockname() as [string, number])[1];
  let empty = 0;
  let greeted: Socket | undefined;
  const late = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const c = socket();
    await using _ = c;
    await c.connect(["127.0.0.1", port]);
    return str(await c.recv(1024));
  })();
  for (let round = 0; round < 100 && greeted === undefined; round++) {
    const [readable] = await select([sk], [], [], 0.1);
    if (readable.length === 0) empty++;
    for (const s of readable) {
      const [cnn] = await s.accept();
      await cnn.sendall("欢迎");
      greeted = cnn;
    }
  }
  assert.equal(await late, "欢迎");
  assert.ok(empty >= 1, "the timeout passed with nothing to accept");
  await greeted?.close();
  await sk.close();
});

Deno.test("tutorial 000: select(inputs, [], inputs, 1) receives from many clients", async () => {
  const received: string[] = [];
  const sk1 = socket(AF_INET, SOCK_STREAM);
  sk1.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  sk1.bind(["127.0.0.1", 0]); // ('127.0.0.1', 8002)
  sk1.listen(5);
  sk1.setblocking(false);
  const port = (sk1.getsockname() as [string, number])[1];

  const inputs: Socket[] = [sk1];
  const senders = [0, 1, 2].map(async (i) => {
    const sk = socket();
    await using _ = sk;
    await sk.connect(["127.0.0.1", port]);
    await sk.sendall(`input ${i}`);
  });
  let gone = 0;
  for (let round = 0; round < 200 && gone < 3; round++) {
    const [readable_list, _writeable_list, _error_list] = await select(
      inputs,
      [],
      inputs,
      1,
    );
    for (const r of readable_list) {
      if (sk1 === r) {
        const [request] = await r.accept();
        request.setblocking(false);
        inputs.push(request);
      } else {
        const data = await r.recv(1024);
        if (data.length > 0) {
          received.push(str(data));
        } else {
          inputs.splice(inputs.indexOf(r), 1);
          await r.close();
          gone++;
        }
      }
    }
  }
  await Promise.all(senders);
  assert.deepEqual(received.sort(), ["input 0", "input 1", "input 2"]);
  await sk1.close();
});
