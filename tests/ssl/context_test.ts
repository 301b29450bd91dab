/**
 * SSLContext and create_default_context(): Python's defaults, its
 * ValueErrors (RangeError here), and loading certificates.
 *
 * Run: deno test --sanitize-ops --sanitize-resources -A tests/ssl/context_test.ts
 */
import assert from "node:assert/strict";
import { FileNotFoundError, OSError } from "../../net/mod.ts";
import {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  create_default_context,
  PROTOCOL_TLS,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  Purpose,
  SSLContext,
  SSLError,
  TLSVersion,
} from "../../ssl/mod.ts";
import { fixture } from "./_helpers.ts";

Deno.test("SSLContext() has Python's defaults for each protocol", () => {
  const client = new SSLContext(PROTOCOL_TLS_CLIENT);
  assert.equal(client.check_hostname, true);
  assert.equal(client.verify_mode, CERT_REQUIRED);
  assert.equal(client.minimum_version, TLSVersion.TLSv1_2);
  assert.equal(client.maximum_version, TLSVersion.MAXIMUM_SUPPORTED);
  for (const protocol of [PROTOCOL_TLS_SERVER, PROTOCOL_TLS]) {
    const ctx = new SSLContext(protocol);
    assert.equal(ctx.check_hostname, false);
    assert.equal(ctx.verify_mode, CERT_NONE);
    assert.equal(ctx.protocol, protocol);
  }
  assert.equal(new SSLContext().protocol, PROTOCOL_TLS);
});

Deno.test("SSLContext() rejects an unknown protocol with a RangeError", () => {
  assert.throws(() => new SSLContext(3), /received 3/);
});

Deno.test("create_default_context() makes a client or a server context by purpose", () => {
  const client = create_default_context();
  assert.equal(client.protocol, PROTOCOL_TLS_CLIENT);
  assert.equal(client.verify_mode, CERT_REQUIRED);
  const server = create_default_context(Purpose.CLIENT_AUTH);
  assert.equal(server.protocol, PROTOCOL_TLS_SERVER);
  assert.equal(server.check_hostname, false);
  assert.throws(
    () => create_default_context("1.2.3" as typeof Purpose.SERVER_AUTH),
    RangeError,
  );
});

Deno.test("create_default_context() loads cafile and cadata when given", () => {
  const pem = Deno.readTextFileSync(fixture("ca.pem"));
  assert.equal(
    create_default_context({ cafile: fixture("ca.pem") }).get_ca_certs().length,
    1,
  );
  assert.equal(
    create_default_context(Purpose.SERVER_AUTH, { cadata: pem })
      .get_ca_certs()[0],
    pem,
  );
  assert.deepEqual(create_default_context().get_ca_certs(), []);
});

Deno.test("verify_mode = CERT_NONE while check_hostname is on is a RangeError", () => {
  const ctx = create_default_context();
  assert.throws(
    () => ctx.verify_mode = CERT_NONE,
    {
      name: "RangeError",
      message:
        "Cannot set verify_mode to CERT_NONE when check_hostname is enabled",
    },
  );
  assert.equal(ctx.verify_mode, CERT_REQUIRED);
  ctx.check_hostname = false;
  ctx.verify_mode = CERT_NONE;
  assert.equal(ctx.verify_mode, CERT_NONE);
  ctx.verify_mode = CERT_OPTIONAL;
  assert.equal(ctx.verify_mode, CERT_OPTIONAL);
  assert.throws(() => ctx.verify_mode = 7, /received 7/);
});

Deno.test("check_hostname = true turns CERT_NONE into CERT_REQUIRED, as Python", () => {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
  ctx.check_hostname = true;
  assert.equal(ctx.verify_mode, CERT_REQUIRED);
  assert.throws(
    () => (ctx as { check_hostname: unknown }).check_hostname = "yes",
    TypeError,
  );
});

