// Turning select()'s and the selectors' arguments into file numbers, with the
// messages CPython gives.
import { EBADF, lookup_fileno, OSError, type ReadinessSource } from "./_net.ts";

/**
 * The file number of an integer or of an object with `fileno()`, checked as
 * CPython's `PyObject_AsFileDescriptor` checks it.
 */
export function fileobj_to_fd(fileobj: unknown): number {
  let fd: unknown;
  if (typeof fileobj === "number") {
    fd = fileobj;
  } else if (
    typeof fileobj === "object" && fileobj !== null &&
    typeof (fileobj as { fileno?: unknown }).fileno === "function"
  ) {
    fd = (fileobj as { fileno(): unknown }).fileno();
    if (!Number.isInteger(fd)) {
      throw new TypeError(
        `fileno() returned a non-integer, received ${show(fd)}`,
      );
    }
  } else {
    throw new TypeError(
      `argument must be an int, or have a fileno() method, received ${
        show(fileobj)
      }`,
    );
  }
  if (!Number.isInteger(fd)) {
    throw new TypeError(
      `argument must be an int, or have a fileno() method, received ${
        show(fd)
      }`,
    );
  }
  const n = fd as number;
  if (n < 0) {
    throw new RangeError(
      `file descriptor cannot be a negative integer (${n})`,
    );
  }
  return n;
}

/** The readiness source open at `fd`; OSError EBADF when nothing holds it. */
export function source_of(fd: number): ReadinessSource {
  const source = lookup_fileno(fd);
  if (source === undefined) throw new OSError(EBADF);
  return source;
}

/** A short text for an object in a message, as Python's repr(). */
export function show(value: unknown, fd?: number): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value !== "object" || value === null) return String(value);
  const own = (value as { toString?: unknown }).toString;
  if (typeof own === "function" && own !== Object.prototype.toString) {
    return String(value);
  }
  const name = (value as { constructor?: { name?: string } }).constructor
    ?.name ?? "Object";
  return fd === undefined ? `<${name}>` : `<${name} fd=${fd}>`;
}
