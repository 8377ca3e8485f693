import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./assert.ts";
import { join } from "node:path";
import {
  jobBox,
  LAUNCHER,
  listDir,
  logLines,
  metadataOf,
  slurm,
} from "./job_helpers.ts";
import { makeCollector, ROOT } from "./helpers.ts";

Deno.test("SLURM job: start, run, stop record the job", async () => {
  const box = await jobBox();
  const env = {
    ...slurm("4711", "CM4_piControl_C_atmos_00050101"),
    EPMT_JOB_TAGS: "exp_component:ocean;run:1",
  };
  const jobdir = join(box.out, "Foo.Bar", "4711");

  const start = await box.epmt(["start"], env);
  assertEquals([start.code, start.stdout, start.stderr], [0, "", ""]);
  assertEquals(listDir(jobdir), ["job_metadata.tmp"]);
  // papiex_output is made shared like /tmp, so other users can start too.
  assertEquals(Deno.statSync(box.out).mode! & 0o7777, 0o1777);

  const runs: [string[], number][] = [
    [["/bin/sh", "-c", "echo out; echo err >&2"], 0],
    [["sh", "-c", "exit 3"], 3],
    [["true"], 0],
    [["sh", "-c", "exit 5"], 5],
  ];
  for (const [argv, code] of runs) {
    const r = await box.epmt(["run", ...argv], env);
    assertEquals(r.code, code, r.stderr);
    if (code === 0 && argv[0] === "/bin/sh") {
      assertEquals(r.stdout, "out\n");
      assertStringIncludes(r.stderr, "err\n");
    }
  }
  const stop = await box.epmt(["stop"], {
    ...env,
    EPMT_JOB_TAGS: "exp_component:ocean;run:1;extra:yes",
  });
  assertEquals([stop.code, stop.stdout, stop.stderr], [0, "", ""]);
  assertEquals(listDir(jobdir), ["job_metadata"]);

  const m = await metadataOf(jobdir);
  assertEquals(m.format_version, 1);
  assertEquals(m.job_pl_id, "4711");
  assertEquals(m.job_pl_jobname, "CM4_piControl_C_atmos_00050101");
  assertEquals(m.job_pl_username, "Foo.Bar");
  assertEquals(m.job_pl_from_batch, [
    "SLURM_JOB_ID",
    "SLURM_JOB_NAME",
    "SLURM_JOB_USER",
  ]);
  assertEquals(m.job_el_status, 3, "the first non-zero status");
  assertEquals(
    (m.job_runs as { argv: string[]; exit_status: number }[]).map((
      r,
    ) => [r.argv, r.exit_status]),
    runs,
  );
  assertEquals(m.job_tags, {
    exp_component: "ocean",
    run: "1",
    extra: "yes",
  });
  // exp_component from the tag, the others from the job name.
  assertEquals(
    [m.exp_name, m.exp_component, m.exp_oname, m.exp_jobname],
    ["CM4_piControl_C", "ocean", "00050101", "CM4_piControl_C_atmos_00050101"],
  );
  assertEquals(m.job_el_env_changes, {
    EPMT_JOB_TAGS: "exp_component:ocean;run:1;extra:yes",
  });
  assertEquals(m.job_el_env_changes_len, 1);
  assertEquals((m.job_pl_env as Record<string, string>).SLURM_JOB_ID, "4711");
  for (const key of ["job_pl_start", "job_pl_submit", "job_el_stop"]) {
    assertMatch(
      m[key] as string,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/,
    );
  }
  assert(
    Date.parse(m.job_el_stop as string) >= Date.parse(m.job_pl_start as string),
  );

  const status = await box.epmt(["dump", "-k", "job_el_status"], env);
  assertEquals([status.code, status.stdout], [0, "3\n"]);
  await box.remove();
});

