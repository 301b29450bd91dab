/**
 * Tests of examples/chat_room.ts, run as a subprocess with exactly its header
 * command (the port swapped for a free one): clients of our own and Python
 * ones, one of which resets its connection.
 */
import assert from "node:assert/strict";
import { create_connection, type Socket } from "../../net/mod.ts";
import type { SocketFile } from "../../net/mod.ts";
import { type Child, free_port, run_example, spawn } from "./_run.ts";

const EXAMPLE = "examples/chat_room.ts";
const PROMPT = "Welcome to the chat room! Your nickname?\n";

function start(port: number, extra: string[] = []): Child {
  return run_example(
    EXAMPLE,
    { "127.0.0.1:9999": `127.0.0.1:${port}` },
    ["--port", String(port), ...extra],
  );
}

/** A chat client of ours: lines in, lines out, every wait bounded. */
class Client implements AsyncDisposable {
  constructor(readonly sock: Socket, readonly file: SocketFile<"r">) {}

  static async join(port: number, nick: string): Promise<Client> {
    const sock = await create_connection(["127.0.0.1", port], 10);
    const client = new Client(sock, sock.makefile("r", { encoding: "utf-8" }));
    assert.equal(await client.line(), PROMPT);
    if (nick !== "") await client.say(nick);
    return client;
  }

  async say(text: string): Promise<void> {
    await this.sock.sendall(`${text}\n`);
  }

  line(): Promise<string> {
    return this.file.readline() as Promise<string>;
  }

  async close(): Promise<void> {
    await this.file.close();
    await this.sock.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

// A Python client on one thread (a selector over the socket and stdin):
// joins as argv[2], prints every line it gets as "got ..."; "say X" on stdin
// sends X, "reset" resets the connection (SO_LINGER 0) and exits.
const PY_CLIENT = `import os, selectors, socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode() + b"\\n")
sel = selectors.DefaultSelector()
sel.register(s, selectors.EVENT_READ, "sock")
sel.register(0, selectors.EVENT_READ, "stdin")
got = b""
typed = b""
for _ in range(1000):
    for key, _ in sel.select(30):
        if key.data == "sock":
            data = s.recv(4096)
            if not data:
                sys.exit(0)
            got += data
            while b"\\n" in got:
                line, got = got.split(b"\\n", 1)
                print("got " + line.decode(), flush=True)
        else:
            data = os.read(0, 4096)
            if not data:
                sys.exit(0)
            typed += data
            while b"\\n" in typed:
                cmd, typed = typed.split(b"\\n", 1)
                if cmd.startswith(b"say "):
                    s.sendall(cmd[4:] + b"\\n")
                elif cmd == b"reset":
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    s.close()
                    print("reset done", flush=True)
                    sys.exit(0)
`;

Deno.test("chat_room.ts fans messages out; a client that resets is announced as left", async () => {
  const port = free_port();
  await using server = start(port);
  await server.wait_for(/chat room open on/);

  await using alice = await Client.join(port, "alice");
  assert.equal(
    await alice.line(),
    "* welcome, alice! online: nobody else yet\n",
  );
  await using bob = await Client.join(port, "bob");
  assert.equal(await bob.line(), "* welcome, bob! online: alice\n");
  assert.equal(await alice.line(), "* bob joined\n");

  await using carol = spawn(
    "python3",
    ["-c", PY_CLIENT, String(port), "carol"],
    {
      stdin: "piped",
      what: "python carol",
    },
  );
  await carol.wait_for(/^got \* welcome, carol! online: alice, bob\n/m);
  assert.equal(await alice.line(), "* carol joined\n");
  assert.equal(await bob.line(), "* carol joined\n");

  // Every message reaches everyone else, byte for byte, never the sender.
  await alice.say("hello everyone 你好");
  assert.equal(await bob.line(), "alice: hello everyone 你好\n");
  await carol.wait_for(/^got alice: hello everyone 你好\n/m);
  await carol.write("say hi from python\n");
  assert.equal(await alice.line(), "carol: hi from python\n");
  assert.equal(await bob.line(), "carol: hi from python\n");

  // Carol vanishes: her connection is reset.
  await carol.write("reset\n");
  await carol.wait_for(/reset done/);
  assert.equal(await alice.line(), "* carol left\n");
  assert.equal(await bob.line(), "* carol left\n");
  await server.wait_for(/^carol vanished: ConnectionResetError/m);

  // The others keep chatting.
  await bob.say("still here");
  assert.equal(await alice.line(), "bob: still here\n");
  await alice.say("me too");
  assert.equal(await bob.line(), "alice: me too\n");
  await alice.close();
  assert.equal(await bob.line(), "* alice left\n");

  server.kill("SIGTERM");
  assert.equal(await bob.line(), "* the server is closing the room\n");
  assert.equal(await bob.line(), ""); // then the server closes
  await server.success();
  await carol.success();
  for (
    const line of ["alice joined from", "carol: hi from python", "bob left"]
  ) {
    assert.ok(server.stdout.includes(line), server.report());
  }
  assert.match(server.stdout, /room closed\n$/);
  assert.ok(!carol.stdout.includes("got carol:"), "no echo to the sender");
});

Deno.test("chat_room.ts renames a duplicate nickname, skips a blank one, drops a killed client", async () => {
  const port = free_port();
  await using server = start(port);
  await server.wait_for(/chat room open on/);
  await using first = await Client.join(port, "alice");
  assert.match(await first.line(), /^\* welcome, alice!/);
  await using second = await Client.join(port, "alice");
  assert.equal(await second.line(), "* welcome, alice2! online: alice\n");
  assert.equal(await first.line(), "* alice2 joined\n");

  // A Python client killed outright: its kernel closes the connection.
  await using dave = spawn("python3", ["-c", PY_CLIENT, String(port), "dave"], {
    stdin: "piped",
  });
  await dave.wait_for(/^got \* welcome, dave!/m);
  assert.equal(await first.line(), "* dave joined\n");
  dave.kill("SIGKILL");
  await dave.status();
  assert.equal(await first.line(), "* dave left\n");
  assert.equal(await second.line(), "* dave joined\n");
  assert.equal(await second.line(), "* dave left\n");

  await second.say("I am alice2");
  assert.equal(await first.line(), "alice2: I am alice2\n");

  // A blank first line is no nickname: the next line is.
  await using third = await Client.join(port, "");
  await third.say("  ");
  await third.say("eve");
  assert.equal(await third.line(), "* welcome, eve! online: alice, alice2\n");
  assert.equal(await first.line(), "* eve joined\n");
  server.kill("SIGTERM");
  await server.success();
});

Deno.test("chat_room.ts stops on SIGTERM while a client has not named itself", async () => {
  const port = free_port();
  await using server = start(port);
  await server.wait_for(/chat room open on/);
  await using quiet = await Client.join(port, ""); // connected, no nickname
  server.kill("SIGTERM");
  await server.success();
  assert.equal(await quiet.line(), "");
  assert.match(server.stdout, /room closed/);
});

/** A process's resident memory in KiB, as ps reports it. */
async function rss_kib(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "rss=", "-p", String(pid)],
    stdout: "piped",
  }).output();
  const kib = Number(new TextDecoder().decode(out.stdout).trim());
  assert.ok(kib > 0, `no RSS for pid ${pid}`);
  return kib;
}

