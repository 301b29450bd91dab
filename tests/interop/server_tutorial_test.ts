/**
 * Interop with CPython 3: the tutorials' "10086" robot client and UDP client,
 * in Python 3 (tests/interop/py/server_*.py), talk to our socketserver
 * classes over loopback and Unix sockets; what Python prints and what our
 * handlers receive are checked byte for byte.
 *
 * Run: deno test --sanitize-ops --sanitize-resources -A tests/interop/server_tutorial_test.ts
 */
import assert from "node:assert/strict";
import type { Socket } from "../../net/mod.ts";
import {
  BaseRequestHandler,
  type BaseServer,
  type DatagramRequest,
  DatagramRequestHandler,
  SelectorTCPServer,
  SelectorUDPServer,
  SelectorUnixStreamServer,
  TCPServer,
  UDPServer,
  UnixDatagramServer,
  UnixStreamServer,
} from "../../server/mod.ts";

const decoder = new TextDecoder();
const PY_DIR = new URL("./py/", import.meta.url);
const WELCOME = "欢迎致电 10086,请输入1xxx,0转人工服务.";
const HUMAN = "通过可能会被录音.balabala一大推";
const AGAIN = "请重新输入.";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a python3 peer with `input` on stdin; killed by PID after 30 s. */
async function run_python(
  script: string,
  args: string[],
  input: string,
): Promise<Run> {
  const child = new Deno.Command("python3", {
    args: ["-u", new URL(script, PY_DIR).pathname, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { PYTHONIOENCODING: "utf-8", PYTHONDONTWRITEBYTECODE: "1" },
  }).spawn();
  const timer = setTimeout(() => {
    try {
      Deno.kill(child.pid, "SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }, 30_000);
  try {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
    const out = await child.output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** What a server's handlers received, for byte-for-byte checks. */
interface Received {
  received: string[];
}

/** The tutorials' robot handler (000_..., ThreadingTCPServer's MyServer). */
class Robot extends BaseRequestHandler<Socket> {
  override async handle(): Promise<void> {
    const conn = this.request;
    const log = (this.server as unknown as Received).received;
    await conn.sendall(WELCOME);
    let flag = true;
    // Bounded, and "" (the client left) ends it where the tutorial spins.
    for (let i = 0; i < 1000 && flag; i++) {
      const data = decoder.decode(await conn.recv(1024));
      log.push(data);
      if (data === "exit" || data === "") {
        flag = false;
      } else if (data === "0") {
        await conn.sendall(HUMAN);
      } else {
        await conn.sendall(AGAIN);
      }
    }
  }
}

/** The tutorials' UDP server: prints nothing, replies "ok". */
class Ok extends BaseRequestHandler<DatagramRequest> {
  override async handle(): Promise<void> {
    const [data, sock] = this.request;
    (this.server as unknown as Received).received.push(decoder.decode(data));
    await sock.sendto(new TextEncoder().encode("ok"), this.client_address);
  }
}

/** Echoes through rfile and wfile. */
class Echo extends DatagramRequestHandler {
  override handle(): void {
    (this.server as unknown as Received).received.push(
      decoder.decode(this.packet),
    );
    this.wfile.write(this.rfile.read());
  }
}

const ROBOT_INPUT = "1xxx\n0\n你好\nexit\n";
const ROBOT_OUTPUT = `receive: ${WELCOME}\n` +
  `please input:receive: ${AGAIN}\n` +
  `please input:receive: ${HUMAN}\n` +
  `please input:receive: ${AGAIN}\n` +
  "please input:";

type StreamClass = typeof TCPServer;

for (
  const [Server, unix] of [
    [TCPServer, false],
    [SelectorTCPServer, false],
    [UnixStreamServer, true],
    [SelectorUnixStreamServer, true],
  ] as [StreamClass, boolean][]
) {
  Deno.test(`${Server.name}: the Python 3 "10086" robot clients are served`, async () => {
    const dir = unix ? await Deno.makeTempDir() : "";
    class Recording extends Server implements Received {
      received: string[] = [];
    }
    const server = new Recording(
      unix ? `${dir}/robot.sock` : ["127.0.0.1", 0],
      Robot,
    );
    const run = server.serve_forever(0.05);
    try {
      const target = unix
        ? String(server.server_address)
        : String((server.server_address as [string, number])[1]);
      // Three at once: the blocking server serves them one after another.
      const runs = await Promise.all(
        [0, 1, 2].map(() =>
          run_python("server_robot_client.py", [target], ROBOT_INPUT)
        ),
      );
      for (const r of runs) {
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, ROBOT_OUTPUT);
      }
      // Each client's bytes arrived exactly, in order, once per client.
      const per_client = ["1xxx", "0", "你好", "exit"];
      assert.deepEqual(
        server.received.toSorted(),
        [...per_client, ...per_client, ...per_client].toSorted(),
      );
    } finally {
      await server.shutdown();
      await run;
      await server.server_close();
      if (unix) await Deno.remove(dir, { recursive: true });
    }
  });
}

type DgramClass = typeof UDPServer;

for (
  const [Server, unix] of [
    [UDPServer, false],
    [SelectorUDPServer, false],
    [UnixDatagramServer, true],
  ] as [DgramClass, boolean][]
) {
  for (const Handler of [Ok, Echo]) {
    Deno.test(`${Server.name}: the Python 3 UDP client gets replies (${Handler.name})`, async () => {
      const dir = unix ? await Deno.makeTempDir() : "";
      class Recording extends Server implements Received {
        received: string[] = [];
      }
      const server: BaseServer<DatagramRequest> & Received & {
        server_address: unknown;
      } = new Recording(
        unix ? `${dir}/udp.sock` : ["127.0.0.1", 0],
        Handler,
      );
      const run = server.serve_forever(0.05);
      try {
        const lines = ["hello", "你好，世界", "exit"];
        const args = unix
          ? [String(server.server_address), `${dir}/client.sock`]
          : [String((server.server_address as [string, number])[1])];
        const r = await run_python(
          "server_udp_client.py",
          args,
          lines.join("\n") + "\n",
        );
        assert.equal(r.code, 0, r.stderr);
        const from = unix
          ? `'${server.server_address}'`
          : `('127.0.0.1', ${(server.server_address as [string, number])[1]})`;
        const reply = (text: string) =>
          Handler === Ok ? "b'ok'" : py_bytes(new TextEncoder().encode(text));
        assert.equal(
          r.stdout,
          `数据:(${reply("hello")}, ${from})\n` +
            `数据:(${reply("你好，世界")}, ${from})\n` +
            "数据:",
        );
        assert.deepEqual(server.received, ["hello", "你好，世界"]);
      } finally {
        await server.shutdown();
        await run;
        await server.server_close();
        if (unix) await Deno.remove(dir, { recursive: true });
      }
    });
  }
}

// Python's repr() of bytes, for what print() shows.
function py_bytes(data: Uint8Array): string {
  let out = "b'";
  for (const b of data) {
    if (b === 0x27) out += "\\'";
    else if (b === 0x5c) out += "\\\\";
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b === 0x09) out += "\\t";
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out + "'";
}