Deno.test("PBS/Torque job: -a run uses PBS_JOBID, PBS_JOBNAME, PBS_O_LOGNAME", async () => {
  const box = await jobBox();
  const env = {
    PBS_JOBID: "20345339.moab01.example.org",
    PBS_JOBNAME: "ESM4_hist_atmos_18540101",
    PBS_O_LOGNAME: "Jane.Doe",
  };
  const r = await box.epmt(["-a", "run", "sh", "-c", "echo pbs"], env);
  assertEquals([r.code, r.stdout, logLines(r.stderr)], [0, "pbs\n", []]);
  const jobdir = join(box.out, "Jane.Doe", "20345339.moab01.example.org");
  const m = await metadataOf(jobdir);
  assertEquals(
    [m.job_pl_id, m.job_pl_jobname, m.job_pl_username],
    [env.PBS_JOBID, env.PBS_JOBNAME, "Jane.Doe"],
  );
  assertEquals(
    m.job_pl_scriptname,
    env.PBS_JOBNAME,
    "the job name in a batch job",
  );
  assertEquals(m.exp_component, "atmos");
  assertEquals(m.job_pl_from_batch, [
    "PBS_JOBID",
    "PBS_JOBNAME",
    "PBS_O_LOGNAME",
  ]);
  await box.remove();
});

Deno.test("fake-and-bake: outside a batch system the session id is the job id", async (t) => {
  const box = await jobBox();
  await t.step("setsid epmt start: one warning per made-up field", async () => {
    const r = await box.run("setsid", [LAUNCHER, "start"]);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assertEquals(lines.length, 4, r.stderr);
    const m = lines[0].match(
      /^WARNING:epmt: JOB_ID unset: Using session id (\d+) as JOB_ID$/,
    );
    assert(m, lines[0]);
    const sid = m[1];
    assertEquals(
      lines[1],
      `WARNING:epmt: JOB_NAME unset: Using job id ${sid} as JOB_NAME`,
    );
    assertMatch(
      lines[2],
      /^WARNING:epmt: JOB_SCRIPTNAME unset: Using process name \S+ as JOB_SCRIPTNAME$/,
    );
    const user = lines[3].match(
      /^WARNING:epmt: JOB_USER unset: Using username (\S+) as JOB_USER$/,
    )?.[1];
    assert(user, lines[3]);
    assertEquals(listDir(join(box.out, user, sid)), ["job_metadata.tmp"]);
  });
  await t.step(
    "a job script under setsid: start, run, stop share the session",
    async () => {
      const script = join(box.dir, "myjob.sh");
      await Deno.writeTextFile(
        script,
        `"${LAUNCHER}" start 2>/dev/null\n"${LAUNCHER}" run sh -c 'exit 0'\n` +
          `"${LAUNCHER}" stop\necho "$$"\n`,
      );
      const r = await box.run("setsid", ["bash", script]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(logLines(r.stderr), [], "only start warns");
      const sid = r.stdout.trim();
      const users = listDir(box.out);
      const jobdir = users.map((u) => join(box.out, u, sid)).find((d) =>
        listDir(d).includes("job_metadata")
      );
      assert(jobdir, `no job ${sid} under ${box.out}: ${users}`);
      const m = await metadataOf(jobdir);
      assertEquals([m.job_pl_id, m.job_pl_jobname], [sid, sid]);
      assertEquals(m.job_pl_scriptname, script, "the script the shell runs");
      assertEquals(m.job_pl_from_batch, []);
    },
  );
  await box.remove();
});

// Containers and CI runners start jobs in a PID namespace whose session
// leader is outside it; the kernel then says session 0.
const unshare = new Deno.Command("unshare", {
  args: ["--pid", "--fork", "--mount-proc", "true"],
  stdout: "null",
  stderr: "null",
}).outputSync();

Deno.test({
  name: "fake-and-bake in a PID namespace with no visible session leader",
  ignore: !unshare.success,
  fn: async () => {
    const box = await jobBox();
    const script = join(box.dir, "nsjob.sh");
    // source runs in a command substitution (a subshell) and must still
    // find the job start made.
    await Deno.writeTextFile(
      script,
      `"${LAUNCHER}" start
env_lines=$("${LAUNCHER}" source)
` +
        `test -n "$env_lines" || exit 3
"${LAUNCHER}" run sh -c 'exit 0'
` +
        `"${LAUNCHER}" stop
`,
    );
    const r = await box.run("unshare", [
      "--pid",
      "--fork",
      "--mount-proc",
      "bash",
      script,
    ]);
    assertEquals(r.code, 0, r.stderr);
    const m = r.stderr.match(
      /^WARNING:epmt: JOB_ID unset: Using pid (\d+), the first process of this session in our PID namespace \(its leader is outside\), as JOB_ID$/m,
    );
    assert(m, r.stderr);
    assertEquals(m[1], "1", "bash is the namespace's first process");
    const jobdir = listDir(box.out).map((u) => join(box.out, u, "1"))
      .find((d) => listDir(d).includes("job_metadata"));
    assert(jobdir, `no finished job 1 under ${box.out}`);
    const meta = await metadataOf(jobdir);
    assertEquals([meta.job_pl_id, meta.job_pl_jobname], ["1", "1"]);
    await box.remove();
  },
});

Deno.test("-a run passes the command's exit status and streams through", async (t) => {
  const box = await jobBox();
  const cases: [string, string[], number][] = [
    ["exit 0", ["sh", "-c", "exit 0"], 0],
    ["exit 3", ["sh", "-c", "exit 3"], 3],
    ["SIGTERM", ["sh", "-c", "kill -TERM $$"], 143],
    ["SIGKILL", ["sh", "-c", "kill -KILL $$"], 137],
    ["not found", ["no-such-program-xyz"], 127],
  ];
  let id = 100;
  for (const [name, argv, code] of cases) {
    await t.step(name, async () => {
      const env = slurm(String(++id));
      const r = await box.epmt(["-a", "run", ...argv], env);
      assertEquals(r.code, code, r.stderr);
      const m = await metadataOf(join(box.out, "Foo.Bar", String(id)));
      assertEquals(m.job_el_status, code);
      assertEquals((m.job_runs as { argv: string[] }[])[0].argv, argv);
      if (code === 127) {
        assertStringIncludes(
          r.stderr,
          "ERROR:epmt: cannot run no-such-program-xyz: command not found",
        );
      }
    });
  }
  await t.step("run -a (the Python EPMT's order) is -a run", async () => {
    const r = await box.epmt(["run", "-a", "sh", "-c", "exit 6"], slurm("199"));
    assertEquals(r.code, 6, r.stderr);
    const m = await metadataOf(join(box.out, "Foo.Bar", "199"));
    assertEquals(m.job_el_status, 6);
  });
  await t.step(
    "stdin to stdout byte for byte, and -- before the command",
    async () => {
      const input = "line one\n\ttabs and ünïcödé\n" + "x".repeat(100000) +
        "\nend";
      const r = await box.epmt(["-a", "run", "--", "cat"], slurm("200"), input);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout, input);
    },
  );
  await box.remove();
});

