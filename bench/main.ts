/**
 * `deno task bench`: every server of ours against the runtime's limit and
 * what a user would take instead, in one run, as ratios.
 *
 * Servers (one launcher each in bench/_servers/, each its own process):
 * our `TCPServer` (blocking), `SelectorTCPServer`, `ThreadingTCPServer` and
 * `ForkingTCPServer` with one echo handler; two loops for the goals of net
 * and mux (our Socket without socketserver; tutorial 000's selector echo);
 * and the anchors: a raw `Deno.listen` echo loop (every ratio is to it),
 * Node's `net`, CPython's `socketserver.ThreadingTCPServer` and an `asyncio`
 * echo server.
 *
 * Scenarios, all driven by bench/_load.ts in a separate process and bounded
 * in time: 1-connection ping-pong of 32 bytes; 50-connection ping-pong;
 * 1-connection bulk echo of 256 MiB; connections per second (10 loops of
 * connect, one message, close); 1,000 idle connections plus 10 active ones;
 * and, for the mux goal only, 100-connection ping-pong (raw and mux rows).
 *
 * Each server is started fresh for every scenario, so its peak RSS (VmHWM
 * of /proc/<pid>/status, summed over its child processes) belongs to that
 * scenario alone. Repeats are interleaved: each repeat runs every scenario
 * on every server, in an order rotated each repeat; medians are reported.
 *
 * Run: deno task bench [--smoke] [--repeats 5] [--seconds 1] [--warmup 3]
 *      [--servers raw,selector,...] [--scenarios ping1,ping50,...]
 *      [--no-write] [--idle-echo 10000] [--baseline /path/to/other/checkout]
 *
 * Scenarios not in the default set, for the net goals (name them with
 * `--scenarios`): `cps4` (4 connect loops), `lines50` (50 clients, line
 * handler), `idle-echo` (N connections that each echoed one message, then
 * wait: peak RSS per connection). `--baseline DIR` adds each of our rows
 * again, run from another checkout, for a before/after in one run.
 *
 * A full run writes BENCHMARKS.md (between its results markers) and
 * bench/chart.svg when it may (`--allow-write` for those two files), and
 * prints the same tables. `--smoke` (CI) runs everything once, briefly,
 * writes nothing, and exits 0 unless the harness itself failed: speed is
 * never a pass/fail gate here.
 *
 * @module
 */
import { parseArgs } from "node:util";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const BENCH = `${ROOT}/bench`;
const MIB = 1024 * 1024;

// ---------------------------------------------------------------------------
// Options

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    smoke: { type: "boolean", default: false },
    repeats: { type: "string" },
    seconds: { type: "string" },
    warmup: { type: "string" },
    servers: { type: "string" },
    scenarios: { type: "string" },
    "no-write": { type: "boolean", default: false },
    "no-spin": { type: "boolean", default: false },
    "idle-echo": { type: "string" },
    baseline: { type: "string" },
  },
});
const SMOKE = opts.smoke;

function positive(name: string, text: string | undefined, fallback: number) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `Cannot run benchmark: --${name} must be a positive number, received ${text}`,
    );
  }
  return value;
}

const REPEATS = Math.round(positive("repeats", opts.repeats, SMOKE ? 1 : 5));
const SECONDS = positive("seconds", opts.seconds, SMOKE ? 0.2 : 1);
/**
 * Load before the ping-pong measurements. Each measurement starts a fresh
 * server, and a JS server's hot paths are still being compiled for a second
 * or two: the tutorial selector echo measured 0.67x raw after 0.5 s of
 * warm-up and 0.80x after 3 s, the same build on the same machine. The
 * goals are about the rate a server reaches, so these scenarios warm up 3 s.
 */
const WARMUP = positive("warmup", opts.warmup, SMOKE ? 0.1 : 3);
/** Warm-up of the connection and idle scenarios, which hold no goal. */
const SHORT_WARMUP = Math.min(WARMUP, 0.5);
const BULK_BYTES = SMOKE ? 8 * MIB : 256 * MIB;
const BULK_SECONDS = SMOKE ? 3 : 20;
const IDLE = SMOKE ? 100 : 1000;
const IDLE_SECONDS = SMOKE ? 3 : 10;
/** Connections of the `idle-echo` memory scenario (`--idle-echo N`). */
const IDLE_ECHO = Math.round(
  positive("idle-echo", opts["idle-echo"], SMOKE ? 100 : 10_000),
);
/** Pause between opening the idle connections and starting the active ones. */
const SETTLE = SMOKE ? 0.2 : 1;
/** Keep the CPUs awake (see `spin`): full runs only, unless --no-spin. */
const SPIN = !SMOKE && !opts["no-spin"];
/** How long a server may take to print its port (workers, children). */
const START_MS = 30_000;
/** How long a server may take to exit once stdin closed. */
const STOP_MS = 5_000;

// ---------------------------------------------------------------------------
// Servers

interface ServerSpec {
  id: string;
  label: string;
  group: "anchor" | "ours" | "loop";
  /** argv; the first item is the program. */
  argv: () => string[];
  /** Said under the table when the row needs it. */
  note?: string;
  /** Run only when named with `--servers`. */
  extra?: boolean;
  /** Scenarios it runs in; all when absent. */
  scenarios?: string[];
}

