/**
 * What start needs to know about the process it runs in: session id, the
 * parent process, user and group names. Read from /proc and /etc so that
 * start stays fast; each probe degrades to something sensible when a file
 * is unreadable.
 */

/** Fields of /proc/<pid>/stat after the parenthesised command name. */
function statFields(pid: number | "self"): string[] | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name may hold spaces and parentheses: split after the last.
    return stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ");
  } catch {
    return undefined;
  }
}

/** Our session id (getsid(0)), read from /proc/self/stat. */
export function sessionId(): number {
  const fields = statFields("self");
  // After the name: state, ppid, pgrp, session.
  const sid = Number(fields?.[3]);
  if (!Number.isInteger(sid) || sid <= 0) {
    throw new Error("cannot read the session id from /proc/self/stat");
  }
  return sid;
}

/** The command line of a process, or undefined when it cannot be read. */
export function processArgv(pid: number): string[] | undefined {
  try {
    const raw = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
    const argv = raw.split("\0");
    if (argv.at(-1) === "") argv.pop();
    return argv.length ? argv : undefined;
  } catch {
    return undefined;
  }
}

/** The short name of a process (/proc/<pid>/comm). */
export function processName(pid: number): string | undefined {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim() || undefined;
  } catch {
    return undefined;
  }
}

const INTERPRETERS =
  /^(ba|da|z|k|mk|c|tc|fi|a|y|)sh$|^(python|perl|ruby|tclsh|julia|Rscript|node|lua)[\d.]*$/;

/**
 * The script a process runs when it is an interpreter with a script argument
 * (`bash job.sh`, `python3 -u run.py`), as an absolute path; else undefined
 * (for `bash -c '...'` or an interactive shell).
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
    if (arg === "--") continue;
    if (arg.startsWith("-") || arg.startsWith("+")) continue;
    const path = arg.startsWith("/") ? arg : `/proc/${pid}/cwd/${arg}`;
    try {
      if (!Deno.statSync(path).isFile) return undefined;
    } catch {
      return undefined;
    }
    if (arg.startsWith("/")) return arg;
    try {
      return `${Deno.readLinkSync(`/proc/${pid}/cwd`)}/${
        arg.replace(/^\.\//, "")
      }`;
    } catch {
      return arg;
    }
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
 * The group names of `user`: when it is the user we run as, our own groups
 * (primary first, then the supplementary ones from /proc/self/status);
 * otherwise (a root prolog working for another user) the primary group from
 * /etc/passwd and the groups /etc/group lists the user in. Unknown group ids
 * are given as numbers.
 */
export function groupNames(user: string, self: boolean): string[] {
  const groups = readLines("/etc/group").map((line) => line.split(":"))
    .filter((f) => f.length >= 4);
  const nameOf = (gid: number) =>
    groups.find((g) => Number(g[2]) === gid)?.[0] ?? String(gid);
  const gids: number[] = [];
  if (self) {
    const gid = Deno.gid();
    if (gid !== null) gids.push(gid);
    const line = readLines("/proc/self/status").find((l) =>
      l.startsWith("Groups:")
    );
    for (const g of line?.slice(7).trim().split(/\s+/) ?? []) {
      if (/^\d+$/.test(g)) gids.push(Number(g));
    }
  } else {
    const entry = passwd().find((p) => p.name === user);
    if (entry) gids.push(entry.gid);
    for (const g of groups) {
      if (g[3].split(",").includes(user)) gids.push(Number(g[2]));
    }
  }
  return [...new Set(gids)].map(nameOf);
}

/** This host's name. */
export function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}
