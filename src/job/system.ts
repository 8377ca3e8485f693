/**
 * What start needs to know about the process it runs in: session id, the
 * parent process, user and group names. Deno allows reading /proc only
 * with --allow-all, which epmt does not ask for; without it, /proc files
 * are read through a `cat` child (about 1 ms each).
 */
import { isFile } from "../io.ts";

const decoder = new TextDecoder();

/** The bytes of a /proc file, or undefined when it cannot be read. */
export function readProc(path: string): Uint8Array | undefined {
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    // Denied by Deno's permissions (not by the kernel): ask a child.
  }
  return runQuiet(["/bin/cat", "/usr/bin/cat"], [path]);
}

/** Runs the first program that exists; its stdout if it succeeded. */
function runQuiet(programs: string[], args: string[]): Uint8Array | undefined {
  for (const program of programs) {
    try {
      const out = new Deno.Command(program, {
        args,
        // No LD_PRELOAD: a helper must never be collected into the job.
        clearEnv: true,
        env: { LC_ALL: "C" },
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).outputSync();
      return out.success ? out.stdout : undefined;
    } catch {
      // try the next location
    }
  }
  return undefined;
}

/** Fields of /proc/<pid>/stat after the parenthesised command name. */
function statFields(pid: number): string[] | undefined {
  const raw = readProc(`/proc/${pid}/stat`);
  if (!raw) return undefined;
  const stat = decoder.decode(raw);
  // The command name may hold spaces and parentheses: split after the last.
  return stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ");
}

/** Our session id (getsid(0)), read from /proc/<our pid>/stat. */
export function sessionId(): number {
  const sid = Number(statFields(Deno.pid)?.[3]);
  // 0 is a real answer: the session leader is outside our PID namespace.
  if (!Number.isInteger(sid) || sid < 0) {
    throw new Error("cannot read the session id from /proc/self/stat");
  }
  return sid;
}

/**
 * The process that stands for our session, the same for every command of
 * one job script or login. Normally the session id; in a container or
 * other PID namespace whose session leader lives outside it, the kernel
 * reports session 0, and the oldest ancestor we can see (the namespace's
 * first process, usually) takes its place.
 */
export function sessionAnchor(): { id: number; leader: boolean } {
  const sid = sessionId();
  if (sid > 0) return { id: sid, leader: true };
  let pid = Deno.pid;
  for (let hops = 0; hops < 4096; hops++) {
    // After the name: state, ppid.
    const ppid = Number(statFields(pid)?.[1]);
    if (!Number.isInteger(ppid) || ppid <= 0) break;
    pid = ppid;
  }
  return { id: pid, leader: false };
}

/** The command line of a process, or undefined when it cannot be read. */
export function processArgv(pid: number): string[] | undefined {
  const raw = readProc(`/proc/${pid}/cmdline`);
  if (!raw) return undefined;
  const argv = decoder.decode(raw).split("\0");
  if (argv.at(-1) === "") argv.pop();
  return argv.length ? argv : undefined;
}

/** The short name of a process (/proc/<pid>/comm). */
export function processName(pid: number): string | undefined {
  const raw = readProc(`/proc/${pid}/comm`);
  return raw ? decoder.decode(raw).trim() || undefined : undefined;
}

const INTERPRETERS =
  /^(ba|da|z|k|mk|c|tc|fi|a|y|)sh$|^(python|perl|ruby|tclsh|julia|Rscript|node|lua)[\d.]*$/;

/**
 * The script a process runs when it is an interpreter with a script argument
 * (`bash job.sh`, `python3 -u run.py`); else undefined (for `bash -c '...'`
 * or an interactive shell). A relative path is made absolute against our
 * working directory when the file is there, else kept as written.
 */
export function processScript(pid: number): string | undefined {
  const argv = processArgv(pid);
  if (!argv || argv.length < 2) return undefined;
  const exe = argv[0].split("/").pop() ?? "";
  if (!INTERPRETERS.test(exe.replace(/^-/, ""))) return undefined;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-c" || arg === "-m" || arg === "-e" || arg === "-") {
      return undefined;
    }
    if (arg === "--" || arg.startsWith("-") || arg.startsWith("+")) continue;
    if (arg.startsWith("/")) return isFile(arg) ? arg : undefined;
    const here = `${Deno.cwd()}/${arg.replace(/^\.\//, "")}`;
    return isFile(here) ? here : arg;
  }
  return undefined;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

function readLines(path: string): string[] {
  try {
    return Deno.readTextFileSync(path).split("\n");
  } catch {
    return [];
  }
}

function passwd(): PasswdEntry[] {
  return readLines("/etc/passwd").map((line) => line.split(":"))
    .filter((f) => f.length >= 4)
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]) }));
}

/** The name of the user we run as (getpwuid), else $USER, else the uid. */
export async function userName(env: Record<string, string>): Promise<string> {
  const uid = Deno.uid() ?? -1;
  const entry = passwd().find((p) => p.uid === uid);
  if (entry) return entry.name;
  try {
    // Users from LDAP/sssd are not in /etc/passwd: ask libc through node:os.
    const { userInfo } = await import("node:os");
    const name = userInfo().username;
    if (name) return name;
  } catch {
    // fall through
  }
  return env.USER || env.LOGNAME || String(uid);
}

/**
 * The group names of `user` (primary first), as `id -Gn` reports them, so
 * that groups from LDAP or sssd are named too. `self` is true when `user`
 * is the user we run as (then our own process's groups are given; else,
 * for a root prolog working for another user, that user's).
 */
export function groupNames(user: string, self: boolean): string[] {
  const out = runQuiet(
    ["/usr/bin/id", "/bin/id"],
    self ? ["-Gn"] : ["-Gn", "--", user],
  );
  const names = out ? decoder.decode(out).trim().split(/\s+/) : [];
  if (names.length && names[0]) return [...new Set(names)];
  const gid = Deno.gid();
  return gid === null ? [] : [String(gid)];
}

/** This host's name. */
export function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}
