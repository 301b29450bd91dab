// deno run --allow-net --unstable-net examples/nc.ts
// A small nc (netcat), after the tutorials' lesson on using nc: connect to a
// TCP or UDP port, or listen on one (-l), and copy standard input to the
// socket and the socket to standard output. It shows a full-duplex socket,
// shutdown(SHUT_WR) and recvfrom()/sendto().
//
//   nc.ts [-l] [-u] [-v] [-w secs] host port     (-l: host may be omitted)
//   deno run --allow-net --unstable-net examples/nc.ts 127.0.0.1 8080
//   deno run --allow-net --unstable-net examples/nc.ts -l 8080
//   deno run --allow-net --unstable-net examples/nc.ts -u 127.0.0.1 8080
//   deno run --allow-net --unstable-net examples/nc.ts -ul 8080
//
// Like nc, it talks to whatever host and port it is given, so the grant is a
// plain --allow-net (narrow it yourself: --allow-net=127.0.0.1 for loopback);
// --unstable-net is for UDP. Unlike Debian's nc, -l without a host listens
// on 127.0.0.1, not on every interface: give 0.0.0.0 to be reachable.
//
// TCP: at end of input it half-closes (shutdown(SHUT_WR)), so the peer sees
// EOF and can still answer; it exits once the peer has closed its side too
// (with input still open, at the end of input or when a send fails).
// -l accepts one client and serves it the same way.
// UDP: each read from standard input (a line, when typing) is one datagram.
// With -l the first sender becomes the peer, as with netcat: it alone is
// heard and answered, others are ignored (input typed before anyone wrote
// is held until then); it runs until -w idles out or SIGINT/SIGTERM. Without
// -l it exits at end of input, or with -w waits for replies until idle.
// -v reports to stderr; -w SECS bounds the wait for a peer (connect or
// accept) and the time without traffic in either direction.
import { parseArgs } from "node:util";
import {
  type Address,
  AF_INET,
  create_connection,
  OSError,
  SHUT_WR,
  SO_REUSEADDR,
  SOCK_DGRAM,
  SOCK_STREAM,
  type Socket,
  socket,
  SOL_SOCKET,
  TimeoutError,
} from "../net/mod.ts";

const USAGE = "usage: nc.ts [-l] [-u] [-v] [-w secs] host port";
/** Bytes per read: a whole datagram fits. */
const BUFSIZE = 64 * 1024;
/** The largest UDP payload over IPv4: input is read in pieces this size. */
const MAX_DATAGRAM = 65507;

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    listen: { type: "boolean", short: "l", default: false },
    udp: { type: "boolean", short: "u", default: false },
    verbose: { type: "boolean", short: "v", default: false },
    wait: { type: "string", short: "w" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (flags.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const wait = flags.wait === undefined ? undefined : Number(flags.wait);
if (wait !== undefined && !(wait > 0)) {
  console.error(`nc: -w must be a positive number, received ${flags.wait}`);
  Deno.exit(2);
}
if (positionals.length === 1 && flags.listen) positionals.unshift("127.0.0.1");
if (positionals.length !== 2) {
  console.error(USAGE);
  Deno.exit(2);
}
const host = positionals[0]!;
const port = Number(positionals[1]);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`nc: port must be 0-65535, received ${positionals[1]}`);
  Deno.exit(2);
}
const proto = flags.udp ? "udp" : "tcp";

function log(message: string): void {
  if (flags.verbose) console.error(`nc: ${message}`);
}

/** Writes all of `data` to standard output. */
async function write_out(data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.length) {
    done += await Deno.stdout.write(data.subarray(done));
  }
}

// How the program ends: the first call to finish() decides the exit code.
const ended = Promise.withResolvers<number>();
let ending = false;
function finish(code: number): void {
  ending = true;
  ended.resolve(code);
}
/** Reports a failure and ends, unless we are closing anyway. */
function fail(err: unknown): void {
  if (ending) return; // closing the socket ends a pending recv
  console.error(`nc: ${err instanceof Error ? err.message : String(err)}`);
  finish(1);
}

// -w: a timer re-armed by traffic in either direction.
let idle_timer: ReturnType<typeof setTimeout> | undefined;
function touch(): void {
  if (wait === undefined) return;
  clearTimeout(idle_timer);
  idle_timer = setTimeout(() => {
    log(`no traffic for ${wait} s, closing`);
    finish(0);
  }, wait * 1000);
}

