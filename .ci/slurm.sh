#!/usr/bin/env bash
# Runs the README's two Slurm scripts, copied byte for byte from README.md, on
# a real one-node Slurm cluster started here, and wants the merged outputs
# byte-identical to one unsharded 'hardneg mine' (timings_seconds excepted).
# Needs root and apt; a second run on the same machine reuses the config and
# restarts the daemons. docs/slurm.md describes it.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

conf=/etc/slurm/slurm.conf
marker='# Written by hardneg .ci/slurm.sh'
logdir=/var/log/slurm
# Resources the CI machine (2 cores) can give; the scripts ask for more.
fit=(--cpus-per-task=1 --mem=256M)
start_timeout=60 # seconds for the node to come up idle
job_timeout=300  # seconds for both jobs to finish

t0=$SECONDS
say() { printf 'slurm: %s\n' "$*"; }
fail() { printf 'slurm: FAIL: %s\n' "$*" >&2; exit 1; }
# show prints a command as it would be typed.
show() { printf '+ %s\n' "$(printf '%q ' "$@" | sed 's/ $//')"; }

[ "$(id -u)" = 0 ] || fail "needs root: it installs packages and starts the Slurm daemons"

# --- Packages -----------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge; } >/tmp/hardneg-slurm-apt.log 2>&1; then
    cat /tmp/hardneg-slurm-apt.log >&2
    fail "apt-get install slurm-wlm munge failed"
  fi
fi

# --- Configuration ------------------------------------------------------
host=$(hostname -s)
cpus=$(nproc)
mem_mib=$(awk '/^MemTotal:/ {printf "%d", $2 * 0.8 / 1024}' /proc/meminfo)
if [ -e "$conf" ] && ! head -n 1 "$conf" | grep -qF "$marker"; then
  fail "$conf exists and was not written by this script; refusing to replace it"
fi
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd "$logdir"
new_conf=$(cat <<EOF
$marker: a one-node cluster for CI; it may rewrite it.
ClusterName=hardneg-ci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# No cgroups here: track processes through /proc, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MailProg=/bin/true
# Keep finished jobs in 'scontrol show job' long enough to read their state.
MinJobAge=3600
ReturnToService=2
SlurmdParameters=config_overrides
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$logdir/slurmctld.log
SlurmdLogFile=$logdir/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$mem_mib State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
)
if [ "$(cat "$conf" 2>/dev/null)" != "$new_conf" ]; then
  printf '%s\n' "$new_conf" >"$conf"
fi
say "$(sbatch --version), $(munged --version | awk '{print $1; exit}') ($((SECONDS - t0)) s)"

install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then
  head -c 1024 /dev/urandom >/etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key

# --- Daemons ------------------------------------------------------------
# Each runs in the foreground as a child of this script, so that its pid is
# known exactly and the trap below can stop it.
pids=() # started here, stopped on exit in reverse order
jobs_submitted=()
work=

# The daemons started here, one "pid name" a line, so that a later run can
# stop what an earlier one left behind when it was killed before its trap ran.
started=/run/hardneg-ci-slurm.pids

# stop_stale ends the daemons an earlier run recorded in $started, each
# checked by name first: its pid may since have gone to another process.
stop_stale() {
  local pid name
  [ -f "$started" ] || return 0
  while read -r pid name; do
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then
      say "stopping $name (pid $pid) left by an earlier run"
      stop_pid "$pid"
    fi
  done < <(tac "$started")
  rm -f "$started"
}

# start runs a daemon in the background as a child of this script and
# records it.
start() { # log name command...
  local log=$1 name=$2
  shift 2
  "$@" >>"$log" 2>&1 </dev/null &
  pids+=($!)
  echo "$! $name" >>"$started"
}

stop_pid() { # pid
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -9 "$1" 2>/dev/null || true
}

# stepds lists the pids of the job step daemons (slurmstepd), which outlive
# their jobs by a moment and are children of no one here.
stepds() {
  local d
  for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2>/dev/null)" = slurmstepd ] && echo "${d#/proc/}"
  done
  return 0
}

