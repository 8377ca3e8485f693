import { assert, assertEquals, assertThrows } from "./assert.ts";
import { FIXTURES } from "./helpers.ts";
import { join } from "node:path";
import {
  decodePickle,
  PickleError,
  PyDate,
  PyDateTime,
  type PyDict,
  PyTime,
  PyTimedelta,
} from "../src/job/pickle.ts";

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const bytes = (...parts: (string | number[])[]) => {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "string") {
      for (const c of p) out.push(c.charCodeAt(0));
    } else out.push(...p);
  }
  return new Uint8Array(out);
};

// The same dict pickled by CPython 3.11 with protocols 0 to 5 (see the
// Python literal in the test below).
const SAME_DICT: Record<number, string> = {
  0: "KGRwMApWcwpwMQpWaOlsbG8gXHUyNjAzCnAyCnNWaQpwMwpJLTcKc1ZiaWcKcDQKTDExODA1OTE2MjA3MTc0MTEzMDM0MjRMCnNWbmVnCnA1CkwtMzY4OTM0ODgxNDc0MTkxMDMyMzJMCnNWZgpwNgpGMS41CnNWdApwNwpJMDEKc1ZmYQpwOApJMDAKc1ZuCnA5Ck5zVmIKcDEwCmNfY29kZWNzCmVuY29kZQpwMTEKKFZcdTAwMDD/YWIKcDEyClZsYXRpbjEKcDEzCnRwMTQKUnAxNQpzVmwKcDE2CihscDE3CkkxCmEobHAxOApJMgphSTMKYWEoSTQKVngKcDE5CnRwMjAKYXNWc2V0CnAyMQpjX19idWlsdGluX18Kc2V0CnAyMgooKGxwMjMKSTkKYXRwMjQKUnAyNQpzVmZzCnAyNgpjX19idWlsdGluX18KZnJvemVuc2V0CnAyNwooKGxwMjgKSTgKYXRwMjkKUnAzMApzVmR0CnAzMQpjZGF0ZXRpbWUKZGF0ZXRpbWUKcDMyCihnMTEKKFYH6AIdFzs6AeJACnAzMwpnMTMKdHAzNApScDM1CmNkYXRldGltZQp0aW1lem9uZQpwMzYKKGNkYXRldGltZQp0aW1lZGVsdGEKcDM3CihJMApJMTk4MDAKSTAKdHAzOApScDM5ClZJU1QKcDQwCnRwNDEKUnA0Mgp0cDQzClJwNDQKc1ZuYWl2ZQpwNDUKZzMyCihnMTEKKFYHzwwfAQIDXHUwMDAwXHUwMDAwXHUwMDAwCnA0NgpnMTMKdHA0NwpScDQ4CnRwNDkKUnA1MApzVnV0YwpwNTEKZzMyCihnMTEKKFYH5AEBXHUwMDAwXHUwMDAwXHUwMDAwXHUwMDAwXHUwMDAwXHUwMDAwCnA1MgpnMTMKdHA1MwpScDU0CmczNgooZzM3CihJMApJMApJMAp0cDU1ClJwNTYKdHA1NwpScDU4CnRwNTkKUnA2MApzVmQKcDYxCmNkYXRldGltZQpkYXRlCnA2MgooZzExCihWB9ECAwpwNjMKZzEzCnRwNjQKUnA2NQp0cDY2ClJwNjcKc1Z0bQpwNjgKY2RhdGV0aW1lCnRpbWUKcDY5CihnMTEKKFYEBQZcdTAwMDBcdTAwMDAHCnA3MApnMTMKdHA3MQpScDcyCnRwNzMKUnA3NApzVnRkCnA3NQpnMzcKKEktMQpJNQpJMAp0cDc2ClJwNzcKc1ZlYgpwNzgKY19fYnVpbHRpbl9fCmJ5dGVzCnA3OQoodFJwODAKc0k3ClZpbnRrZXkKcDgxCnMu",
  1: "fXEAKFgBAAAAc3EBWAoAAABow6lsbG8g4piDcQJYAQAAAGlxA0r5////WAMAAABiaWdxBEwxMTgwNTkxNjIwNzE3NDExMzAzNDI0TApYAwAAAG5lZ3EFTC0zNjg5MzQ4ODE0NzQxOTEwMzIzMkwKWAEAAABmcQZHP/gAAAAAAABYAQAAAHRxB0kwMQpYAgAAAGZhcQhJMDAKWAEAAABucQlOWAEAAABicQpjX2NvZGVjcwplbmNvZGUKcQsoWAUAAAAAw79hYnEMWAYAAABsYXRpbjFxDXRxDlJxD1gBAAAAbHEQXXERKEsBXXESKEsCSwNlKEsEWAEAAAB4cRN0cRRlWAMAAABzZXRxFWNfX2J1aWx0aW5fXwpzZXQKcRYoXXEXSwlhdHEYUnEZWAIAAABmc3EaY19fYnVpbHRpbl9fCmZyb3plbnNldApxGyhdcRxLCGF0cR1ScR5YAgAAAGR0cR9jZGF0ZXRpbWUKZGF0ZXRpbWUKcSAoaAsoWAwAAAAHw6gCHRc7OgHDokBxIWgNdHEiUnEjY2RhdGV0aW1lCnRpbWV6b25lCnEkKGNkYXRldGltZQp0aW1lZGVsdGEKcSUoSwBNWE1LAHRxJlJxJ1gDAAAASVNUcSh0cSlScSp0cStScSxYBQAAAG5haXZlcS1oIChoCyhYCwAAAAfDjwwfAQIDAAAAcS5oDXRxL1JxMHRxMVJxMlgDAAAAdXRjcTNoIChoCyhYCwAAAAfDpAEBAAAAAAAAcTRoDXRxNVJxNmgkKGglKEsASwBLAHRxN1JxOHRxOVJxOnRxO1JxPFgBAAAAZHE9Y2RhdGV0aW1lCmRhdGUKcT4oaAsoWAUAAAAHw5ECA3E/aA10cUBScUF0cUJScUNYAgAAAHRtcURjZGF0ZXRpbWUKdGltZQpxRShoCyhYBgAAAAQFBgAAB3FGaA10cUdScUh0cUlScUpYAgAAAHRkcUtoJShK/////0sFSwB0cUxScU1YAgAAAGVicU5jX19idWlsdGluX18KYnl0ZXMKcU8pUnFQSwdYBgAAAGludGtleXFRdS4=",
  2: "gAJ9cQAoWAEAAABzcQFYCgAAAGjDqWxsbyDimINxAlgBAAAAaXEDSvn///9YAwAAAGJpZ3EEigkAAAAAAAAAAEBYAwAAAG5lZ3EFigkAAAAAAAAAAP5YAQAAAGZxBkc/+AAAAAAAAFgBAAAAdHEHiFgCAAAAZmFxCIlYAQAAAG5xCU5YAQAAAGJxCmNfY29kZWNzCmVuY29kZQpxC1gFAAAAAMO/YWJxDFgGAAAAbGF0aW4xcQ2GcQ5ScQ9YAQAAAGxxEF1xEShLAV1xEihLAksDZUsEWAEAAAB4cROGcRRlWAMAAABzZXRxFWNfX2J1aWx0aW5fXwpzZXQKcRZdcRdLCWGFcRhScRlYAgAAAGZzcRpjX19idWlsdGluX18KZnJvemVuc2V0CnEbXXEcSwhhhXEdUnEeWAIAAABkdHEfY2RhdGV0aW1lCmRhdGV0aW1lCnEgaAtYDAAAAAfDqAIdFzs6AcOiQHEhaA2GcSJScSNjZGF0ZXRpbWUKdGltZXpvbmUKcSRjZGF0ZXRpbWUKdGltZWRlbHRhCnElSwBNWE1LAIdxJlJxJ1gDAAAASVNUcSiGcSlScSqGcStScSxYBQAAAG5haXZlcS1oIGgLWAsAAAAHw48MHwECAwAAAHEuaA2GcS9ScTCFcTFScTJYAwAAAHV0Y3EzaCBoC1gLAAAAB8OkAQEAAAAAAABxNGgNhnE1UnE2aCRoJUsASwBLAIdxN1JxOIVxOVJxOoZxO1JxPFgBAAAAZHE9Y2RhdGV0aW1lCmRhdGUKcT5oC1gFAAAAB8ORAgNxP2gNhnFAUnFBhXFCUnFDWAIAAAB0bXFEY2RhdGV0aW1lCnRpbWUKcUVoC1gGAAAABAUGAAAHcUZoDYZxR1JxSIVxSVJxSlgCAAAAdGRxS2glSv////9LBUsAh3FMUnFNWAIAAABlYnFOY19fYnVpbHRpbl9fCmJ5dGVzCnFPKVJxUEsHWAYAAABpbnRrZXlxUXUu",
  3: "gAN9cQAoWAEAAABzcQFYCgAAAGjDqWxsbyDimINxAlgBAAAAaXEDSvn///9YAwAAAGJpZ3EEigkAAAAAAAAAAEBYAwAAAG5lZ3EFigkAAAAAAAAAAP5YAQAAAGZxBkc/+AAAAAAAAFgBAAAAdHEHiFgCAAAAZmFxCIlYAQAAAG5xCU5YAQAAAGJxCkMEAP9hYnELWAEAAABscQxdcQ0oSwFdcQ4oSwJLA2VLBFgBAAAAeHEPhnEQZVgDAAAAc2V0cRFjYnVpbHRpbnMKc2V0CnESXXETSwlhhXEUUnEVWAIAAABmc3EWY2J1aWx0aW5zCmZyb3plbnNldApxF11xGEsIYYVxGVJxGlgCAAAAZHRxG2NkYXRldGltZQpkYXRldGltZQpxHEMKB+gCHRc7OgHiQHEdY2RhdGV0aW1lCnRpbWV6b25lCnEeY2RhdGV0aW1lCnRpbWVkZWx0YQpxH0sATVhNSwCHcSBScSFYAwAAAElTVHEihnEjUnEkhnElUnEmWAUAAABuYWl2ZXEnaBxDCgfPDB8BAgMAAABxKIVxKVJxKlgDAAAAdXRjcStoHEMKB+QBAQAAAAAAAHEsaB5oH0sASwBLAIdxLVJxLoVxL1JxMIZxMVJxMlgBAAAAZHEzY2RhdGV0aW1lCmRhdGUKcTRDBAfRAgNxNYVxNlJxN1gCAAAAdG1xOGNkYXRldGltZQp0aW1lCnE5QwYEBQYAAAdxOoVxO1JxPFgCAAAAdGRxPWgfSv////9LBUsAh3E+UnE/WAIAAABlYnFAQwBxQUsHWAYAAABpbnRrZXlxQnUu",
  4: "gASVnwEAAAAAAAB9lCiMAXOUjApow6lsbG8g4piDlIwBaZRK+f///4wDYmlnlIoJAAAAAAAAAABAjANuZWeUigkAAAAAAAAAAP6MAWaURz/4AAAAAAAAjAF0lIiMAmZhlImMAW6UTowBYpRDBAD/YWKUjAFslF2UKEsBXZQoSwJLA2VLBIwBeJSGlGWMA3NldJSPlChLCZCMAmZzlChLCJGUjAJkdJSMCGRhdGV0aW1llIwIZGF0ZXRpbWWUk5RDCgfoAh0XOzoB4kCUaBaMCHRpbWV6b25llJOUaBaMCXRpbWVkZWx0YZSTlEsATVhNSwCHlFKUjANJU1SUhpRSlIaUUpSMBW5haXZllGgYQwoHzwwfAQIDAAAAlIWUUpSMA3V0Y5RoGEMKB+QBAQAAAAAAAJRoG2gdSwBLAEsAh5RSlIWUUpSGlFKUjAFklGgWjARkYXRllJOUQwQH0QIDlIWUUpSMAnRtlGgWjAR0aW1llJOUQwYEBQYAAAeUhZRSlIwCdGSUaB1K/////0sFSwCHlFKUjAJlYpRDAJRLB4wGaW50a2V5lHUu",
  5: "gAWVnwEAAAAAAAB9lCiMAXOUjApow6lsbG8g4piDlIwBaZRK+f///4wDYmlnlIoJAAAAAAAAAABAjANuZWeUigkAAAAAAAAAAP6MAWaURz/4AAAAAAAAjAF0lIiMAmZhlImMAW6UTowBYpRDBAD/YWKUjAFslF2UKEsBXZQoSwJLA2VLBIwBeJSGlGWMA3NldJSPlChLCZCMAmZzlChLCJGUjAJkdJSMCGRhdGV0aW1llIwIZGF0ZXRpbWWUk5RDCgfoAh0XOzoB4kCUaBaMCHRpbWV6b25llJOUaBaMCXRpbWVkZWx0YZSTlEsATVhNSwCHlFKUjANJU1SUhpRSlIaUUpSMBW5haXZllGgYQwoHzwwfAQIDAAAAlIWUUpSMA3V0Y5RoGEMKB+QBAQAAAAAAAJRoG2gdSwBLAEsAh5RSlIWUUpSGlFKUjAFklGgWjARkYXRllJOUQwQH0QIDlIWUUpSMAnRtlGgWjAR0aW1llJOUQwYEBQYAAAeUhZRSlIwCdGSUaB1K/////0sFSwCHlFKUjAJlYpRDAJRLB4wGaW50a2V5lHUu",
};