const stop = () => {
  log("signal received, closing");
  finish(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

/** Standard input to a stream socket; half-closes at end of input. */
async function stdin_to_stream(sock: Socket): Promise<void> {
  const buf = new Uint8Array(BUFSIZE);
  for (;;) {
    const n = await Deno.stdin.read(buf);
    if (n === null) break;
    touch();
    await sock.sendall(buf.subarray(0, n));
  }
  log("end of input: shutdown(SHUT_WR)");
  await sock.shutdown(SHUT_WR);
}

/** A stream socket to standard output, until the peer closes. */
async function stream_to_stdout(sock: Socket): Promise<void> {
  for (;;) {
    const data = await sock.recv(BUFSIZE);
    if (data.length === 0) break; // the peer closed its side
    touch();
    await write_out(data);
  }
  log("the peer closed the connection");
}

/**
 * Both directions of a TCP connection. Ends once both are done: the peer has
 * closed its side, and our input has ended (or a send failed because the
 * peer is gone), so neither direction loses bytes.
 */
function serve_stream(sock: Socket): void {
  touch();
  const sending = stdin_to_stream(sock).catch((err) => {
    log(`cannot send: ${(err as Error).message}`);
  });
  stream_to_stdout(sock).then(() => sending.then(() => finish(0)), fail);
}

async function tcp_connect(): Promise<Socket> {
  // create_connection() with -w bounds the connect; blocking afterwards.
  const sock = await create_connection([host, port], wait ?? null);
  sock.settimeout(null);
  log(`Connection to ${host} ${port} port [tcp/*] succeeded!`);
  return sock;
}

async function tcp_listen(): Promise<Socket> {
  await using s = socket(AF_INET, SOCK_STREAM);
  s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  s.bind([host, port]);
  s.listen(1);
  const [bound_host, bound_port] = s.getsockname() as [string, number];
  log(`Listening on ${bound_host} ${bound_port}`);
  if (wait !== undefined) s.settimeout(wait);
  const [conn, addr] = await s.accept(); // one client; s closes on return
  conn.settimeout(null);
  const [peer_host, peer_port] = addr as [string, number];
  log(`Connection received on ${peer_host} ${peer_port}`);
  return conn;
}

/** UDP to a fixed peer: connect() sets it and filters what comes back. */
async function udp_connect(): Promise<Socket> {
  const sock = socket(AF_INET, SOCK_DGRAM);
  await sock.connect([host, port]);
  log(`Sending datagrams to ${host} ${port} (udp)`);
  touch();
  (async () => {
    const buf = new Uint8Array(MAX_DATAGRAM);
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      touch();
      await sock.send(buf.subarray(0, n)); // one read, one datagram
    }
    if (wait === undefined) {
      log("end of input");
      finish(0);
    } else {
      log(`end of input: waiting for replies until ${wait} s idle`);
    }
  })().catch(fail);
  (async () => {
    for (;;) {
      const data = await sock.recv(BUFSIZE);
      touch();
      await write_out(data);
    }
  })().catch(fail);
  return sock;
}

/**
 * UDP server: the first sender becomes the peer, as with netcat (which
 * connect()s to it): its datagrams are printed and input goes to it; any
 * other sender is ignored, so nobody can take the conversation over.
 */
function udp_listen(): Socket {
  const sock = socket(AF_INET, SOCK_DGRAM);
  sock.bind([host, port]);
  const [bound_host, bound_port] = sock.getsockname() as [string, number];
  log(`Listening on ${bound_host} ${bound_port} (udp)`);
  let peer: Address | undefined;
  let held: Uint8Array[] = [];
  touch();
  (async () => {
    for (;;) {
      const [data, from] = await sock.recvfrom(BUFSIZE);
      const addr = from as Address; // never null on AF_INET
      const [from_host, from_port] = addr as [string, number];
      if (peer === undefined) {
        peer = addr;
        log(`Connection received on ${from_host} ${from_port}`);
      } else if (String(addr) !== String(peer)) {
        log(`Ignored a datagram from ${from_host} ${from_port}`);
        continue;
      }
      touch();
      await write_out(data);
      for (const chunk of held) await sock.sendto(chunk, addr);
      held = [];
    }
  })().catch(fail);
  (async () => {
    const buf = new Uint8Array(MAX_DATAGRAM);
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      touch();
      if (peer === undefined) held.push(buf.slice(0, n));
      else await sock.sendto(buf.subarray(0, n), peer);
    }
    log("end of input");
  })().catch(fail);
  return sock;
}

let sock: Socket | undefined;
// Set up in the background: a signal must end a wait for a peer too.
(async () => {
  if (flags.udp) {
    sock = flags.listen ? udp_listen() : await udp_connect();
  } else {
    sock = flags.listen ? await tcp_listen() : await tcp_connect();
    serve_stream(sock);
  }
})().catch((err) => {
  if (ending) return;
  const what = flags.listen
    ? `cannot listen on ${host} ${port} (${proto})`
    : `connect to ${host} port ${port} (${proto}) failed`;
  if (err instanceof TimeoutError) {
    console.error(`nc: ${what}: no peer within ${wait} s`);
  } else if (err instanceof OSError) {
    console.error(`nc: ${what}: ${err.strerror}`);
  } else {
    console.error(`nc: ${what}: ${(err as Error).message}`);
  }
  finish(1);
});

const code = await ended.promise;
clearTimeout(idle_timer);
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);
await sock?.close();
// A read of standard input may still be pending; it would keep us alive.
Deno.exit(code);