Deno.test("chat_room.ts drops a member that never reads once 1 MiB waits for it, and tells the room", async () => {
  const port = free_port();
  await using server = start(port); // the default --max-backlog: 1 MiB
  await server.wait_for(/chat room open on/);
  await using alice = await Client.join(port, "alice");
  assert.match(await alice.line(), /^\* welcome, alice!/);
  await using bob = await Client.join(port, "bob"); // reads nothing more
  assert.equal(await alice.line(), "* bob joined\n");
  const before = await rss_kib(server.pid);

  // Alice talks, 4000-byte lines, until the room says bob was dropped: the
  // kernel buffers on the way to bob take some MiB, then 1 MiB may queue.
  let note = "";
  const listening = alice.line().then((line) => note = line);
  const text = "x".repeat(3999);
  let sent = 0;
  for (let i = 0; i < 16_000 && note === ""; i++) { // at most 64 MB
    await alice.say(text);
    sent += 4000;
    if (i % 64 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await listening;
  assert.equal(note, "* bob was dropped: not reading\n");
  const after = await rss_kib(server.pid);
  await server.wait_for(/^bob dropped: more than 1048576 bytes unread$/m);
  // What bob's kernel buffers took, plus the 1 MiB: far below what was sent
  // once it is more than a few MiB, and no more is kept for bob.
  assert.ok(sent < 64_000_000, `sent ${sent} bytes without a drop`);
  assert.ok(
    after - before < 64 * 1024,
    `the server grew from ${before} to ${after} KiB`,
  );
  // Bob finds his connection closed after what was already on its way.
  let got = 0;
  for (let i = 0; i < 100_000; i++) {
    let chunk: Uint8Array;
    try {
      chunk = await bob.sock.recv(65536);
    } catch {
      break; // reset: the server closed with lines unsent
    }
    if (chunk.length === 0) break;
    got += chunk.length;
  }
  assert.ok(got < sent, `bob got ${got} of ${sent} bytes`);
  // The room goes on without him.
  await using carol = await Client.join(port, "carol");
  assert.equal(await carol.line(), "* welcome, carol! online: alice\n");
  assert.equal(await alice.line(), "* carol joined\n");
  server.kill("SIGTERM");
  await server.success();
});

Deno.test("chat_room.ts turns away a client past --max-members, and lets one in once a member leaves", async () => {
  const port = free_port();
  await using server = start(port, ["--max-members", "2"]);
  await server.wait_for(/chat room open on/);
  await using alice = await Client.join(port, "alice");
  assert.match(await alice.line(), /^\* welcome, alice!/);
  await using bob = await Client.join(port, "bob");
  assert.match(await bob.line(), /^\* welcome, bob!/);
  assert.equal(await alice.line(), "* bob joined\n");
  {
    await using sock = await create_connection(["127.0.0.1", port], 10);
    await using file = sock.makefile("r", { encoding: "utf-8" });
    assert.equal(
      await file.readline(),
      "* the room is full (2 members), try later\n",
    );
    assert.equal(await file.readline(), ""); // then closed
  }
  await server.wait_for(/^turned away \('127\.0\.0\.1', \d+\): full$/m);
  await bob.close();
  assert.equal(await alice.line(), "* bob left\n");
  await using carol = await Client.join(port, "carol");
  assert.equal(await carol.line(), "* welcome, carol! online: alice\n");
  server.kill("SIGTERM");
  await server.success();
});
