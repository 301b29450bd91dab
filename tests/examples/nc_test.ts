/**
 * Tests of examples/nc.ts, run as a subprocess with exactly its header
 * command: against itself, and against Debian's nc (netcat-openbsd) both
 * ways, over TCP and UDP, comparing the data byte for byte. The interop
 * tests are ignored, with the reason printed, where that nc is missing
 * (.ci/run installs it).
 */
import assert from "node:assert/strict";
import { AF_INET, SOCK_DGRAM, socket, TimeoutError } from "../../net/mod.ts";
import { free_port, run_example, spawn } from "./_run.ts";

const NC = "examples/nc.ts";
/** Every child is killed after this long. */
const CHILD_MS = 30_000;

/** Why Debian's nc cannot be used here, or undefined when it can. */
async function debian_nc_skip_reason(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("nc", {
      args: ["-h"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stderr) +
      new TextDecoder().decode(out.stdout);
    const first = text.split("\n")[0] ?? "";
    if (!/OpenBSD netcat/.test(first)) {
      return `nc is not netcat-openbsd ("${first}"); apt-get install netcat-openbsd`;
    }
    return undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return "nc not found; apt-get install netcat-openbsd";
    }
    throw error;
  }
}

const skip = await debian_nc_skip_reason();
if (skip !== undefined) {
  console.log(`nc_test.ts: the tests against Debian's nc are ignored: ${skip}`);
}

