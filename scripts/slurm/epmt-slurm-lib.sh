# shellcheck shell=bash
# Shared by epmt-prolog, epmt-task-prolog and epmt-epilog (sourced, not run).
#
# Rules every hook keeps: it never fails or holds up the user's job (each
# epmt command has a time limit, errors are logged, the hook exits 0), and
# as root it does nothing in a user's data but create that user's own
# directory; everything else runs as the job's user.
#
# Environment (all optional):
#   EPMT             the epmt program [found beside these scripts, else PATH]
#   EPMT_SETTINGS    the site settings file [epmt's own search]
#   EPMT_SLURM_LOG   the hooks' log [/var/log/epmt-slurm.log, else syslog]
#   EPMT_SLURM_TIMEOUT  seconds one epmt command may take [20]

HOOK_NAME=${0##*/}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOOK_DIR=$(dirname "$(readlink -f "$0")")
LOG_FILE=${EPMT_SLURM_LOG:-/var/log/epmt-slurm.log}
TIME_LIMIT=${EPMT_SLURM_TIMEOUT:-20}

# One line per event: "<time> <hook> job <id>: <text>". Falls back to syslog
# where the log file cannot be written (a TaskProlog runs as the user).
hook_log() {
  local line
  line="$(date '+%Y-%m-%dT%H:%M:%S') $HOOK_NAME job ${SLURM_JOB_ID:-?}: $*"
  if ! { printf '%s\n' "$line" >>"$LOG_FILE"; } 2>/dev/null; then
    logger -t epmt-slurm -- "$line" 2>/dev/null || true
  fi
}

# Logs and ends the hook with success; GIVE_UP_NOTE says what that means.
GIVE_UP_NOTE="the job runs without epmt"
give_up() {
  hook_log "$*; $GIVE_UP_NOTE"
  exit 0
}

# The epmt program: $EPMT, else beside these scripts (a checkout keeps them
# in scripts/slurm/, an installation may keep them in slurm/ or beside epmt),
# else on PATH.
find_epmt() {
  local c
  for c in "${EPMT:-}" "$HOOK_DIR/../../epmt" "$HOOK_DIR/../epmt" \
    "$HOOK_DIR/epmt" "$(command -v epmt 2>/dev/null)"; do
    if [ -n "$c" ] && [ -x "$c" ] && [ -f "$c" ]; then
      EPMT=$c
      return 0
    fi
  done
  give_up "no epmt program found (set EPMT, or keep these scripts beside it)"
}

# On a multi-node job only the first node starts, stops and stages: the
# others have nothing of their own to record unless papiex_output is shared.
first_node_only() {
  local first
  [ -n "${SLURM_JOB_NODELIST:-}" ] && [ -n "${SLURMD_NODENAME:-}" ] || return 0
  first=$(timeout 5 scontrol show hostnames "$SLURM_JOB_NODELIST" 2>/dev/null |
    head -n1) || true
  if [ -n "$first" ] && [ "$first" != "$SLURMD_NODENAME" ]; then exit 0; fi
}

# The job's user from SLURM's variables, checked against the password file.
job_user() {
  [ -n "${SLURM_JOB_ID:-}" ] || give_up "SLURM_JOB_ID is not set"
  if [ -z "${SLURM_JOB_USER:-}" ] || [ -z "${SLURM_JOB_UID:-}" ] ||
    [ -z "${SLURM_JOB_GID:-}" ]; then
    give_up "SLURM_JOB_USER, SLURM_JOB_UID or SLURM_JOB_GID is not set"
  fi
  JOB_HOME=$(getent passwd "$SLURM_JOB_USER" | cut -d: -f6)
  local uid
  uid=$(id -u "$SLURM_JOB_USER" 2>/dev/null) || true
  [ "$uid" = "$SLURM_JOB_UID" ] ||
    give_up "user $SLURM_JOB_USER does not have uid $SLURM_JOB_UID here"
}

# The site's settings as `epmt help` prints them, read once per hook as
# root: a user's own settings never steer what root does.
load_site_settings() {
  [ -n "${HELP_TEXT:-}" ] && return 0
  HELP_TEXT=$(timeout -k 2 "$TIME_LIMIT" env -i PATH="$PATH" \
    HOME="${HOME:-/root}" ${EPMT_SETTINGS:+EPMT_SETTINGS="$EPMT_SETTINGS"} \
    ${DENO_DIR:+DENO_DIR="$DENO_DIR"} "$EPMT" help 2>&1) ||
    give_up "epmt help failed: $(printf '%s' "$HELP_TEXT" | tail -n1)"
}

# One setting's value, after load_site_settings.
site_setting() {
  printf '%s\n' "$HELP_TEXT" | sed -n "s/^  $1  *//p" | head -n1
}

# Runs epmt ARGS as the job's user, in directory RUN_DIR [/], with a clean
# environment: SLURM's variables (the job's id, user, exit code, ...), the
# site settings file and papiex_output as root read it. Its output goes to
# the log; its exit status is returned.
as_user() {
  local vars=() name out rc
  for name in $(compgen -e); do
    case $name in SLURM_* | SLURMD_*) vars+=("$name=${!name}") ;; esac
  done
  out=$(cd / && timeout -k 2 "$TIME_LIMIT" setpriv --reuid="$SLURM_JOB_UID" \
    --regid="$SLURM_JOB_GID" --init-groups \
    env -i -C "${RUN_DIR:-/}" PATH="$PATH" HOME="${JOB_HOME:-/}" USER="$SLURM_JOB_USER" \
    LOGNAME="$SLURM_JOB_USER" "${vars[@]}" \
    ${EPMT_SETTINGS:+EPMT_SETTINGS="$EPMT_SETTINGS"} \
    ${DENO_DIR:+DENO_DIR="$DENO_DIR"} \
    EPMT_PAPIEX_OUTPUT="$PAPIEX_OUTPUT" \
    "$EPMT" "$@" 2>&1)
  rc=$?
  [ $rc -eq 124 ] && out="$out (timed out after ${TIME_LIMIT}s)"
  [ -n "$out" ] && hook_log "epmt $1: $out"
  return $rc
}

