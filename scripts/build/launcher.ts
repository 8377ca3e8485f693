/** The `epmt` shell script at the top of the portable bundle. */

/** Options for {@linkcode launcherScript}. */
export interface LauncherOptions {
  version: string;
  /** Bundle-relative path of the deno executable. */
  deno: string;
  /** Bundle-relative path of the bundled program. */
  program: string;
  /** Permission flags, as for the compiled binary. */
  permissions: string[];
}

/**
 * A POSIX sh launcher that runs the bundled program with the Deno runtime
 * beside it. It follows symlinks to find its folder, so a site can link it
 * into a bin directory, and it ignores any deno.json or lock file in the
 * user's working directory, so a user's project cannot change how epmt runs.
 * Where the home directory cannot hold Deno's cache it picks a private one.
 */
export function launcherScript(opts: LauncherOptions): string {
  return `#!/bin/sh
# epmt ${opts.version}, portable bundle: runs ${opts.program} with the Deno
# runtime in ${opts.deno}. The folder may be copied or moved anywhere; this
# script may be symlinked into a bin directory. A settings.json beside this
# script is the site default (see settings/ and docs/install.md).
self=$(readlink -f -- "$0" 2>/dev/null) || self=$0
here=\${self%/*}
# Deno keeps compiled code in ~/.cache/deno; without it every command costs
# some 40 ms more. Where the home directory cannot hold it (read-only on
# compute nodes), use a private folder in TMPDIR: made 0700 by us, and used
# only if it is ours and not a symlink.
if [ -z "\${DENO_DIR:-}" ]; then
  c=\${XDG_CACHE_HOME:-\${HOME:-/nonexistent}/.cache}
  if ! { [ -d "$c/deno" ] && [ -w "$c/deno" ]; } &&
    ! { [ ! -e "$c/deno" ] && [ -d "$c" ] && [ -w "$c" ]; } &&
    ! { [ ! -e "$c" ] && [ -w "\${c%/*}" ]; }; then
    d=\${TMPDIR:-/tmp}/epmt-deno-$(id -u)
    if mkdir -m 700 "$d" 2>/dev/null || { [ -d "$d" ] && [ ! -L "$d" ] && [ -O "$d" ]; }; then
      DENO_DIR=$d
      export DENO_DIR
    fi
  fi
fi
exec "$here/${opts.deno}" run --quiet --no-prompt \\
  --no-config --no-lock --no-remote --no-npm \\
  ${opts.permissions.join(" ")} \\
  "$here/${opts.program}" "$@"
`;
}
