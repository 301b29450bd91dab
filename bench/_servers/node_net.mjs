// Anchor: Node's `net` echo, the idiomatic way (`socket.pipe(socket)`, which
// keeps backpressure). Prints the port, serves until stdin ends.
// Run: node bench/_servers/node_net.mjs
import net from "node:net";

const sockets = new Set();
const server = net.createServer((socket) => {
  sockets.add(socket);
  socket.on("error", () => {});
  socket.on("close", () => sockets.delete(socket));
  socket.pipe(socket);
});
server.listen({ host: "127.0.0.1", port: 0, backlog: 1024 }, () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.stdin.on("data", () => {});
process.stdin.on("end", () => {
  server.close();
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
