/**
 * What SLURM itself knows of a job that its environment does not say: the
 * path of the submitted script (a batch job runs a spooled copy named
 * slurm_script) and, in a Prolog or Epilog, the job name.
 */
import { isFile } from "../io.ts";
import { isoFromNaiveLocal } from "./time.ts";

/** The fields of `scontrol show job` that epmt uses. */
export interface SlurmJobRecord {
  /** JobName=, e.g. "CM4_piControl_C_atmos_00050101". */
  name?: string;
  /** A batch job's submitted script (Command=), without its arguments. */
  script?: string;
  /** SubmitTime=, when SLURM took the job, as ISO 8601 with our offset. */
  submitted?: string;
}

/** How long scontrol may take before epmt goes on without it. */
const TIMEOUT_MS = 3000;

/**
 * Asks `scontrol show job -o ID`. Resolves `{}` when scontrol is missing,
 * fails, is slow, or does not know the job: callers fall back to what the
 * environment says.
 *
 * @example
 * const { script } = await slurmJobRecord("4711", Deno.env.toObject());
 */
export async function slurmJobRecord(
  id: string,
  env: Record<string, string>,
): Promise<SlurmJobRecord> {
  let text: string;
  try {
    const out = await new Deno.Command("scontrol", {
      args: ["show", "job", "-o", id],
      env: env.SLURM_CONF ? { SLURM_CONF: env.SLURM_CONF } : {},
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    }).output();
    if (!out.success) return {};
    text = new TextDecoder().decode(out.stdout);
  } catch {
    return {};
  }
  return parseSlurmJobRecord(text, id);
}

/**
 * Reads JobName, Command and SubmitTime from one line of `scontrol show
 * job -o`. The values may hold spaces, so each ends where the next field
 * begins.
 */
export function parseSlurmJobRecord(
  text: string,
  id: string,
): SlurmJobRecord {
  const line = text.split("\n").find((l) => l.startsWith(`JobId=${id} `));
  if (!line) return {};
  const field = (key: string, next: string) => {
    const v = line.match(new RegExp(` ${key}=(.*?) ${next}=`))?.[1];
    return v && v !== "(null)" ? v : undefined;
  };
  const record: SlurmJobRecord = {};
  const name = field("JobName", "UserId");
  if (name) record.name = name;
  // Only a batch job's Command is a script (salloc's is the shell);
  // `sbatch job.sh ARGS` shows "Command=/path/job.sh ARGS".
  const command = / BatchFlag=1 /.test(line)
    ? field("Command", "WorkDir")
    : undefined;
  if (command?.startsWith("/")) {
    record.script = isFile(command) ? command : command.split(" ")[0];
  }
  // scontrol prints times in its own (our) local time, without an offset.
  const t = line.match(
    / SubmitTime=(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d) /,
  );
  if (t) {
    const [y, mo, d, h, mi, sec] = t.slice(1).map(Number);
    record.submitted = isoFromNaiveLocal(y, mo, d, h, mi, sec, 0);
  }
  return record;
}

/**
 * The job's exit status as SLURM reports it to an Epilog
 * (SLURM_JOB_EXIT_CODE2="<exit code>:<signal>"): the exit code, or 128 plus
 * the signal for a job ended by a signal, as a shell reports it. Undefined
 * elsewhere.
 */
export function slurmExitStatus(
  env: Record<string, string>,
): number | undefined {
  const m = env.SLURM_JOB_EXIT_CODE2?.match(/^(\d+):(\d+)$/);
  if (!m) return undefined;
  return Number(m[2]) > 0 ? 128 + Number(m[2]) : Number(m[1]);
}
