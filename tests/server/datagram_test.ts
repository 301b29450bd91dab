// UDPServer and UnixDatagramServer run the whole behaviour suite.
import { UDPServer, UnixDatagramServer } from "../../server/mod.ts";
import { server_suite } from "./_suite.ts";

server_suite({
  Server: UDPServer,
  family: "inet",
  type: "dgram",
  concurrent: false,
});
server_suite({
  Server: UnixDatagramServer,
  family: "unix",
  type: "dgram",
  concurrent: false,
});
