#!/usr/bin/env bash
# A real Slurm in the tests: Debian's slurm-wlm and munge (installed here when missing,
# under CI), munged, slurmctld and slurmd for one node on localhost, all in a scratch folder on
# free ports of their own. It submits the job-array script of docs/SCALING.md as written (only
# the resources are sized to this node on sbatch's command line), 3 shards of a batch of 80
# jobs over 4 tenants; kills one array task with scancel once it has reported a few jobs;
# requeues it (the script keeps each shard's record with --resume); and checks
# the merge:
# `krepis summarize` counts every job exactly once, and no shard held more than 1.1x the
# mean. Skips (77), saying why, where it cannot run the daemons (not root, no slurm outside
# CI, no apt).
#   tests/slurm_test.sh KREPIS_BIN SOURCE_DIR
set -euo pipefail
krepis=$(realpath "$1")
source_dir=$(realpath "$2")
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "munged, slurmctld and slurmd need root here (run as root, or in CI)"
if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null ||
   ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  # Installed on a throwaway machine (CI) only; elsewhere the operator decides.
  [ -n "${CI:-}" ] || skip "slurm-wlm and munge are not installed (apt-get install slurm-wlm munge, or run under CI=1)"
  command -v apt-get >/dev/null || skip "slurm-wlm and munge are not installed, and there is no apt-get"
  echo "installing Debian's slurm-wlm and munge" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurm-wlm munge >&2 || skip "apt-get could not install slurm-wlm and munge"
fi

scratch=$(mktemp -d)
daemons=()
# Every daemon ends with the test: asked to, then made to, and waited for, before its files go.
cleanup() {
  local pids=() pid_file pid
  for pid_file in "${daemons[@]}"; do
    [ -s "$pid_file" ] && pids+=("$(cat "$pid_file")")
  done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT

# Two free ports for slurmctld and slurmd (not fixed: another tree's test may hold those).
free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
  skip "no free port found"
}
ctld_port=$(free_port)
slurmd_port=$(free_port)
[ "$ctld_port" != "$slurmd_port" ] || slurmd_port=$((ctld_port + 1))
# A client call never waits long on a controller that is not there.
slurm() { timeout 10 "$@"; }

# munge: its own key, socket and files, as root (--force: root is this test's user).
dd if=/dev/urandom of="$scratch/munge.key" bs=1024 count=1 status=none
chmod 400 "$scratch/munge.key"
munged --force --key-file="$scratch/munge.key" --socket="$scratch/munge.socket" \
  --pid-file="$scratch/munged.pid" --log-file="$scratch/munged.log" \
  --seed-file="$scratch/munged.seed" || skip "munged does not start: $(tail -2 "$scratch/munged.log")"
daemons+=("$scratch/munged.pid")

host=$(hostname -s)
mkdir -p "$scratch/state" "$scratch/spool"
cat > "$scratch/slurm.conf" <<CONF
ClusterName=krepis-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$scratch/munge.socket
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
SlurmctldPidFile=$scratch/slurmctld.pid
SlurmdPidFile=$scratch/slurmd.pid
SlurmctldLogFile=$scratch/slurmctld.log
SlurmdLogFile=$scratch/slurmd.log
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
MessageTimeout=5
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=2048 State=UNKNOWN
PartitionName=krepis Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$scratch/slurm.conf
slurmctld -f "$SLURM_CONF" || skip "slurmctld does not start: $(tail -3 "$scratch/slurmctld.log" 2>/dev/null)"
daemons+=("$scratch/slurmctld.pid")
slurmd -f "$SLURM_CONF" || skip "slurmd does not start: $(tail -3 "$scratch/slurmd.log" 2>/dev/null)"
daemons+=("$scratch/slurmd.pid")
# Up within a minute, or the daemons cannot run here.
up=no
for _ in $(seq 60); do
  if slurm sinfo -h -o '%T' 2>/dev/null | grep -q idle; then up=yes; break; fi
  sleep 1
done
[ $up = yes ] || skip "the node never came up: $(tail -3 "$scratch/slurmctld.log" "$scratch/slurmd.log" 2>/dev/null)"

