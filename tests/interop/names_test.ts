/**
 * Service and host names against python3's `socket` module, on this
 * machine's `/etc/services` and `/etc/hosts`. Only calls that both sides
 * answer from those files, with literals and names the hosts file holds:
 * nothing here asks a DNS server.
 *
 * Run: deno test --sanitize-ops --sanitize-resources -A tests/interop/names_test.ts
 */
import assert from "node:assert/strict";
import {
  AF_INET,
  AF_INET6,
  AI_NUMERICSERV,
  getaddrinfo,
  getfqdn,
  gethostbyaddr,
  gethostbyname_ex,
  gethostname,
  getnameinfo,
  getservbyname,
  getservbyport,
  has_dualstack_ipv6,
  NI_DGRAM,
  NI_NAMEREQD,
  NI_NOFQDN,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
  SOCK_DGRAM,
  SOCK_STREAM,
} from "../../net/mod.ts";
import { type Call, differences } from "./_py_calls.ts";

const calls = {
  getaddrinfo,
  getfqdn,
  gethostbyaddr,
  gethostbyname_ex,
  getnameinfo,
  getservbyname,
  getservbyport,
  has_dualstack_ipv6,
};

// The first address the hosts file gives a name, or undefined.
function in_hosts(name: string): string | undefined {
  for (const line of Deno.readTextFileSync("/etc/hosts").split("\n")) {
    const [address, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (names.includes(name)) return address;
  }
  return undefined;
}

Deno.test("getservbyname() and getservbyport() give python3's answers from /etc/services", async () => {
  const cases: Call[] = [
    ...["http", "ssh", "domain", "www", "HTTP", "syslog", "no-such-service"]
      .flatMap((name): Call[] => [
        ["getservbyname", name],
        ["getservbyname", name, "tcp"],
        ["getservbyname", name, "udp"],
      ]),
    ["getservbyname", "ssh", null],
    ["getservbyname", 22],
    ...[80, 53, 1, 22, 514, 65535, 70000, -1].flatMap((port): Call[] => [
      ["getservbyport", port],
      ["getservbyport", port, "tcp"],
      ["getservbyport", port, "udp"],
    ]),
    ["getservbyport", 22, "sctp"],
    ["getservbyport", "80"],
  ];
  assert.deepEqual(await differences(calls, cases), []);
});

Deno.test("getaddrinfo() takes a port as a number, a numeric string or a service name, as python3", async () => {
  const cases: Call[] = [
    ...[
      80,
      "80",
      " 80",
      "+80",
      "",
      "http",
      "domain",
      "syslog",
      "ssh",
      "nope",
      "-1",
      "0x50",
      "8o",
    ]
      .flatMap((port): Call[] => [
        ["getaddrinfo", "127.0.0.1", port, AF_INET, SOCK_STREAM],
        ["getaddrinfo", "127.0.0.1", port, AF_INET, SOCK_DGRAM],
        ["getaddrinfo", "::1", port, AF_INET6, SOCK_STREAM],
      ]),
    // With no type, a service gives the types it has (Python adds a raw
    // socket for a numeric port, which Deno cannot open).
    ["getaddrinfo", "127.0.0.1", "domain", AF_INET],
    ["getaddrinfo", "127.0.0.1", "http", AF_INET],
    [
      "getaddrinfo",
      "127.0.0.1",
      "http",
      AF_INET,
      SOCK_STREAM,
      0,
      AI_NUMERICSERV,
    ],
    ["getaddrinfo", "127.0.0.1", "80", AF_INET, SOCK_STREAM, 0, AI_NUMERICSERV],
  ];
  assert.deepEqual(await differences(calls, cases), []);
});

Deno.test("getnameinfo() gives python3's host and service names for loopback addresses", async () => {
  const flags = [
    0,
    NI_NUMERICHOST,
    NI_NUMERICSERV,
    NI_NUMERICHOST | NI_NUMERICSERV,
    NI_DGRAM,
    NI_NOFQDN,
    NI_NAMEREQD,
  ];
  const cases: Call[] = [
    ...flags.flatMap((f): Call[] => [
      ["getnameinfo", ["127.0.0.1", 80], f],
      ["getnameinfo", ["127.0.0.1", 514], f],
      ["getnameinfo", ["127.0.0.1", 5], f],
    ]),
    // Python asks DNS about addresses the hosts file does not name; so
    // these give numeric hosts only.
    ...[["::1", 22, 0, 0], ["::0001", 53], ["127.0.0.2", 5]].map((a): Call => [
      "getnameinfo",
      a as [string, number],
      NI_NUMERICHOST,
    ]),
    ["getnameinfo", ["localhost", 80], NI_NUMERICHOST],
    ["getnameinfo", ["127.0.0.1"], 0],
    ["getnameinfo", ["127.0.0.1", 80, 0, 0], 0],
    ["getnameinfo", "127.0.0.1", 0],
  ];
  assert.deepEqual(await differences(calls, cases), []);
});

Deno.test("gethostbyname_ex(), gethostbyaddr() and getfqdn() give python3's answers for names in /etc/hosts", async () => {
  const names = ["localhost", gethostname()].filter((n) =>
    in_hosts(n) !== undefined
  );
  assert.ok(names.includes("localhost"), "the hosts file names localhost");
  const cases: Call[] = [
    ...names.flatMap((n): Call[] => [
      ["gethostbyname_ex", n],
      ["gethostbyaddr", n],
      ["getfqdn", n],
    ]),
    ["gethostbyname_ex", "127.0.0.1"],
    ["gethostbyname_ex", "::1"],
    ["gethostbyaddr", in_hosts("localhost")!],
    ["getfqdn", in_hosts("localhost")!],
    ["getfqdn", ""],
    ["has_dualstack_ipv6"],
  ];
  assert.deepEqual(await differences(calls, cases), []);
});
