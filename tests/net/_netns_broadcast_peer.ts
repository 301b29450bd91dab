/**
 * A UDP peer that broadcast_netns_test.ts runs inside a network namespace
 * (Deno cannot switch namespaces within a process). It prints one JSON line
 * per event on stdout.
 *
 *   recv PORT TIMEOUT   binds ["", PORT], prints {"ready":true}, then the
 *                       first datagram as {"data","addr"} or {"timeout":true}
 *   send HOST PORT MSG  sends MSG with SO_BROADCAST set first
 *   refuse HOST PORT MSG  tries a sendto without SO_BROADCAST, prints the
 *                       error, then sets SO_BROADCAST and sends MSG
 *
 * Run it with `deno run --unstable-net --allow-net=...`.
 * @module
 */
import {
  AF_INET,
  OSError,
  SO_BROADCAST,
  SOCK_DGRAM,
  socket,
  SOL_SOCKET,
  TimeoutError,
} from "../../net/mod.ts";

const [mode, host = "", portText = "", extra = ""] = Deno.args;
const port = Number(portText);
const print = (value: unknown) => console.log(JSON.stringify(value));

if (mode === "recv") {
  await using sock = socket(AF_INET, SOCK_DGRAM);
  sock.bind(["", port]);
  sock.settimeout(Number(extra));
  print({ ready: true });
  try {
    const [data, addr] = await sock.recvfrom(1024);
    print({ data: new TextDecoder().decode(data), addr });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    print({ timeout: true });
  }
} else if (mode === "send" || mode === "refuse") {
  await using sock = socket(AF_INET, SOCK_DGRAM);
  if (mode === "refuse") {
    try {
      await sock.sendto("must not be sent", [host, port]);
      print({ refused: null });
    } catch (error) {
      if (!(error instanceof OSError)) throw error;
      print({ refused: { name: error.name, errno: error.errno } });
    }
  }
  sock.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
  const option = sock.getsockopt(SOL_SOCKET, SO_BROADCAST);
  const sent = await sock.sendto(extra, [host, port]);
  print({ option, sent });
} else {
  throw new RangeError(`Cannot run peer: unknown mode "${mode}"`);
}
