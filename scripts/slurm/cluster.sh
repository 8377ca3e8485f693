#!/usr/bin/env bash
# A one-node SLURM cluster on this host, from Debian's packages, for epmt's
# integration tests and CI (not for production sites: see docs/slurm.md).
#
#   cluster.sh up     install if missing, start munged, slurmctld, slurmd and
#                     wait until the node takes jobs; returns at once when the
#                     cluster is already up (idempotent, safe to run in parallel)
#   cluster.sh down   stop the daemons (state and configuration stay)
#   cluster.sh status exit 0 when the node takes jobs
#   cluster.sh env    print SLURM_CONF=... for clients (sbatch, squeue, ...)
#
# Everything lives in $EPMT_SLURM_DIR (default /var/lib/epmt-slurm): the
# configuration, munge key and socket, daemon state, logs, and the hooks that
# slurm.conf names as Prolog, TaskProlog and Epilog. Clients find the
# cluster through SLURM_CONF=$EPMT_SLURM_DIR/slurm.conf.
#
# Its daemons listen on 127.0.0.1 ports of their own, not SLURM's 6817/6818
# where a real cluster may run: $EPMT_SLURM_CTLD_PORT (default 16817) and
# $EPMT_SLURM_SLURMD_PORT (16818). It never touches daemons it did not
# start: when another program holds one of its ports, it stops (exit 4).
#
# Exit codes: 0 ok, 1 the cluster failed to come up (logs are printed),
# 3 the SLURM or munge packages are not installed and cannot be, 4 a port
# is taken by a program that is not this cluster's.
set -euo pipefail

DIR=${EPMT_SLURM_DIR:-/var/lib/epmt-slurm}
CONF=$DIR/slurm.conf
MUNGE_SOCKET=$DIR/munge/run/munge.socket
CTLD_PORT=${EPMT_SLURM_CTLD_PORT:-16817}
SLURMD_PORT=${EPMT_SLURM_SLURMD_PORT:-16818}
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export SLURM_CONF=$CONF

say() { echo "cluster.sh: $*" >&2; }

# PIDFILE NAME: the pid in the file is a running NAME, not a zombie nor a
# reused pid (pid files outlive a killed daemon).
alive() {
  local pid stat
  [ -s "$1" ] && pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] &&
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$2" ] &&
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# NAME (slurmctld, slurmd): a daemon of ours runs where we can see it,
# known by its command line. Not by its pid file: one started in another
# PID namespace names a pid we cannot see, and one exiting there may
# remove the file ours has just written.
running() { pgrep -f "^$1 -c -f $CONF\$" >/dev/null; }

# NAME: TERM our visible daemons of that name, KILL them after 10 s.
stop_daemon() {
  local _
  pkill -f "^$1 -c -f $CONF\$" || return 0
  for _ in $(seq 100); do
    running "$1" || return 0
    sleep 0.1
  done
  pkill -9 -f "^$1 -c -f $CONF\$" || true
}

node_state() { # sinfo's short state of our node ("idle", "down*", ...)
  timeout 10 sinfo -h -N -o %t 2>/dev/null | head -n1
}

ready() {
  munge_ok && running slurmctld && running slurmd || return 1
  case $(node_state) in
    idle | mix | alloc | comp) return 0 ;;
    *) return 1 ;;
  esac
}

install_packages() {
  local need=()
  local p
  for p in slurmd slurmctld slurm-client munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
      need+=("$p")
  done
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    say "SLURM packages missing (${need[*]}) and no root apt-get to install them"
    exit 3
  fi
  say "installing ${need[*]}"
  : >"$DIR/apt.log"
  # From the package lists already there if they will do, else fresh ones.
  # Whatever daemons the packages may start, ours use their own files.
  if ! apt_retry apt-get install -y -qq --no-install-recommends "${need[@]}" &&
    ! { apt_retry apt-get update -qq &&
      apt_retry apt-get install -y -qq --no-install-recommends "${need[@]}"; }; then
    tail -n 20 "$DIR/apt.log" >&2
    say "cannot install ${need[*]} (log: $DIR/apt.log)"
    exit 3
  fi
}

# Runs an apt-get command, waiting up to 2 minutes while another apt or
# dpkg holds its lock (a CI machine may be installing something else).
apt_retry() {
  local _
  for _ in $(seq 12); do
    DEBIAN_FRONTEND=noninteractive "$@" >>"$DIR/apt.log" 2>&1 && return 0
    tail -n 3 "$DIR/apt.log" | grep -q 'Could not get lock' || return 1
    sleep 10
  done
  return 1
}