Deno.test("decodePickle() reads every protocol the same way", async (t) => {
  // {"s": "héllo ☃", "i": -7, "big": 2**70, "neg": -2**65, "f": 1.5,
  //  "t": True, "fa": False, "n": None, "b": b"\x00\xffab",
  //  "l": [1, [2, 3], (4, "x")], "set": {9}, "fs": frozenset([8]),
  //  "dt": datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=timezone(
  //        timedelta(hours=5, minutes=30), "IST")),
  //  "naive": datetime(1999, 12, 31, 1, 2, 3),
  //  "utc": datetime(2020, 1, 1, tzinfo=timezone.utc),
  //  "d": date(2001, 2, 3), "tm": time(4, 5, 6, 7),
  //  "td": timedelta(days=-1, seconds=5), "eb": b"", 7: "intkey"}
  for (const [proto, data] of Object.entries(SAME_DICT)) {
    await t.step(`protocol ${proto}`, () => {
      const v = decodePickle(b64(data)) as PyDict;
      assertEquals(v.s, "héllo ☃");
      assertEquals(v.i, -7);
      assertEquals(v.big, 2n ** 70n);
      assertEquals(v.neg, -(2n ** 65n));
      assertEquals(v.f, 1.5);
      assertEquals([v.t, v.fa, v.n], [true, false, null]);
      assertEquals(v.b, new Uint8Array([0, 255, 97, 98]));
      assertEquals(v.eb, new Uint8Array(0));
      assertEquals(v.l, [1, [2, 3], [4, "x"]]);
      assertEquals([v.set, v.fs], [[9], [8]]);
      assert(v.dt instanceof PyDateTime);
      assertEquals(v.dt.toISOString(), "2024-02-29T23:59:58.123456+05:30");
      assertEquals(v.dt.tzinfo?.name, "IST");
      assert(v.naive instanceof PyDateTime);
      assertEquals(v.naive.tzinfo, null);
      assertEquals(v.naive.toISOString(), "1999-12-31T01:02:03.000000");
      assertEquals(
        (v.utc as PyDateTime).toISOString(),
        "2020-01-01T00:00:00.000000+00:00",
      );
      assert(v.d instanceof PyDate && v.d.toISOString() === "2001-02-03");
      assert(v.tm instanceof PyTime);
      assertEquals(v.tm.toISOString(), "04:05:06.000007");
      assert(v.td instanceof PyTimedelta);
      assertEquals([v.td.days, v.td.seconds, v.td.totalSeconds()], [
        -1,
        5,
        -86395,
      ]);
      assertEquals(v["7"], "intkey");
    });
  }
});

