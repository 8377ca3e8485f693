/**
 * The collector follows processes the way they really come and go: shell
 * trees and pipelines, threads, exec chains, forks from threaded programs,
 * vfork/posix_spawn/system, and every way a process ends.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import {
  allProcs,
  BUILD,
  names,
  type Proc,
  run,
  scratch,
} from "./native_helpers.ts";
import { join } from "node:path";

const CSV = "PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV";
const n = Number;
const dec = new TextDecoder();

function byExe(procs: Proc[], exe: string): Proc[] {
  return procs.filter((p) => p.row.exename === exe);
}

Deno.test("a shell pipeline and subshell tree: every ppid links to its parent", async () => {
  const out = await scratch();
  const script = "ls /etc | wc -l >/dev/null; cat /etc/hostname >/dev/null; " +
    '(sleep 0.05; true); sh -c "echo hi | tr a-z A-Z" >/dev/null';
  const r = await run(["/bin/bash", "-c", script], { options: CSV, out });
  assertEquals(r.code, 0);
  const procs = await allProcs(out);
  const pids = new Map(procs.map((p) => [p.row.pid, p]));
  assertEquals(pids.size, procs.length, "one record per process");
  const [root] = byExe(procs, "/bin/bash").filter((p) =>
    p.row.ppid === String(Deno.pid)
  );
  assert(root, "the shell itself");
  for (const p of procs) {
    assertEquals(p.row.generation, "0");
    assertEquals(p.row.numtids, "1");
    if (p !== root) assert(pids.has(p.row.ppid), `parent of ${p.row.exename}`);
    // A child starts after its parent and ends before it.
    const parent = pids.get(p.row.ppid);
    if (parent) {
      assert(n(parent.row.start) <= n(p.row.start), "starts after parent");
      assert(n(p.row.end) <= n(parent.row.end), "ends before parent");
    }
  }
  const pid = (exe: string) => byExe(procs, exe).map((p) => p.row.pid);
  const ppid = (exe: string) => byExe(procs, exe).map((p) => p.row.ppid);
  for (const exe of ["ls", "wc", "cat"]) {
    assertEquals(ppid(exe), [root.row.pid], exe);
  }
  // The subshell is a fork of bash that ran sleep.
  const [sub] = byExe(procs, "/bin/bash").filter((p) => p !== root);
  assertEquals(sub.row.ppid, root.row.pid);
  assertEquals(sub.row.args, root.row.args);
  assertEquals(ppid("sleep"), [sub.row.pid]);
  // sh (dash) forks a subshell for echo on the left of its pipe, then tr.
  const [sh] = byExe(procs, "sh").filter((p) => p.row.ppid === root.row.pid);
  const left = byExe(procs, "sh").filter((p) => p !== sh);
  assertEquals(left.map((p) => p.row.ppid), [sh.row.pid]);
  assertEquals(ppid("tr"), [sh.row.pid]);
  assertEquals(pid("tr").length, 1);
  assert(procs.every((p) => p.row.pgid !== "" && p.row.sid !== ""));
  await Deno.remove(out, { recursive: true });
});

Deno.test("threads: one row each, however the process ends", async (t) => {
  const out = await scratch();
  const cases: [string, number, number][] = [
    ["join", 0, 5], // 4 threads joined: main + 4 rows
    ["running", 0, 5], // threads still running at exit are read then
    ["thread-exit", 4, 5], // exit(4) from a thread
    ["main-exit", 0, 5], // main calls pthread_exit, the last thread ends it
    ["c11", 0, 5], // C11 thrd_create
  ];
  for (const [mode, code, rows] of cases) {
    await t.step(mode, async () => {
      const dir = join(out, mode);
      await Deno.mkdir(dir);
      const r = await run([`${BUILD}/threads`, "4", mode, "3000000"], {
        options: "PERF_COUNT_SW_CPU_CLOCK",
        out: dir,
      });
      assertEquals(r.code, code);
      const [p] = await allProcs(dir);
      assertEquals(p.row.exitcode, String(code));
      assertEquals(n(p.row.numtids), rows);
      assertEquals(p.threads.length, rows);
      assertEquals(p.threads[0].tid, p.row.pid);
      assertEquals(new Set(p.threads.map((x) => x.tid)).size, rows);
      assert(p.row.path.endsWith("/threads"), "path even after main ended");
      for (const th of p.threads.slice(1)) {
        assert(n(th.usertime) + n(th.systemtime) > 0, "thread CPU time");
        // Threads that finished their work counted at least a millisecond;
        // ones still at it when the process ended, something.
        const done = ["join", "main-exit", "c11"].includes(mode);
        assert(n(th.PERF_COUNT_SW_CPU_CLOCK) > (done ? 1e6 : 0), "counter");
        assert(n(th.start) >= n(p.row.start) && n(th.end) <= n(p.row.end));
        // Process-wide figures are in the first row only.
        assertEquals([th.cutime, th.num_threads], ["0", "0"]);
      }
    });
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("death by a signal: exitsignal, and the same exit status as without", async (t) => {
  const out = await scratch();
  for (
    const [signal, number] of [
      ["SIGTERM", 15],
      ["SIGINT", 2],
      ["SIGHUP", 1],
      ["SIGUSR1", 10],
    ] as const
  ) {
    await t.step(`${signal} from outside`, async () => {
      const dir = join(out, signal);
      await Deno.mkdir(dir);
      const cmd = [`${BUILD}/crash`, "wait-term"];
      // Signal it once it is running its main (and we are set up).
      const kill = async (c: Deno.ChildProcess) => {
        const reader = c.stdout.getReader();
        await reader.read();
        reader.releaseLock();
        c.kill(signal);
      };
      const bare = await run(cmd, { during: kill });
      const coll = await run(cmd, { options: CSV, out: dir, during: kill });
      assertEquals(bare.signal, signal);
      assertEquals([coll.signal, coll.code], [bare.signal, bare.code]);
      const [p] = byExe(await allProcs(dir), cmd[0]);
      assertEquals([p.row.exitsignal, p.row.exitcode], [String(number), "0"]);
    });
  }
  await t.step("a shell sees 143 from its killed child", async () => {
    const dir = join(out, "shell");
    await Deno.mkdir(dir);
    const cmd = [
      "/bin/bash",
      "-c",
      `coproc ${BUILD}/crash wait-term; read -u \${COPROC[0]} x; ` +
      "kill -TERM $COPROC_PID; wait $COPROC_PID; echo $?",
    ];
    const bare = await run(cmd);
    const coll = await run(cmd, { options: CSV, out: dir });
    assertEquals(new TextDecoder().decode(coll.stdout), "143\n");
    assertEquals(coll.stdout, bare.stdout);
    const [p] = byExe(await allProcs(dir), `${BUILD}/crash`);
    assertEquals([p.row.exitsignal, p.row.exitcode], ["15", "0"]);
  });
  for (
    const [mode, signal, code] of [
      ["segv", "SIGSEGV", 0],
      ["abort", "SIGABRT", 0],
      ["fpe-raise", "SIGFPE", 0],
      ["_exit5", null, 5],
      ["quick_exit6", null, 6],
      ["own-term", null, 9], // its own handler ran and exited 9
    ] as const
  ) {
    await t.step(mode, async () => {
      const dir = join(out, mode);
      await Deno.mkdir(dir);
      const cmd = [`${BUILD}/crash`, mode];
      const bare = await run(cmd);
      const coll = await run(cmd, { options: CSV, out: dir });
      assertEquals(bare.signal, signal);
      if (!signal) assertEquals(bare.code, code);
      assertEquals([coll.signal, coll.code], [bare.signal, bare.code]);
      assertEquals([coll.stdout, coll.stderr], [bare.stdout, bare.stderr]);
      const [p] = await allProcs(dir);
      const sig = { SIGSEGV: 11, SIGABRT: 6, SIGFPE: 8 };
      assertEquals(p.row.exitsignal, String(signal ? sig[signal] : 0));
      assertEquals(p.row.exitcode, String(signal ? 0 : code));
    });
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("exit 3 is kept and recorded", async () => {
  const out = await scratch();
  const missing = join(out, "no-such-file");
  const r = await run(
    ["/bin/bash", "-c", `ls ${missing} 2>/dev/null; exit 3`],
    {
      options: CSV,
      out,
    },
  );
  assertEquals(r.code, 3);
  const procs = await allProcs(out);
  assertEquals(byExe(procs, "/bin/bash")[0].row.exitcode, "3");
  assertEquals(byExe(procs, "ls")[0].row.exitcode, "2");
  await Deno.remove(out, { recursive: true });
});

Deno.test("exec chain: generations of one pid, each counted once", async (t) => {
  const out = await scratch();
  await t.step("three images", async () => {
    const dir = join(out, "chain");
    await Deno.mkdir(dir);
    // A clock event (its start is handed over) and a counted one (its
    // counter fd is).
    const r = await run([`${BUILD}/exec_chain`, "2", "150"], {
      options: "PERF_COUNT_SW_CPU_CLOCK,PERF_COUNT_SW_PAGE_FAULTS",
      out: dir,
    });
    assertEquals(r.code, 7);
    const files = await names(dir);
    const pid = files[0].split("-")[2];
    assertEquals(
      files,
      [0, 1, 2].map((g) => `${Deno.hostname()}-papiex-${pid}-${g}.csv`),
    );
    const procs = (await allProcs(dir)).sort((a, b) =>
      n(a.row.generation) - n(b.row.generation)
    );
    assertEquals(procs.map((p) => p.row.args), ["2 150", "1 0", "0 0"]);
    assertEquals(procs.map((p) => p.row.exitcode), ["0", "0", "7"]);
    const cpu = procs.map((p) => n(p.row.usertime) + n(p.row.systemtime));
    assert(cpu[0] >= 140_000, `generation 0 burned ${cpu[0]} us`);
    assert(cpu[1] < 50_000 && cpu[2] < 50_000, `later ones: ${cpu}`);
    const clock = procs.map((p) => n(p.row.PERF_COUNT_SW_CPU_CLOCK));
    assert(clock[0] >= 140e6 && clock[1] < 50e6 && clock[2] < 50e6, `${clock}`);
    for (const p of procs) {
      assertMatch(p.row.PERF_COUNT_SW_PAGE_FAULTS, /^\d+$/);
    }
    assertEquals(procs[1].row.start, procs[0].row.end);
    assertEquals(procs[2].row.start, procs[1].row.end);
  });
  await t.step("a shell that execs its last command", async () => {
    const dir = join(out, "bash");
    await Deno.mkdir(dir);
    await run(["/bin/bash", "-c", "true; exec /bin/sleep 0"], {
      options: CSV,
      out: dir,
    });
    const procs = await allProcs(dir);
    assertEquals(
      procs.map((p) => [p.row.exename, p.row.generation]).sort(),
      [["/bin/bash", "0"], ["/bin/sleep", "1"]],
    );
    assertEquals(procs[0].row.pid, procs[1].row.pid);
  });
  await t.step("an exec that cannot start leaves one record", async () => {
    const dir = join(out, "missing");
    await Deno.mkdir(dir);
    const r = await run([`${BUILD}/exec_chain`, "0", "20", join(dir, "none")], {
      options: CSV,
      out: dir,
    });
    assertEquals(r.code, 7);
    const procs = await allProcs(dir);
    assertEquals(procs.map((p) => p.row.generation), ["0"]);
  });
  await t.step(
    "an exec that fails late: the rest is the next generation",
    async () => {
      const dir = join(out, "late");
      await Deno.mkdir(dir);
      const script = join(out, "bad-interpreter");
      await Deno.writeTextFile(script, "#!/nonexistent/interpreter\n");
      await Deno.chmod(script, 0o755);
      await run([`${BUILD}/exec_chain`, "0", "100", script], {
        options: CSV,
        out: dir,
      });
      const procs = (await allProcs(dir)).sort((a, b) =>
        n(a.row.generation) - n(b.row.generation)
      );
      assertEquals(procs.map((p) => p.row.generation), ["0", "1"]);
      const cpu = procs.map((p) => n(p.row.usertime) + n(p.row.systemtime));
      assert(cpu[0] >= 90_000 && cpu[1] < 30_000, `not counted twice: ${cpu}`);
      assertEquals(procs[1].row.exitcode, "7");
    },
  );
  await Deno.remove(out, { recursive: true });
});

Deno.test("counters count their own process only: a forked child is not added to its parent", async () => {
  const out = await scratch();
  const r = await run([`${BUILD}/forkburn`, "100"], {
    options: "PERF_COUNT_SW_CPU_CLOCK,PERF_COUNT_SW_TASK_CLOCK",
    out,
  });
  assertEquals(r.code, 0);
  const procs = await allProcs(out);
  assertEquals(procs.length, 2);
  const [parent, child] = procs[0].row.ppid === String(Deno.pid)
    ? procs
    : [procs[1], procs[0]];
  assertEquals(child.row.ppid, parent.row.pid);
  const ms = (p: Proc, k: string) => n(p.row[k]) / 1e6;
  for (const k of ["PERF_COUNT_SW_CPU_CLOCK", "PERF_COUNT_SW_TASK_CLOCK"]) {
    assert(
      ms(parent, k) >= 95 && ms(parent, k) < 180,
      `parent ${k} ${ms(parent, k)}`,
    );
    assert(
      ms(child, k) >= 190 && ms(child, k) < 280,
      `child ${k} ${ms(child, k)}`,
    );
  }
  const cpu = (p: Proc) => (n(p.row.usertime) + n(p.row.systemtime)) / 1000;
  assert(
    cpu(parent) < 180 && cpu(child) >= 190,
    `${cpu(parent)} ${cpu(child)}`,
  );
  // The parent waited for its child: that shows in its children's columns.
  assert(n(parent.row.cutime) + n(parent.row.cstime) >= 180_000, "cutime");
  await Deno.remove(out, { recursive: true });
});

Deno.test("a multi-threaded program that forks: no deadlock, each child its own record", async () => {
  const out = await scratch();
  const r = await run([`${BUILD}/fork_threads`, "40"], { options: CSV, out });
  // On a hang its watchdog says in stderr where every thread was.
  assertEquals([r.code, r.signal], [0, null], r.stderr);
  const procs = await allProcs(out);
  const parent = procs.find((p) => p.row.ppid === String(Deno.pid))!;
  assert(n(parent.row.numtids) >= 5, "main, 4 churners and their threads");
  const children = procs.filter((p) => p !== parent);
  assertEquals(children.length, 40);
  for (const c of children) {
    assertEquals(c.row.ppid, parent.row.pid);
    assertEquals([c.row.numtids, c.row.generation], ["3", "0"]);
    assertEquals(c.threads[0].tid, c.row.pid);
    assert(n(c.row.start) >= n(parent.row.start));
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("a fork child copies none of the parent's thread history and keeps none of its counters", async () => {
  // The parent has a record slot for every thread it ever ran. A child that
  // touched them copied them: each fork slower than the last, and a threaded
  // program forking in a loop slowed without end (a CI hang). So the
  // child's own page faults must not grow with the parent's thread count.
  const prog = `${BUILD}/fork_after_threads`;
  const options = "PERF_COUNT_SW_PAGE_FAULTS,COLLATED_CSV";
  assertEquals(
    dec.decode((await run([prog, "0", "4"])).stdout),
    "child perf fds 0\n",
  );
  const childFaults = async (threads: number) => {
    const out = await scratch();
    const r = await run([prog, String(threads), "4"], { options, out });
    // 4 waiting threads and the main one have a counter each; the child
    // has only its own.
    assertEquals([r.code, dec.decode(r.stdout)], [0, "child perf fds 1\n"]);
    const procs = await allProcs(out);
    const parent = procs.find((p) => p.row.ppid === String(Deno.pid))!;
    assertEquals(n(parent.row.numtids), threads + 5);
    const [child] = procs.filter((p) => p !== parent);
    assertEquals(child.row.ppid, parent.row.pid);
    await Deno.remove(out, { recursive: true });
    return n(child.row.minflt);
  };
  const few = await childFaults(0);
  const many = await childFaults(10000);
  // Touching 10,000 slots of ~1 KiB costs ~2,400 faults.
  assert(
    many < few + 200,
    `child faults: ${few} after 5 threads, ${many} after 10,005`,
  );
});

Deno.test("vfork, posix_spawn and system(): children recorded, statuses unchanged", async () => {
  const out = await scratch();
  const r = await run([`${BUILD}/spawners`], { options: CSV, out });
  assertEquals(r.code, 0, "each child's status was as expected");
  const procs = await allProcs(out);
  const parent = byExe(procs, `${BUILD}/spawners`)[0];
  const kids = procs.filter((p) => p !== parent);
  assertEquals(
    kids.map((p) => [p.row.exename, p.row.exitcode, p.row.args]).sort(),
    [["false", "1", ""], ["sh", "4", "-c exit 4"], ["true", "0", ""]],
  );
  for (const k of kids) assertEquals(k.row.ppid, parent.row.pid);
  await Deno.remove(out, { recursive: true });
});

Deno.test("fork handlers, forkpty and daemon(): children recorded, and the program's own child handler sees its child collected", async (t) => {
  const out = await scratch();
  const prog = `${BUILD}/forkers`;
  for (const [mode, kid] of [["handler", "0 10"], ["forkpty", "6 0"]]) {
    await t.step(mode, async () => {
      const dir = join(out, mode);
      await Deno.mkdir(dir);
      const r = await run([prog, mode], { options: CSV, out: dir });
      assertEquals(r.code, 0, "the child ended as it would without us");
      const procs = await allProcs(dir);
      assertEquals(procs.length, 2);
      const parent = procs.find((p) => p.row.ppid === String(Deno.pid))!;
      const child = procs.find((p) => p !== parent)!;
      assertEquals(child.row.ppid, parent.row.pid);
      // handler: the program's child handler set SIGUSR1 back to its
      // default; ours had run first, so the child's death is recorded.
      assertEquals(`${child.row.exitcode} ${child.row.exitsignal}`, kid);
    });
  }
  await t.step("daemon", async () => {
    const dir = join(out, "daemon");
    await Deno.mkdir(dir);
    const r = await run([prog, "daemon"], { options: CSV, out: dir });
    assertEquals(r.code, 0);
    // The daemon outlives its parent: wait for its record.
    let procs = await allProcs(dir);
    for (let i = 0; i < 300 && procs.length < 2; i++) {
      await new Promise((ok) => setTimeout(ok, 10));
      procs = await allProcs(dir);
    }
    // The process that called daemon() leaves its record too (exit 0),
    // and the daemon is its child, in a session of its own.
    const caller = procs.find((p) => p.row.ppid === String(Deno.pid))!;
    assert(caller, "the caller of daemon() is recorded");
    const daemon = procs.find((p) => p !== caller)!;
    assertEquals(
      [caller.row.exitcode, daemon.row.exitcode, daemon.row.ppid],
      ["0", "5", caller.row.pid],
    );
    assertEquals(daemon.row.sid, daemon.row.pid);
  });
  await Deno.remove(out, { recursive: true });
});
