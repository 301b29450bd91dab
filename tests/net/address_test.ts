/**
 * Addresses: IPv6 and Unix-socket tuples, family mismatches, getaddrinfo()
 * without off-machine DNS, gethostname(), gethostbyname(). Loopback only.
 */
import assert from "node:assert/strict";
import {
  type Address,
  AF_INET,
  AF_INET6,
  AF_UNIX,
  AI_PASSIVE,
  create_connection,
  format_address,
  gaierror,
  getaddrinfo,
  gethostbyname,
  gethostname,
  IPPROTO_TCP,
  IPPROTO_UDP,
  OSError,
  SOCK_DGRAM,
  SOCK_STREAM,
  socket,
} from "../../net/mod.ts";
import { bounded, LOOP, timed } from "./_helpers.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("an AF_INET6 socket binds ['::1', 0] and getsockname() gives ['::1', port, 0, 0]", async () => {
  await using server = socket(AF_INET6);
  server.bind(["::1", 0]);
  server.listen();
  const name = server.getsockname() as [string, number, number, number];
  assert.equal(name.length, 4);
  const [host, port, flowinfo, scope_id] = name;
  assert.deepEqual([host, flowinfo, scope_id], ["::1", 0, 0]);
  assert.ok(port > 0 && port <= 65535);

  await using client = socket(AF_INET6);
  await client.connect(["::1", port]);
  const [conn, addr] = await server.accept();
  await using _ = conn;
  assert.deepEqual(addr, client.getsockname());
  assert.equal((addr as readonly unknown[]).length, 4);
  assert.deepEqual(client.getpeername(), ["::1", port, 0, 0]);
  await client.sendall("echo me");
  await conn.sendall(await conn.recv(100));
  assert.equal(text(await client.recv(100)), "echo me");
});

Deno.test("an AF_INET6 socket takes the 4-tuple and the bracketed host", async () => {
  await using server = socket(AF_INET6);
  server.bind(["::1", 0, 0, 0]);
  server.listen();
  const [, port] = server.getsockname() as [string, number];
  await using a = socket(AF_INET6);
  await a.connect(["[::1]", port, 0, 0]);
  const [conn] = await server.accept();
  await conn.close();
  await using b = await create_connection(["::1", port]);
  assert.equal(b.family, AF_INET6);
  const [conn2] = await server.accept();
  await conn2.close();
});

Deno.test("an AF_INET socket connecting to '::1' throws gaierror -9, as Python", async () => {
  await using s = socket(AF_INET);
  await assert.rejects(s.connect(["::1", 80]), (err: unknown) => {
    assert.ok(err instanceof gaierror, String(err));
    assert.ok(err instanceof OSError);
    assert.equal(err.errno, -9);
    assert.match(err.message, /Address family for hostname not supported/);
    return true;
  });
  assert.throws(() => s.bind(["::1", 0]), gaierror);
  await using v6 = socket(AF_INET6);
  assert.throws(() => v6.bind([LOOP, 0]), gaierror);
});

Deno.test("'' binds every interface, reported as 0.0.0.0 (no traffic leaves loopback)", async () => {
  await using s = socket();
  s.bind(["", 0]);
  s.listen();
  const [host, port] = s.getsockname() as [string, number];
  assert.equal(host, "0.0.0.0");
  await using c = await create_connection([LOOP, port]);
  const [conn, addr] = await s.accept();
  await using _ = conn;
  assert.deepEqual(addr, c.getsockname());
});

Deno.test("connect() resolves 'localhost' for an AF_INET socket", async () => {
  await using server = socket();
  server.bind([LOOP, 0]);
  server.listen();
  const [, port] = server.getsockname() as [string, number];
  await using c = socket(AF_INET);
  await c.connect(["localhost", port]);
  assert.deepEqual(c.getpeername(), [LOOP, port]);
  const [conn] = await server.accept();
  await conn.close();
});