Deno.test("decodePickle() reads the Python EPMT's job_metadata", async (t) => {
  for (const proto of ["p2", "p4"]) {
    await t.step(proto, async () => {
      const path = join(FIXTURES, `epmt-python/2718281-${proto}/job_metadata`);
      const v = decodePickle(await Deno.readFile(path)) as PyDict;
      assertEquals(v.job_pl_id, "2718281");
      assertEquals(
        (v.job_pl_start_ts as PyDateTime).toISOString(),
        "2026-11-25T21:20:16.879905-05:00",
      );
      assertEquals((v.job_el_stop_ts as PyDateTime).tzinfo?.name, "EST");
      // The memo shares one object between the two timestamps.
      assert(v.job_pl_submit_ts === v.job_pl_start_ts);
      assertEquals((v.job_pl_env as PyDict).SLURM_JOB_USER, "Foo.Bar");
      assertEquals(v.checked, true);
    });
  }
});

Deno.test("decodePickle() reads Python 2 8-bit strings", () => {
  // {'k': datetime(2019, 2, 20, 19, 58, 41, 274267), 'caf\xe9': 'x'} with
  // SHORT_BINSTRING keys and the datetime state as a Python 2 str.
  const data = bytes(
    [0x80, 2],
    "}q\x00(U\x01k",
    "cdatetime\ndatetime\nq\x01U\x0a",
    [0x07, 0xe3, 0x02, 0x14, 0x13, 0x3a, 0x29, 0x04, 0x2f, 0x5b],
    [0x85],
    "RU\x04caf",
    [0xe9],
    "U\x01xu.",
  );
  const v = decodePickle(data) as PyDict;
  assertEquals(
    (v.k as PyDateTime).toISOString(),
    "2019-02-20T19:58:41.274267",
  );
  assertEquals(v["café"], "x", "not UTF-8: read as latin-1");
});

