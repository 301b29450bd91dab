/**
 * `String(sock)` and `console.log(sock)` show what Python 3.11's `print()`
 * shows for the same socket.
 */
import assert from "node:assert/strict";
import {
  AF_INET6,
  AF_UNIX,
  create_connection,
  create_server,
  SOCK_DGRAM,
  socket,
} from "../../net/mod.ts";

Deno.test("String(sock) shows fd, family, type, proto and both addresses, as Python's print()", async () => {
  await using server = create_server(["127.0.0.1", 0]);
  const [, port] = server.getsockname() as [string, number];
  await using client = await create_connection(["127.0.0.1", port]);
  const [conn, addr] = await server.accept();
  await using _ = conn;
  const [, client_port] = addr as [string, number];
  assert.equal(
    String(server),
    `<socket.socket fd=${server.fileno()}, family=2, type=1, proto=0, laddr=('127.0.0.1', ${port})>`,
  );
  assert.equal(
    String(conn),
    `<socket.socket fd=${conn.fileno()}, family=2, type=1, proto=0, laddr=('127.0.0.1', ${port}), raddr=('127.0.0.1', ${client_port})>`,
  );
  assert.match(`${client}`, /, raddr=\('127\.0\.0\.1', \d+\)>$/);
});

Deno.test("String(sock) says [closed] with fd=-1 and no addresses once closed", async () => {
  const s = socket();
  s.bind(["127.0.0.1", 0]);
  await s.close();
  assert.equal(
    String(s),
    "<socket.socket [closed] fd=-1, family=2, type=1, proto=0>",
  );
});

Deno.test("console.log(sock) prints the same text as String(sock)", async () => {
  await using s = socket(AF_INET6, SOCK_DGRAM);
  assert.equal(
    Deno.inspect(s),
    `<socket.socket fd=${s.fileno()}, family=10, type=2, proto=0, laddr=('::', 0, 0, 0)>`,
  );
  s.bind(["::1", 0]);
  assert.equal(Deno.inspect(s), String(s));
  assert.ok(Deno.inspect([s]).includes(String(s)));
});

Deno.test("String(sock) of a Unix socket shows its path without quotes, and no laddr while unnamed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pysock-repr-" });
  try {
    await using s = socket(AF_UNIX);
    assert.equal(
      String(s),
      `<socket.socket fd=${s.fileno()}, family=1, type=1, proto=0>`,
    );
    s.bind(`${dir}/x.sock`);
    assert.equal(
      String(s),
      `<socket.socket fd=${s.fileno()}, family=1, type=1, proto=0, laddr=${dir}/x.sock>`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
