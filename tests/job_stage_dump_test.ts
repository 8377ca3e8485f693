import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./assert.ts";
import { join } from "node:path";
import { FIXTURES } from "./helpers.ts";
import { jobBox, listDir, slurm } from "./job_helpers.ts";
import { createArchive, listArchive } from "../src/archive/mod.ts";

const DUMP_KEYS = [
  "exp_component",
  "exp_jobname",
  "exp_name",
  "exp_oname",
  "job_el_env_changes",
  "job_el_env_changes_len",
  "job_el_from_batch",
  "job_el_status",
  "job_el_stop",
  "job_pl_env",
  "job_pl_env_len",
  "job_pl_from_batch",
  "job_pl_groupnames",
  "job_pl_hostname",
  "job_pl_id",
  "job_pl_jobname",
  "job_pl_scriptname",
  "job_pl_start",
  "job_pl_submit",
  "job_pl_username",
];

Deno.test("stage archives a stopped job; dump reads the archive like the directory", async () => {
  const box = await jobBox();
  const env = slurm("7001", "ESM4_hist_atmos_18540101");
  const jobdir = join(box.out, "Foo.Bar", "7001");
  assertEquals(
    (await box.epmt(["-a", "run", "sh", "-c", "exit 2"], env)).code,
    2,
  );
  // Stand-ins for collector output, so the archive holds more than metadata.
  await Deno.copyFile(
    join(FIXTURES, "papiex/tree/vm-papiex-5670-0.csv"),
    join(jobdir, "vm-papiex-5670-0.csv"),
  );
  await Deno.writeTextFile(
    join(jobdir, "vm-collated-papiex-7001-0.csv"),
    "x\n",
  );

  const before = await box.epmt(["dump", jobdir], env);
  assertEquals(before.code, 0, before.stderr);
  const lines = before.stdout.trimEnd().split("\n");
  assertEquals(lines.map((l) => l.split(" ")[0]), DUMP_KEYS, "sorted keys");
  for (const line of lines) assertMatch(line, /^\S+ +\S/);
  assert(
    lines.every((l) => l.indexOf(" ") <= 24 && /^.{24}\S/.test(l)),
    "aligned",
  );
  assertStringIncludes(before.stdout, "job_el_status           2\n");
  assertStringIncludes(before.stdout, "exp_oname               18540101\n");

  const staged = await box.epmt(["stage"], env);
  assertEquals(staged.code, 0, staged.stderr);
  const archive = join(box.dir, "stage", "7001.tgz");
  assertEquals(staged.stdout, archive + "\n");
  assertEquals(listDir(jobdir), [], "the job directory is removed");
  assertEquals(
    (await listArchive(archive)).map((m) => m.path),
    ["job_metadata", "vm-collated-papiex-7001-0.csv", "vm-papiex-5670-0.csv"],
  );

  const after = await box.epmt(["dump", archive], env);
  assertEquals([after.code, after.stdout], [0, before.stdout]);
  const json = await box.epmt(["dump", "--json", archive], env);
  const meta = JSON.parse(json.stdout);
  assertEquals(meta.job_pl_id, "7001");
  assertEquals(meta.job_runs.length, 1);
  const key = await box.epmt(["dump", "-k", "job_pl_jobname", archive], env);
  assertEquals(key.stdout, "ESM4_hist_atmos_18540101\n");
  await box.remove();
});

Deno.test("stage refuses what it must not archive, and changes nothing", async (t) => {
  const box = await jobBox();
  const started = slurm("7101");
  const startedDir = join(box.out, "Foo.Bar", "7101");
  await box.epmt(["start"], started);
  await t.step("a job that is not stopped", async () => {
    const r = await box.epmt(["stage"], started);
    assertEquals(r.code, 1);
    assertEquals(
      r.stderr.trim(),
      `ERROR:epmt: job in ${startedDir} is not stopped (no job_metadata): run epmt stop first`,
    );
    assertEquals(listDir(startedDir), ["job_metadata.tmp"]);
    assertEquals(listDir(join(box.dir, "stage")), []);
  });
  await t.step("a directory that is not a job", async () => {
    const r = await box.epmt(["stage", box.dir], started);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, `${box.dir} has no job_metadata`);
  });
  await t.step("a missing directory", async () => {
    const r = await box.epmt(["stage", join(box.dir, "nope")], started);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "nope: no such file or directory");
  });
  await t.step(
    "an archive that already exists is not overwritten",
    async () => {
      const env = slurm("7102");
      await box.epmt(["-a", "run", "true"], env);
      const archive = join(box.dir, "stage", "7102.tgz");
      await Deno.writeTextFile(archive, "precious");
      const r = await box.epmt(["stage"], env);
      assertEquals(r.code, 1);
      assertStringIncludes(
        r.stderr,
        `${archive} already exists; not overwriting it`,
      );
      assertEquals(await Deno.readTextFile(archive), "precious");
      assertEquals(listDir(join(box.out, "Foo.Bar", "7102")), ["job_metadata"]);
    },
  );
  await t.step("-n archives and removes nothing", async () => {
    const env = slurm("7103");
    await box.epmt(["-a", "run", "true"], env);
    const r = await box.epmt(["-n", "stage"], env);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(listDir(join(box.out, "Foo.Bar", "7103")), ["job_metadata"]);
    assert(!listDir(join(box.dir, "stage")).includes("7103.tgz"));
  });
  await box.remove();
});

