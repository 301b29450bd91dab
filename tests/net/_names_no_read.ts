// Run with no permission: what the name calls do when they may not read
// /etc/services and /etc/hosts, nor ask DNS. Prints one JSON line per call.
// Run: deno run --no-prompt tests/net/_names_no_read.ts
import {
  getaddrinfo,
  gethostbyaddr,
  gethostbyname_ex,
  getnameinfo,
  getservbyname,
  getservbyport,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
  SOCK_STREAM,
} from "../../net/mod.ts";

const calls: Array<[string, () => unknown]> = [
  ["getservbyname", () => getservbyname("http")],
  ["getservbyport", () => getservbyport(80)],
  ["getaddrinfo name", () => getaddrinfo("127.0.0.1", "http", 2, SOCK_STREAM)],
  ["getaddrinfo number", () => getaddrinfo("127.0.0.1", "80", 2, SOCK_STREAM)],
  ["getnameinfo", () => getnameinfo(["127.0.0.1", 80], NI_NUMERICHOST)],
  [
    "getnameinfo numeric",
    () => getnameinfo(["127.0.0.1", 80], NI_NUMERICHOST | NI_NUMERICSERV),
  ],
  ["gethostbyname_ex", () => gethostbyname_ex("localhost")],
  // 192.0.2.1 is for documentation: never in a hosts file, and without
  // --allow-net no query leaves.
  ["gethostbyaddr", () => gethostbyaddr("192.0.2.1")],
];
for (const [what, call] of calls) {
  try {
    console.log(JSON.stringify({ what, ok: await call() }));
  } catch (err) {
    const e = err as Error;
    console.log(JSON.stringify({ what, error: e.name, message: e.message }));
  }
}