/** `n` bytes of every value, in a fixed pseudo-random order. */
function payload(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function ours(args: string[], stdin = true) {
  return run_example(NC, {}, args, {
    stdin: stdin ? "piped" : "null",
    timeout_ms: CHILD_MS,
  });
}

function debian(args: string[]) {
  return spawn("nc", args, {
    stdin: "piped",
    timeout_ms: CHILD_MS,
    what: `nc ${args.join(" ")}`,
  });
}

const encoder = new TextEncoder();

Deno.test("nc.ts -l and nc.ts pipe binary data both ways over TCP", async () => {
  const port = String(free_port());
  const up = payload(1024 * 1024, 1);
  const down = payload(300_000, 2);
  await using server = ours(["-l", "-v", "127.0.0.1", port]);
  await server.wait_for(/Listening on 127\.0\.0\.1 \d+/, "stderr");
  await using client = ours(["-v", "-w", "10", "127.0.0.1", port]);
  await Promise.all([
    client.write(up).then(() => client.end()),
    server.write(down).then(() => server.end()),
  ]);
  await client.success();
  await server.success();
  assert.deepEqual(server.stdout_bytes, up);
  assert.deepEqual(client.stdout_bytes, down);
  assert.match(client.stderr, /shutdown\(SHUT_WR\)/);
  assert.match(server.stderr, /Connection received on 127\.0\.0\.1 \d+/);
});

Deno.test("nc.ts -l -u and nc.ts -u exchange datagrams", async () => {
  const port = String(free_port("127.0.0.1", "udp"));
  await using server = ours(["-l", "-u", "-v", "-w", "2", "127.0.0.1", port]);
  await server.wait_for(/Listening on 127\.0\.0\.1 \d+ \(udp\)/, "stderr");
  await using client = ours(["-u", "-w", "2", "127.0.0.1", port]);
  await server.write("held until someone writes\n");
  await client.write("first\n");
  await server.wait_bytes(6);
  await client.wait_bytes(26);
  await client.write("second\n");
  await server.wait_bytes(13);
  await client.end();
  await server.end();
  await client.success();
  await server.success();
  assert.equal(server.stdout, "first\nsecond\n");
  assert.equal(client.stdout, "held until someone writes\n");
});

Deno.test("nc.ts fails with exit code 1 when the connection is refused", async () => {
  const port = String(free_port());
  await using client = ours(["-w", "5", "127.0.0.1", port], false);
  const status = await client.status();
  assert.equal(status.code, 1, client.report());
  assert.match(
    client.stderr,
    /connect to 127\.0\.0\.1 port \d+ \(tcp\) failed: Connection refused/,
  );
});

Deno.test("nc.ts -l -w gives up when nobody connects", async () => {
  const port = String(free_port());
  await using server = ours(["-l", "-w", "0.5", "127.0.0.1", port], false);
  const status = await server.status();
  assert.equal(status.code, 1, server.report());
  assert.match(server.stderr, /no peer within 0\.5 s/);
});

Deno.test("nc.ts -l and -l -u stop cleanly on SIGTERM while waiting", async () => {
  for (const mode of [["-l"], ["-l", "-u"]]) {
    const port = String(free_port("127.0.0.1", mode[1] ? "udp" : "tcp"));
    await using server = ours([...mode, "-v", "127.0.0.1", port]);
    await server.wait_for(/Listening on/, "stderr");
    server.kill("SIGTERM");
    await server.success();
    assert.match(server.stderr, /signal received/);
  }
});

Deno.test("nc.ts usage errors exit with code 2", async () => {
  await using none = ours([], false);
  assert.equal((await none.status()).code, 2);
  assert.match(none.stderr, /usage: nc\.ts/);
  await using bad = ours(["-w", "soon", "127.0.0.1", "1"], false);
  assert.equal((await bad.status()).code, 2);
  assert.match(bad.stderr, /-w must be a positive number, received soon/);
});

Deno.test({
  name: "nc.ts -l serves Debian's nc over TCP byte for byte",
  ignore: skip !== undefined,
  fn: async () => {
    const port = String(free_port());
    const up = payload(500_000, 3);
    const down = payload(400_000, 4);
    await using server = ours(["-l", "-v", "127.0.0.1", port]);
    await server.wait_for(/Listening on/, "stderr");
    // -N: shutdown(SHUT_WR) at end of input, as ours does.
    await using client = debian(["-N", "127.0.0.1", port]);
    await Promise.all([
      client.write(up).then(() => client.end()),
      server.write(down).then(() => server.end()),
    ]);
    await client.success();
    await server.success();
    assert.deepEqual(server.stdout_bytes, up);
    assert.deepEqual(client.stdout_bytes, down);
  },
});

Deno.test({
  name: "nc.ts connects to Debian's nc -l over TCP byte for byte",
  ignore: skip !== undefined,
  fn: async () => {
    const port = String(free_port());
    const up = payload(500_000, 5);
    const down = payload(400_000, 6);
    await using server = debian(["-l", "-N", "-v", "127.0.0.1", port]);
    await server.wait_for(/Listening on/, "stderr");
    await using client = ours(["-v", "127.0.0.1", port]);
    await server.write(down);
    await server.end();
    await client.write(up);
    // Debian's nc -l quits as soon as its peer's side is closed, even with
    // its own input still unread: close ours once all of its data is here.
    await client.wait_bytes(down.length);
    await client.end();
    await client.success();
    await server.success();
    assert.deepEqual(server.stdout_bytes, up);
    assert.deepEqual(client.stdout_bytes, down);
  },
});

Deno.test({
  name: "nc.ts -l -u answers Debian's nc -u byte for byte",
  ignore: skip !== undefined,
  fn: async () => {
    const port = String(free_port("127.0.0.1", "udp"));
    const binary = payload(1000, 7);
    await using server = ours(["-l", "-u", "-v", "-w", "3", "127.0.0.1", port]);
    await server.wait_for(/Listening on/, "stderr");
    // Typed before anyone wrote: held, then sent to the first sender.
    await server.write("reply from deno\n");
    await using client = debian(["-u", "-q", "1", "127.0.0.1", port]);
    await client.write("hello from debian\n");
    await server.wait_bytes(18);
    await client.wait_bytes(16);
    await client.write(binary);
    await server.wait_bytes(18 + binary.length);
    await server.write(binary);
    await client.wait_bytes(16 + binary.length);
    // Debian's nc -u stops reading replies at end of input: end it last.
    await client.end();
    await server.end();
    await client.success();
    await server.success(); // idle for 3 s
    const expect_server = new Uint8Array([
      ...encoder.encode("hello from debian\n"),
      ...binary,
    ]);
    const expect_client = new Uint8Array([
      ...encoder.encode("reply from deno\n"),
      ...binary,
    ]);
    assert.deepEqual(server.stdout_bytes, expect_server);
    assert.deepEqual(client.stdout_bytes, expect_client);
  },
});

Deno.test({
  name: "nc.ts -u talks to Debian's nc -u -l byte for byte",
  ignore: skip !== undefined,
  fn: async () => {
    const port = String(free_port("127.0.0.1", "udp"));
    const binary = payload(1000, 8);
    await using server = debian([
      "-u",
      "-l",
      "-q",
      "1",
      "-v",
      "127.0.0.1",
      port,
    ]);
    await server.wait_for(/Bound on|Listening on/, "stderr");
    // Debian's nc -u -l reads its input once a first datagram came.
    await server.write("reply from debian\n");
    await using client = ours(["-u", "-v", "-w", "3", "127.0.0.1", port]);
    await client.write("hello from deno\n");
    await server.wait_bytes(16);
    await client.wait_bytes(18);
    await client.write(binary);
    await server.wait_bytes(16 + binary.length);
    await server.write(binary);
    await client.wait_bytes(18 + binary.length);
    await client.end();
    await server.end(); // -q 1: it quits a second after its input ends
    await server.success();
    await client.success(); // idle for 3 s
    assert.deepEqual(
      server.stdout_bytes,
      new Uint8Array([...encoder.encode("hello from deno\n"), ...binary]),
    );
    assert.deepEqual(
      client.stdout_bytes,
      new Uint8Array([...encoder.encode("reply from debian\n"), ...binary]),
    );
  },
});

for (const which of ["nc.ts", "Debian's nc"] as const) {
  Deno.test({
    name: `${which} -l -u hears and answers only the first peer`,
    ignore: which === "Debian's nc" && skip !== undefined,
    fn: async () => {
      const port = free_port("127.0.0.1", "udp");
      const args = ["-l", "-u", "-v", "127.0.0.1", String(port)];
      await using server = which === "nc.ts" ? ours(args) : debian(args);
      await server.wait_for(/Bound on|Listening on/, "stderr");
      await using first = socket(AF_INET, SOCK_DGRAM);
      await using second = socket(AF_INET, SOCK_DGRAM);
      for (const s of [first, second]) {
        s.bind(["127.0.0.1", 0]);
        s.settimeout(0.5);
      }
      await first.sendto("first\n", ["127.0.0.1", port]);
      await server.wait_bytes(6);
      // Someone else writes: not printed, and not the one answered.
      await second.sendto("intruder\n", ["127.0.0.1", port]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await server.write("reply\n");
      const [data] = await first.recvfrom(64);
      assert.equal(new TextDecoder().decode(data), "reply\n");
      await assert.rejects(second.recvfrom(64), TimeoutError);
      await first.sendto("again\n", ["127.0.0.1", port]);
      await server.wait_bytes(12);
      server.kill("SIGTERM");
      await server.status();
      assert.equal(
        new TextDecoder().decode(server.stdout_bytes),
        "first\nagain\n",
      );
    },
  });
}