const DENO = Deno.execPath();
const DENO_RUN = ["run", "--quiet", `--config=${ROOT}/deno.json`];
const OURS_FLAGS = [
  "--allow-net=127.0.0.1",
  `--allow-read=${ROOT}`,
  `--allow-run=${DENO}`,
];
let PYTHON = "python3";

function ours(kind: string): () => string[] {
  return () => [
    DENO,
    ...DENO_RUN,
    ...OURS_FLAGS,
    `${BENCH}/_servers/pysock.ts`,
    kind,
  ];
}

const ALL_SERVERS: ServerSpec[] = [
  {
    id: "raw",
    label: "raw Deno.listen loop",
    group: "anchor",
    argv: () => [
      DENO,
      ...DENO_RUN,
      "--allow-net=127.0.0.1",
      `${BENCH}/_servers/raw_deno.ts`,
    ],
  },
  {
    id: "blocking",
    label: "TCPServer (blocking)",
    group: "ours",
    argv: ours("blocking"),
    note:
      "serves one client at a time, as Python's: with many connections it measures queuing",
  },
  {
    id: "selector",
    label: "SelectorTCPServer",
    group: "ours",
    argv: ours("selector"),
  },
  {
    id: "threading",
    label: "ThreadingTCPServer",
    group: "ours",
    argv: ours("threading"),
  },
  {
    id: "forking",
    label: "ForkingTCPServer",
    group: "ours",
    argv: ours("forking"),
    note: "peak RSS is summed over the server and its child processes",
  },
  {
    id: "net",
    label: "pysock Socket loop (net)",
    group: "loop",
    argv: ours("net"),
  },
  {
    id: "recv",
    label: "pysock socket() loop, recv(65536)/sendall()",
    group: "loop",
    argv: ours("recv"),
    extra: true,
  },
  {
    id: "selector-lines",
    label: "SelectorTCPServer, line handler",
    group: "ours",
    argv: ours("selector-lines"),
    note: "`for await (const line of this.rfile)` + `wfile.write(line)`",
    extra: true,
    // Lines only: bulk bytes hold no line end.
    scenarios: ["ping1", "ping50", "lines50", "idle", "idle-echo", "cps4"],
  },
  {
    id: "mux",
    label: "pysock selector loop (mux)",
    group: "loop",
    argv: ours("mux"),
  },
  {
    id: "node",
    label: "Node net",
    group: "anchor",
    argv: () => ["node", `${BENCH}/_servers/node_net.mjs`],
  },
  {
    id: "py-threading",
    label: "CPython ThreadingTCPServer",
    group: "anchor",
    argv: () => [PYTHON, "-u", `${BENCH}/_servers/py_threading.py`],
  },
  {
    id: "py-asyncio",
    label: "CPython asyncio",
    group: "anchor",
    argv: () => [PYTHON, "-u", `${BENCH}/_servers/py_asyncio.py`],
  },
];

// ---------------------------------------------------------------------------
// Scenarios

interface Scenario {
  id: string;
  title: string;
  unit: "round trips/s" | "MB/s" | "connections/s";
  args: string[];
  /** Bound on the load generator's run, seconds. */
  bound: number;
  /** Servers it runs on; all when absent. */
  only?: string[];
  /** Shown in the chart. */
  chart: boolean;
  /** Run only when named with `--scenarios`. */
  extra?: boolean;
}

const common = ["--seconds", String(SECONDS), "--warmup", String(WARMUP)];
const short = ["--seconds", String(SECONDS), "--warmup", String(SHORT_WARMUP)];
const ALL_SCENARIOS: Scenario[] = [
  {
    id: "ping1",
    title: "1-connection ping-pong, 32 B",
    unit: "round trips/s",
    args: ["--mode", "ping", "--conns", "1", ...common],
    bound: WARMUP + SECONDS,
    chart: true,
  },
  {
    id: "ping50",
    title: "50-connection ping-pong, 32 B",
    unit: "round trips/s",
    args: ["--mode", "ping", "--conns", "50", ...common],
    bound: WARMUP + SECONDS,
    chart: true,
  },
  {
    id: "bulk",
    title: `1-connection bulk echo, ${BULK_BYTES / MIB} MiB`,
    unit: "MB/s",
    args: [
      "--mode",
      "bulk",
      "--bytes",
      String(BULK_BYTES),
      "--seconds",
      String(BULK_SECONDS),
    ],
    bound: BULK_SECONDS,
    chart: true,
  },
  {
    id: "cps",
    title: "connections per second (10 loops: connect, 32 B echo, close)",
    unit: "connections/s",
    args: ["--mode", "cps", "--conns", "10", ...short],
    bound: SHORT_WARMUP + SECONDS,
    chart: true,
  },
  {
    id: "idle",
    title: `${IDLE.toLocaleString("en-US")} idle connections + 10 active`,
    unit: "round trips/s",
    args: [
      "--mode",
      "idle",
      "--conns",
      "10",
      "--idle",
      String(IDLE),
      "--idle-seconds",
      String(IDLE_SECONDS),
      "--settle",
      String(SETTLE),
      ...short,
    ],
    bound: IDLE_SECONDS + SETTLE + SHORT_WARMUP + SECONDS,
    chart: true,
  },
  {
    id: "cps4",
    title: "connections per second (4 loops: connect, 32 B echo, close)",
    unit: "connections/s",
    args: ["--mode", "cps", "--conns", "4", ...short],
    bound: SHORT_WARMUP + SECONDS,
    chart: false,
    extra: true,
  },
  {
    id: "lines50",
    title: "50-connection ping-pong of 32 B lines",
    unit: "round trips/s",
    args: ["--mode", "ping", "--conns", "50", ...common],
    bound: WARMUP + SECONDS,
    only: ["raw", "selector-lines", "selector", "py-threading"],
    chart: false,
    extra: true,
  },
  {
    id: "idle-echo",
    title: `${
      IDLE_ECHO.toLocaleString("en-US")
    } idle connections that each echoed one message, + 10 active`,
    unit: "round trips/s",
    args: [
      "--mode",
      "idle",
      "--idle-echo",
      "--conns",
      "10",
      "--idle",
      String(IDLE_ECHO),
      "--idle-seconds",
      String(Math.max(IDLE_SECONDS, IDLE_ECHO / 250)),
      "--settle",
      String(SETTLE),
      ...short,
    ],
    bound: Math.max(IDLE_SECONDS, IDLE_ECHO / 250) + SETTLE + SHORT_WARMUP +
      SECONDS,
    chart: false,
    extra: true,
  },
  {
    id: "ping100",
    title: "100-connection ping-pong, 32 B (for the mux goal)",
    unit: "round trips/s",
    args: ["--mode", "ping", "--conns", "100", ...common],
    bound: WARMUP + SECONDS,
    only: ["raw", "mux"],
    chart: false,
  },
];