# The machine as slurmd sees it, so the node is never drained for a size
# mismatch: "NodeName=vm CPUs=2 Boards=1 ... RealMemory=24105".
node_line() {
  slurmd -C | head -n1
}

write_hooks() {
  mkdir -p "$DIR/hooks"
  local kind
  for kind in prolog task-prolog epilog; do
    write_if_changed "$DIR/hooks/$kind" "$(hook_text "$kind")" || true
    chmod 0755 "$DIR/hooks/$kind"
  done
}

# A hook runs the site script of the epmt checkout that the job names in its
# comment, "epmt-site:<checkout>:<dir>" with <dir>/settings.json as the
# settings and <dir>/hooks.log as the hooks' log. Test runs of several
# checkouts so share one cluster, and a job without such a comment, or whose
# checkout has gone, runs untouched. Sites point slurm.conf at the scripts in
# scripts/slurm/ directly instead (docs/slurm.md).
hook_text() {
  cat <<HOOK
#!/bin/sh
# Written by epmt's scripts/slurm/cluster.sh: runs the $1 script of the
# epmt checkout that the job names in its comment, if any.
c=\${SLURM_JOB_COMMENT:-}
# A TaskProlog has the job's environment, without the comment: ask SLURM.
if [ -z "\$c" ] && [ -n "\${SLURM_JOB_ID:-}" ]; then
  c=\$(SLURM_CONF=$CONF timeout 5 scontrol show job -o "\$SLURM_JOB_ID" 2>/dev/null |
    sed -n 's/.* Comment=\\(epmt-site:[^ ]*\\).*/\\1/p')
fi
case \$c in epmt-site:/?*:/?*) ;; *) exit 0 ;; esac
c=\${c#epmt-site:}
script=\${c%%:*}/scripts/slurm/epmt-$1
[ -x "\$script" ] || exit 0
export EPMT_SETTINGS="\${c#*:}/settings.json" EPMT_SLURM_LOG="\${c#*:}/hooks.log"
exec "\$script"
HOOK
}

write_if_changed() { # FILE TEXT: returns 0 when the file changed
  if [ -f "$1" ] && [ "$(cat "$1")" == "$2" ]; then return 1; fi
  printf '%s\n' "$2" >"$1.new" && mv "$1.new" "$1"
}

