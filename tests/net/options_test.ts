/**
 * Socket options: what takes effect (TCP_NODELAY, SO_KEEPALIVE, SO_REUSEADDR,
 * SO_REUSEPORT), what is refused with ENOPROTOOPT, and SO_REUSEPORT or
 * datagram sockets without `--unstable-net`. Loopback only, port 0.
 */
import assert from "node:assert/strict";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  create_connection,
  create_server,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_V6ONLY,
  OSError,
  SO_BROADCAST,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_DGRAM,
  SOCK_STREAM,
  type Socket,
  socket,
  SOL_SOCKET,
  SOL_TCP,
  TCP_NODELAY,
} from "../../net/mod.ts";
import { LOOP, tcpTrio } from "./_helpers.ts";

/** Asserts `fn` throws OSError with `errno`. */
function throwsErrno(fn: () => unknown, errno: number): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof OSError, String(err));
    assert.equal(err.errno, errno, String(err));
    return true;
  });
}

/**
 * The kernel's timer column ("tr") for a loopback TCP socket with local port
 * `port` and remote port `peer`, from /proc/net/tcp: 2 means a keep-alive
 * timer runs. Null when /proc/net/tcp cannot be read.
 */
function kernelTimer(port: number, peer: number): number | null {
  let table: string;
  try {
    table = Deno.readTextFileSync("/proc/net/tcp");
  } catch {
    return null;
  }
  const hex = (p: number) => p.toString(16).toUpperCase().padStart(4, "0");
  for (const line of table.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === `0100007F:${hex(port)}` && f[2] === `0100007F:${hex(peer)}`) {
      return parseInt(f[5]!.split(":")[0]!, 16);
    }
  }
  return null;
}

function ports(sock: Socket): [number, number] {
  return [
    (sock.getsockname() as [string, number])[1],
    (sock.getpeername() as [string, number])[1],
  ];
}

Deno.test("TCP_NODELAY and SO_KEEPALIVE set on a connected socket read back 1 and 0", async () => {
  await using t = await tcpTrio();
  const s = t.client;
  assert.equal(s.getsockopt(IPPROTO_TCP, TCP_NODELAY), 0);
  assert.equal(s.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 0);
  s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  s.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1);
  assert.equal(s.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
  assert.equal(s.getsockopt(SOL_TCP, TCP_NODELAY), 1);
  assert.equal(s.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 1);
  s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 0);
  s.setsockopt(SOL_SOCKET, SO_KEEPALIVE, false);
  assert.equal(s.getsockopt(IPPROTO_TCP, TCP_NODELAY), 0);
  assert.equal(s.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 0);
  s.setsockopt(IPPROTO_TCP, TCP_NODELAY, true);
  s.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 7); // any non-zero value is on
  assert.equal(s.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
  assert.equal(s.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 1);
  // Still a working connection.
  await s.sendall("x");
  assert.equal((await t.conn.recv(1))[0], 120);
});

Deno.test("SO_KEEPALIVE reaches the kernel: /proc/net/tcp shows a keep-alive timer", async () => {
  await using t = await tcpTrio();
  const [port, peer] = ports(t.client);
  const before = kernelTimer(port, peer);
  if (before === null) {
    console.log("keep-alive timer: skipped, /proc/net/tcp has no such line");
    return;
  }
  assert.notEqual(before, 2);
  t.client.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1);
  assert.equal(kernelTimer(port, peer), 2);
  t.client.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 0);
  assert.notEqual(kernelTimer(port, peer), 2);
});