# papiex_output (absolute, as root reads it) into PAPIEX_OUTPUT, with the
# trailing slash epmt writes.
site_papiex_output() {
  load_site_settings
  PAPIEX_OUTPUT=$(site_setting papiex_output)
  case $PAPIEX_OUTPUT in
    /*) PAPIEX_OUTPUT=${PAPIEX_OUTPUT%/}/ ;;
    *) give_up "papiex_output '$PAPIEX_OUTPUT' is not an absolute path" ;;
  esac
}

# The user's own data directory, <papiex_output>/<user>: created by root
# with the user's ownership and mode 0700, inside a papiex_output that only
# root controls. Anything else (a symlink, another owner, a papiex_output a
# user owns) is refused, so no job can be steered into another's data.
user_dir() {
  local out=${PAPIEX_OUTPUT%/} dir owner
  dir=$out/$SLURM_JOB_USER
  if [ ! -e "$out" ]; then
    (umask 022 && mkdir -p "$out") 2>/dev/null || give_up "cannot create $out"
  fi
  # A symlink only root may have made (a sticky /tmp lets anyone make one).
  if [ -L "$out" ] && [ "$(stat -c %u "$out")" != 0 ]; then
    give_up "$out is a symlink not made by root"
  fi
  [ -d "$out" ] || give_up "$out is not a directory"
  owner=$(stat -L -c %u "$out")
  if [ "$owner" != 0 ]; then
    # The job's user's own tree: their epmt start makes what it needs.
    [ "$owner" = "$SLURM_JOB_UID" ] && return 0
    give_up "$out is owned by uid $owner, not root: cannot keep users apart"
  fi
  if [ ! -e "$dir" ] && [ ! -L "$dir" ]; then
    # mkdir fails if another job made it meanwhile; it is checked below.
    if mkdir -m 0700 "$dir" 2>/dev/null; then
      chown "$SLURM_JOB_UID:$SLURM_JOB_GID" "$dir" ||
        give_up "cannot give $dir to $SLURM_JOB_USER"
    fi
  fi
  if [ -L "$dir" ] || [ ! -d "$dir" ]; then give_up "$dir is not a directory"; fi
  owner=$(stat -c %u "$dir")
  [ "$owner" = "$SLURM_JOB_UID" ] ||
    give_up "$dir belongs to uid $owner, not to $SLURM_JOB_USER"
}
