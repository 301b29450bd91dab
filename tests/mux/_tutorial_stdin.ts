// The tutorials' "select on stdin" program (004), ported line by line:
//
//   while True:
//       readable, writeable, errable = select.select([sys.stdin,], [], [], 5)
//       print readable
//       print type(readable)
//       if sys.stdin in readable:
//           print "you input: ", sys.stdin.readline()
//
// Run: deno run tests/mux/_tutorial_stdin.ts [--timeout 5] [--rounds 100]
// Bounded: it stops at the end of input or after --rounds rounds.
import { parseArgs } from "node:util";
import { select, stdin } from "../../mux/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    timeout: { type: "string", default: "5" },
    rounds: { type: "string", default: "100" },
  },
});
const timeout = Number(values.timeout);

for (let round = 0; round < Number(values.rounds); round++) {
  const [readable, _writeable, _errable] = await select(
    [stdin],
    [],
    [],
    timeout,
  );
  console.log(readable.map(() => "<stdin>"));
  console.log(Array.isArray(readable) ? "<class 'list'>" : typeof readable);
  if (readable.includes(stdin)) {
    const line = await stdin.readline();
    if (line === "") break; // end of input; Python's loop would spin here
    console.log("you input: ", line.trimEnd());
  }
}
stdin.close();
