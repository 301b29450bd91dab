// The tour: `deno task demo`, or
//   deno run --allow-net=127.0.0.1 examples/demo.ts
// Starts an echo server on a free loopback port with Python's socket calls,
// talks to it, and prints each step.
import {
  AF_INET,
  create_connection,
  SOCK_STREAM,
  type Socket,
  socket,
} from "../net/mod.ts";

const text = new TextDecoder();

async function echo_once(server: Socket): Promise<void> {
  const [conn, addr] = await server.accept();
  await using _conn = conn;
  console.log(`  server: accepted a connection from ${JSON.stringify(addr)}`);
  for (;;) {
    const data = await conn.recv(1024);
    if (data.length === 0) break; // the client closed its side
    console.log(`  server: echoing ${JSON.stringify(text.decode(data))}`);
    await conn.sendall(data);
  }
}

console.log("1. A TCP echo server, written as in Python:");
await using server = socket(AF_INET, SOCK_STREAM);
server.bind(["127.0.0.1", 0]);
server.listen(5);
const address = server.getsockname() as [string, number];
console.log(`  server: listening on ${JSON.stringify(address)}`);
const serving = echo_once(server);

await using client = await create_connection(address, 5);
for (const line of ["hello", "你好, socket"]) {
  await client.sendall(line);
  const reply = text.decode(await client.recv(1024));
  console.log(
    `  client: sent ${JSON.stringify(line)}, got ${JSON.stringify(reply)}`,
  );
  if (reply !== line) throw new Error(`Echo failed: ${reply}`);
}
await client.close();
await serving;
console.log("Done: every byte came back.");
