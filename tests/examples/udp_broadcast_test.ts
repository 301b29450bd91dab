/**
 * Tests of examples/udp_broadcast_sender.ts and
 * examples/udp_broadcast_receiver.ts, run as subprocesses with exactly their
 * header commands: on loopback with the default target 127.255.255.255, and
 * across a veth pair between two network namespaces (tests/_netns.ts; root
 * only, ignored with the reason printed otherwise).
 */
import assert from "node:assert/strict";
import { createVethPair, netnsSkipReason } from "../_netns.ts";
import { free_port, header_args, run_example, spawn } from "./_run.ts";

const SENDER = "examples/udp_broadcast_sender.ts";
const RECEIVER = "examples/udp_broadcast_receiver.ts";
const MESSAGES = ["hello all", "广播 broadcast", "third"];

/** The receiver's report of each datagram: [bytes, host, port, text]. */
function received(stdout: string): [number, string, number, string][] {
  return [
    ...stdout.matchAll(/^received (\d+) bytes from ([\d.]+):(\d+): (.*)$/gm),
  ].map((m) => [Number(m[1]), m[2]!, Number(m[3]), JSON.parse(m[4]!)]);
}

function check(stdout: string, from: string): void {
  const got = received(stdout);
  assert.deepEqual(
    got.map(([size, host, , text]) => [size, host, text]),
    MESSAGES.map((m) => [new TextEncoder().encode(m).length, from, m]),
    stdout,
  );
}

Deno.test("udp_broadcast_sender.ts reaches the receiver through 127.255.255.255 by default", async () => {
  // The receiver binds "" (all interfaces), as broadcasts need; the sender
  // only sends to the loopback broadcast address.
  const port = free_port("0.0.0.0", "udp");
  await using receiver = run_example(
    RECEIVER,
    { "0.0.0.0:8000": `0.0.0.0:${port}` },
    ["--port", String(port), "--count", String(MESSAGES.length)],
  );
  await receiver.wait_for(/listening on 0\.0\.0\.0:\d+/);
  await using sender = run_example(
    SENDER,
    { "127.255.255.255:8000": `127.255.255.255:${port}` },
    ["--port", String(port)],
    { stdin: "piped" },
  );
  await sender.write(MESSAGES.map((m) => `${m}\n`).join(""));
  await sender.end();
  await sender.success();
  assert.match(sender.stdout, /sent 9 bytes to 127\.255\.255\.255:\d+/);
  await receiver.success();
  check(receiver.stdout, "127.0.0.1");
});

Deno.test("udp_broadcast_receiver.ts stops cleanly on SIGTERM", async () => {
  const port = free_port("0.0.0.0", "udp");
  await using receiver = run_example(
    RECEIVER,
    { "0.0.0.0:8000": `0.0.0.0:${port}` },
    ["--port", String(port)],
  );
  await receiver.wait_for(/listening on/);
  receiver.kill("SIGTERM");
  await receiver.success();
  assert.match(receiver.stdout, /stopping/);
});

const skip = await netnsSkipReason();
if (skip !== undefined) {
  console.log(
    `udp_broadcast_test.ts: the network namespace test is ignored: ${skip}`,
  );
}

Deno.test({
  name:
    "udp_broadcast_sender.ts --broadcast reaches another host on a real subnet (network namespaces)",
  ignore: skip !== undefined,
  fn: async () => {
    await using pair = await createVethPair();
    const deno = Deno.execPath();
    // A fresh namespace has every port free: the receiver runs its header
    // command unchanged (port 8000) in namespace a.
    await using receiver = spawn("ip", [
      "netns",
      "exec",
      pair.ns[0],
      deno,
      ...header_args(RECEIVER),
      "--count",
      String(MESSAGES.length),
    ], { what: `${RECEIVER} in ${pair.ns[0]}` });
    await receiver.wait_for(/listening on 0\.0\.0\.0:8000/);
    // The sender, in namespace b, is granted the subnet's broadcast address
    // and a free port on all interfaces, as its header explains.
    await using sender = spawn("ip", [
      "netns",
      "exec",
      pair.ns[1],
      deno,
      ...header_args(SENDER, {
        "127.255.255.255:8000": `${pair.broadcast}:8000`,
        "127.0.0.1:0": "0.0.0.0:0",
      }),
      "--broadcast",
      pair.broadcast,
    ], { stdin: "piped", what: `${SENDER} in ${pair.ns[1]}` });
    await sender.write(MESSAGES.map((m) => `${m}\n`).join(""));
    await sender.end();
    await sender.success();
    assert.match(
      sender.stdout,
      new RegExp(
        `sent 9 bytes to ${pair.broadcast.replaceAll(".", "\\.")}:8000`,
      ),
    );
    await receiver.success();
    check(receiver.stdout, pair.addr[1]);
  },
});
