/**
 * UDP broadcast on the loopback network only (127.255.255.255): the
 * SO_BROADCAST rule CPython inherits from Linux, and which receivers get a
 * broadcast. Real broadcast between namespaces lives in
 * broadcast_netns_test.ts. Nothing here sends to 255.255.255.255 or to any
 * address outside 127.0.0.0/8.
 */
import assert from "node:assert/strict";
import {
  AF_INET,
  OSError,
  PermissionError,
  SO_BROADCAST,
  SO_REUSEADDR,
  SOCK_DGRAM,
  type Socket,
  socket,
  SOL_SOCKET,
  TimeoutError,
} from "../../net/mod.ts";

/** The loopback network's broadcast address: never leaves this host. */
const LOOPBACK_BROADCAST = "127.255.255.255";
/** Bounds every receive that should succeed, in seconds. */
const WAIT = 5;
/** How long a receive waits to show that nothing arrives, in seconds. */
const QUIET = 0.3;

const decoder = new TextDecoder();

function text(data: Uint8Array): string {
  return decoder.decode(data);
}

/** A UDP socket bound to `host`:`port` with SO_REUSEADDR and a timeout. */
function receiver(host: string, port = 0): Socket {
  const s = socket(AF_INET, SOCK_DGRAM);
  s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  s.bind([host, port]);
  s.settimeout(WAIT);
  return s;
}

function portOf(s: Socket): number {
  return (s.getsockname() as [string, number])[1];
}

function isPermissionError(err: unknown): boolean {
  assert.ok(err instanceof PermissionError, `got ${err}`);
  assert.ok(err instanceof OSError);
  assert.equal(err.errno, 13);
  return true;
}

Deno.test("sendto() to the loopback broadcast address without SO_BROADCAST rejects with PermissionError (13)", async () => {
  await using rx = receiver("");
  await using tx = socket(AF_INET, SOCK_DGRAM);
  tx.bind(["127.0.0.1", 0]);
  assert.equal(tx.getsockopt(SOL_SOCKET, SO_BROADCAST), 0);
  await assert.rejects(
    tx.sendto("nope", [LOOPBACK_BROADCAST, portOf(rx)]),
    isPermissionError,
  );
  // Nothing went out.
  rx.settimeout(QUIET);
  await assert.rejects(rx.recv(100), TimeoutError);
});

Deno.test("sendto() from an unbound socket to the broadcast address without SO_BROADCAST rejects", async () => {
  await using rx = receiver("");
  await using tx = socket(AF_INET, SOCK_DGRAM);
  await assert.rejects(
    tx.sendto("nope", [LOOPBACK_BROADCAST, portOf(rx)]),
    isPermissionError,
  );
});

Deno.test("setsockopt(SO_BROADCAST) reads back 1 and lets sendto() reach a wildcard receiver", async () => {
  await using rx = receiver("");
  await using tx = socket(AF_INET, SOCK_DGRAM);
  tx.bind(["127.0.0.1", 0]);
  tx.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
  assert.equal(tx.getsockopt(SOL_SOCKET, SO_BROADCAST), 1);
  assert.equal(
    await tx.sendto("hello all", [LOOPBACK_BROADCAST, portOf(rx)]),
    9,
  );
  const [data, from] = await rx.recvfrom(100);
  assert.equal(text(data), "hello all");
  assert.deepEqual(from, tx.getsockname());
});

Deno.test("setsockopt(SO_BROADCAST, true) counts as 1, and an unbound sender broadcasts", async () => {
  await using rx = receiver("");
  await using tx = socket(AF_INET, SOCK_DGRAM);
  tx.setsockopt(SOL_SOCKET, SO_BROADCAST, true);
  assert.equal(tx.getsockopt(SOL_SOCKET, SO_BROADCAST), 1);
  await tx.sendto("from unbound", [LOOPBACK_BROADCAST, portOf(rx)]);
  const [data, from] = await rx.recvfrom(100);
  assert.equal(text(data), "from unbound");
  assert.deepEqual(from, tx.getsockname());
  assert.ok(portOf(tx) > 0);
});

