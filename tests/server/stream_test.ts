// TCPServer and UnixStreamServer run the whole behaviour suite.
import { TCPServer, UnixStreamServer } from "../../server/mod.ts";
import { server_suite } from "./_suite.ts";

server_suite({
  Server: TCPServer,
  family: "inet",
  type: "stream",
  concurrent: false,
});
server_suite({
  Server: UnixStreamServer,
  family: "unix",
  type: "stream",
  concurrent: false,
});