function pick<T extends { id: string; extra?: boolean }>(
  all: T[],
  list: string | undefined,
  what: string,
): T[] {
  if (list === undefined) return all.filter((x) => !x.extra);
  const ids = list.split(",").map((s) => s.trim()).filter(Boolean);
  for (const id of ids) {
    if (!all.some((x) => x.id === id)) {
      throw new RangeError(
        `Cannot run benchmark: --${what} must name ${
          all.map((x) => x.id).join(", ")
        }, received "${id}"`,
      );
    }
  }
  // raw is the denominator of every ratio: always measured.
  return all.filter((x) =>
    ids.includes(x.id) || (what === "servers" && x.id === "raw")
  );
}

const SERVERS = pick(ALL_SERVERS, opts.servers, "servers");
// `--baseline DIR`: each of our rows again, run from another checkout (its
// bench/_servers/pysock.ts and library), for a before/after in one run.
if (opts.baseline !== undefined) {
  const base = opts.baseline.replace(/\/$/, "");
  for (const spec of [...SERVERS]) {
    if (spec.group === "anchor") continue;
    SERVERS.push({
      ...spec,
      id: `${spec.id}@base`,
      label: `${spec.label} (baseline)`,
      argv: () => spec.argv().map((arg) => arg.replaceAll(ROOT, base)),
    });
  }
}

function runs_in(spec: ServerSpec, scenario: Scenario): boolean {
  if (scenario.only && !scenario.only.includes(spec.id)) return false;
  return !spec.scenarios || spec.scenarios.includes(scenario.id);
}
const SCENARIOS = pick(ALL_SCENARIOS, opts.scenarios, "scenarios");

// ---------------------------------------------------------------------------
// Processes: every child is tracked by PID and killed on every exit path.

const live = new Set<number>();
let orphans = 0;

function kill(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

function kill_all(): void {
  for (const pid of live) kill(pid);
  live.clear();
}

const on_signal = () => {
  kill_all();
  Deno.exit(130);
};
Deno.addSignalListener("SIGINT", on_signal);
Deno.addSignalListener("SIGTERM", on_signal);

let NOFILE_WRAP = false;

/** Spawns argv, raising the fd limit first when the shell's is too low. */
function spawn(
  argv: string[],
  stdin: "piped" | "null",
): Deno.ChildProcess {
  const [program, ...args] = NOFILE_WRAP
    ? [
      "bash",
      "-c",
      'ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"',
      ...argv,
    ]
    : argv;
  const child = new Deno.Command(program!, {
    args,
    cwd: ROOT,
    stdin,
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" },
  }).spawn();
  live.add(child.pid);
  ever.add(child.pid);
  return child;
}

// Deno lets only --allow-all read /proc/<pid>, so a shell reads it for us.
async function sh(script: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command("bash", {
      args: ["-c", script, ...args],
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(out.stdout);
  } catch {
    return "";
  }
}

const TREE = `
tree() {
  echo "$1"
  for t in /proc/$1/task/*; do
    for c in $(cat "$t/children" 2>/dev/null); do tree "$c"; done
  done
}
for p in $(tree "$0"); do
  hwm=$(awk '/^VmHWM:/ {print $2}' /proc/$p/status 2>/dev/null)
  stat=$(cat /proc/$p/stat 2>/dev/null)
  set -- \${stat##*) }
  echo "$p \${hwm:-0} $((\${12:-0} + \${13:-0}))"
done`;

interface Proc {
  pid: number;
  /** VmHWM, bytes; 0 when unread. */
  hwm: number;
  /** User + system CPU time, clock ticks. */
  ticks: number;
}

/** `pid` and its descendants, from /proc. */
async function process_tree(pid: number): Promise<Proc[]> {
  const text = await sh(TREE, [String(pid)]);
  const out: Proc[] = [];
  for (const line of text.trim().split("\n")) {
    const [p, kb, ticks] = line.trim().split(/\s+/).map(Number);
    if (p && p > 0) {
      out.push({ pid: p, hwm: (kb || 0) * 1024, ticks: ticks || 0 });
    }
  }
  return out;
}

let CLK_TCK = 100;

/** Which of `pids` still run (a zombie has exited). */
async function alive(pids: number[]): Promise<number[]> {
  if (pids.length === 0) return [];
  const text = await sh(
    `for p in "$0" "$@"; do
       s=$(awk '/^State:/ {print $2}' /proc/$p/status 2>/dev/null)
       [ -n "$s" ] && [ "$s" != Z ] && echo "$p"
     done`,
    pids.map(String),
  );
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Every PID this run started or saw under a server, to check at the end. */
const ever = new Set<number>();

/** Reads a child stream into a bounded tail string. */
function collect(stream: ReadableStream<Uint8Array>, limit = 4096) {
  const state = { text: "" };
  const done = stream.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write(chunk) {
        state.text = (state.text + chunk).slice(-limit);
      },
    }),
  ).catch(() => {});
  return { state, done };
}

