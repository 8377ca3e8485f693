/**
 * A usage mistake inside a command is answered with that command's
 * synopsis, not the whole program's usage: the error line stays in view.
 */
import { assert, assertEquals } from "./assert.ts";
import { epmt, sandbox } from "./helpers.ts";

Deno.test("a usage error in a command shows the command's synopsis", async (t) => {
  const box = await sandbox();
  const cases: [string[], string, string][] = [
    [
      ["list", "--after", "garbage"],
      `--after: cannot read "garbage" as a date`,
      "usage: epmt list [FILTERS] [--limit N] [--offset N] [--json | --csv]",
    ],
    [["export"], "export: name a JOBID", "usage: epmt export JOBID... ["],
    [
      ["annotate", "1", "=x"],
      'annotate: "=x" is not KEY=VALUE',
      "usage: epmt annotate [-n] JOBID [KEY=VALUE...] [--remove KEY...] [--json]",
    ],
    [
      ["source", "--shell", "fish"],
      "source: --shell must be one of bash, sh, zsh, ksh, dash, csh, tcsh, " +
      'not "fish"',
      "usage: epmt source [--shell bash|csh | --slurm]",
    ],
    [["check", "x"], "check takes no arguments", "usage: epmt check"],
    [
      ["list", "procs"],
      "list procs: name one JOBID",
      "usage: epmt list [FILTERS]",
    ],
  ];
  for (const [args, error, synopsis] of cases) {
    await t.step(args.join(" "), async () => {
      const r = await epmt(args, { env: box.env });
      assertEquals(r.code, 2);
      assertEquals(r.stdout, "");
      const lines = r.stderr.trimEnd().split("\n");
      assert(lines[0].startsWith(`ERROR:epmt: ${error}`), lines[0]);
      assert(lines[1].startsWith(synopsis), lines[1]);
      assertEquals(lines.at(-1), `'epmt help ${args[0]}' describes it.`);
      assert(!r.stderr.includes("global flags:"), r.stderr);
    });
  }
  await t.step(
    "an unknown command is one line, with a suggestion",
    async () => {
      for (
        const [name, hint] of [["bogus", ""], ["lsit", " (did you mean list?)"]]
      ) {
        const r = await epmt([name], { env: box.env });
        assertEquals(r.code, 2);
        assertEquals(
          r.stderr,
          `ERROR:epmt: unknown command ${name}${hint}; 'epmt help' lists the commands\n`,
        );
      }
    },
  );
  await t.step("an unknown option is one line, with a suggestion", async () => {
    for (
      const [args, line] of [
        [
          ["outliers", "--jsno"],
          "outliers: unknown option --jsno (did you mean --json?)",
        ],
        [
          ["submit", "x", "--drp"],
          "submit: unknown option --drp (did you mean --drop?)",
        ],
      ]
    ) {
      const r = await epmt(args as string[], { env: box.env });
      assertEquals(r.code, 2);
      assertEquals(r.stderr, `ERROR:epmt: ${line}\n`);
    }
  });
  await Deno.remove(box.dir, { recursive: true });
});