Deno.test("lifecycle mistakes are one clear error line", async (t) => {
  const box = await jobBox();
  const env = slurm("300");
  const jobdir = join(box.out, "Foo.Bar", "300");
  // epmt never stops a job's work: the command runs, uncollected.
  const RAN = [
    "sh",
    "-c",
    'echo "ran:${LD_PRELOAD:-}:${PAPIEX_OUTPUT:-}"; exit 3',
  ];
  await t.step(
    "run before start runs the command, with a warning",
    async () => {
      const r = await box.epmt(["run", ...RAN], env);
      assertEquals([r.code, r.stdout], [3, "ran::\n"]);
      assertEquals(
        r.stderr.trim(),
        `WARNING:epmt: no job started for job id 300 (no ${jobdir}/job_metadata.tmp): use epmt start first, or epmt -a run; running sh without collection`,
      );
      assertEquals(listDir(jobdir), []);
    },
  );
  await t.step("stop before start", async () => {
    const r = await box.epmt(["stop"], env);
    assertEquals(r.code, 1);
    assertMatch(
      r.stderr,
      /^ERROR:epmt: no job started for job id 300 .*run epmt start first\n$/,
    );
  });
  await t.step("start twice warns and keeps the first record", async () => {
    assertEquals((await box.epmt(["start"], env)).code, 0);
    const first = await Deno.readTextFile(join(jobdir, "job_metadata.tmp"));
    const r = await box.epmt(["start"], { ...env, EPMT_JOB_TAGS: "late:1" });
    assertEquals(r.code, 0);
    assertEquals(
      r.stderr.trim(),
      `WARNING:epmt: job 300 already started (${jobdir}/job_metadata.tmp); keeping the first start record`,
    );
    assertEquals(
      await Deno.readTextFile(join(jobdir, "job_metadata.tmp")),
      first,
    );
  });
  await t.step("start after stop fails; run and -a run still run", async () => {
    assertEquals((await box.epmt(["stop"], env)).code, 0);
    const stopped =
      `job 300 is already stopped (${jobdir}/job_metadata exists): stage or submit it; a new job needs a new job id`;
    const start = await box.epmt(["start"], env);
    assertEquals([start.code, start.stderr.trim()], [
      1,
      `ERROR:epmt: ${stopped}`,
    ]);
    const before = listDir(jobdir);
    for (const args of [["run", ...RAN], ["-a", "run", ...RAN]]) {
      const r = await box.epmt(args, env);
      assertEquals([r.code, r.stdout], [3, "ran::\n"], args.join(" "));
      assertEquals(
        r.stderr.trim(),
        `WARNING:epmt: ${stopped}; running sh without collection`,
      );
    }
    assertEquals(listDir(jobdir), before, "the stopped job is unchanged");
  });
  await t.step("usage errors exit 2", async () => {
    for (
      const args of [["run"], ["start", "x"], ["stop", "x"], [
        "source",
        "--shell",
        "fish",
      ]]
    ) {
      const r = await box.epmt(args, env);
      assertEquals(r.code, 2, args.join(" "));
      assertMatch(r.stderr, /^ERROR:epmt: .+\nusage: epmt/);
    }
  });
  await t.step("-n writes nothing", async () => {
    const dry = slurm("301");
    for (const args of [["start"], ["-a", "run", "true"]]) {
      const r = await box.epmt(["-n", ...args], dry);
      assertEquals(r.code, 0, r.stderr);
    }
    assertEquals(listDir(join(box.out, "Foo.Bar", "301")), []);
  });
  await box.remove();
});

