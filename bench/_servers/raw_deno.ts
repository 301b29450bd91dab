/**
 * Anchor: the runtime's limit. One task per connection, `read()` into a
 * 64 KiB buffer and `write()` it back, straight on `Deno.Conn`.
 *
 * Protocol of every launcher in this folder: print the port on the first
 * line of stdout, serve until stdin ends, then exit.
 *
 * Run: deno run --allow-net=127.0.0.1 bench/_servers/raw_deno.ts
 *
 * @module
 */
import { serve_raw_echo } from "./_raw_echo.ts";

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
await serve_raw_echo(listener);