Deno.test("TCP_NODELAY and SO_KEEPALIVE set before connect() apply once connected", async () => {
  await using server = create_server([LOOP, 0]);
  await using s = socket();
  s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  s.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1);
  assert.equal(s.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
  await s.connect(server.getsockname());
  assert.equal(s.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
  assert.equal(s.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 1);
  const [conn] = await server.accept();
  await using _ = conn;
  const [port, peer] = ports(s);
  const timer = kernelTimer(port, peer);
  if (timer !== null) {
    assert.equal(timer, 2, "keep-alive not applied at connect");
  }
  await s.sendall("hi");
  assert.equal(new TextDecoder().decode(await conn.recv(2)), "hi");
});

Deno.test("accepted sockets inherit TCP_NODELAY and SO_KEEPALIVE from the listener", async () => {
  await using server = create_server([LOOP, 0]);
  server.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  server.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1);
  await using client = await create_connection(
    server.getsockname() as [string, number],
  );
  const [conn] = await server.accept();
  await using _ = conn;
  assert.equal(conn.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
  assert.equal(conn.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 1);
  assert.equal(client.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 0);
  const [port, peer] = ports(conn);
  const timer = kernelTimer(port, peer);
  if (timer !== null) {
    assert.equal(timer, 2, "keep-alive not applied to accepted socket");
  }
});

Deno.test("SO_REUSEADDR reads back 1, and a listener with it rebinds its port at once", async () => {
  await using s = socket();
  assert.equal(s.getsockopt(SOL_SOCKET, SO_REUSEADDR), 0);
  s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  assert.equal(s.getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
  s.bind([LOOP, 0]);
  s.listen();
  const addr = s.getsockname() as [string, number];
  // Leave a connection behind in TIME_WAIT on the server side.
  const c = await create_connection(addr);
  const [conn] = await s.accept();
  await conn.close();
  await c.close();
  await s.close();
  await using again = socket();
  again.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  again.bind(addr);
  again.listen();
  assert.deepEqual(again.getsockname(), addr);
});

Deno.test("SO_REUSEPORT lets two listeners share a port and both accept connections", async () => {
  await using a = socket();
  a.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  assert.equal(a.getsockopt(SOL_SOCKET, SO_REUSEPORT), 1);
  a.bind([LOOP, 0]);
  a.listen();
  const addr = a.getsockname() as [string, number];
  await using b = socket();
  b.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  b.bind(addr); // the second bind succeeds
  b.listen();
  assert.deepEqual(b.getsockname(), addr);

  const clients: Socket[] = [];
  const counts = [0, 0];
  try {
    for (let i = 0; i < 40; i++) clients.push(await create_connection(addr));
    // Take every queued connection from each listener.
    for (const [k, listener] of [a, b].entries()) {
      listener.settimeout(0.3);
      for (let i = 0; i < 41; i++) {
        try {
          const [conn] = await listener.accept();
          await conn.close();
          counts[k]!++;
        } catch {
          break; // timed out: this listener's queue is empty
        }
      }
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  assert.equal(counts[0]! + counts[1]!, 40, `accepted ${counts}`);
  if (counts[0] === 0 || counts[1] === 0) {
    console.log(
      `SO_REUSEPORT: the hash put all 40 on one listener (${counts})`,
    );
  } else {
    assert.ok(counts[0]! > 0 && counts[1]! > 0);
  }
});

Deno.test("without SO_REUSEPORT on both sockets a second bind fails with errno 98", async () => {
  await using a = socket();
  a.bind([LOOP, 0]);
  a.listen();
  const addr = a.getsockname() as [string, number];
  await using b = socket();
  throwsErrno(() => b.bind(addr), 98);
  await using c = socket();
  c.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  throwsErrno(() => c.bind(addr), 98);

  await using d = socket();
  d.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  d.bind([LOOP, 0]);
  await using e = socket();
  throwsErrno(() => e.bind(d.getsockname()), 98);
});

Deno.test("SO_RCVBUF, SO_SNDBUF, SO_LINGER and IPV6_V6ONLY throw OSError ENOPROTOOPT (92)", async () => {
  await using s = socket();
  for (const option of [SO_RCVBUF, SO_SNDBUF, SO_LINGER]) {
    throwsErrno(() => s.setsockopt(SOL_SOCKET, option, 65536), 92);
    throwsErrno(() => s.getsockopt(SOL_SOCKET, option), 92);
  }
  await using v6 = socket(AF_INET6);
  throwsErrno(() => v6.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1), 92);
  assert.throws(() => s.setsockopt(SOL_SOCKET, SO_RCVBUF, 1), /Deno cannot/);
});

Deno.test("SO_TYPE reads the type, SO_ERROR is 0 on a healthy socket", async () => {
  await using s = socket();
  assert.equal(s.getsockopt(SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  assert.equal(s.getsockopt(SOL_SOCKET, SO_ERROR), 0);
  await using u = socket(AF_INET, SOCK_DGRAM);
  assert.equal(u.getsockopt(SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
  u.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
  assert.equal(u.getsockopt(SOL_SOCKET, SO_BROADCAST), 1);
});

Deno.test("TCP_NODELAY on an AF_UNIX socket throws OSError EOPNOTSUPP (95)", async () => {
  await using s = socket(AF_UNIX);
  throwsErrno(() => s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1), 95);
});

// Runs without --unstable-net and without deno.json, so Deno.listenDatagram
// and reusePort are unavailable; Deno would exit (code 70) if reusePort were
// used anyway.
const NO_FLAG_SCRIPT = (url: string) => `
import { AF_INET, SO_REUSEPORT, SOCK_DGRAM, SOL_SOCKET } from "${url}/constants.ts";
import { create_server, socket } from "${url}/create.ts";
const out = {};
const s = socket();
try {
  s.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  out.reuseport = "no error";
} catch (err) {
  out.reuseport = { name: err.name, errno: err.errno, message: err.message };
}
try {
  socket(AF_INET, SOCK_DGRAM);
  out.dgram = "no error";
} catch (err) {
  out.dgram = { name: err.name, errno: err.errno, message: err.message };
}
try {
  create_server(["127.0.0.1", 0], { reuse_port: true });
  out.server = "no error";
} catch (err) {
  out.server = { name: err.name, errno: err.errno };
}
s.bind(["127.0.0.1", 0]); // the socket still works
s.listen();
out.bound = s.getsockname()[1] > 0;
await s.close();
console.log(JSON.stringify(out));
`;

Deno.test("without --unstable-net, SO_REUSEPORT and SOCK_DGRAM throw an OSError naming the flag and the process lives", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pysock-noflag-" });
  try {
    const script = `${dir}/noflag.ts`;
    const net = new URL("../../net", import.meta.url).href;
    await Deno.writeTextFile(script, NO_FLAG_SCRIPT(net));
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        "--allow-net=127.0.0.1",
        script,
      ],
      env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 0, `exit ${code}: ${err}`);
    const out = JSON.parse(new TextDecoder().decode(stdout));
    assert.equal(out.reuseport.name, "OSError");
    assert.equal(out.reuseport.errno, 92);
    assert.match(out.reuseport.message, /--unstable-net/);
    assert.equal(out.dgram.name, "OSError");
    assert.match(out.dgram.message, /--unstable-net/);
    assert.equal(out.server.name, "OSError");
    assert.equal(out.bound, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
