// Agents that crash right after they start are restarted with backoff.
// deno test --sanitize-ops --sanitize-resources -A tests/server/restart_test.ts
import assert from "node:assert/strict";
import { ForkingTCPServer, ThreadingTCPServer } from "../../server/mod.ts";
import { capture_errors, delay } from "./fixtures/client.ts";
import { Crashy } from "./fixtures/crashy.ts";

for (const Server of [ThreadingTCPServer, ForkingTCPServer]) {
  Deno.test(`${Server.name} restarts agents that crash at once with growing delays, each logged, until server_close()`, async () => {
    const server = new Server(["127.0.0.1", 0], Crashy);
    server.max_workers = 1;
    const serving = server.serve_forever(0.05).catch((error) => error);
    let closing = 0;
    let after = "";
    const [, log] = await capture_errors(async () => {
      await delay(3000);
      const before = performance.now();
      await server.shutdown();
      await serving;
      await server.server_close();
      closing = performance.now() - before;
      await delay(500);
    });
    const restarts = log.match(/stopped \(.*\).*starting another/g) ?? [];
    // Each restart is logged with its delay, and the delays grow.
    assert.ok(restarts.length >= 2, log);
    assert.ok(restarts.length <= 10, `${restarts.length} restarts:\n${log}`);
    const delays = [...log.matchAll(/starting another in (\d+) ms/g)].map((
      m,
    ) => Number(m[1]));
    assert.ok(delays.length >= 2, log);
    for (let i = 1; i < delays.length; i++) {
      assert.ok(delays[i]! >= delays[i - 1]!, log);
    }
    // server_close() ends a pending restart at once.
    assert.ok(closing < 1000, `server_close() took ${closing} ms`);
    after = log.slice(log.lastIndexOf("starting another"));
    assert.doesNotMatch(after.split("\n").slice(1).join("\n"), /starting/);
  });
}