/** A fake install: empty files named like the libraries (ld.so ignores them). */
async function fakePrefix(dir: string, libs: string[]): Promise<string> {
  await Deno.mkdir(join(dir, "lib"), { recursive: true });
  for (const lib of libs) {
    await Deno.writeFile(join(dir, "lib", lib), new Uint8Array());
  }
  return dir;
}

const SHOW_ENV = [
  "sh",
  "-c",
  'echo "$PAPIEX_OPTIONS|$PAPIEX_OUTPUT|$LD_PRELOAD"',
];

Deno.test("run and source set the collector environment for the job", async (t) => {
  const box = await jobBox();
  const jobdir = (id: string) => join(box.out, "Foo.Bar", id) + "/";
  await t.step(
    "no collector: one warning, the command still runs",
    async () => {
      const r = await box.epmt(["-a", "run", ...SHOW_ENV], slurm("400"));
      assertEquals(r.code, 0);
      assertEquals(
        r.stdout,
        `PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV|${jobdir("400")}|\n`,
      );
      const warnings = r.stderr.trim().split("\n");
      assertEquals(warnings.length, 1, r.stderr);
      assertMatch(
        warnings[0],
        /^WARNING:epmt: no collector library found under \/.*; running without collection$/,
      );
    },
  );
  await t.step(
    "our collector: preloaded first, existing LD_PRELOAD kept",
    async () => {
      const prefix = await fakePrefix(join(box.dir, "ours"), ["libepmt.so"]);
      const r = await box.epmt(["-a", "run", ...SHOW_ENV], {
        ...slurm("401"),
        EPMT_INSTALL_PREFIX: prefix,
        LD_PRELOAD: "/opt/site/libsite.so",
      });
      assertEquals(r.code, 0);
      assertEquals(
        r.stdout,
        `PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV|${
          jobdir("401")
        }|${prefix}/lib/libepmt.so:/opt/site/libsite.so\n`,
      );
    },
  );
  await t.step("a real papiex install: papiex, then libmonitor", async () => {
    const prefix = await fakePrefix(join(box.dir, "papiex"), [
      "libpapiex.so",
      "libmonitor.so",
    ]);
    const r = await box.epmt(["-a", "run", ...SHOW_ENV], {
      ...slurm("402"),
      EPMT_INSTALL_PREFIX: prefix,
    });
    assertEquals(
      r.stdout,
      `PERF_COUNT_SW_CPU_CLOCK|${
        jobdir("402")
      }|${prefix}/lib/libpapiex.so:${prefix}/lib/libmonitor.so\n`,
    );
    const set = await box.epmt(["-a", "run", ...SHOW_ENV], {
      ...slurm("403"),
      EPMT_INSTALL_PREFIX: prefix,
      EPMT_PAPIEX_OPTIONS: "PERF_COUNT_SW_TASK_CLOCK,COLLATED_TSV",
    });
    assertStringIncludes(set.stdout, "PERF_COUNT_SW_TASK_CLOCK,COLLATED_TSV|");
  });
  await t.step("export $(epmt source) in bash; --shell csh", async () => {
    const prefix = await fakePrefix(join(box.dir, "ours2"), ["libepmt.so"]);
    const env = { ...slurm("404"), EPMT_INSTALL_PREFIX: prefix };
    const script = `set -e
"${LAUNCHER}" start
export $("${LAUNCHER}" source)
echo "$PAPIEX_OPTIONS|$PAPIEX_OUTPUT|$LD_PRELOAD"
unset LD_PRELOAD
"${LAUNCHER}" stop`;
    const r = await box.run("bash", ["-c", script], env);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(
      r.stdout,
      `PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV|${
        jobdir("404")
      }|${prefix}/lib/libepmt.so\n`,
    );
    const changes = (await metadataOf(jobdir("404")))
      .job_el_env_changes as Record<string, string>;
    assertEquals(changes.PAPIEX_OUTPUT, jobdir("404"));
    assertEquals(
      changes.PAPIEX_OPTIONS,
      "PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV",
    );
    assert(!("LD_PRELOAD" in changes), "unset before stop");
    const csh = await box.epmt(["source", "--shell", "csh"], env);
    assertEquals(
      csh.stdout,
      [
        "setenv PAPIEX_OPTIONS PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV;",
        `setenv PAPIEX_OUTPUT ${jobdir("404")};`,
        `setenv LD_PRELOAD ${prefix}/lib/libepmt.so;`,
        "",
      ].join("\n"),
    );
  });
  await t.step("source before start warns", async () => {
    const r = await box.epmt(["source"], slurm("405"));
    assertEquals(r.code, 0);
    assertStringIncludes(r.stderr, "no started job for job id 405");
  });
  await box.remove();
});

