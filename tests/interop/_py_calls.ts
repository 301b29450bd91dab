// Runs the same socket-module calls here and in python3 (py/socket_calls.py)
// and lists where results or error classes differ.
import { OSError } from "../../net/mod.ts";
import { py } from "./_py_run.ts";

/** An argument: bytes go as `{hex}`, arrays become Python tuples. */
export type Arg = number | string | null | { hex: string } | Arg[];
/** A call: the function's name, then its arguments. */
export type Call = [name: string, ...args: Arg[]];

type Result = { ok: unknown } | {
  error: string;
  errno?: number | null;
  text: string;
};

// Python's classes for each of ours; the OSError family keeps its names.
const PY_CLASS: Record<string, string[]> = {
  RangeError: ["OverflowError", "ValueError"],
  TypeError: ["TypeError"],
};

const hex = (text: string): Uint8Array =>
  new Uint8Array((text.match(/../g) ?? []).map((b) => parseInt(b, 16)));

function to_js(arg: Arg): unknown {
  if (Array.isArray(arg)) return arg.map(to_js);
  if (arg !== null && typeof arg === "object") return hex(arg.hex);
  return arg;
}

async function ours(
  fns: Record<string, unknown>,
  [name, ...args]: Call,
): Promise<[Result, unknown]> {
  try {
    const fn = fns[name] as (...a: unknown[]) => unknown;
    const result = await fn(...args.map(to_js));
    return [{
      ok: result instanceof Uint8Array
        ? Array.from(result, (b) => b.toString(16).padStart(2, "0")).join("")
        : result,
    }, undefined];
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    return [{ error: err.name, text: err.message }, err];
  }
}

function same(a: Result, b: Result, err?: unknown): boolean {
  if ("ok" in b) {
    return "ok" in a && JSON.stringify(a.ok) === JSON.stringify(b.ok);
  }
  if (!("error" in a)) return false;
  if (PY_CLASS[a.error] !== undefined) {
    return PY_CLASS[a.error]!.includes(b.error);
  }
  if (a.error !== b.error) return false;
  // Python's OSError without an errno prints its text alone; ours carries
  // an errno, so its strerror is what Python printed.
  return b.errno === null && err instanceof OSError
    ? err.strerror === b.text
    : a.text === b.text;
}

/**
 * The calls whose results differ between `fns` and python3's `socket`
 * module, each as a line naming both results; empty when all agree.
 */
export async function differences(
  fns: Record<string, unknown>,
  calls: Call[],
): Promise<string[]> {
  const theirs = (await py("socket_calls.py", JSON.stringify(calls)))
    .trimEnd().split("\n").map((line) => JSON.parse(line) as Result);
  if (theirs.length !== calls.length) {
    return [`python3 answered ${theirs.length} of ${calls.length} calls`];
  }
  const out: string[] = [];
  for (const [i, call] of calls.entries()) {
    const [a, error] = await ours(fns, call);
    if (!same(a, theirs[i]!, error)) {
      out.push(
        `${JSON.stringify(call)}: ours ${JSON.stringify(a)}, python3 ${
          JSON.stringify(theirs[i])
        }`,
      );
    }
  }
  return out;
}