Deno.test("a broadcast reaches the receiver bound to '' but not the one bound to 127.0.0.1", async () => {
  await using wildcard = receiver("");
  const port = portOf(wildcard);
  // Same port thanks to SO_REUSEADDR on both.
  await using specific = receiver("127.0.0.1", port);
  await using tx = socket(AF_INET, SOCK_DGRAM);
  tx.bind(["127.0.0.1", 0]);
  tx.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);

  await tx.sendto("broadcast", [LOOPBACK_BROADCAST, port]);
  assert.equal(text(await wildcard.recv(100)), "broadcast");
  specific.settimeout(QUIET);
  await assert.rejects(specific.recv(100), TimeoutError);

  // The 127.0.0.1 receiver works: unicast to its address reaches it.
  specific.settimeout(WAIT);
  await tx.sendto("unicast", ["127.0.0.1", port]);
  const [data, from] = await specific.recvfrom(100);
  assert.equal(text(data), "unicast");
  assert.deepEqual(from, tx.getsockname());
});

Deno.test("a broadcast reaches a wildcard receiver but not a 127.0.0.1 receiver on another port", async () => {
  // Two ports, no SO_REUSEADDR needed: each receiver gets its own broadcast.
  await using wildcard = socket(AF_INET, SOCK_DGRAM);
  wildcard.bind(["", 0]);
  wildcard.settimeout(WAIT);
  await using specific = socket(AF_INET, SOCK_DGRAM);
  specific.bind(["127.0.0.1", 0]);
  specific.settimeout(QUIET);
  await using tx = socket(AF_INET, SOCK_DGRAM);
  tx.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);

  await tx.sendto("to specific", [LOOPBACK_BROADCAST, portOf(specific)]);
  await tx.sendto("to wildcard", [LOOPBACK_BROADCAST, portOf(wildcard)]);
  assert.equal(text(await wildcard.recv(100)), "to wildcard");
  await assert.rejects(specific.recv(100), TimeoutError);
  await tx.sendto("direct", specific.getsockname());
  specific.settimeout(WAIT);
  assert.equal(text(await specific.recv(100)), "direct");
});

Deno.test("setsockopt(SO_BROADCAST, 0) after 1 refuses broadcasts again", async () => {
  await using rx = receiver("");
  await using tx = socket(AF_INET, SOCK_DGRAM);
  tx.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
  await tx.sendto("first", [LOOPBACK_BROADCAST, portOf(rx)]);
  assert.equal(text(await rx.recv(100)), "first");
  tx.setsockopt(SOL_SOCKET, SO_BROADCAST, 0);
  assert.equal(tx.getsockopt(SOL_SOCKET, SO_BROADCAST), 0);
  await assert.rejects(
    tx.sendto("second", [LOOPBACK_BROADCAST, portOf(rx)]),
    isPermissionError,
  );
});

Deno.test("connect() to the broadcast address without SO_BROADCAST rejects with PermissionError", async () => {
  await using rx = receiver("");
  await using tx = socket(AF_INET, SOCK_DGRAM);
  await assert.rejects(
    tx.connect([LOOPBACK_BROADCAST, portOf(rx)]),
    isPermissionError,
  );
  assert.throws(() => tx.getpeername(), OSError);
});

Deno.test("connect() to the broadcast address with SO_BROADCAST makes send() broadcast", async () => {
  await using rx = receiver("");
  await using tx = socket(AF_INET, SOCK_DGRAM);
  tx.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
  await tx.connect([LOOPBACK_BROADCAST, portOf(rx)]);
  assert.deepEqual(tx.getpeername(), [LOOPBACK_BROADCAST, portOf(rx)]);
  assert.equal(await tx.send("via connect"), 11);
  const [data, from] = await rx.recvfrom(100);
  assert.equal(text(data), "via connect");
  assert.deepEqual(from, tx.getsockname());
});

Deno.test("a unicast sendto() to 127.0.0.1 needs no SO_BROADCAST", async () => {
  await using rx = receiver("127.0.0.1");
  await using tx = socket(AF_INET, SOCK_DGRAM);
  await tx.sendto("plain", rx.getsockname());
  assert.equal(text(await rx.recv(100)), "plain");
});
