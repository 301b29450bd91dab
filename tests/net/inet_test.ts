import assert from "node:assert/strict";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  inet_aton,
  inet_ntoa,
  inet_ntop,
  inet_pton,
  OSError,
} from "../../net/mod.ts";

Deno.test("inet_aton() and inet_ntoa() convert between dotted text and 4 bytes", () => {
  assert.deepEqual(inet_aton("192.168.0.1"), new Uint8Array([192, 168, 0, 1]));
  assert.deepEqual(inet_aton("10.1"), new Uint8Array([10, 0, 0, 1]));
  assert.equal(inet_ntoa(inet_aton("0x7f.0.0.01")), "127.0.0.1");
  assert.equal(inet_ntoa(new Uint8Array([1, 2, 3, 4]).buffer), "1.2.3.4");
});

Deno.test("inet_aton() throws OSError with Python's text for an illegal address", () => {
  for (const bad of ["256.1.1.1", "", "1.2.3.4.5", "x"]) {
    assert.throws(() => inet_aton(bad), (err: unknown) => {
      assert.ok(err instanceof OSError);
      assert.equal(err.errno, 22);
      assert.equal(
        err.strerror,
        "illegal IP address string passed to inet_aton",
      );
      return true;
    });
  }
});

Deno.test("inet_aton() throws TypeError for bytes and RangeError for a NUL", () => {
  assert.throws(
    () => inet_aton(new Uint8Array(4) as unknown as string),
    TypeError,
  );
  assert.throws(() => inet_aton("1.2.3.4\0"), RangeError);
});

Deno.test("inet_ntoa() throws OSError for a length other than 4", () => {
  assert.throws(() => inet_ntoa(new Uint8Array(3)), {
    name: "OSError",
    message: "[Errno 22] packed IP wrong length for inet_ntoa",
  });
});

Deno.test("inet_pton() and inet_ntop() round-trip IPv4 and IPv6", () => {
  assert.deepEqual(
    inet_pton(AF_INET, "127.0.0.1"),
    new Uint8Array([127, 0, 0, 1]),
  );
  assert.equal(inet_ntop(AF_INET, inet_pton(AF_INET, "8.8.4.4")), "8.8.4.4");
  for (
    const [text, shortest] of [
      ["::1", "::1"],
      ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
      ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
      ["fe80::", "fe80::"],
      ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ]
  ) {
    assert.equal(inet_ntop(AF_INET6, inet_pton(AF_INET6, text!)), shortest);
  }
});

Deno.test("inet_pton() refuses what inet_aton() takes, and another family with EAFNOSUPPORT", () => {
  assert.throws(() => inet_pton(AF_INET, "127.1"), {
    name: "OSError",
    message: "[Errno 22] illegal IP address string passed to inet_pton",
  });
  assert.throws(() => inet_pton(AF_INET6, "fe80::1%lo"), OSError);
  assert.throws(() => inet_pton(AF_UNIX, "::1"), {
    name: "OSError",
    message: "[Errno 97] Address family not supported by protocol",
  });
});

Deno.test("inet_ntop() throws RangeError for a length that does not fit the family", () => {
  assert.throws(() => inet_ntop(AF_INET6, new Uint8Array(4)), {
    name: "RangeError",
    message:
      /invalid length of packed IP address string, received 4 bytes for AF_INET6$/,
  });
  assert.throws(() => inet_ntop(99, new Uint8Array(4)), {
    name: "RangeError",
    message: /unknown address family 99$/,
  });
  assert.throws(
    () => inet_ntop(AF_INET, "1234" as unknown as Uint8Array),
    TypeError,
  );
});
