import { UserError } from "../../errors.ts";
import * as log from "../../log.ts";
import {
  currentJobContext,
  currentJobDir,
  decodeJobMetadata,
  decodeStartRecord,
  DUMP_KEYS,
  exists,
  METADATA_FILE,
  START_FILE,
} from "../../job/mod.ts";
import { maskSecrets } from "../../secrets.ts";
import type { Context } from "../context.ts";
import { ioReason, print, readRegularFile } from "../../io.ts";
import { limits } from "../../limits.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt dump`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "dump",
  summary: "print the metadata of a job directory or archive",
  synopsis: ["[-k KEY] [--json] [DIR | ARCHIVE | FILE ...]"],
  description:
    `Prints a job's metadata, one key per line, sorted and aligned: from a job
directory, a staged archive (.tgz, .tar.gz, .tar) or a job_metadata file,
ours (JSON) or the Python EPMT's (pickle). Without an argument: the current
job's directory. A job that is started but not stopped shows its start
record.`,
  positionals: [{
    name: "DIR | ARCHIVE | FILE",
    variadic: true,
    optional: true,
    complete: "file",
    help: "a job directory, a staged archive or a job_metadata file",
  }],
  options: [
    {
      long: "key",
      short: "k",
      type: "string",
      value: "KEY",
      help: "print only the value of KEY (any key of the --json form)",
    },
    { long: "json", type: "flag", help: "print the whole metadata as JSON" },
  ],
  notes: `example:
  epmt dump -k exp_name 4711.tgz`,
});

/** `epmt dump`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional: paths } = ctx.parse(command, args);
  const { key, json } = opts;
  if (paths.length === 0) {
    const c = await currentJobContext(ctx.settings, ctx.env, false);
    paths.push(await currentJobDir(c));
  }
  ctx.settings; // installs the bounds on what is read (max_metadata_bytes)
  let failed = 0;
  for (const [i, path] of paths.entries()) {
    try {
      const meta = await load(path);
      if (key !== undefined) {
        if (!Object.hasOwn(meta, key)) {
          throw new UserError(
            `${path}: no key ${key} (keys: ${
              Object.keys(meta).sort().join(", ")
            })`,
          );
        }
        print(show(meta[key]));
      } else if (json) {
        print(JSON.stringify(meta, null, 2));
      } else {
        if (i > 0) print();
        print(table(meta));
      }
    } catch (e) {
      if (!(e instanceof UserError) || paths.length === 1) throw e;
      log.error(e.message);
      failed++;
    }
  }
  return failed ? 1 : 0;
}

/** The metadata of a directory, archive or file, as a plain object. */
async function load(path: string): Promise<Record<string, unknown>> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw new UserError(`${path}: ${ioReason(e)}`);
  }
  if (info.isDirectory) {
    const dir = path.endsWith("/") ? path : path + "/";
    if (await exists(dir + METADATA_FILE)) {
      return loadFile(dir + METADATA_FILE);
    }
    if (await exists(dir + START_FILE)) return loadFile(dir + START_FILE);
    throw new UserError(`${path}: no ${METADATA_FILE} in this directory`);
  }
  if (/\.(tgz|tar\.gz|tar)$/i.test(path)) {
    // Loaded only here: the archive code is the heavy part of dump.
    const { readArchiveMember } = await import("../../archive/mod.ts");
    const bytes = await readArchiveMember(path, METADATA_FILE);
    if (!bytes) {
      throw new UserError(`archive ${path} has no ${METADATA_FILE} member`);
    }
    return decode(bytes, `${path}:${METADATA_FILE}`);
  }
  return loadFile(path);
}

function loadFile(path: string): Record<string, unknown> {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(
      path,
      path,
      limits().metadataBytes,
      "max_metadata_bytes",
    );
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${path}: ${ioReason(e)}`);
  }
  return decode(bytes, path);
}

/**
 * A finished job's metadata, or a running job's start record, secrets
 * masked (an older writer may have kept them).
 */
function decode(bytes: Uint8Array, source: string): Record<string, unknown> {
  return maskSecrets(decodeEither(bytes, source)) as Record<string, unknown>;
}

function decodeEither(
  bytes: Uint8Array,
  source: string,
): Record<string, unknown> {
  try {
    return { ...decodeJobMetadata(bytes, source) };
  } catch (e) {
    if (!(e instanceof UserError) || !e.message.includes("no stop record")) {
      throw e;
    }
    log.warning(
      `${source}: the job is not stopped yet; showing its start record`,
    );
    return { ...decodeStartRecord(bytes, source) };
  }
}

/** The dump keys, `%-24s` aligned as the Python EPMT printed them. */
function table(meta: Record<string, unknown>): string {
  const width = Math.max(24, ...DUMP_KEYS.map((k) => k.length + 2));
  return DUMP_KEYS.map((k) => `${k.padEnd(width)}${show(meta[k])}`).join("\n");
}

function show(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