# The batch: 80 jobs over 4 tenants, each busy for 0.3 s, far from its 5 s deadline.
work=$scratch/work
mkdir -p "$work/jobs" "$work/results" "$work/logs" "$work/bin"
ln -s "$krepis" "$work/bin/krepis"
for tenant in alpha beta gamma delta; do
  printf '[tenants.%s]\ndeadline_ms = 5000\n' "$tenant" >> "$work/tenants.toml"
  mkdir -p "$work/jobs/$tenant"
  for i in $(seq -w 1 20); do
    echo "const t = Date.now(); while (Date.now() - t < 300) {} '$tenant $i'" \
      > "$work/jobs/$tenant/job-$i.js"
  done
done

# The array script of docs/SCALING.md, as written.
guide=$source_dir/docs/SCALING.md
awk '/^## Slurm: a job array/ {on = 1} on && /^```bash$/ {inside = 1; next}
     inside && /^```$/ {exit} inside {print}' "$guide" > "$work/krepis-array.sh"
grep -q -- '--resume' "$work/krepis-array.sh" || fail "no array script with --resume in $guide"

cd "$work"
export PATH=$work/bin:$PATH
sized=(--cpus-per-task=1 --mem=512M)
wait_for() {
  local queue
  for _ in $(seq 900); do
    queue=$(slurm squeue -h -j "$1") || fail "squeue failed: $(tail -3 "$scratch/slurmctld.log")"
    [ -z "$queue" ] && return 0
    sleep 0.2
  done
  fail "job $1 never finished: $(tail -3 logs/* 2>/dev/null)"
}
job=$(slurm sbatch --parsable --array=0-2 "${sized[@]}" krepis-array.sh) || fail "sbatch refused the script"
# Kill shard 1 once it has reported three jobs (of its ~27, 0.3 s each: seconds left).
for _ in $(seq 600); do
  [ -f results/shard-1.jsonl ] && [ "$(wc -l < results/shard-1.jsonl)" -ge 3 ] && break
  sleep 0.1
done
[ "$(wc -l < results/shard-1.jsonl)" -ge 3 ] || fail "shard 1 reported nothing: $(tail -5 logs/* 2>/dev/null)"
slurm scancel "${job}_1"
wait_for "$job"
killed_reports=$(grep -c '"tenant"' results/shard-1.jsonl || true)
[ "$killed_reports" -lt 26 ] || fail "shard 1 finished before the kill ($killed_reports reports)"

# Shard 1 again, requeued as Slurm does (the same task: shard 1 of 3): --resume runs what
# its record lacks.
slurm scontrol requeue "${job}_1" || fail "scontrol could not requeue ${job}_1"
# A requeued job waits two minutes before it may start again: not here.
slurm scontrol update JobId="${job}_1" StartTime=now || true
wait_for "$job"

merged=$("$krepis" summarize --json results/shard-*.jsonl results/summary-*.json) || true
jobs=$(jq '.summary.jobs' <<< "$merged")
[ "$jobs" = 80 ] || fail "summarize counted $jobs jobs, not 80: $merged"
[ "$(jq '.summary.counts.ok' <<< "$merged")" = 80 ] || fail "not every job ended ok: $merged"
[ "$(jq '.summary.shards' <<< "$merged")" = 3 ] || fail "not 3 shard summaries merged: $merged"
[ "$(jq '.summary.interrupted' <<< "$merged")" = false ] || fail "the last attempts say interrupted: $merged"
duplicates=$(cat results/shard-*.jsonl | jq -r 'select(.script) | .script' | sort | uniq -d)
[ -z "$duplicates" ] || fail "jobs reported twice: $duplicates"
for shard in 0 1 2; do
  count=$(jq -r 'select(.script) | .script' "results/shard-$shard.jsonl" | sort -u | wc -l)
  [ "$count" -le 29 ] || fail "shard $shard ran $count jobs, more than 1.1x the mean of 26.7"
done
echo "ok: 3 shards on Slurm, shard 1 killed after $killed_reports reports and resumed; 80 jobs, each once"