Deno.test("minimum_version and maximum_version take what Deno can honour", () => {
  const ctx = create_default_context();
  ctx.minimum_version = TLSVersion.MINIMUM_SUPPORTED;
  ctx.minimum_version = TLSVersion.TLSv1_2;
  ctx.maximum_version = TLSVersion.TLSv1_3;
  assert.equal(ctx.maximum_version, TLSVersion.TLSv1_3);
  assert.throws(
    () => ctx.minimum_version = TLSVersion.TLSv1_3,
    (err: Error) =>
      err instanceof OSError && err.errno === 92 && /TLSv1_3/.test(err.message),
  );
  assert.throws(
    () => ctx.maximum_version = TLSVersion.TLSv1_2,
    (err: Error) => err instanceof OSError && err.errno === 92,
  );
  assert.throws(
    () => ctx.minimum_version = 999 as typeof TLSVersion.TLSv1_2,
    RangeError,
  );
  assert.equal(ctx.minimum_version, TLSVersion.TLSv1_2);
});

Deno.test("load_cert_chain() reads a certificate and key, or one file with both", async () => {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
  ctx.load_cert_chain(fixture("localhost.pem"), fixture("localhost.key"));
  const both = await Deno.makeTempFile({ suffix: ".pem" });
  try {
    await Deno.writeTextFile(
      both,
      Deno.readTextFileSync(fixture("localhost.key")) +
        Deno.readTextFileSync(fixture("localhost.pem")),
    );
    ctx.load_cert_chain(both);
  } finally {
    await Deno.remove(both);
  }
});

Deno.test("load_cert_chain() fails as Python for a missing file or no key", () => {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
  assert.throws(
    () => ctx.load_cert_chain(fixture("missing.pem")),
    (err: Error) => err instanceof FileNotFoundError && err.errno === 2,
  );
  assert.throws(
    () => ctx.load_cert_chain(fixture("localhost.pem")),
    (err: Error) => err instanceof SSLError && /PEM lib/.test(err.message),
  );
  assert.throws(
    () =>
      ctx.load_cert_chain(
        fixture("localhost.pem"),
        fixture("localhost.key"),
        "secret",
      ),
    (err: Error) => err instanceof OSError && err.errno === 92,
  );
});

Deno.test("load_verify_locations() takes cafile, capath and PEM or DER cadata", async () => {
  const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
  assert.throws(() => ctx.load_verify_locations({}), TypeError);
  ctx.load_verify_locations({ cafile: fixture("ca.pem") });
  ctx.load_verify_locations({ cafile: fixture("ca.pem") });
  assert.equal(ctx.get_ca_certs().length, 1, "loaded once");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(fixture("selfsigned.pem"), `${dir}/a.pem`);
    ctx.load_verify_locations({ capath: dir });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(ctx.get_ca_certs().length, 2);
  const pem = Deno.readTextFileSync(fixture("other.pem"));
  const b64 = pem.replace(/-----[A-Z ]+-----|\s/g, "");
  const der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  ctx.load_verify_locations({ cadata: der });
  assert.equal(ctx.get_ca_certs().length, 3);
  assert.equal(ctx.get_ca_certs()[2], pem, "DER converts to the same PEM");
  assert.throws(
    () => ctx.load_verify_locations({ cadata: "no certificate here" }),
    SSLError,
  );
});

Deno.test("set_alpn_protocols() checks names as Python does", () => {
  const ctx = create_default_context();
  ctx.set_alpn_protocols(["h2", "http/1.1"]);
  assert.throws(() => ctx.set_alpn_protocols([""]), RangeError);
  assert.throws(() => ctx.set_alpn_protocols(["x".repeat(256)]), RangeError);
  assert.throws(
    () => ctx.set_alpn_protocols([1 as unknown as string]),
    TypeError,
  );
});

Deno.test("load_default_certs() and set_default_verify_paths() load nothing visible", () => {
  const ctx = create_default_context();
  ctx.load_default_certs();
  ctx.set_default_verify_paths();
  assert.deepEqual(ctx.get_ca_certs(), []);
});
