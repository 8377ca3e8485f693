import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "./assert.ts";
import { FIXTURES } from "./helpers.ts";
import { join } from "node:path";
import { UserError } from "../src/errors.ts";
import {
  decodeJobMetadata,
  decodeStartRecord,
  DUMP_KEYS,
  encodeMetadata,
  expFields,
  type JobMetadata,
  readJobMetadata,
} from "../src/job/metadata.ts";
import { envChanges, parseTags, recordableEnv } from "../src/job/env.ts";
import { isoFromNaiveLocal, isoLocal } from "../src/job/time.ts";

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const text = (s: string) => new TextEncoder().encode(s);

/** A complete record as stop writes it. */
function sample(): JobMetadata {
  return {
    format_version: 1,
    exp_component: "atmos",
    exp_jobname: "CM4_piControl_C_atmos_00050101",
    exp_name: "CM4_piControl_C",
    exp_oname: "00050101",
    job_el_env_changes: { NEW: "1", GONE: null },
    job_el_env_changes_len: 2,
    job_el_from_batch: ["SLURM_JOB_ID"],
    job_el_status: 3,
    job_el_stop: "2019-02-20T22:13:23.131187-05:00",
    job_pl_env: { LANG: "en_US" },
    job_pl_env_len: 1,
    job_pl_from_batch: ["SLURM_JOB_ID"],
    job_pl_groupnames: ["f"],
    job_pl_hostname: "pp057",
    job_pl_id: "20345339",
    job_pl_jobname: "CM4_piControl_C_atmos_00050101",
    job_pl_scriptname: "/home/f/run.sh",
    job_pl_start: "2019-02-20T19:58:41.274267-05:00",
    job_pl_submit: "2019-02-20T19:58:41.274267-05:00",
    job_pl_username: "Foo.Bar",
    job_runs: [{
      argv: ["./model", "--debug"],
      exit_status: 3,
      start: "2019-02-20T19:58:42.000000-05:00",
      end: "2019-02-20T22:13:22.000000-05:00",
    }],
    job_tags: { exp_name: "CM4_piControl_C" },
  };
}

Deno.test("decodeJobMetadata() normalizes the Python EPMT's pickles", async (t) => {
  const decoded: JobMetadata[] = [];
  for (const proto of ["p2", "p4"]) {
    await t.step(proto, async () => {
      const dir = join(FIXTURES, `epmt-python/2718281-${proto}`);
      const m = await readJobMetadata(dir);
      assertEquals(m.job_pl_id, "2718281");
      assertEquals(m.job_pl_jobname, "ESM4_hist_atmos_18540101");
      assertEquals(m.job_pl_username, "Foo.Bar");
      assertEquals(m.job_pl_hostname, "vm");
      assertEquals(m.job_pl_start, "2026-11-25T21:20:16.879905-05:00");
      assertEquals(m.job_pl_submit, "2026-11-25T21:20:16.879905-05:00");
      assertEquals(m.job_el_stop, "2026-11-25T21:20:17.449189-05:00");
      assertEquals(m.job_el_status, 0);
      assertEquals(m.job_pl_env_len, 7);
      assertEquals(m.job_el_env_changes_len, 1);
      assertEquals(m.job_tags, {
        exp_name: "ESM4_hist",
        exp_component: "atmos",
        exp_time: "18540101",
      });
      // exp_name and exp_component from the tags, exp_oname from the name.
      assertEquals(
        [m.exp_name, m.exp_component, m.exp_oname, m.exp_jobname],
        ["ESM4_hist", "atmos", "18540101", "ESM4_hist_atmos_18540101"],
      );
      for (const key of DUMP_KEYS) assert(key in m, key);
      decoded.push(m);
    });
  }
  assertEquals(decoded[0], decoded[1], "protocols 2 and 4 decode alike");
});

