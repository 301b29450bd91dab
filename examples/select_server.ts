// deno run --allow-net=127.0.0.1:10000 examples/select_server.ts
// Ports the tutorials' select echo server on port 10000, the same design as
// their "read | write separation" server on 6666: one select() over an
// `inputs` list (the listener and every client) and an `outputs` list (the
// clients with replies waiting), with one message queue per client.
//
// Flags: --host/--port (the tutorial's ('localhost', 10000)), --count N (stop
// accepting after N clients; `while inputs` then ends once they have left;
// 0, the default, serves until SIGINT or SIGTERM). Like `print >>sys.stderr`
// in the tutorial, the log goes to stderr.
//
// Where it differs from the Python 2 original, and why:
// - the log names each client by the address it was accepted from (the
//   tutorial prints the last accepted `client_address` when any client
//   leaves, and has a typo, `s,getpeername()`, in its "queue empty" line);
// - a send may be partial: the unsent tail goes back to the front of the
//   queue, so no byte is lost (the tutorial drops it);
// - a client that resets its connection is closed like one that said
//   goodbye (the tutorial's recv() would raise and end the server).
import { parseArgs } from "node:util";
import { select } from "../mux/mod.ts";
import {
  type Address,
  AF_INET,
  ConnectionError,
  format_address,
  SOCK_STREAM,
  type Socket,
  socket,
} from "../net/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "10000" },
    count: { type: "string", default: "0" },
  },
});
const port = number_flag("port", flags.port, "port");
const count = number_flag("count", flags.count, "count");
const print = console.error; // print >>sys.stderr, ...

// Create a TCP/IP socket, non-blocking.
const server = socket(AF_INET, SOCK_STREAM);
server.setblocking(false);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  print("stopping");
  // A closed listener makes the waiting select() return.
  void server.close();
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

// Bind the socket to the port.
const server_address: [string, number] = [flags.host, port];
server.bind(server_address);
const [bound_host, bound_port] = server.getsockname() as [string, number];
print(`starting up on ${bound_host} port ${bound_port}`);

// Listen for incoming connections; at most 5 wait to be accepted.
server.listen(5);

// Sockets from which we expect to read: the listener first.
const inputs: Socket[] = [server];
// Sockets to which we expect to write: none yet.
const outputs: Socket[] = [];
// Outgoing message queues (socket -> queue of data).
const message_queues = new Map<Socket, Uint8Array[]>();
// Each client's address, to name it even after it has gone.
const client_addresses = new Map<Socket, Address>();

let accepted = 0;

function remove(list: Socket[], s: Socket): void {
  const at = list.indexOf(s);
  if (at >= 0) list.splice(at, 1);
}

async function close_client(s: Socket): Promise<void> {
  print("closing", format_address(client_addresses.get(s)!));
  // Stop listening for input on the connection.
  remove(outputs, s);
  remove(inputs, s);
  await s.close();
  // Remove the message queue.
  message_queues.delete(s);
  client_addresses.delete(s);
}

while (inputs.length > 0 && !stopping) {
  print("waiting for the next event");
  const [readable, writable, exceptional] = await select(
    inputs,
    outputs,
    inputs,
  );
  if (stopping) break;

  // Handle inputs.
  for (const s of readable) {
    if (s === server) {
      // A readable listener has a connection waiting.
      const [connection, client_address] = await s.accept();
      print("connection from", format_address(client_address));
      connection.setblocking(false);
      inputs.push(connection);
      // Give the connection a queue for the data we want to send.
      message_queues.set(connection, []);
      client_addresses.set(connection, client_address);
      if (++accepted === count) {
        // --count: no more clients; `while inputs` ends once these leave.
        remove(inputs, server);
        await server.close();
      }
    } else {
      let data: Uint8Array;
      try {
        data = await s.recv(1024);
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err;
        data = new Uint8Array(0); // reset by the client: treat as gone
      }
      if (data.length > 0) {
        // A readable client socket has data.
        print(
          `received "${printable(data)}" from ${
            format_address(client_addresses.get(s)!)
          }`,
        );
        message_queues.get(s)!.push(data);
        // Add the output channel for the response.
        if (!outputs.includes(s)) {
          outputs.push(s);
        }
      } else {
        // Readable with no data: the client closed its connection.
        await close_client(s);
      }
    }
  }

  // Handle outputs.
  for (const s of writable) {
    const queue = message_queues.get(s);
    if (queue === undefined) continue; // closed above in this round
    const next_msg = queue.shift(); // Queue.get_nowait()
    if (next_msg === undefined) {
      // No messages waiting: stop checking for writability.
      print("  ", format_address(client_addresses.get(s)!), "queue empty");
      remove(outputs, s);
    } else {
      print(
        `sending "${printable(next_msg)}" to ${
          format_address(client_addresses.get(s)!)
        }`,
      );
      let sent = 0;
      try {
        sent = await s.send(next_msg);
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err;
        await close_client(s);
        continue;
      }
      // send() may take only part: keep the rest for the next round.
      if (sent < next_msg.length) queue.unshift(next_msg.subarray(sent));
    }
  }

  // Handle "exceptional conditions" (Linux reports none for TCP sockets
  // without urgent data, and neither do we: a reset shows as readable).
  for (const s of exceptional) {
    if (!client_addresses.has(s)) continue;
    print("exception condition on", format_address(client_addresses.get(s)!));
    await close_client(s);
  }
}

// Stopped by a signal: close whatever is still open.
for (const s of [...inputs]) {
  if (s === server) await server.close();
  else await close_client(s);
}
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);
print("server stopped");
