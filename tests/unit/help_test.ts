/**
 * Help and parsing through main() in-process: every command's -h, `help
 * CMD`, every alias shown, global flags on either side of the command,
 * did-you-mean for unknown commands and options.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../assert.ts";
import { COMMANDS } from "../../src/cli/registry.ts";
import { allOptions } from "../../src/cli/options.ts";
import { box } from "./cli.ts";

const b = await box();
const NAMES = Object.keys(COMMANDS);

for (const name of NAMES) {
  Deno.test(`${name} -h prints its usage on stdout, exit 0`, async () => {
    for (const flag of ["-h", "--help"]) {
      const r = await b.epmt([name, flag]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stderr, "");
      assert(r.stdout.startsWith(`usage: epmt ${name}`), r.stdout);
    }
  });

  Deno.test(`help ${name} and -h ${name} print what ${name} -h does`, async () => {
    const h = await b.epmt([name, "-h"]);
    assertEquals((await b.epmt(["help", name])).stdout, h.stdout);
    assertEquals((await b.epmt(["-h", name])).stdout, h.stdout);
  });

  Deno.test(`${name}: every option and alias is in its help`, async () => {
    const { command } = await COMMANDS[name].load();
    const help = command.usage;
    for (const o of allOptions(command.decl)) {
      const long = `--${o.long}`;
      assertMatch(help, new RegExp(`^  (-\\w, )?${long}\\b`, "m"), long);
      if (o.short) {
        assertStringIncludes(help, `-${o.short}, ${long}`);
      }
    }
  });

  Deno.test(`${name}: summary in the registry is the table's`, async () => {
    const { command } = await COMMANDS[name].load();
    assertEquals(command.decl.name, name);
    assertEquals(command.decl.summary, COMMANDS[name].summary);
  });

  Deno.test(`${name}: help lines fit in 80 columns`, async () => {
    const { command } = await COMMANDS[name].load();
    for (const line of command.usage.split("\n")) {
      assert(line.length <= 80, `${line.length}: ${line}`);
    }
  });
}

Deno.test("the aliases once hidden are in the help now", async () => {
  const want: [string, string][] = [
    ["list", "-u, --user"],
    ["list", "-t, --tag"],
    ["list", "-l, --limit"],
    ["export", "-f, --format"],
    ["export", "-w, --what"],
    ["export", "-o, --output"],
    ["show", "-t, --tree"],
    ["show", "-d, --depth"],
    ["outliers", "-f, --features"],
    ["outliers", "-m, --method"],
    ["annotate", "-r, --remove"],
    ["dump", "-k, --key"],
  ];
  for (const [cmd, text] of want) {
    assertStringIncludes((await b.epmt([cmd, "-h"])).stdout, text, cmd);
  }
});

Deno.test("help prints the usage and the settings", async () => {
  const r = await b.epmt(["help"]);
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stdout, "usage: epmt");
  assertStringIncludes(r.stdout, "settings (built-in defaults):");
  for (const name of NAMES) {
    assertMatch(r.stdout, new RegExp(`^  ${name} `, "m"));
  }
});

Deno.test("help hides passwords and names the overriding variables", async () => {
  const r = await b.epmt(["help"], {
    EPMT_DB_PASSWORD: "s3cret",
    EPMT_DB_PORT: "6543",
  });
  assertEquals(r.code, 0);
  assertMatch(r.stdout, /^ {2}db_params\.port +6543$/m);
  assertStringIncludes(r.stdout, "EPMT_DB_PASSWORD=****");
  assert(!r.stdout.includes("s3cret") && !r.stderr.includes("s3cret"));
});

Deno.test("help names EPMT_ variables that are not settings", async () => {
  const r = await b.epmt(["help"], { EPMT_PAPIEX_OUPUT: "/x/" });
  assertStringIncludes(
    r.stdout,
    "not settings, ignored (a typo?): EPMT_PAPIEX_OUPUT",
  );
});

Deno.test("-h alone is help; no command at all is a usage error", async () => {
  assertEquals((await b.epmt(["-h"])).stdout, (await b.epmt(["help"])).stdout);
  const r = await b.epmt([]);
  assertEquals(r.code, 2);
  assertEquals(r.stdout, "");
  assertMatch(r.stderr, /^ERROR:epmt: no command given\nusage: epmt/);
});

Deno.test("help with an unknown command suggests the nearest", async () => {
  const r = await b.epmt(["help", "exprot"]);
  assertEquals(r.code, 2);
  assertEquals(
    r.stderr,
    "ERROR:epmt: unknown command exprot (did you mean export?); 'epmt help' lists the commands\n",
  );
});

Deno.test("help with two commands is a usage error", async () => {
  const r = await b.epmt(["help", "list", "show"]);
  assertEquals(r.code, 2);
  assertStringIncludes(r.stderr, "help: name one COMMAND");
});

const typos: [string[], string][] = [
  [
    ["lsit"],
    "unknown command lsit (did you mean list?); 'epmt help' lists the commands",
  ],
  [["bogus"], "unknown command bogus; 'epmt help' lists the commands"],
  [
    ["sumbit"],
    "unknown command sumbit (did you mean submit?); 'epmt help' lists the commands",
  ],
  [["list", "--jsno"], "list: unknown option --jsno (did you mean --json?)"],
  [["list", "--usr", "x"], "list: unknown option --usr (did you mean --user?)"],
  [["show", "--tre", "1"], "show: unknown option --tre (did you mean --tree?)"],
  [
    ["export", "1", "--formt", "csv"],
    "export: unknown option --formt (did you mean --format?)",
  ],
  [
    ["compare", "1", "2", "--lmit", "3"],
    "compare: unknown option --lmit (did you mean --limit?)",
  ],
  [
    ["submit", "x", "--drp"],
    "submit: unknown option --drp (did you mean --drop?)",
  ],
  [["dump", "--jsn"], "dump: unknown option --jsn (did you mean --json?)"],
  [
    ["annotate", "1", "--remvoe", "k"],
    "annotate: unknown option --remvoe (did you mean --remove?)",
  ],
  [
    ["source", "--shel", "bash"],
    "source: unknown option --shel (did you mean --shell?)",
  ],
  [
    ["outliers", "--metod", "iqr"],
    "outliers: unknown option --metod (did you mean --method?)",
  ],
  [["stage", "-x"], "stage: unknown option -x"],
];
for (const [args, line] of typos) {
  Deno.test(`epmt ${args.join(" ")}: one line, exit 2`, async () => {
    const r = await b.epmt(args);
    assertEquals(r.code, 2);
    assertEquals(r.stdout, "");
    assertEquals(r.stderr, `ERROR:epmt: ${line}\n`);
  });
}

const usageErrors: [string[], string, string][] = [
  [
    ["list", "--after", "garbage"],
    `--after: cannot read "garbage" as a date`,
    "usage: epmt list [FILTERS]",
  ],
  [
    ["list", "procs"],
    "list procs: name one JOBID",
    "usage: epmt list [FILTERS]",
  ],
  [
    ["list", "--limit", "x"],
    'list: --limit wants a whole number >= 0, not "x"',
    "usage: epmt list",
  ],
  [
    ["list", "--exe", "sh"],
    "list: --exe and --sort are for 'list procs JOBID'",
    "usage: epmt list",
  ],
  [
    ["list", "procs", "1", "--user", "x"],
    "list procs: --user is for listing jobs",
    "usage: epmt list",
  ],
  [
    ["list", "procs", "1", "--sort", "cpux"],
    'list: --sort must be one of start, cpu, duration, rss, not "cpux" (did you mean cpu?)',
    "usage: epmt list",
  ],
  [["export"], "export: name a JOBID", "usage: epmt export JOBID..."],
  [
    ["export", "1", "--what", "job"],
    'export: --what must be one of jobs, procs, threads, not "job" (did you mean jobs?)',
    "usage: epmt export",
  ],
  [["show"], "show: name a JOBID", "usage: epmt show"],
  [
    ["show", "1", "--depth", "2"],
    "show: --depth goes with --tree",
    "usage: epmt show",
  ],
  [
    ["show", "1", "--width", "2"],
    "show: --width goes with --tree",
    "usage: epmt show",
  ],
  [
    ["compare", "1"],
    "compare: name two jobs, JOB_A and JOB_B",
    "usage: epmt compare",
  ],
  [["annotate"], "annotate: name a JOBID", "usage: epmt annotate"],
  [
    ["annotate", "1", "=x"],
    'annotate: "=x" is not KEY=VALUE',
    "usage: epmt annotate",
  ],
  [["delete"], "delete: name a JOBID", "usage: epmt delete"],
  [
    ["source", "--shell", "fish"],
    'source: --shell must be one of bash, sh, zsh, ksh, dash, csh, tcsh, not "fish"',
    "usage: epmt source",
  ],
  [
    ["source", "--slurm", "--shell", "sh"],
    "source: --slurm takes no other arguments",
    "usage: epmt source",
  ],
  [["check", "x"], "check takes no arguments", "usage: epmt check"],
  [["start", "x"], "start takes no arguments", "usage: epmt start"],
  [["stop", "x"], "stop takes no arguments", "usage: epmt stop"],
  [["run"], "run needs a command to run", "usage: epmt run"],
  [["dump", "-k"], "dump: -k needs a value", "usage: epmt dump"],
  [
    ["outliers", "--exp", "a", "--tag", "b:c"],
    "outliers: give --exp or --tag, not both",
    "usage: epmt outliers",
  ],
  [["list", "--json=yes"], "list: --json takes no value", "usage: epmt list"],
];
for (const [args, error, synopsis] of usageErrors) {
  Deno.test(`epmt ${args.join(" ")}: the error, then the synopsis`, async () => {
    const r = await b.epmt(args);
    assertEquals(r.code, 2, r.stderr);
    assertEquals(r.stdout, "");
    const lines = r.stderr.trimEnd().split("\n");
    assert(lines[0].startsWith(`ERROR:epmt: ${error}`), lines[0]);
    assert(lines[1].startsWith(synopsis), lines[1]);
    assertEquals(lines.at(-1), `'epmt help ${args[0]}' describes it.`);
    assert(!r.stderr.includes("global flags"), r.stderr);
  });
}

Deno.test("unknown global flags before the command print the usage", async () => {
  for (const args of [["--bogus", "help"], ["-x", "help"]]) {
    const r = await b.epmt(args);
    assertEquals(r.code, 2);
    assertMatch(r.stderr, /^ERROR:epmt: unknown flag .+\nusage: epmt/);
  }
});

Deno.test("-h after run's COMMAND belongs to the command", async () => {
  const r = await b.epmt(["run", "sh", "-c", 'test "$1" = -h', "x", "-h"]);
  assertEquals(r.code, 0, r.stderr);
  assert(!r.stdout.includes("usage:"), r.stdout);
  assertStringIncludes(r.stderr, "running sh without collection");
});

Deno.test("-V prints the version", async () => {
  const r = await b.epmt(["-V"]);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /^epmt \d+\.\d+\.\d+/);
});