Deno.test("decodeJobMetadata() reads the old EPMT layout and drops passwords", () => {
  // Protocol 0 (Python 2's default) with the early keys: naive datetimes,
  // job_el_status as a string, and passwords in the environment.
  const old = b64(
    "KGRwMApWam9iX3BsX2lkCnAxClYyMDM0NTMzOS5tb2FiMDEKcDIKc1Zqb2JfcGxfc2NyaXB0bmFtZQpwMwpWQ000X3BpQ29udHJvbF9DX2F0bW9zXzAwMDUwMTAxCnA0CnNWam9iX3BsX2pvYm5hbWUKcDUKZzQKc1Zqb2JfcGxfaG9zdG5hbWUKcDYKVnBwMDU3CnA3CnNWam9iX3BsX3VzZXJuYW1lCnA4ClZGb28uQmFyCnA5CnNWam9iX3BsX2dyb3VwbmFtZXMKcDEwCihscDExClZmCnAxMgphZzEyCmFzVmpvYl9wbF9zdWJtaXQKcDEzCmNkYXRldGltZQpkYXRldGltZQpwMTQKKGNfY29kZWNzCmVuY29kZQpwMTUKKFYH4wIUEzopBDAfCnAxNgpWbGF0aW4xCnAxNwp0cDE4ClJwMTkKdHAyMApScDIxCnNWam9iX3BsX3N0YXJ0CnAyMgpnMTQKKGcxNQooVgfjAhQTOikEL1sKcDIzCmcxNwp0cDI0ClJwMjUKdHAyNgpScDI3CnNWam9iX3BsX2Vudl9sZW4KcDI4CkkzCnNWam9iX3BsX2VudgpwMjkKKGRwMzAKVkxBTkcKcDMxClZlbl9VUwpwMzIKc1ZFUE1UX0RCX1BBU1NXT1JECnAzMwpWaHVudGVyMgpwMzQKc1ZQR1BBU1NXT1JECnAzNQpWaHVudGVyMwpwMzYKc3NWam9iX3BsX2Zyb21fYmF0Y2gKcDM3CihscDM4CnNWam9iX2VsX2Zyb21fYmF0Y2gKcDM5CihscDQwCnNWam9iX2VsX3N0YXR1cwpwNDEKVjAKcDQyCnNWam9iX2VsX3N0b3AKcDQzCmcxNAooZzE1CihWB+MCFBZcdTAwMGQXAlx1MDAwMHMKcDQ0CmcxNwp0cDQ1ClJwNDYKdHA0NwpScDQ4CnNWam9iX2VsX2Vudl9jaGFuZ2VzCnA0OQooZHA1MApzVmpvYl9lbF9lbnZfY2hhbmdlc19sZW4KcDUxCkkwCnMu",
  );
  const m = decodeJobMetadata(old, "old/job_metadata");
  assertEquals(m.job_pl_id, "20345339.moab01");
  assertEquals(m.job_pl_groupnames, ["f", "f"]);
  assertEquals(m.job_el_status, 0);
  // Naive datetimes are read as this machine's local time.
  assertEquals(
    m.job_pl_start,
    isoFromNaiveLocal(2019, 2, 20, 19, 58, 41, 274267),
  );
  assertEquals(m.job_pl_env, { LANG: "en_US" });
  assertEquals(m.job_pl_env_len, 1);
  assertEquals(
    [m.exp_name, m.exp_component, m.exp_oname],
    ["CM4_piControl_C", "atmos", "00050101"],
  );
  assert(!JSON.stringify(m).includes("hunter"), "no password survives");
});

Deno.test("our JSON round-trips through encodeMetadata()", () => {
  const m = sample();
  const back = decodeJobMetadata(text(encodeMetadata(m)), "x");
  assertEquals(back, m);
  const start = decodeStartRecord(text(encodeMetadata(m)), "x");
  assertEquals(start.job_pl_id, m.job_pl_id);
});