Deno.test("AF_UNIX sockets bind a path, report it, and talk", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pysock-unix-" });
  try {
    const path = `${dir}/s.sock`;
    await using server = socket(AF_UNIX);
    server.bind(path);
    server.listen();
    assert.equal(server.getsockname(), path);
    await using client = socket(AF_UNIX);
    await client.connect(path);
    const [conn] = await server.accept();
    await using _ = conn;
    assert.equal(client.getpeername(), path);
    await client.sendall("over unix");
    assert.equal(text(await conn.recv(100)), "over unix");
    // The path is taken while it exists.
    await using again = socket(AF_UNIX);
    assert.throws(() => again.bind(path), (err: unknown) => {
      assert.ok(err instanceof OSError);
      assert.equal(err.errno, 98);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("getaddrinfo('127.0.0.1', 80) gives Python's stream and datagram entries", async () => {
  assert.deepEqual(await getaddrinfo("127.0.0.1", 80), [
    [AF_INET, SOCK_STREAM, IPPROTO_TCP, "", ["127.0.0.1", 80]],
    [AF_INET, SOCK_DGRAM, IPPROTO_UDP, "", ["127.0.0.1", 80]],
  ]);
  assert.deepEqual(await getaddrinfo("127.0.0.1", 80, AF_INET, SOCK_STREAM), [
    [AF_INET, SOCK_STREAM, IPPROTO_TCP, "", ["127.0.0.1", 80]],
  ]);
  assert.deepEqual(await getaddrinfo("::1", 443, AF_INET6, SOCK_STREAM), [
    [AF_INET6, SOCK_STREAM, IPPROTO_TCP, "", ["::1", 443, 0, 0]],
  ]);
  assert.deepEqual(await getaddrinfo("127.0.0.1", null, 0, SOCK_STREAM), [
    [AF_INET, SOCK_STREAM, IPPROTO_TCP, "", ["127.0.0.1", 0]],
  ]);
  await assert.rejects(
    getaddrinfo("127.0.0.1", 80, AF_INET6),
    (err: unknown) => {
      assert.ok(err instanceof gaierror);
      assert.equal(err.errno, -9);
      return true;
    },
  );
  await assert.rejects(getaddrinfo("127.0.0.1", 70000), (err: unknown) => {
    assert.ok(err instanceof RangeError);
    assert.match(err.message, /port/);
    assert.match(err.message, /70000/);
    return true;
  });
});

Deno.test("getaddrinfo(null, port) gives loopback, or the wildcards with AI_PASSIVE", async () => {
  const hosts = (await getaddrinfo(null, 8080, 0, SOCK_STREAM)).map((i) =>
    i[4][0]
  );
  assert.deepEqual(hosts, ["127.0.0.1", "::1"]);
  const passive = (await getaddrinfo(null, 8080, 0, SOCK_STREAM, 0, AI_PASSIVE))
    .map((i) => i[4][0]);
  assert.deepEqual(passive, ["0.0.0.0", "::"]);
});

Deno.test("getaddrinfo('localhost', 80) reads /etc/hosts: loopback only", async () => {
  const hosts = await Deno.readTextFile("/etc/hosts");
  assert.match(
    hosts,
    /^\s*127\.0\.0\.1\s+(.*\s)?localhost(\s|$)/m,
    "/etc/hosts lacks localhost",
  );
  const infos = await getaddrinfo("localhost", 80, 0, SOCK_STREAM);
  assert.ok(infos.length > 0);
  assert.deepEqual(infos[0], [AF_INET, SOCK_STREAM, IPPROTO_TCP, "", [
    "127.0.0.1",
    80,
  ]]);
  for (const [, , , , [host]] of infos) {
    assert.ok(
      host === "::1" || host.startsWith("127."),
      `not loopback: ${host}`,
    );
  }
  const v4 = await getaddrinfo("localhost", 80, AF_INET);
  assert.ok(v4.every((i) => i[0] === AF_INET && i[4][0].startsWith("127.")));
});

// A child with read access to /etc/hosts and no network permission at all:
// any DNS query would fail there, so an answer proves none was made.
Deno.test("getaddrinfo('localhost') and 'bad name!' need no DNS (a child without --allow-net)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pysock-dns-" });
  try {
    const script = `${dir}/nodns.ts`;
    const url = new URL("../../net/address.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { getaddrinfo, gethostbyname } from "${url}";
const out = {};
out.localhost = (await getaddrinfo("localhost", 80, 2, 1)).map((i) => i[4]);
out.byname = await gethostbyname("localhost");
try {
  await getaddrinfo("bad name!", 80);
  out.bad = "no error";
} catch (err) {
  out.bad = { name: err.name, errno: err.errno, cause: String(err.cause) };
}
console.log(JSON.stringify(out));
`,
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        "--no-prompt",
        "--allow-read=/etc/hosts",
        script,
      ],
      env: { DENO_NO_UPDATE_CHECK: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const out = JSON.parse(new TextDecoder().decode(stdout));
    assert.deepEqual(out.localhost, [["127.0.0.1", 80]]);
    assert.equal(out.byname, "127.0.0.1");
    assert.deepEqual(out.bad, {
      name: "gaierror",
      errno: -2,
      cause: "undefined",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("getaddrinfo('bad name!') rejects with gaierror -2 at once, without a lookup", async () => {
  const { ms, error } = await timed(() => getaddrinfo("bad name!", 80));
  assert.ok(error instanceof gaierror, String(error));
  assert.equal(error.errno, -2);
  assert.match(error.message, /Name or service not known/);
  assert.equal(error.cause, undefined, "a lookup was attempted");
  assert.ok(ms < 1000, `took ${ms} ms`);
  for (const bad of ["bad name!", "a..b", "-x", "x".repeat(64) + ".com"]) {
    await assert.rejects(bounded(getaddrinfo(bad, 80), 2000, bad), gaierror);
  }
  await assert.rejects(getaddrinfo(42 as never, 80), TypeError);
});

Deno.test("create_connection() to a malformed host name rejects with gaierror -2", async () => {
  await assert.rejects(create_connection(["bad name!", 80]), (err: unknown) => {
    assert.ok(err instanceof gaierror, String(err));
    assert.equal(err.errno, -2);
    return true;
  });
  // connect_ex() raises name errors instead of returning them, as Python.
  await using s = socket();
  await assert.rejects(s.connect_ex(["bad name!", 80]), gaierror);
  await assert.rejects(s.connect_ex(["::1", 80]), gaierror);
});

Deno.test("gethostname() returns the machine's non-empty name", () => {
  const name = gethostname();
  assert.equal(typeof name, "string");
  assert.ok(name.length > 0);
  assert.equal(name, Deno.hostname());
});

Deno.test("gethostbyname() returns an IPv4 literal, and refuses '::1' with gaierror -9", async () => {
  assert.equal(await gethostbyname("127.0.0.1"), "127.0.0.1");
  assert.equal(await gethostbyname("localhost"), "127.0.0.1");
  await assert.rejects(gethostbyname("::1"), (err: unknown) => {
    assert.ok(err instanceof gaierror);
    assert.equal(err.errno, -9);
    return true;
  });
  await assert.rejects(gethostbyname("bad name!"), (err: unknown) => {
    assert.ok(err instanceof gaierror);
    assert.equal(err.errno, -2);
    return true;
  });
});

Deno.test("format_address() prints tuples and paths as Python's repr()", () => {
  assert.equal(format_address(["127.0.0.1", 50000]), "('127.0.0.1', 50000)");
  assert.equal(format_address(["::1", 8080, 0, 0]), "('::1', 8080, 0, 0)");
  assert.equal(format_address("/tmp/x.sock"), "'/tmp/x.sock'");
  assert.equal(format_address(""), "''");
  assert.equal(format_address("it's"), `"it's"`);
});

Deno.test("format_address() throws TypeError naming a value that is no address", () => {
  for (const bad of [42, null, ["127.0.0.1"], [80, "x"], ["h", 1.5]]) {
    assert.throws(() => format_address(bad as unknown as Address), {
      name: "TypeError",
      message: /^Cannot format address: expected a path or .*, received /,
    });
  }
});
