/**
 * The portable bundle: a folder that runs on any x86_64 Linux with nothing
 * but what is inside it.
 *
 * ```
 * epmt-<version>-linux-x86_64/
 *   epmt             launcher (sh)
 *   epmt.cjs         the program, one file (npm packages inside)
 *   bin/deno         the Deno runtime
 *   lib/libepmt.so   the collector
 *   settings/        ready settings files
 *   slurm/           Prolog, TaskProlog and Epilog scripts (docs/slurm.md)
 *   systemd/         the ingest daemon's unit (docs/operating.md)
 *   docs/            the admin and user documentation
 *   README.txt
 * ```
 */
import { join } from "node:path";
import { compareVersions, glibcNeeded } from "./glibc.ts";
import { launcherScript } from "./launcher.ts";

/** Options for {@linkcode makeBundle}. */
export interface BundleOptions {
  /** The project checkout. */
  root: string;
  /** The deno executable: bundles the program and is shipped in bin/. */
  deno: string;
  /** The folder to create (replaced if it exists). */
  folder: string;
  version: string;
  /** The collector library to ship. */
  collector: string;
  /** Permission flags for the launcher. */
  permissions: string[];
}

/** The bundled program's file name inside the bundle. */
export const PROGRAM = "epmt.cjs";

/** What a made bundle needs of the machines it runs on. */
export interface BundleInfo {
  /** The oldest glibc every binary in the bundle runs on, e.g. "2.34". */
  glibc: string;
  /** Which file needs which glibc, e.g. "lib/libepmt.so 2.34, bin/deno 2.27". */
  glibcDetail: string;
}

/**
 * Creates the bundle folder; throws with the bundler's output on failure.
 * Resolves what the bundle needs of its hosts.
 */
export async function makeBundle(opts: BundleOptions): Promise<BundleInfo> {
  await Deno.remove(opts.folder, { recursive: true }).catch(ignoreNotFound);
  for (const sub of ["bin", "lib"]) {
    await Deno.mkdir(join(opts.folder, sub), { recursive: true });
  }
  await bundleProgram(opts, join(opts.folder, PROGRAM));
  await Deno.copyFile(opts.deno, join(opts.folder, "bin", "deno"));
  await Deno.chmod(join(opts.folder, "bin", "deno"), 0o755);
  await Deno.copyFile(opts.collector, join(opts.folder, "lib", "libepmt.so"));
  const copy = (from: string, pattern: RegExp, to: string) =>
    copyMatching(join(opts.root, from), pattern, join(opts.folder, to));
  await copy("settings", /\.json$/, "settings");
  await copy("docs", /\.md$/, "docs");
  // The site hooks find epmt in the folder above them (docs/slurm.md).
  await copy(join("scripts", "slurm"), /^epmt-/, "slurm");
  await copy(join("scripts", "systemd"), /\.service$/, "systemd");
  const launcher = join(opts.folder, "epmt");
  await Deno.writeTextFile(
    launcher,
    launcherScript({
      version: opts.version,
      deno: "bin/deno",
      program: PROGRAM,
      permissions: opts.permissions,
    }),
  );
  await Deno.chmod(launcher, 0o755);
  const info = glibcOf(opts.folder, ["bin/deno", "lib/libepmt.so"]);
  await Deno.writeTextFile(
    join(opts.folder, "README.txt"),
    readme(opts.version, info),
  );
  return info;
}

/** The glibc the bundle's binaries need: the newest any of them needs. */
function glibcOf(folder: string, files: string[]): BundleInfo {
  const needs = files.map((f) => ({
    f,
    v: glibcNeeded(join(folder, f)) ?? "0",
  }));
  needs.sort((a, b) => compareVersions(b.v, a.v));
  return {
    glibc: needs[0].v,
    glibcDetail: needs.map((n) => `${n.f} ${n.v}`).join(", "),
  };
}

/**
 * `deno bundle` into one CommonJS file. CommonJS, not ESM, because an ESM
 * bundle hoists every node: import of every command to the top, so all of
 * them (net, tls, crypto, ...) would be loaded by every command; in
 * CommonJS they stay `require` calls inside modules that load on first use.
 */
async function bundleProgram(opts: BundleOptions, out: string): Promise<void> {
  const r = await new Deno.Command(opts.deno, {
    args: [
      "bundle",
      "--quiet",
      "--config",
      join(opts.root, "deno.json"),
      "--platform",
      "deno",
      "--format",
      "cjs",
      "--output",
      out,
      join(opts.root, "scripts", "build", "entry.ts"),
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`deno bundle failed:\n${stderr.trimEnd()}`);
  // import.meta is empty in a CommonJS bundle: code that uses it to find
  // files would break only in the bundle, so refuse to build one.
  if (/import\.meta/.test(stderr)) {
    throw new Error(
      `deno bundle: the program uses import.meta, which the bundle cannot ` +
        `keep:\n${stderr.trimEnd()}`,
    );
  }
}

/** Copies the files of `from` whose names match into `to` (modes kept). */
async function copyMatching(
  from: string,
  pattern: RegExp,
  to: string,
): Promise<void> {
  const entries = await Array.fromAsync(Deno.readDir(from));
  await Deno.mkdir(to, { recursive: true });
  for (const e of entries) {
    if (e.isFile && pattern.test(e.name)) {
      await Deno.copyFile(join(from, e.name), join(to, e.name));
    }
  }
}

function ignoreNotFound(e: unknown): void {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
}

function readme(version: string, info: BundleInfo): string {
  return `epmt ${version}: the Experiment Performance Management Tool

Runs on x86_64 Linux with glibc ${info.glibc} or newer
(${info.glibcDetail}).

Run ./epmt from this folder, or put it (or a symlink to it) on PATH:

    ./epmt --version          versions of epmt, its collector and Deno
    ./epmt check              verify this installation, one line per check
    ./epmt help               usage and the active settings

To make a settings file the site default, copy it to settings.json beside
the epmt launcher, e.g.  cp settings/settings_pg_localhost.json settings.json

docs/install.md says how to install and configure epmt for a site;
docs/usage.md how to use it in job scripts.
`;
}
