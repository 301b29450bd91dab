import assert from "node:assert/strict";
import { htonl, htons, ntohl, ntohs } from "../../net/mod.ts";

Deno.test("htons() and ntohs() swap the two bytes and undo each other", () => {
  assert.equal(htons(0x1234), 0x3412);
  assert.equal(ntohs(0x3412), 0x1234);
  for (const x of [0, 1, 255, 256, 8080, 65535]) {
    assert.equal(ntohs(htons(x)), x);
  }
});

Deno.test("htonl() and ntohl() swap the four bytes and stay unsigned", () => {
  assert.equal(htonl(0x12345678), 0x78563412);
  assert.equal(htonl(0xff), 0xff000000);
  assert.equal(ntohl(0xff000000), 0xff);
  for (const x of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) {
    assert.equal(ntohl(htonl(x)), x);
  }
});

Deno.test("htons() throws RangeError naming a value outside 0-65535, as Python's OverflowError", () => {
  assert.throws(() => htons(70000), {
    name: "RangeError",
    message:
      "Cannot convert to network byte order: x must be 0-65535, received 70000",
  });
  assert.throws(() => ntohs(-1), {
    name: "RangeError",
    message:
      "Cannot convert to host byte order: x must be 0-65535, received -1",
  });
  assert.throws(() => htonl(2 ** 32), RangeError);
});

Deno.test("htonl() throws TypeError naming a value that is no integer", () => {
  assert.throws(() => htonl(1.5), {
    name: "TypeError",
    message:
      "Cannot convert to network byte order: x must be an integer, received 1.5",
  });
  assert.throws(() => ntohs("1" as unknown as number), {
    name: "TypeError",
    message:
      'Cannot convert to host byte order: x must be an integer, received "1"',
  });
});