Deno.test("decodeJobMetadata() names the file and the problem", async (t) => {
  const withKey = (patch: Record<string, unknown>) =>
    text(JSON.stringify({ ...sample(), ...patch }));
  const cases: [string, Uint8Array, string][] = [
    ["empty", new Uint8Array(0), "jm: file is empty"],
    ["garbage", text("hello"), "jm: not job metadata"],
    ["bad JSON", text("{nope"), "jm: not valid JSON job metadata"],
    ["JSON array", text("[1]"), "jm: not job metadata"],
    [
      "missing key",
      withKey({ job_pl_id: undefined }),
      "key job_pl_id: missing",
    ],
    [
      "wrong type",
      withKey({ job_el_status: "0" }),
      "key job_el_status: expected an integer",
    ],
    [
      "bad runs",
      withKey({ job_runs: [{ argv: "x" }] }),
      "key job_runs: expected a list of runs",
    ],
    [
      "newer format",
      withKey({ format_version: 2 }),
      "jm: written by a newer epmt (format 2",
    ],
    [
      "start record only",
      withKey({ job_el_stop: undefined }),
      "jm: the job has no stop record",
    ],
    [
      "hostile pickle",
      text("cos\nsystem\n(S'id'\ntR."),
      "jm: bad Python pickle: refusing global os.system",
    ],
    ["pickle of a list", text("]."), "jm: the pickle does not hold a dict"],
  ];
  for (const [name, bytes, message] of cases) {
    await t.step(name, () => {
      assertThrows(() => decodeJobMetadata(bytes, "jm"), UserError, message);
    });
  }
  await t.step("missing file", async () => {
    const e = await assertRejects(
      () => readJobMetadata("/nonexistent/dir/job_metadata"),
      UserError,
    );
    assertStringIncludes(e.message, "/nonexistent/dir/job_metadata");
  });
});

Deno.test("expFields() splits a job name at its last two underscores", () => {
  const cases: [string, Record<string, string>, string[]][] = [
    ["CM4_piControl_C_atmos_00050101", {}, [
      "CM4_piControl_C",
      "atmos",
      "00050101",
      "CM4_piControl_C_atmos_00050101",
    ]],
    ["a_b_c", {}, ["a", "b", "c", "a_b_c"]],
    ["plain", {}, ["", "", "", ""]],
    ["only_one", {}, ["", "", "", ""]],
    ["x__y", {}, ["", "", "", ""]],
    ["job", { exp_name: "E", exp_component: "C", exp_oname: "O" }, [
      "E",
      "C",
      "O",
      "job",
    ]],
    ["n_c_o", { exp_name: "tagged" }, ["tagged", "c", "o", "n_c_o"]],
  ];
  for (const [name, tags, want] of cases) {
    const e = expFields(name, tags);
    assertEquals(
      [e.exp_name, e.exp_component, e.exp_oname, e.exp_jobname],
      want,
      name,
    );
  }
});

Deno.test("parseTags(), recordableEnv() and envChanges()", () => {
  assertEquals(parseTags("exp_name:ESM4; exp_component : atmos;;flag;k:a:b"), {
    exp_name: "ESM4",
    exp_component: "atmos",
    flag: "",
    k: "a:b",
  });
  assertEquals(parseTags(undefined), {});
  assertEquals(
    recordableEnv({
      PATH: "/bin",
      EPMT_DB_PASSWORD: "x",
      PGPASSWORD: "y",
      my_passwd: "z",
    }),
    { PATH: "/bin" },
  );
  assertEquals(
    envChanges(
      { A: "1", B: "2", C: "3", PGPASSWORD: "a" },
      { A: "1", B: "changed", D: "new", PGPASSWORD: "b" },
    ),
    { B: "changed", C: null, D: "new" },
  );
});

Deno.test("isoLocal() writes local time with offset and microseconds", () => {
  const ms = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
  const iso = isoLocal(ms);
  assert(
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.678000[+-]\d\d:\d\d$/.test(iso),
    iso,
  );
  assertEquals(Date.parse(iso), ms);
});

Deno.test("isoLocal() keeps microseconds and never overflows them", () => {
  const ms = Date.UTC(2024, 0, 2, 3, 4, 5, 999) + 0.9996;
  const iso = isoLocal(ms);
  assert(/\.999999[+-]\d\d:\d\d$/.test(iso), iso);
  assertEquals(Date.parse(iso), Math.floor(ms));
});
