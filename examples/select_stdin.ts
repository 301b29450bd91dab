// deno run examples/select_stdin.ts
// Ports the tutorials' "select on stdin" warm-up (another tutorial has the
// same loop with a 1-second timeout): select() waits up to 5 seconds for
// input; it returns an empty list when the time is up, [stdin] when a line is
// waiting, which readline() then reads. It needs no permission at all.
//
// Flags: --timeout SECS (the tutorial's 5). Type lines, or pipe them in; it
// ends at the end of input (Ctrl-D), where the Python loop would spin.
import { parseArgs } from "node:util";
import { select, stdin } from "../mux/mod.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: { timeout: { type: "string", default: "5" } },
});
const timeout = number_flag("timeout", flags.timeout, "seconds");

for (;;) {
  // readable,writeable,errable = select.select([sys.stdin,],[],[],5)
  const [readable, _writeable, _errable] = await select(
    [stdin],
    [],
    [],
    timeout,
  );
  // print readable; print type(readable)
  console.log(readable.length > 0 ? "[<stdin>]" : "[]");
  console.log(readable.constructor.name);
  if (readable.includes(stdin)) {
    const line = await stdin.readline();
    if (line === "") break; // end of input
    // print "you input: ",sys.stdin.readline()  (the line keeps its "\n")
    console.log("you input: ", line);
  }
}
stdin.close();