conf_text() {
  local node host
  node=$(node_line)
  host=${node#NodeName=}
  host=${host%% *}
  cat <<CONF
# Written by epmt's scripts/slurm/cluster.sh: a one-node test cluster.
ClusterName=epmt
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=600
Prolog=$DIR/hooks/prolog
TaskProlog=$DIR/hooks/task-prolog
Epilog=$DIR/hooks/epilog
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:8
CONF
}

# Our munged runs, or one we cannot see (another PID namespace) answers.
munge_ok() {
  alive "$DIR/munge/run/munged.pid" munged ||
    timeout 5 munge -n -S "$MUNGE_SOCKET" >/dev/null 2>&1
}

start_munge() {
  munge_ok && return 0
  mkdir -p "$DIR/munge/etc" "$DIR/munge/run" "$DIR/munge/log" "$DIR/munge/lib"
  chown -R munge:munge "$DIR/munge"
  chmod 0700 "$DIR/munge/etc" "$DIR/munge/log" "$DIR/munge/lib"
  chmod 0755 "$DIR/munge" "$DIR/munge/run"
  if [ ! -s "$DIR/munge/etc/munge.key" ]; then
    runuser -u munge -- mungekey -c -k "$DIR/munge/etc/munge.key"
  fi
  rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock" "$DIR/munge/run/munged.pid"
  runuser -u munge -- munged 9>&- --socket="$MUNGE_SOCKET" \
    --key-file="$DIR/munge/etc/munge.key" \
    --pid-file="$DIR/munge/run/munged.pid" \
    --log-file="$DIR/munge/log/munged.log" \
    --seed-file="$DIR/munge/lib/munged.seed"
}

stop_pid() { # PIDFILE NAME: TERM, then KILL after 10 s
  local pid _
  alive "$1" "$2" || return 0
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

# Daemons get a clean environment and no terminal, so nothing of the caller
# (a test's variables, its pipes) leaks into them or waits on them.
daemon() {
  setsid env -i PATH="$PATH" SLURM_CONF="$CONF" "$@" </dev/null \
    >>"$DIR/log/daemons.out" 2>&1 9>&-
}

# PORT: something listens on 127.0.0.1:PORT.
listening() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# PORT NAME: the port is held, and not by a daemon of this cluster: none
# of ours runs where we can see it (by its command line) and no process
# anywhere holds the lock on our pid file for it (so none of ours runs in
# another PID namespace either).
stranger_on() {
  listening "$1" || return 1
  running "$2" && return 1
  held "$DIR/run/$2.pid" && return 1
  return 0
}

# Another program (a site's own SLURM, say) holds a port of ours: leave it
# alone and say how to choose other ports.
refuse_strangers() {
  local taken=()
  stranger_on "$CTLD_PORT" slurmctld && taken+=("$CTLD_PORT (SlurmctldPort)")
  stranger_on "$SLURMD_PORT" slurmd && taken+=("$SLURMD_PORT (SlurmdPort)")
  [ ${#taken[@]} -eq 0 ] && return 0
  say "port ${taken[*]} on 127.0.0.1 is held by a program that is not this cluster's; it is left alone (choose free ports with EPMT_SLURM_CTLD_PORT and EPMT_SLURM_SLURMD_PORT)"
  exit 4
}

# A daemon of this cluster (its pid file locked) that holds its port though
# no such process runs where we can see it was started in another PID
# namespace (a CI run inside a container, a session outside it). It would
# keep our daemons off the ports, or run our jobs where our files are not:
# ask it to shut down, through a controller of ours if it has none.
evict_foreign() {
  local foreign=0 _
  if ! running slurmctld && listening "$CTLD_PORT" &&
    held "$DIR/run/slurmctld.pid"; then foreign=1; fi
  if ! running slurmd && listening "$SLURMD_PORT" &&
    held "$DIR/run/slurmd.pid"; then foreign=1; fi
  [ $foreign -eq 1 ] || return 0
  say "daemons of $CONF that this PID namespace cannot see hold its ports: shutting them down"
  start_munge
  listening $CTLD_PORT || daemon slurmctld -c -f "$CONF"
  for _ in $(seq 50); do
    timeout 5 scontrol shutdown >/dev/null 2>&1 && break
    sleep 0.2
  done
  # Gone once the ports are free and their pid files are unlocked (the
  # lock goes with the process): a controller that closed its port may
  # still be saving the state ours is about to start from.
  for _ in $(seq 100); do
    if ! listening $CTLD_PORT && ! listening $SLURMD_PORT &&
      ! held "$DIR/run/slurmctld.pid" && ! held "$DIR/run/slurmd.pid"; then
      rm -f "$DIR/run/slurmctld.pid" "$DIR/run/slurmd.pid"
      return 0
    fi
    sleep 0.2
  done
  say "they still hold ports $CTLD_PORT/$SLURMD_PORT or their pid files after 20 s"
}

# PIDFILE: some process, seen or not, holds a lock on it (/proc/locks
# lists every lock on the host).
held() {
  local ino
  ino=$(stat -c %i "$1" 2>/dev/null) || return 1
  grep -Eq "^[0-9]+: .* [0-9a-f]+:[0-9a-f]+:$ino " /proc/locks
}

up() {
  refuse_strangers
  install_packages
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/run" "$DIR/log"
  chmod 0755 "$DIR"
  write_hooks
  local changed=0
  write_if_changed "$CONF" "$(conf_text)" && changed=1
  if [ $changed -eq 0 ] && ready; then return 0; fi
  if [ $changed -eq 1 ]; then
    stop_daemon slurmd
    stop_daemon slurmctld
  fi
  evict_foreign
  start_munge
  # -c: start clean, forgetting jobs and node states of an earlier run
  # whose daemons are gone.
  running slurmctld || daemon slurmctld -c -f "$CONF"
  running slurmd || daemon slurmd -c -f "$CONF"
  local _ state=""
  for _ in $(seq 100); do
    state=$(node_state)
    case $state in
      idle | mix | alloc | comp) return 0 ;;
      down* | drain* | drng* | fail*)
        timeout 10 scontrol update nodename=ALL state=resume 2>/dev/null || true
        ;;
    esac
    sleep 0.5
  done
  say "the node did not become idle within 50 s (state: '${state:-none}')"
  tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" \
    "$DIR/munge/log/munged.log" "$DIR/log/daemons.out" >&2 2>/dev/null || true
  exit 1
}

down() {
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_pid "$DIR/munge/run/munged.pid" munged
}

main() {
  local cmd=${1:-up}
  case $cmd in
    up | down | status) ;;
    env)
      echo "SLURM_CONF=$CONF"
      return 0
      ;;
    *)
      echo "usage: cluster.sh [up|down|status|env]" >&2
      exit 2
      ;;
  esac
  mkdir -p "$DIR"
  # One caller at a time: parallel test files all call "up".
  exec 9>"$DIR/lock"
  flock 9
  case $cmd in
    up) up ;;
    down) down ;;
    status) ready ;;
  esac
}

main "$@"