function with_timeout<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

interface Started {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

class Unavailable extends Error {}

async function start(spec: ServerSpec): Promise<Started> {
  let child: Deno.ChildProcess;
  try {
    child = spawn(spec.argv(), "piped");
  } catch (error) {
    throw new Unavailable(`cannot spawn: ${(error as Error).message}`);
  }
  const stderr = collect(child.stderr);
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  const first_line = (async () => {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    return text;
  })();
  const got = await with_timeout(first_line, START_MS);
  const port = got === "timeout" ? NaN : Number(got.split("\n")[0]);
  const draining = (async () => {
    try {
      while (!(await reader.read()).done) {
        // Servers print nothing more; drain it anyway.
      }
    } catch {
      // Closed.
    }
  })();
  const stdin = child.stdin.getWriter();
  const stop = async () => {
    const family = (await process_tree(child.pid)).map((p) => p.pid);
    if (family.length === 0) family.push(child.pid);
    for (const pid of family) ever.add(pid);
    await stdin.close().catch(() => {});
    if (await with_timeout(child.status, STOP_MS) === "timeout") {
      for (const pid of family) kill(pid);
      await child.status;
    }
    live.delete(child.pid);
    await draining;
    await stderr.done;
    // Children of the server must be gone with it.
    const deadline = Date.now() + 2000;
    let left = await alive(family.slice(1));
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      left = await alive(left);
    }
    for (const pid of left) {
      orphans++;
      kill(pid);
    }
  };
  if (!(port > 0)) {
    await stop();
    const why = stderr.state.text.trim().split("\n").filter(Boolean);
    const line = why.find((l) => l.startsWith("not available:")) ??
      why.at(-1) ?? (got === "timeout" ? "no port within 30 s" : "no port");
    throw new Unavailable(line.replace(/^not available:\s*/, ""));
  }
  return { port, pid: child.pid, stop };
}

interface LoadReport {
  ops: number;
  all_ops: number;
  bytes: number;
  seconds: number;
  rate: number;
  mbps: number;
  p50_us: number | null;
  p99_us: number | null;
  served: number;
  conns: number;
  idle_open: number;
  errors: number;
}

async function load(port: number, scenario: Scenario): Promise<LoadReport> {
  const child = spawn([
    DENO,
    ...DENO_RUN,
    "--allow-net=127.0.0.1",
    `${BENCH}/_load.ts`,
    "--port",
    String(port),
    ...scenario.args,
  ], "null");
  const out = collect(child.stdout, 1 << 16);
  const err = collect(child.stderr);
  const status = await with_timeout(
    child.status,
    (scenario.bound + 20) * 1000,
  );
  if (status === "timeout") {
    kill(child.pid);
    await child.status;
  }
  live.delete(child.pid);
  await out.done;
  await err.done;
  if (status === "timeout" || !status.success) {
    throw new Error(
      `The load generator failed (${
        status === "timeout" ? "timed out" : `exit ${status.code}`
      }): ${err.state.text.trim().split("\n").at(-1) ?? ""}`,
    );
  }
  const line = out.state.text.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as LoadReport;
}