Deno.test("dump reads the Python EPMT's pickles: directory, file and archive", async () => {
  const box = await jobBox();
  const expected = [
    "exp_component           atmos",
    "exp_jobname             ESM4_hist_atmos_18540101",
    "exp_name                ESM4_hist",
    "exp_oname               18540101",
    'job_el_env_changes      {"EPMT_JOB_TAGS":"exp_name:ESM4_hist;exp_component:atmos;exp_time:18540101"}',
    "job_el_env_changes_len  1",
    "job_el_from_batch       []",
    "job_el_status           0",
    "job_el_stop             2026-11-25T21:20:17.449189-05:00",
    'job_pl_env              {"SLURM_JOB_ID":"2718281","SLURM_JOB_NAME":"ESM4_hist_atmos_18540101","SLURM_JOB_USER":"Foo.Bar","PAPIEX_OPTIONS":"PERF_COUNT_SW_CPU_CLOCK","PAPIEX_OUTPUT":"/tmp/epmt/Foo.Bar/2718281/","SHELL":"/bin/bash","LANG":"en_US.UTF-8"}',
    "job_pl_env_len          7",
    "job_pl_from_batch       []",
    "job_pl_groupnames       []",
    "job_pl_hostname         vm",
    "job_pl_id               2718281",
    "job_pl_jobname          ESM4_hist_atmos_18540101",
    "job_pl_scriptname       ESM4_hist_atmos_18540101",
    "job_pl_start            2026-11-25T21:20:16.879905-05:00",
    "job_pl_submit           2026-11-25T21:20:16.879905-05:00",
    "job_pl_username         Foo.Bar",
    "",
  ].join("\n");
  for (
    const path of [
      join(FIXTURES, "epmt-python/2718281-p2"),
      join(FIXTURES, "epmt-python/2718281-p4/job_metadata"),
      join(FIXTURES, "epmt-python/2718281.tgz"),
    ]
  ) {
    const r = await box.epmt(["dump", path]);
    assertEquals([r.code, r.stderr, r.stdout], [0, "", expected], path);
  }
  const tags = await box.epmt([
    "dump",
    "-k",
    "job_tags",
    join(FIXTURES, "epmt-python/2718281-p2"),
  ]);
  assertEquals(
    tags.stdout,
    '{"exp_name":"ESM4_hist","exp_component":"atmos","exp_time":"18540101"}\n',
  );
  await box.remove();
});

Deno.test("dump: bad input is one clear error line and exit 1", async (t) => {
  const box = await jobBox();
  const d = box.dir;
  await Deno.writeTextFile(join(d, "garbage"), "this is not metadata\n");
  await Deno.writeTextFile(
    join(d, "evil"),
    "cos\nsystem\n(S'touch /tmp/pwned'\ntR.",
  );
  await Deno.writeTextFile(join(d, "a.csv"), "tags,hostname\n");
  await createArchive(join(d, "nometa.tgz"), d, ["a.csv"]);
  const good = await Deno.readFile(join(FIXTURES, "epmt-python/2718281.tgz"));
  await Deno.writeFile(
    join(d, "truncated.tgz"),
    good.slice(0, good.length / 2),
  );
  const corrupt = good.slice();
  corrupt[40] ^= 0xff;
  corrupt[41] ^= 0xff;
  await Deno.writeFile(join(d, "corrupt.tgz"), corrupt);
  const cases: [string, string[], string][] = [
    [
      "missing path",
      [join(d, "missing")],
      `${join(d, "missing")}: no such file or directory`,
    ],
    [
      "not metadata",
      [join(d, "garbage")],
      "not job metadata (neither JSON nor a Python pickle)",
    ],
    [
      "hostile pickle",
      [join(d, "evil")],
      "bad Python pickle: refusing global os.system",
    ],
    [
      "archive without job_metadata",
      [join(d, "nometa.tgz")],
      `archive ${join(d, "nometa.tgz")} has no job_metadata member`,
    ],
    [
      "truncated archive",
      [join(d, "truncated.tgz")],
      `archive ${join(d, "truncated.tgz")} is truncated`,
    ],
    [
      "corrupt archive",
      [join(d, "corrupt.tgz")],
      `archive ${join(d, "corrupt.tgz")} is corrupt`,
    ],
    [
      "directory without metadata",
      [d],
      `${d}: no job_metadata in this directory`,
    ],
    [
      "unknown key",
      ["-k", "nope", join(FIXTURES, "epmt-python/2718281-p4")],
      "no key nope",
    ],
  ];
  for (const [name, args, message] of cases) {
    await t.step(name, async () => {
      const r = await box.epmt(["dump", ...args]);
      assertEquals(r.code, 1, r.stderr);
      assertEquals(r.stdout, "");
      const lines = r.stderr.trim().split("\n");
      assertEquals(lines.length, 1, r.stderr);
      assertMatch(lines[0], /^ERROR:epmt: /);
      assertStringIncludes(lines[0], message);
    });
  }
  let pwned = true;
  try {
    await Deno.stat("/tmp/pwned");
  } catch {
    pwned = false;
  }
  assert(!pwned, "the hostile pickle ran nothing");
  await t.step(
    "a started job shows its start record, with a warning",
    async () => {
      const env = slurm("7201");
      await box.epmt(["start"], env);
      const r = await box.epmt(["dump"], env);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, "job_pl_id               7201\n");
      assertStringIncludes(r.stdout, "job_el_stop             \n");
      assertStringIncludes(
        r.stderr,
        "the job is not stopped yet; showing its start record",
      );
    },
  );
  await box.remove();
});