Deno.test("database passwords never reach the job metadata", async () => {
  const box = await jobBox();
  const env = {
    ...slurm("500"),
    EPMT_DB_PASSWORD: "s3cret-start",
    PGPASSWORD: "pg-s3cret",
  };
  assertEquals((await box.epmt(["start"], env)).code, 0);
  assertEquals((await box.epmt(["run", "true"], env)).code, 0);
  const stop = await box.epmt(["stop"], {
    ...env,
    EPMT_DB_PASSWORD: "s3cret-changed",
    SITE_DB_PASSWD: "other",
  });
  assertEquals(stop.code, 0);
  const jobdir = join(box.out, "Foo.Bar", "500");
  const text = await Deno.readTextFile(join(jobdir, "job_metadata"));
  for (const secret of ["s3cret", "pg-s3cret", "other", "PASSWORD", "PASSWD"]) {
    assert(!text.includes(secret), `${secret} in job_metadata`);
  }
  const dump = await box.epmt(["dump", jobdir], env);
  assert(!dump.stdout.includes("s3cret") && !dump.stderr.includes("s3cret"));
  await box.remove();
});

Deno.test({
  name: "with the collector built, -a run collects the command's processes",
  ignore: !(() => {
    try {
      return Deno.statSync(join(ROOT, "native", "Makefile")).isFile;
    } catch {
      return false;
    }
  })(),
  fn: async () => {
    await makeCollector();
    const box = await jobBox();
    const r = await box.epmt(
      ["-a", "run", "sh", "-c", "ls / >/dev/null; exit 4"],
      { ...slurm("600"), EPMT_INSTALL_PREFIX: ROOT },
    );
    assertEquals([r.code, logLines(r.stderr)], [4, []]);
    const jobdir = join(box.out, "Foo.Bar", "600");
    const files = listDir(jobdir).filter((f) => /papiex.*\.csv$/.test(f));
    assert(files.length > 0, `no collector files in ${listDir(jobdir)}`);
    const rows = (await Promise.all(
      files.map((f) => Deno.readTextFile(join(jobdir, f))),
    )).join("\n").split("\n").filter((l) => l && !l.startsWith("tags,"));
    assert(rows.length >= 2, "sh and ls were collected");
    await box.remove();
  },
});

