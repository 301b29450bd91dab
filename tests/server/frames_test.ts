// A forked child whose frame stream to the parent breaks is replaced.
// deno test --sanitize-ops --sanitize-resources -A tests/server/frames_test.ts
import assert from "node:assert/strict";
import { ForkingTCPServer } from "../../server/mod.ts";
import {
  alive,
  capture_errors,
  eventually,
  LineClient,
} from "./fixtures/client.ts";
import { Command } from "./fixtures/handlers.ts";

for (
  const [what, command, reason] of [
    ["writes to Deno.stdout", "stdout", /Cannot receive message/],
    ["sends a frame of an unknown kind", "frame", /unknown kind "nonsense"/],
  ] as const
) {
  Deno.test(`ForkingTCPServer kills and replaces a child whose handler ${what}, closing its client`, async () => {
    await using server = new ForkingTCPServer(["127.0.0.1", 0], Command);
    server.max_workers = 1;
    const serving = server.serve_forever(0.05);
    const [, log] = await capture_errors(async () => {
      const a = await LineClient.open(server.server_address);
      const victim = Number(await a.ask("pid"));
      assert.equal(await a.ask(command), "");
      await a.close();
      assert.ok(
        await eventually(() =>
          server.active_children.length === 1 &&
          !server.active_children.includes(victim)
        ),
      );
      assert.ok(await eventually(() => !alive(victim)), `${victim} lives`);
      await using b = await LineClient.open(server.server_address);
      assert.equal(await b.ask("after"), "after");
    });
    assert.match(
      log,
      /ForkingTCPServer: child \d+ stopped \(its frame stream broke: .*\); .*starting another/,
    );
    assert.match(log, reason);
    await server.shutdown();
    await serving;
  });
}