print_logs() {
  local f
  for f in "$logdir/slurmctld.log" "$logdir/slurmd.log"; do
    [ -f "$f" ] && { echo "--- last lines of $f"; tail -n 30 "$f"; }
  done
  if [ -n "$work" ]; then
    for f in "$work"/submit/*.log; do
      [ -f "$f" ] && { echo "--- $f"; cat "$f"; }
    done
  fi
  return 0
}

cleanup() {
  local rc=$? i
  trap - EXIT
  if [ "$rc" != 0 ]; then
    print_logs >&2
  fi
  # Cancel what is still queued or running, so that no job step outlives
  # the daemons.
  if [ "${#jobs_submitted[@]}" -gt 0 ] && command -v scancel >/dev/null; then
    scancel "${jobs_submitted[@]}" 2>/dev/null || true
    for _ in $(seq 30); do
      [ -z "$(squeue -h -j "$(IFS=,; echo "${jobs_submitted[*]}")" 2>/dev/null)" ] && break
      sleep 1
    done
  fi
  # A step daemon reports to slurmctld as it ends: let it, before stopping
  # the daemons.
  for _ in $(seq 30); do
    [ -z "$(stepds)" ] && break
    sleep 1
  done
  [ -z "$(stepds)" ] || echo "slurm: job step daemons still running after 30 s: pids $(stepds | tr '\n' ' ')" >&2
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    stop_pid "${pids[i]}"
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -f "$started"
  if [ "$rc" = 0 ] && [ -n "$work" ]; then
    rm -rf "$work"
  elif [ -n "$work" ]; then
    echo "slurm: kept $work for a look" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stop_stale

# munged: reuse one that already answers (it is not ours to stop), else start one.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  start /var/log/munge/munged.out munged \
    setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground
  for _ in $(seq 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
    kill -0 "${pids[-1]}" 2>/dev/null || fail "munged exited at start; see /var/log/munge/munged.log"
    sleep 0.2
  done
  munge -n | unmunge >/dev/null || fail "munged does not answer"
fi

# -c: start from no saved state, so jobs of an earlier run are gone.
start "$logdir/slurmctld.out" slurmctld slurmctld -D -c
start "$logdir/slurmd.out" slurmd slurmd -D

deadline=$((SECONDS + start_timeout))
state=
until [ "$state" = idle ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    sinfo -N -l >&2 || true
    fail "node $host not idle after ${start_timeout} s (state: ${state:-no answer from slurmctld})"
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || fail "a daemon (pid $pid) exited at start"
  done
  sleep 1
  state=$(sinfo -h -N -n "$host" -o '%T' 2>/dev/null || true)
done
say "node $host idle: $cpus CPUs, ${mem_mib} MiB ($((SECONDS - t0)) s)"

# --- The run ------------------------------------------------------------
work=$(mktemp -d /tmp/hardneg-slurm.XXXXXX)
mkdir "$work/bin" "$work/submit"
bin=$work/bin/hardneg
cmd=(go build -o "$bin" ./cmd/hardneg)
show "${cmd[@]}"
"${cmd[@]}"
cmd=("$bin" synth --out "$work/data" --terms 2000 --dim 64 --anchors 400)
show "${cmd[@]}"
"${cmd[@]}" >/dev/null

# extract prints the fenced code between <!-- NAME --> and <!-- /NAME --> in
# README.md, byte for byte.
extract() { # name
  awk -v m="$1" '
    $0 == "<!-- " m " -->" { inside = 1; blocks++; next }
    $0 == "<!-- /" m " -->" { inside = 0; next }
    inside && /^```/ { fence = !fence; next }
    inside && fence { print }
    END { if (blocks != 1 || inside || fence) exit 1 }
  ' "$repo/README.md"
}
cd "$work/submit"
extract slurm-array-script >mine-shards.sh || fail "README.md has no single <!-- slurm-array-script --> block"
extract slurm-merge-script >merge-shards.sh || fail "README.md has no single <!-- slurm-merge-script --> block"
for f in mine-shards.sh merge-shards.sh; do
  [ "$(head -n 1 "$f")" = '#!/bin/bash' ] || fail "$f from README.md does not start with #!/bin/bash"
done

say "mine-shards.sh and merge-shards.sh: README.md's slurm-array-script and slurm-merge-script blocks, unchanged"
export HARDNEG_DATA=$work/data HARDNEG_OUT=$work/run HARDNEG_BIN=$bin
echo "+ cd $work/submit"
echo "+ export HARDNEG_DATA=$HARDNEG_DATA HARDNEG_OUT=$HARDNEG_OUT HARDNEG_BIN=$HARDNEG_BIN"
cmd=(sbatch --parsable --export=ALL "${fit[@]}" mine-shards.sh)
show "${cmd[@]}"
jid=$("${cmd[@]}")
jid=${jid%;*}
[[ "$jid" =~ ^[0-9]+$ ]] || fail "sbatch printed no job id for mine-shards.sh: $jid"
jobs_submitted+=("$jid")
cmd=(sbatch --parsable --export=ALL "${fit[@]}" --dependency=afterok:"$jid" merge-shards.sh)
show "${cmd[@]}"
mid=$("${cmd[@]}")
mid=${mid%;*}
[[ "$mid" =~ ^[0-9]+$ ]] || fail "sbatch printed no job id for merge-shards.sh: $mid"
jobs_submitted+=("$mid")
say "array job $jid, merge job $mid"

# job_states reads 'scontrol -o show job' lines and prints each job's id,
# state and exit code on one line.
job_states() {
  awk '{
    id = ""; task = ""; state = ""; code = ""
    for (i = 1; i <= NF; i++) {
      split($i, kv, "=")
      if (kv[1] == "JobId") id = kv[2]
      else if (kv[1] == "ArrayJobId") id = kv[2]
      else if (kv[1] == "ArrayTaskId") task = "_" kv[2]
      else if (kv[1] == "JobState") state = kv[2]
      else if (kv[1] == "ExitCode") code = kv[2]
    }
    printf "%s%s %s exit %s; ", id, task, state, code
  }'
}

deadline=$((SECONDS + job_timeout))
queued=
while :; do
  [ "$SECONDS" -ge "$deadline" ] && fail "jobs not done after ${job_timeout} s: $(tr '\n' ';' <<<"$queued")"
  sleep 1
  # A busy slurmctld can time out a query: ask again.
  queued=$(squeue -h -j "$jid,$mid" -o '%i %T %r') || continue
  [ -z "$queued" ] && break
  if grep -q DependencyNeverSatisfied <<<"$queued"; then
    fail "a task of array job $jid failed, so merge job $mid can never start: $(scontrol -o show job "$jid" | job_states)"
  fi
done

# Every task of the array and the merge must have completed with exit 0.
states=$(scontrol -o show job "$jid"; scontrol -o show job "$mid")
bad=$(grep -v 'JobState=COMPLETED .* ExitCode=0:0' <<<"$states" || true)
[ -z "$bad" ] || fail "jobs did not complete: $(job_states <<<"$bad")"
tasks=$(grep -c "ArrayJobId=$jid " <<<"$states")
shards=$(find "$HARDNEG_OUT/shards" -name '*.hnshard' | wc -l)
[ "$tasks" = "$shards" ] || fail "array job $jid ran $tasks tasks but $HARDNEG_OUT/shards holds $shards shard files"
say "$tasks array tasks and the merge COMPLETED, exit 0 ($((SECONDS - t0)) s)"
# Each task took Slurm's --mem as its budget (the script's SLURM_MEM_PER_NODE line).
budgeted=$(grep -l '^memory: .*(--max-memory)$' "$work"/submit/hardneg-mine-*.log 2>/dev/null | wc -l)
[ "$budgeted" = "$tasks" ] || fail "$budgeted of $tasks task logs show a memory plan within --max-memory"
say "every task planned its memory within Slurm's --mem ($(grep -ho 'within [0-9.]* [KMG]iB' "$work"/submit/hardneg-mine-*.log | sort -u | paste -sd' '))"

# --- The check ----------------------------------------------------------
cmd=("$bin" mine --data-dir "$HARDNEG_DATA" --out "$work/full" -q)
show "${cmd[@]}"
"${cmd[@]}"
# The stats file's timings vary from run to run, and a merge has no record
# of the screen (its scans ran in the tasks): both are left out.
blank_timings() { perl -0pe 's/"timings_seconds": \{.*?\}(,\s*"screen": \{[^{}]*\})?/"timings_seconds": {}/s' "$1"; }
(cd "$work/full" && find . -type f | sort) >"$work/full.files"
(cd "$HARDNEG_OUT" && find . -path ./shards -prune -o -type f -print | sort) >"$work/merged.files"
if ! diff -u "$work/full.files" "$work/merged.files" >&2; then
  fail "the merge wrote other files than the unsharded run (- unsharded, + merged)"
fi
grep -qx ./data_preparation_stats.json "$work/full.files" || fail "the unsharded run wrote no data_preparation_stats.json"
n=0
while read -r f; do
  if [ "$(basename "$f")" = data_preparation_stats.json ]; then
    cmp -s <(blank_timings "$work/full/$f") <(blank_timings "$HARDNEG_OUT/$f") ||
      fail "${f#./} differs between the unsharded run and the merge (timings_seconds and screen blanked)"
  else
    cmp -s "$work/full/$f" "$HARDNEG_OUT/$f" ||
      fail "${f#./} differs between the unsharded run and the merge"
  fi
  n=$((n + 1))
done <"$work/full.files"
[ "$n" -ge 4 ] || fail "the unsharded run wrote only $n files"
say "ok: $n files of the merge of $shards shards byte-identical to an unsharded run ($((SECONDS - t0)) s)"
