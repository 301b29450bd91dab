/**
 * Byte order and address conversions against python3's `socket` module:
 * the same calls on the same inputs give the same results, and fail where
 * Python fails, with the matching error class.
 *
 * Run: deno test --sanitize-ops --sanitize-resources -A tests/interop/conversions_test.ts
 */
import assert from "node:assert/strict";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  htonl,
  htons,
  inet_aton,
  inet_ntoa,
  inet_ntop,
  inet_pton,
  ntohl,
  ntohs,
} from "../../net/mod.ts";
import { type Call, differences } from "./_py_calls.ts";

const calls = {
  htons,
  ntohs,
  htonl,
  ntohl,
  inet_aton,
  inet_ntoa,
  inet_pton,
  inet_ntop,
};

const ATON = [
  "127.0.0.1",
  "1.2.3",
  "1",
  "0x7f.1",
  "127.1",
  "256.1.1.1",
  "1.2.3.4.5",
  "",
  " 1.2.3.4",
  "1.2.3.4 ",
  "1.2.3.4 x",
  "1.2.3.4\t",
  "1.2.3.4\n",
  "255.255.255.255",
  "0377.0.0.1",
  "08.0.0.1",
  "1.2.3.256",
  "4294967295",
  "4294967296",
  "0x",
  "0x.1.2.3",
  "0xffffffff",
  "1.0xffffff",
  "1.2.0xffff",
  "1.2.65536",
  "1.16777216",
  "00000000000000000001",
  "+1",
  "1..2",
  "1.",
  "1.2.3.",
  ".1",
  "0X1F",
  "0xg",
  "99999999999999999999",
  "1.2.3.4\u00a0",
  "\u0661.2.3.4",
  "0xFFFFFFFFF",
  "0x00000000000000001",
  "1.2.3.4\u3000",
];
const PTON = [
  "127.0.0.1",
  "::1",
  "1.2.3",
  "127.1",
  "::ffff:1.2.3.4",
  "1:2:3:4:5:6:7:8",
  "1::2::3",
  "fe80::1%lo",
  "",
  "01.2.3.4",
  "::",
  "ABCD::",
  "1::",
  "::1:2:3:4:5:6:7",
  "1:2:3:4:5:6:7::",
  "1:2:3:4:5:6:7:8:9",
  "1:2:3:4:5:6:1.2.3.4",
  "1:2:3:4:5:6:7:1.2.3.4",
  "::1.2.3",
  "::01.2.3.4",
  "12345::",
  "::1.2.3.4x",
  ":1::",
  ":::",
  "1:::2",
  "::1.2.3.256",
  " ::1",
  "g::",
  "0000:0000::00001",
  "1:",
  "1::2:3:4:5:6:7:8",
  "[::1]",
  "0.0.0.0",
  "255.255.255.255",
  "1.2.3.4 ",
  "2001:db8:0:0:1:0:0:1",
];
const PACKED16 = [
  "00000000000000000000000000000000",
  "00000000000000000000000000000001",
  "00000000000000000000ffff00000000",
  "0000000000000000000000000000ffff",
  "00010000000100000000000000000000",
  "00000000000100000000000000000000",
  "00010000000000010000000000000000",
  "000000000000000000000000ffff0000",
  "0000000000000000ffff000001020304",
  "000000000000000000000000000000ff",
  "0000000000000000000000000000fffe",
  "00000000000000000000fffe01020304",
  "1234abcd00000000000000000000ffff",
  "20010db8000000000001000000000001",
  "20010db8000000010000000100000001",
  "00000000000000000000000001020304",
  "ffffffffffffffffffffffffffffffff",
  "00010002000300040005000600070008",
];

const cases: Call[] = [
  ...["htons", "ntohs"].flatMap((f): Call[] =>
    [1, 0x1234, 65535, 70000, -1, 1.5, "1", 0].map((v): Call => [f, v])
  ),
  ...["htonl", "ntohl"].flatMap((f): Call[] =>
    [1, 0x12345678, 2 ** 32 - 1, 2 ** 32, -1, 1.5, 0].map((v): Call => [f, v])
  ),
  ...ATON.map((v): Call => ["inet_aton", v]),
  ...["7f000001", "010203", "", "0102030405", "ffffffff"].map((h): Call => [
    "inet_ntoa",
    { hex: h },
  ]),
  ["inet_ntoa", "1234"],
  ...[AF_INET, AF_INET6, AF_UNIX, 99].flatMap((f) =>
    PTON.map((v): Call => ["inet_pton", f, v])
  ),
  ...[AF_INET, AF_INET6, 99].flatMap((f) =>
    ["7f000001", "010203", ...PACKED16].map((h): Call => [
      "inet_ntop",
      f,
      { hex: h },
    ])
  ),
  ["inet_ntop", AF_INET, "1234"],
];

Deno.test("the byte-order and inet_* calls give python3's results and error classes on the same inputs", async () => {
  assert.deepEqual(await differences(calls, cases), []);
});
