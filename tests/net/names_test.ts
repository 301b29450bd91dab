/**
 * Host and service names: what the python3 comparison cannot show (our
 * argument checks, no DNS for loopback addresses, the permission named when
 * /etc/services may not be read). Loopback only, no DNS query.
 */
import assert from "node:assert/strict";
import {
  AF_INET,
  AI_NUMERICSERV,
  gaierror,
  getaddrinfo,
  getfqdn,
  gethostbyaddr,
  gethostbyname_ex,
  getnameinfo,
  getservbyname,
  getservbyport,
  herror,
  type IPv4Address,
  NI_NAMEREQD,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
  OSError,
  SOCK_STREAM,
} from "../../net/mod.ts";
import { spawn } from "../examples/_run.ts";

Deno.test("gethostbyaddr() of a loopback address the hosts file does not name throws herror without asking DNS", async () => {
  const hosts = Deno.readTextFileSync("/etc/hosts");
  for (const address of ["127.0.0.254", "::1"]) {
    if (
      new RegExp(`^\\s*${address.replace(/\./g, "\\.")}\\s`, "m").test(hosts)
    ) {
      continue;
    }
    const t0 = performance.now();
    await assert.rejects(gethostbyaddr(address), (err: unknown) => {
      assert.ok(err instanceof herror);
      assert.equal(err.message, "[Errno 1] Unknown host");
      return true;
    });
    assert.ok(performance.now() - t0 < 1000, "answered without a DNS wait");
  }
});

Deno.test("getnameinfo() gives the numeric host when no name is known, and gaierror with NI_NAMEREQD", async () => {
  assert.deepEqual(
    await getnameinfo(["127.0.0.254", 8080], NI_NUMERICSERV),
    ["127.0.0.254", "8080"],
  );
  await assert.rejects(
    getnameinfo(["127.0.0.254", 8080], NI_NAMEREQD),
    gaierror,
  );
  assert.deepEqual(
    await getnameinfo(["fe80::1%lo", 1, 0, 0], NI_NUMERICHOST | NI_NUMERICSERV),
    ["fe80::1%lo", "1"],
  );
});

Deno.test("getnameinfo() rejects a sockaddr that is no address array, and a port outside 0-65535", async () => {
  await assert.rejects(
    getnameinfo("127.0.0.1" as unknown as IPv4Address, 0),
    { name: "TypeError", message: /^Cannot look up name: sockaddr must be/ },
  );
  await assert.rejects(getnameinfo(["127.0.0.1", 70000], 0), {
    name: "RangeError",
    message: "Cannot look up name: port must be 0-65535, received 70000",
  });
  await assert.rejects(getnameinfo(["localhost", 80], 0), gaierror);
  await assert.rejects(getnameinfo(["127.0.0.1", 80, 0, 0], 0), {
    name: "OSError",
    message: "[Errno 22] IPv4 sockaddr must be 2 tuple",
  });
});

Deno.test("getservbyname() and getservbyport() throw OSError with Python's text, and check their arguments", () => {
  assert.equal(getservbyname("http"), 80);
  assert.equal(getservbyport(80, "tcp"), "http");
  assert.throws(() => getservbyname("no-such-service"), (err: unknown) => {
    assert.ok(err instanceof OSError);
    assert.equal(err.strerror, "service/proto not found");
    return true;
  });
  assert.throws(() => getservbyport(70000), {
    name: "RangeError",
    message: "Cannot look up service: port must be 0-65535, received 70000",
  });
  assert.throws(() => getservbyport(80, null as unknown as string), TypeError);
});

Deno.test("getaddrinfo() takes service names, refuses them with AI_NUMERICSERV, and range-checks numeric strings", async () => {
  const [info] = await getaddrinfo("127.0.0.1", "ssh", AF_INET, SOCK_STREAM);
  assert.deepEqual(info![4], ["127.0.0.1", 22]);
  await assert.rejects(
    getaddrinfo("127.0.0.1", "ssh", AF_INET, SOCK_STREAM, 0, AI_NUMERICSERV),
    { name: "gaierror", message: "[Errno -2] Name or service not known" },
  );
  await assert.rejects(
    getaddrinfo("127.0.0.1", "no-such-service", AF_INET, SOCK_STREAM),
    { message: "[Errno -8] Servname not supported for ai_socktype" },
  );
  await assert.rejects(getaddrinfo("127.0.0.1", "70000", AF_INET), {
    name: "RangeError",
    message: 'Cannot resolve address: port must be 0-65535, received "70000"',
  });
  await assert.rejects(
    getaddrinfo("127.0.0.1", {} as unknown as string, AF_INET),
    TypeError,
  );
});

Deno.test("gethostbyname_ex() of an IPv4 literal gives it back, and getfqdn() of an unnamed address gives the address", async () => {
  assert.deepEqual(await gethostbyname_ex("10.1.2.3"), [
    "10.1.2.3",
    [],
    ["10.1.2.3"],
  ]);
  assert.equal(await getfqdn("127.0.0.254"), "127.0.0.254");
});

Deno.test("without permissions, service and reverse DNS lookups name the permission they need, and numeric ones work", async () => {
  await using child = spawn(Deno.execPath(), [
    "run",
    "--quiet",
    "--no-prompt",
    new URL("./_names_no_read.ts", import.meta.url).pathname,
  ]);
  await child.success();
  const lines = child.stdout.trimEnd().split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const by = Object.fromEntries(lines.map((l) => [l.what, l]));
  const denied = {
    error: "PermissionError",
    message:
      "[Errno 13] Permission denied: service names are read from /etc/services; run with --allow-read=/etc/services",
  };
  for (
    const what of [
      "getservbyname",
      "getservbyport",
      "getaddrinfo name",
      "getnameinfo",
    ]
  ) {
    assert.deepEqual({ ...by[what], what: undefined }, {
      ...denied,
      what: undefined,
    });
  }
  assert.deepEqual(by["getaddrinfo number"]!.ok, [[2, 1, 6, "", [
    "127.0.0.1",
    80,
  ]]]);
  assert.deepEqual(by["getnameinfo numeric"]!.ok, ["127.0.0.1", "80"]);
  assert.deepEqual(by["gethostbyname_ex"]!.ok, ["localhost", [], [
    "127.0.0.1",
  ]]);
  assert.deepEqual(by["gethostbyaddr"], {
    what: "gethostbyaddr",
    error: "PermissionError",
    message:
      "[Errno 13] Permission denied: a reverse DNS lookup needs --allow-net",
  });
});
