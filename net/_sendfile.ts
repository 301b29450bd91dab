// Socket.sendfile(): Deno has no sendfile(2), so the file is read in chunks
// and each chunk sent with sendall().
import { _check_size } from "./_checks.ts";
import { READ_CHUNK } from "./_receive.ts";

/** What sendfile() reads: an open file, or anything that reads into a buffer. */
export interface _ReadableFile {
  read(p: Uint8Array): Promise<number | null>;
  seek?(offset: number, whence: Deno.SeekMode): Promise<number>;
}

/** Sends `count` bytes (all when undefined) of `file` from `offset`. */
export async function _sendfile(
  sock: { sendall(data: Uint8Array): Promise<void> },
  file: _ReadableFile,
  offset: number,
  count: number | undefined,
): Promise<number> {
  _check_size(offset, "offset", "send file");
  if (count !== undefined) _check_size(count, "count", "send file");
  if (offset > 0) {
    if (!file.seek) {
      throw new TypeError(
        "Cannot send file: an offset needs a seekable file",
      );
    }
    await file.seek(offset, Deno.SeekMode.Start);
  }
  const buf = new Uint8Array(READ_CHUNK);
  let total = 0;
  while (count === undefined || total < count) {
    const want = count === undefined
      ? buf.length
      : Math.min(buf.length, count - total);
    const n = await file.read(buf.subarray(0, want));
    if (n === null || n === 0) break;
    await sock.sendall(buf.subarray(0, n));
    total += n;
  }
  return total;
}
