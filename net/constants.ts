/**
 * Python's `socket` constants with their Linux values, so numbers printed by a
 * Python program and by its port agree.
 *
 * @example Usage
 * ```ts
 * import { AF_INET, SOCK_STREAM } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(AF_INET, 2);
 * assert.equal(SOCK_STREAM, 1);
 * ```
 * @module
 */

/** Unix domain sockets (a path as address). */
export const AF_UNIX = 1;
/** IPv4 (`[host, port]` as address). */
export const AF_INET = 2;
/** IPv6 (`[host, port, flowinfo, scope_id]` as address). */
export const AF_INET6 = 10;
/** Unspecified family, for `getaddrinfo()`. */
export const AF_UNSPEC = 0;

/** A reliable byte stream (TCP, or a Unix stream socket). */
export const SOCK_STREAM = 1;
/** Datagrams (UDP, or a Unix datagram socket). */
export const SOCK_DGRAM = 2;
/** Raw sockets: Deno cannot create them. */
export const SOCK_RAW = 3;
/** Reliable datagrams: Deno cannot create them. */
export const SOCK_RDM = 4;
/** Sequenced packets: Deno cannot create them. */
export const SOCK_SEQPACKET = 5;
/** Flag OR-ed into a type: start in non-blocking mode. */
export const SOCK_NONBLOCK = 0o4000;
/** Flag OR-ed into a type: close on exec (always true in Deno). */
export const SOCK_CLOEXEC = 0o2000000;

/** Option level of socket options (`SO_*`). */
export const SOL_SOCKET = 1;
/** Let a listener bind while old connections linger in TIME_WAIT. */
export const SO_REUSEADDR = 2;
/** The socket's type (read only). */
export const SO_TYPE = 3;
/** The pending error, cleared when read (read only). */
export const SO_ERROR = 4;
/** Allow sending to broadcast addresses. */
export const SO_BROADCAST = 6;
/** Send buffer size: Deno cannot set it. */
export const SO_SNDBUF = 7;
/** Receive buffer size: Deno cannot set it. */
export const SO_RCVBUF = 8;
/** Send TCP keep-alive probes. */
export const SO_KEEPALIVE = 9;
/** Linger on close: Deno cannot set it. */
export const SO_LINGER = 13;
/** Let several sockets bind the same address and port (Linux). */
export const SO_REUSEPORT = 15;

/** Protocol number of IP (an option level too). */
export const IPPROTO_IP = 0;
/** Protocol number of TCP (the option level of `TCP_*`). */
export const IPPROTO_TCP = 6;
/** Protocol number of UDP. */
export const IPPROTO_UDP = 17;
/** Protocol number of IPv6 (an option level too). */
export const IPPROTO_IPV6 = 41;
/** Option level of TCP options, as `IPPROTO_TCP`. */
export const SOL_TCP = 6;
/** Disable Nagle's algorithm: send small writes at once. */
export const TCP_NODELAY = 1;
/** An IPv6 socket accepts IPv6 only: Deno cannot set it. */
export const IPV6_V6ONLY = 26;

/** `shutdown()`: no more receives. */
export const SHUT_RD = 0;
/** `shutdown()`: no more sends (sends FIN). */
export const SHUT_WR = 1;
/** `shutdown()`: neither. */
export const SHUT_RDWR = 2;

/** `recv()` flag: look at the data without taking it. */
export const MSG_PEEK = 2;
/** `recv()` flag: do not wait, as in non-blocking mode. */
export const MSG_DONTWAIT = 0x40;
/** `recv()` flag: wait for the full amount. */
export const MSG_WAITALL = 0x100;

/** Largest listen backlog Linux accepts by default. */
export const SOMAXCONN = 4096;
/** The IPv4 wildcard address, as an integer (0.0.0.0). */
export const INADDR_ANY = 0;
/** The IPv4 loopback address, as an integer (127.0.0.1). */
export const INADDR_LOOPBACK = 0x7f000001;
/** The limited broadcast address, as an integer (255.255.255.255). */
export const INADDR_BROADCAST = 0xffffffff;
/** True: Deno supports IPv6. */
export const has_ipv6 = true;

/** `getaddrinfo()` flag: addresses for `bind()`. */
export const AI_PASSIVE = 1;
/** `getaddrinfo()` flag: fill in the canonical name. */
export const AI_CANONNAME = 2;
/** `getaddrinfo()` flag: the host is a numeric address. */
export const AI_NUMERICHOST = 4;
/** `getaddrinfo()` flag: the port is a number, never a service name. */
export const AI_NUMERICSERV = 1024;

/** `getnameinfo()` flag: the host as a numeric address, not a name. */
export const NI_NUMERICHOST = 1;
/** `getnameinfo()` flag: the port as a number, not a service name. */
export const NI_NUMERICSERV = 2;
/** `getnameinfo()` flag: only the first label of a local host's name. */
export const NI_NOFQDN = 4;
/** `getnameinfo()` flag: fail when the host has no name. */
export const NI_NAMEREQD = 8;
/** `getnameinfo()` flag: the service is a datagram (UDP) one. */
export const NI_DGRAM = 16;
/** `getnameinfo()`: the longest host name, in bytes. */
export const NI_MAXHOST = 1025;
/** `getnameinfo()`: the longest service name, in bytes. */
export const NI_MAXSERV = 32;