Deno.test("decodePickle() keeps __proto__ keys as plain data", () => {
  const v = decodePickle(bytes([0x80, 4], "}(\x8c\x09__proto__K\x01u.")) as
    & PyDict
    & object;
  assertEquals(Object.getPrototypeOf(v), Object.prototype);
  assertEquals(Object.keys(v), ["__proto__"]);
  assertEquals(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("decodePickle() refuses code and anything that is not plain data", async (t) => {
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const cases: [string, Uint8Array, string][] = [
    [
      "os.system via GLOBAL",
      bytes(`cos\nsystem\n(S'touch ${marker}'\ntR.`),
      "refusing global os.system",
    ],
    [
      "builtins.eval via STACK_GLOBAL",
      bytes([0x80, 4], "\x8c\x08builtins\x8c\x04eval\x93."),
      "refusing global builtins.eval",
    ],
    [
      "posix.system (protocol 2)",
      bytes([0x80, 2], "cposix\nsystem\nq\x00X\x02\0\0\0idq\x01\x85R."),
      "refusing global posix.system",
    ],
    [
      "INST",
      bytes("(S'id'\nios\nsystem\n."),
      "refusing opcode INST",
    ],
    ["OBJ", bytes("(No."), "refusing opcode OBJ"],
    [
      "NEWOBJ of a whitelisted class",
      bytes("cdatetime\ntimedelta\n)\x81."),
      "refusing opcode NEWOBJ",
    ],
    ["BUILD", bytes("}}b."), "refusing opcode BUILD"],
    ["EXT1", bytes([0x80, 2, 0x82, 1, 0x2e]), "refusing opcode EXT1"],
    ["PERSID", bytes("Pabc\n."), "refusing opcode PERSID"],
    ["protocol 5 buffers", bytes([0x80, 5, 0x97, 0x2e]), "NEXT_BUFFER"],
    [
      "_codecs.encode with another codec",
      bytes("c_codecs\nencode\n(Vx\nVrot13\ntR."),
      "only latin-1",
    ],
    [
      "datetime with a bad state",
      bytes([0x80, 3], "cdatetime\ndatetime\nC\x03abc\x85R."),
      "bad arguments for datetime.datetime",
    ],
    [
      "datetime with an impossible date",
      bytes(
        [0x80, 3],
        "cdatetime\ndatetime\nC\x0a",
        [7, 0xe3, 2, 30, 0, 0, 0, 0, 0, 0],
        [0x85],
        "R.",
      ),
      "invalid date 2019-2-30",
    ],
    [
      "REDUCE of something not callable",
      bytes("N)R."),
      "not a known callable",
    ],
    ["no STOP", bytes([0x80, 4], "K\x01"), "truncated: no STOP"],
    ["cut inside an opcode", bytes([0x80, 4], "X\x10\0\0\0ab"), "truncated"],
    ["unknown opcode", bytes([0x80, 4, 0xff]), "unknown opcode 0xff"],
    ["newer protocol", bytes([0x80, 6]), "unsupported protocol 6"],
    ["unset memo", bytes("h\x05."), "memo 5 is not set"],
    [
      "self-referencing list",
      bytes([0x80, 2], "]q\x00h\x00a."),
      "self-referencing",
    ],
    ["tuple as dict key", bytes("}))s."), "unsupported dict key type tuple"],
    ["stack underflow", bytes("0."), "stack underflow"],
    ["bad UTF-8", bytes("X\x01\0\0\0", [0xff], "."), "not valid UTF-8"],
  ];
  for (const [name, data, message] of cases) {
    await t.step(name, () => {
      assertThrows(() => decodePickle(data), PickleError, message);
    });
  }
  let exists = true;
  try {
    await Deno.stat(marker);
  } catch {
    exists = false;
  }
  assert(!exists, "the refused os.system pickle must not run anything");
});
