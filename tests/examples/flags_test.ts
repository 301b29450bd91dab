/**
 * Tests of examples/_flags.ts, the one check the examples give their
 * numeric flags: a bad value ends the example with exit code 2 and a line
 * naming the flag, before it opens a socket.
 */
import assert from "node:assert/strict";
import { run_example } from "./_run.ts";

const CASES: [string, string[], RegExp][] = [
  [
    "examples/echo_server.ts",
    ["--port", "70000"],
    /--port must be a port number, received "70000"/,
  ],
  [
    "examples/echo_server.ts",
    ["--count=-1"],
    /--count must be a whole number, 0 or more, received "-1"/,
  ],
  [
    "examples/http_hello.ts",
    ["--timeout", "soon"],
    /--timeout must be seconds, 0 or more, received "soon"/,
  ],
  [
    "examples/chat_room.ts",
    ["--max-members", "0"],
    /--max-members must be a whole number above 0, received "0"/,
  ],
  [
    "examples/upload_server.ts",
    ["--max-size", "1.5"],
    /--max-size must be a byte count, received "1\.5"/,
  ],
  [
    "examples/select_echo_client.ts",
    ["--port", ""],
    /--port must be a port number, received ""/,
  ],
  [
    "examples/thread_per_client.ts",
    ["--workers", "0"],
    /--workers must be a whole number above 0, received "0"/,
  ],
];

for (const [example, args, message] of CASES) {
  Deno.test(`${example} ${args.join(" ")} is a usage error, exit code 2`, async () => {
    await using child = run_example(example, {}, args);
    const status = await child.status();
    assert.equal(status.code, 2, child.report());
    assert.match(child.stderr, message);
    assert.equal(child.stdout, ""); // nothing started
  });
}