Deno.test("run forwards SIGTERM, outlives SIGINT, and records the job either way", async (t) => {
  const box = await jobBox();
  /**
   * Starts `epmt -a run sh -c SCRIPT`; resolves once the script has reached
   * READY (where it touches a marker file, after setting up its traps).
   */
  async function started(id: string, script: string) {
    const ready = join(box.dir, `ready-${id}`);
    const child = new Deno.Command(LAUNCHER, {
      args: [
        "-a",
        "run",
        "sh",
        "-c",
        script.replace("READY", `touch '${ready}'`),
      ],
      env: { ...box.env, ...slurm(id) },
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    for (
      let i = 0;
      i < 500 && listDir(box.dir).indexOf(`ready-${id}`) < 0;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert(listDir(box.dir).includes(`ready-${id}`), "the command started");
    return child;
  }
  await t.step(
    "SIGTERM reaches the command; its status is recorded",
    async () => {
      const child = await started(
        "900",
        "trap 'exit 7' TERM; READY; while :; do sleep 0.05; done",
      );
      child.kill("SIGTERM");
      const out = await child.output();
      assertEquals(out.code, 7, new TextDecoder().decode(out.stderr));
      const m = await metadataOf(join(box.out, "Foo.Bar", "900"));
      assertEquals(m.job_el_status, 7);
    },
  );
  await t.step(
    "SIGINT to epmt alone: the command runs to its end",
    async () => {
      const child = await started("901", "READY; sleep 0.3; exit 4");
      child.kill("SIGINT");
      const out = await child.output();
      assertEquals(out.code, 4, new TextDecoder().decode(out.stderr));
      const m = await metadataOf(join(box.out, "Foo.Bar", "901"));
      assertEquals(m.job_el_status, 4);
    },
  );
  await box.remove();
});

const TCSH = ["/usr/bin/tcsh", "/bin/tcsh", "/bin/csh"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

Deno.test({
  name: "csh: eval `epmt source --shell csh` collects into the job",
  ignore: TCSH === undefined,
  fn: async () => {
    const box = await jobBox();
    const prefix = await fakePrefix(join(box.dir, "ours"), ["libepmt.so"]);
    const env = { ...slurm("700"), EPMT_INSTALL_PREFIX: prefix };
    const script = [
      `"${LAUNCHER}" start`,
      `eval \`"${LAUNCHER}" source --shell csh\``,
      `printenv PAPIEX_OUTPUT`,
      `printenv PAPIEX_OPTIONS`,
      `unsetenv LD_PRELOAD`,
      `"${LAUNCHER}" stop`,
    ].join("\n");
    const r = await box.run(TCSH!, ["-f", "-c", script], env);
    assertEquals(r.code, 0, r.stderr);
    const jobdir = join(box.out, "Foo.Bar", "700") + "/";
    assertEquals(r.stdout, `${jobdir}\nPERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV\n`);
    assertEquals(listDir(jobdir), ["job_metadata"]);
    await box.remove();
  },
});
