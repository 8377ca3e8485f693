#!/usr/bin/env bash
# README step 1's demo: a small job run under the collector with `epmt -a run`
# (start, run, stop), its metadata printed with `epmt dump`, the job staged to
# <jobid>.tgz and submitted into the default database (SQLite, ~/.epmt/epmt.db
# unless settings say otherwise), then shown. The job's own files go to a
# scratch directory, so nothing of a real job is touched.
set -euo pipefail
cd "$(dirname "$0")/.."

demo=$(mktemp -d "${TMPDIR:-/tmp}/epmt-demo.XXXXXX")
export EPMT_PAPIEX_OUTPUT="$demo/out/"
export EPMT_STAGE_DEST="$demo"
# Outside a batch system the session id is the job id: a new session
# (setsid) gives this demo a fresh one, whatever ran in this shell before.
unset SLURM_JOB_ID SLURM_JOBID PBS_JOBID PBS_JOB_ID LSB_JOBID
echo "== epmt -a run: a small shell pipeline and a subshell"
setsid -w ./epmt -a run bash -c 'ls /etc | wc -l; (sleep 0.1; echo hello | tr a-z A-Z)'
jobdir=$(ls -d "$demo"/out/*/*/)
jobid=$(basename "$jobdir")
echo "== the job directory: $jobdir"
ls -l "$jobdir"
echo "== epmt dump"
./epmt dump "$jobdir"
echo "== epmt stage"
archive=$(./epmt stage "$jobdir")
echo "$archive"
echo "== epmt submit"
./epmt submit "$archive"
echo "== epmt show $jobid"
./epmt show "$jobid"
echo "== epmt show --tree $jobid"
./epmt show --tree "$jobid"
echo "(demo files are in $demo)"
