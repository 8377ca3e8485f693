/**
 * A job's life in-process: start, run, stop, dump, source, stage and
 * submit of the staged archive, under SLURM's variables, without the
 * collector (its absence is a warning).
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../assert.ts";
import { join } from "node:path";
import { box } from "./cli.ts";

const b = await box();
const noCollector = join(b.dir, "no-collector");
await Deno.mkdir(noCollector);
const slurm = (id: string) => ({
  SLURM_JOB_ID: id,
  SLURM_JOB_NAME: "ESM4_hist_atmos_18540101",
  SLURM_JOB_USER: "Foo.Bar",
  EPMT_INSTALL_PREFIX: noCollector,
});
const jobdir = (id: string) => join(b.env.EPMT_PAPIEX_OUTPUT, "Foo.Bar", id);
const names = (dir: string) =>
  [...Deno.readDirSync(dir)].map((e) => e.name).sort();
/** The log lines, without the warning that no collector is installed. */
const logOf = (stderr: string) =>
  stderr.split("\n").filter((l) => l && !l.includes("no collector library"));

Deno.test("start writes the start record, quietly", async () => {
  const r = await b.epmt(["start"], slurm("1"));
  assertEquals([r.code, r.stdout, r.stderr], [0, "", ""]);
  assertEquals(names(jobdir("1")), ["job_metadata.tmp"]);
});

Deno.test("start -n writes nothing", async () => {
  assertEquals((await b.epmt(["start", "-n"], slurm("2"))).code, 0);
  assertEquals(await Deno.stat(jobdir("2")).catch(() => null), null);
});

Deno.test("run records the command and passes its exit status", async () => {
  await b.epmt(["start"], slurm("3"));
  const r = await b.epmt(["run", "sh", "-c", "exit 3"], slurm("3"));
  assertEquals(r.code, 3, r.stderr);
  assertEquals((await b.epmt(["run", "true"], slurm("3"))).code, 0);
  assertEquals((await b.epmt(["stop"], slurm("3"))).code, 0);
  const m = JSON.parse(
    await Deno.readTextFile(join(jobdir("3"), "job_metadata")),
  );
  assertEquals(
    m.job_runs.map((x: { argv: string[] }) => x.argv),
    [["sh", "-c", "exit 3"], ["true"]],
  );
  assertEquals(m.job_el_status, 3);
});

Deno.test("run of a missing program: 127 and one line", async () => {
  await b.epmt(["start"], slurm("4"));
  const r = await b.epmt(["run", "no-such-program-here"], slurm("4"));
  assertEquals(r.code, 127);
  assertEquals(logOf(r.stderr), [
    "ERROR:epmt: cannot run no-such-program-here: command not found",
  ]);
});

Deno.test("run -a (after run) starts and stops the job", async () => {
  const r = await b.epmt(["run", "-a", "--", "true"], slurm("5"));
  assertEquals(r.code, 0, r.stderr);
  assertEquals(names(jobdir("5")), ["job_metadata"]);
});

Deno.test("-n run -a says what it would run and runs nothing", async () => {
  const r = await b.epmt(
    ["-n", "run", "-a", "touch", join(b.dir, "x")],
    slurm("6"),
  );
  assertEquals(r.code, 0, r.stderr);
  assertMatch(
    r.stdout,
    /^would start job 6: .*\nwould run: PAPIEX_OPTIONS=.* touch /,
  );
  assertEquals(await Deno.stat(join(b.dir, "x")).catch(() => null), null);
});

Deno.test("run without a started job warns and still runs it", async () => {
  const r = await b.epmt(["run", "sh", "-c", "exit 4"], slurm("7"));
  assertEquals(r.code, 4);
  assertStringIncludes(r.stderr, "no job started for job id 7");
  assertStringIncludes(r.stderr, "running sh without collection");
});

Deno.test("source: NAME=value words, or eval statements", async () => {
  await b.epmt(["start"], slurm("8"));
  const words = await b.epmt(["source"], slurm("8"));
  assertEquals(words.code, 0, words.stderr);
  assertMatch(words.stdout, /^PAPIEX_OPTIONS=\S+ PAPIEX_OUTPUT=\S+\/8\/\n$/);
  const sh = await b.epmt(["source", "--shell", "bash"], slurm("8"));
  assertMatch(sh.stdout, /^export PAPIEX_OUTPUT=\S+;$/m);
  const csh = await b.epmt(["source", "--shell=tcsh"], slurm("8"));
  assertMatch(csh.stdout, /^setenv PAPIEX_OUTPUT \S+;$/m);
  const prolog = await b.epmt(["source", "--slurm"], slurm("8"));
  assertMatch(prolog.stdout, /^export PAPIEX_OUTPUT=\S+$/m);
});

Deno.test("source --slurm for an unstarted job prints nothing", async () => {
  const r = await b.epmt(["source", "--slurm"], slurm("9"));
  assertEquals([r.code, r.stdout], [0, ""]);
  assertStringIncludes(r.stderr, "nothing to export");
});

Deno.test("stop, dump -k, dump --json", async () => {
  await b.epmt(["start"], slurm("10"));
  const stop = await b.epmt(["stop"], slurm("10"));
  assertEquals([stop.code, stop.stdout], [0, ""]);
  const k = await b.epmt(["dump", "-k", "job_pl_id"], slurm("10"));
  assertEquals(k.stdout, "10\n");
  const j = await b.epmt(["dump", "--json", jobdir("10")]);
  assertEquals(JSON.parse(j.stdout).job_pl_jobname, "ESM4_hist_atmos_18540101");
  const bad = await b.epmt(["dump", "--key", "nope", jobdir("10")]);
  assertEquals(bad.code, 1);
  assertStringIncludes(bad.stderr, "no key nope");
});

Deno.test("stopping a stopped job again is refused", async () => {
  const r = await b.epmt(["start"], slurm("10"));
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "job 10 is already stopped");
});

Deno.test("stage -n, stage, then submit the archive and list it", async () => {
  await b.epmt(["-a", "run", "true"], slurm("11"));
  const dry = await b.epmt(["stage", "-n", jobdir("11")]);
  assertEquals(dry.code, 0, dry.stderr);
  assertStringIncludes(dry.stdout, "would archive 1 files of");
  const staged = await b.epmt(["stage"], slurm("11"));
  assertEquals(staged.code, 0, staged.stderr);
  const archive = join(b.env.EPMT_STAGE_DEST, "11.tgz");
  assertEquals(staged.stdout, archive + "\n");
  const sub = await b.epmt(["submit", archive]);
  assertEquals(sub.code, 0, sub.stderr);
  assertEquals(
    sub.stdout,
    `loaded job 11 (0 processes, 0 threads) from ${archive}\n`,
  );
  const list = JSON.parse((await b.epmt(["list", "--json"])).stdout);
  assert(list.some((j: { jobid: string }) => j.jobid === "11"));
});

Deno.test("stage of a job that is not stopped is refused", async () => {
  await b.epmt(["start"], slurm("12"));
  const r = await b.epmt(["stage"], slurm("12"));
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "is not stopped");
  assertEquals(names(jobdir("12")), ["job_metadata.tmp"]);
});