// This VM halts an idle vCPU, and waking it costs most of a 1-connection
// round trip (~80 µs instead of ~20 µs), so whether other work happens to
// keep the CPUs awake decides that scenario. One lowest-priority busy loop
// per CPU keeps them awake throughout: CFS gives a nice-19 task about 1.5%
// of a CPU that anything else wants. Each loop ends by itself after
// `seconds` and is killed by PID at the end of the run.
function spin(seconds: number): Deno.ChildProcess[] {
  const loops: Deno.ChildProcess[] = [];
  for (let i = 0; i < navigator.hardwareConcurrency; i++) {
    try {
      const child = new Deno.Command("nice", {
        args: [
          "-n",
          "19",
          "bash",
          "-c",
          `end=$((SECONDS + ${Math.ceil(seconds)}))
           while [ "$SECONDS" -lt "$end" ]; do :; done`,
        ],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      live.add(child.pid);
      ever.add(child.pid);
      loops.push(child);
    } catch {
      break; // no nice or bash: run without
    }
  }
  return loops;
}

async function unspin(loops: Deno.ChildProcess[]): Promise<void> {
  for (const child of loops) {
    kill(child.pid);
    await child.status;
    live.delete(child.pid);
  }
}

// ---------------------------------------------------------------------------
// Running

interface Sample extends LoadReport {
  /** Which repeat measured it, to pair it with the base of that repeat. */
  repeat: number;
  rss: number;
  /** Server CPU µs per round trip or connection, or per MB in bulk. */
  cpu: number | null;
}

const samples = new Map<string, Sample[]>();
const unavailable = new Map<string, string>();
const failures: string[] = [];
const key = (server: string, scenario: string) => `${server}/${scenario}`;

async function run_one(
  spec: ServerSpec,
  scenario: Scenario,
  repeat: number,
): Promise<void> {
  if (unavailable.has(spec.id)) return;
  let server: Started;
  try {
    server = await start(spec);
  } catch (error) {
    if (error instanceof Unavailable) {
      unavailable.set(spec.id, error.message);
      return;
    }
    throw error;
  }
  try {
    const ticks = (tree: Proc[]) => tree.reduce((sum, p) => sum + p.ticks, 0);
    const before = ticks(await process_tree(server.pid));
    const report = await load(server.port, scenario);
    const after = await process_tree(server.pid);
    const rss = after.reduce((sum, p) => sum + p.hwm, 0);
    // Server CPU per unit of work over the whole load run (with warm-up).
    const units = scenario.unit === "MB/s"
      ? report.bytes / 1e6
      : report.all_ops;
    const cpu = units > 0
      ? (ticks(after) - before) / CLK_TCK * 1e6 / units
      : null;
    const list = samples.get(key(spec.id, scenario.id)) ?? [];
    list.push({ ...report, repeat, rss, cpu });
    samples.set(key(spec.id, scenario.id), list);
  } catch (error) {
    failures.push(`${spec.label}, ${scenario.id}: ${(error as Error).message}`);
  } finally {
    await server.stop();
  }
}

async function version(argv: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(out.success ? out.stdout : out.stderr)
      .trim() ||
      new TextDecoder().decode(out.stderr).trim();
  } catch {
    return "not installed";
  }
}

async function machine(): Promise<Record<string, string>> {
  // /proc again needs a shell (see `sh`).
  const cpuinfo = await sh("cat /proc/cpuinfo", []);
  const meminfo = await sh("cat /proc/meminfo", []);
  const cpu = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? "unknown";
  const mem = Number(/MemTotal:\s+(\d+) kB/.exec(meminfo)?.[1]);
  let kernel = "";
  try {
    kernel = Deno.osRelease();
  } catch {
    kernel = "unknown";
  }
  return {
    cpus: String(navigator.hardwareConcurrency),
    cpu,
    memory: mem ? `${(mem / 1024 / 1024).toFixed(1)} GiB` : "unknown",
    kernel,
  };
}

function loadavg(): string {
  try {
    return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch {
    return "unknown";
  }
}

// ---------------------------------------------------------------------------
// Reporting

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.toSorted((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Summary {
  value: number; // rate or MB/s
  p50: number; // µs
  p99: number; // µs
  rss: number; // bytes
  cpu: number; // µs per unit
  served: number;
  conns: number;
  idle_open: number;
  errors: number;
  n: number;
}

function summary(server: string, scenario: Scenario): Summary | null {
  const list = samples.get(key(server, scenario.id));
  if (!list || list.length === 0) return null;
  const pick = (f: (s: Sample) => number | null) =>
    median(list.map(f).filter((x): x is number => x !== null));
  return {
    value: pick((s) => scenario.unit === "MB/s" ? s.mbps : s.rate),
    p50: pick((s) => s.p50_us),
    p99: pick((s) => s.p99_us),
    rss: pick((s) => s.rss),
    cpu: pick((s) => s.cpu),
    served: median(list.map((s) => s.served)),
    conns: list[0]!.conns,
    idle_open: median(list.map((s) => s.idle_open)),
    errors: list.reduce((sum, s) => sum + s.errors, 0),
    n: list.length,
  };
}

function num(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return "-";
  return x.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function ratio(x: number, base: number): string {
  if (!Number.isFinite(x) || !Number.isFinite(base) || base === 0) return "";
  const r = x / base;
  return ` (${r >= 10 ? r.toFixed(0) : r.toFixed(2)}x)`;
}

function note_for(spec: ServerSpec, scenario: Scenario, s: Summary): string {
  const notes: string[] = [];
  if (
    scenario.id !== "bulk" && scenario.id !== "cps" && s.served < s.conns
  ) {
    notes.push(`queued: ${s.served}/${s.conns} connections served`);
  }
  if (scenario.id === "idle" && s.idle_open < IDLE) {
    notes.push(`${s.idle_open}/${IDLE} idle connected`);
  }
  if (s.errors > 0) notes.push(`${s.errors} errors`);
  if (spec.id === "forking") notes.push("RSS of all processes");
  return notes.join("; ");
}

function scenario_table(scenario: Scenario): string {
  const raw = summary("raw", scenario);
  const lines = [
    `### ${scenario.title}`,
    "",
    `| server | ${scenario.unit} | p50 µs | p99 µs | server CPU ${
      scenario.unit === "MB/s" ? "µs/MB" : "µs/op"
    } | peak RSS MiB | note |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const spec of SERVERS) {
    if (!runs_in(spec, scenario)) continue;
    const why = unavailable.get(spec.id);
    if (why !== undefined) {
      lines.push(`| ${spec.label} | not available | | | | | ${why} |`);
      continue;
    }
    const s = summary(spec.id, scenario);
    if (!s) {
      lines.push(`| ${spec.label} | failed | | | | | see failures below |`);
      continue;
    }
    const digits = scenario.unit === "MB/s" ? 1 : 0;
    lines.push(
      `| ${spec.label} | ${num(s.value, digits)}${
        ratio(s.value, raw?.value ?? NaN)
      } | ${num(s.p50)}${ratio(s.p50, raw?.p50 ?? NaN)} | ${num(s.p99)}${
        ratio(s.p99, raw?.p99 ?? NaN)
      } | ${num(s.cpu)}${ratio(s.cpu, raw?.cpu ?? NaN)} | ${
        num(s.rss / MIB, 1)
      }${ratio(s.rss, raw?.rss ?? NaN)} | ${note_for(spec, scenario, s)} |`,
    );
  }
  return lines.join("\n");
}

interface Goal {
  what: string;
  scenario: string;
  server: string;
  base: string;
  target: number;
}

const GOALS: Goal[] = [
  {
    what: "net: bulk, Socket loop / raw",
    scenario: "bulk",
    server: "net",
    base: "raw",
    target: 0.9,
  },
  {
    what: "net: 1-connection ping-pong, Socket loop / raw",
    scenario: "ping1",
    server: "net",
    base: "raw",
    target: 0.9,
  },
  {
    what: "mux: tutorial selector echo, 100 clients / raw",
    scenario: "ping100",
    server: "mux",
    base: "raw",
    target: 0.7,
  },
  {
    what: "server: SelectorTCPServer + StreamRequestHandler, 50 clients / raw",
    scenario: "ping50",
    server: "selector",
    base: "raw",
    target: 0.85,
  },
  {
    what: "server: TCPServer, 1-client ping-pong / raw",
    scenario: "ping1",
    server: "blocking",
    base: "raw",
    target: 0.9,
  },
  {
    what: "threaded: echo, 50 clients, ThreadingTCPServer / SelectorTCPServer",
    scenario: "ping50",
    server: "threading",
    base: "selector",
    target: 0.7,
  },
];

function goal_rows(): { table: string; met: number; total: number } {
  const lines = [
    "| goal | measured | range over repeats | target | met |",
    "| --- | ---: | ---: | ---: | --- |",
  ];
  let met = 0;
  let total = 0;
  for (const g of GOALS) {
    const scenario = ALL_SCENARIOS.find((s) => s.id === g.scenario)!;
    const a = summary(g.server, scenario);
    const b = summary(g.base, scenario);
    if (!a || !b || !(b.value > 0)) {
      lines.push(`| ${g.what} | not measured | | >= ${g.target} | - |`);
      continue;
    }
    const r = a.value / b.value;
    total++;
    if (r >= g.target) met++;
    // The same ratio within each repeat: how far noise moved it.
    const value = (x: Sample) => scenario.unit === "MB/s" ? x.mbps : x.rate;
    const bases = samples.get(key(g.base, g.scenario)) ?? [];
    const paired = (samples.get(key(g.server, g.scenario)) ?? []).flatMap(
      (x) => {
        const y = bases.find((y) => y.repeat === x.repeat);
        return y && value(y) > 0 ? [value(x) / value(y)] : [];
      },
    );
    const range = paired.length > 1
      ? `${Math.min(...paired).toFixed(2)}-${Math.max(...paired).toFixed(2)}`
      : "";
    lines.push(
      `| ${g.what} | ${r.toFixed(2)} | ${range} | >= ${g.target} | ${
        r >= g.target ? "yes" : "**no**"
      } |`,
    );
  }
  return { table: lines.join("\n"), met, total };
}

// A hand-written SVG: one panel per scenario, a bar per server for its
// throughput as a ratio to the raw Deno loop, a dashed line at 1.
function chart(): string {
  const scenarios = SCENARIOS.filter((s) => s.chart);
  const servers = SERVERS;
  const label_w = 220;
  const panel_w = 150;
  const gap = 16;
  const bar_h = 16;
  const row_h = 22;
  const top = 58;
  const cap = 2;
  const width = label_w + scenarios.length * (panel_w + gap) + 10;
  const height = top + servers.length * row_h + 40;
  const colors: Record<ServerSpec["group"], string> = {
    anchor: "#9aa5b1",
    ours: "#2f6fdf",
    loop: "#38a169",
  };
  const esc = (s: string) =>
    s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">Throughput as a ratio to the raw Deno.listen loop (1.0 = dashed line; higher is better)</text>`,
  ];
  servers.forEach((spec, i) => {
    const y = top + i * row_h + bar_h - 3;
    out.push(
      `<text x="${label_w - 8}" y="${y}" text-anchor="end">${
        esc(spec.label)
      }</text>`,
    );
  });
  scenarios.forEach((scenario, j) => {
    const x0 = label_w + j * (panel_w + gap);
    const raw = summary("raw", scenario);
    out.push(
      `<text x="${x0}" y="${top - 14}" font-weight="bold">${
        esc(scenario.id)
      }</text>`,
      `<text x="${x0}" y="${top - 2}" font-size="10" fill="#555">${
        esc(scenario.unit)
      }</text>`,
    );
    const one = x0 + panel_w / cap;
    servers.forEach((spec, i) => {
      const y = top + i * row_h;
      const s = summary(spec.id, scenario);
      if (!s || !raw || !(raw.value > 0)) {
        out.push(
          `<text x="${x0 + 2}" y="${y + bar_h - 3}" fill="#999">${
            unavailable.has(spec.id) ? "n/a" : "-"
          }</text>`,
        );
        return;
      }
      const r = s.value / raw.value;
      const w = Math.max(1, Math.min(r, cap) / cap * panel_w);
      out.push(
        `<rect x="${x0}" y="${y}" width="${
          w.toFixed(1)
        }" height="${bar_h}" fill="${colors[spec.group]}"/>`,
        `<text x="${(x0 + Math.min(w, panel_w - 30) + 3).toFixed(1)}" y="${
          y + bar_h - 3
        }" font-size="10">${r.toFixed(2)}${r > cap ? "+" : ""}</text>`,
      );
    });
    out.push(
      `<line x1="${one}" y1="${top - 2}" x2="${one}" y2="${
        top + servers.length * row_h
      }" stroke="#333" stroke-dasharray="3,3"/>`,
    );
  });
  const ly = height - 14;
  let lx = 10;
  for (
    const [group, text] of [
      ["ours", "pysock servers"],
      ["loop", "pysock net/mux loops"],
      ["anchor", "anchors"],
    ] as const
  ) {
    out.push(
      `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${
        colors[group]
      }"/>`,
      `<text x="${lx + 16}" y="${ly}">${text}</text>`,
    );
    lx += 30 + text.length * 7;
  }
  out.push(
    `<text x="${lx}" y="${ly}" fill="#555">bars stop at ${cap}x; medians of interleaved repeats</text>`,
  );
  out.push("</svg>");
  return out.join("\n") + "\n";
}

// ---------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const t_start = performance.now();
  // The shell's soft limit on open files must cover 1,000 idle connections
  // (plus the active ones and the runtime's own) on both sides.
  const need = 2 * IDLE + 100;
  const [soft, hard] = (await sh("ulimit -Sn; ulimit -Hn", [])).trim()
    .split(/\s+/).map((x) => x === "unlimited" ? Infinity : Number(x));
  NOFILE_WRAP = soft! < need;
  if (hard! < need) {
    console.log(
      `warning: the hard limit on open files is ${hard}; the idle scenario needs ${need} (raise it: ulimit -Hn)`,
    );
  }
  const tck = Number(await sh("getconf CLK_TCK", []));
  if (tck > 0) CLK_TCK = tck;
  const py = await version([
    "python3",
    "-c",
    "import sys; print(sys.executable)",
  ]);
  if (py.startsWith("/")) PYTHON = py; // skip pyenv's shim: a real PID
  const box = await machine();
  const versions = {
    deno: Deno.version.deno,
    node: await version(["node", "--version"]),
    python: (await version([PYTHON, "--version"])).replace(/^Python /, ""),
  };
  const load_before = loadavg();
  console.log(
    `bench: ${SERVERS.length} servers x ${SCENARIOS.length} scenarios x ${REPEATS} repeats, ${SECONDS} s each${
      SMOKE ? " (smoke)" : ""
    }; ${box.cpus} CPUs, load ${load_before}`,
  );

  // Warm-up: start every server once (compiles and caches its modules,
  // and finds the ones this tree cannot run) with one echo through it.
  // The smoke run skips it: its first scenario finds them as well.
  for (const spec of SMOKE ? [] : SERVERS) {
    let server: Started;
    try {
      server = await start(spec);
    } catch (error) {
      if (!(error instanceof Unavailable)) throw error;
      unavailable.set(spec.id, error.message);
      console.log(`  ${spec.label}: not available: ${error.message}`);
      continue;
    }
    try {
      const warm = ALL_SCENARIOS[0]!;
      await load(server.port, {
        ...warm,
        args: [
          "--mode",
          "ping",
          "--conns",
          "1",
          "--seconds",
          "0.1",
          "--warmup",
          "0",
        ],
      });
    } catch (error) {
      unavailable.set(spec.id, `echo failed: ${(error as Error).message}`);
      console.log(`  ${spec.label}: not available: echo failed`);
    } finally {
      await server.stop();
    }
  }

  const runnable = SERVERS.filter((s) => !unavailable.has(s.id));
  // Bounded by the longest the run can take; killed when it ends.
  const longest = REPEATS * runnable.length *
    SCENARIOS.reduce((sum, s) => sum + s.bound + 5, 0);
  const spinners = SPIN ? spin(longest + 60) : [];
  for (let r = 0; r < REPEATS; r++) {
    // Rotate, and reverse every other repeat, so drift hits all alike.
    const rotated = runnable.map((_, i) =>
      runnable[(i + r) % runnable.length]!
    );
    const order = r % 2 ? rotated.reverse() : rotated;
    for (const scenario of SCENARIOS) {
      const parts: string[] = [];
      for (const spec of order) {
        if (!runs_in(spec, scenario)) continue;
        await run_one(spec, scenario, r);
        const last = samples.get(key(spec.id, scenario.id))?.at(-1);
        parts.push(
          `${spec.id} ${
            last
              ? num(scenario.unit === "MB/s" ? last.mbps : last.rate)
              : "failed"
          }`,
        );
      }
      console.log(
        `repeat ${r + 1}/${REPEATS} ${scenario.id} (${scenario.unit}): ${
          parts.join(", ")
        }`,
      );
    }
  }
  await unspin(spinners);
  const load_after = loadavg();
  // No process of this run may outlive it.
  const left = await alive([...ever]);
  for (const pid of left) kill(pid);
  const leftovers = left.length === 0
    ? `No process outlived the run (${ever.size} PIDs checked in /proc).`
    : `${left.length} processes outlived the run and were killed: ${
      left.join(", ")
    }.`;
  const minutes = (performance.now() - t_start) / 60_000;

  const tables = SCENARIOS.map(scenario_table).join("\n\n");
  const goals = goal_rows();
  const notes = SERVERS.filter((s) => s.note).map((s) =>
    `- ${s.label}: ${s.note}.`
  );
  const command = SMOKE ? "deno task bench --smoke" : "deno task bench";
  const report = [
    `Measured ${
      new Date().toISOString().slice(0, 16).replace("T", " ")
    } UTC with \`${command}\`` +
    ` (${REPEATS} interleaved repeats, ${SECONDS} s per measurement after ${WARMUP} s warm-up, ${SHORT_WARMUP} s for cps and idle; ${
      minutes.toFixed(1)
    } min in all).`,
    "",
    `Machine: ${box.cpus} CPUs (${box.cpu}), ${box.memory} memory, Linux ${box.kernel}; ` +
    `Deno ${versions.deno}, Node ${versions.node}, Python ${versions.python}. ` +
    `Load average ${load_before} before the run, ${load_after} after` +
    (Number(load_before.split(" ")[0]) > 0.5
      ? ": a busy machine, other work ran beside the benchmark, so the figures are noisy."
      : "."),
    "",
    (spinners.length > 0
      ? `A nice-19 busy loop ran on each of the ${spinners.length} CPUs throughout, so idle vCPUs never halted (see above). `
      : "No busy loops kept the CPUs awake (`--no-spin` or smoke run). ") +
    "Each cell is the median over repeats; `(1.23x)` is the ratio to the raw Deno.listen loop " +
    "(throughput: higher is better; latency and memory: lower is better). " +
    "Peak RSS is the server process's VmHWM.",
    "",
    "#### Goals",
    "",
    goals.table,
    "",
    tables,
    "",
    ...(notes.length ? ["Notes:", "", ...notes, ""] : []),
    ...(failures.length
      ? ["Failures:", "", ...failures.map((f) => `- ${f}`), ""]
      : []),
    ...(orphans > 0
      ? [
        `${orphans} server child processes outlived their server and were killed.`,
        "",
      ]
      : []),
    leftovers,
  ].join("\n");
  console.log("");
  console.log(report);
  console.log(`goals met: ${goals.met} of ${goals.total} measured`);

  if (!SMOKE && !opts["no-write"]) write_results(report);
  return failures.length > 0 || left.length > 0 ? 1 : 0;
}

const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

function write_results(report: string): void {
  const md = `${ROOT}/BENCHMARKS.md`;
  const svg = `${BENCH}/chart.svg`;
  for (const path of [md, svg]) {
    if (
      Deno.permissions.querySync({ name: "write", path }).state !== "granted"
    ) {
      console.log(
        `(not writing BENCHMARKS.md and bench/chart.svg: run with --allow-write=BENCHMARKS.md,bench/chart.svg)`,
      );
      return;
    }
  }
  Deno.writeTextFileSync(svg, chart());
  let text = "";
  try {
    text = Deno.readTextFileSync(md);
  } catch {
    text = `# Benchmarks\n\n${START}\n${END}\n`;
  }
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  const block = `${START}\n${report}\n${END}`;
  text = a >= 0 && b > a
    ? text.slice(0, a) + block + text.slice(b + END.length)
    : `${text.trimEnd()}\n\n${block}\n`;
  Deno.writeTextFileSync(md, text);
  // `deno task check` runs `deno fmt --check`: leave the file formatted.
  const fmt = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", md],
    stdout: "null",
    stderr: "inherit",
  }).outputSync();
  if (!fmt.success) console.log("(deno fmt BENCHMARKS.md failed)");
  console.log("wrote BENCHMARKS.md and bench/chart.svg");
}

let code = 1;
try {
  code = await main();
} finally {
  kill_all();
  Deno.removeSignalListener("SIGINT", on_signal);
  Deno.removeSignalListener("SIGTERM", on_signal);
}
Deno.exit(code);
