#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, from Debian's packages, for the tests of
# `spikes study --executor slurm` (and for trying the executor without a cluster).
#   scripts/slurm-local.sh start    install (when missing) and start munge, slurmctld, slurmd
#   scripts/slurm-local.sh stop     stop the daemons
#   scripts/slurm-local.sh status   exit 0 when the cluster answers
# Runs as root (it writes /etc/slurm and starts daemons). Job accounting is kept without a
# database: jobcomp/filetxt writes every finished job to a file that `sacct -c` reads.
set -euo pipefail

CONF_DIR=/etc/slurm
STATE=/var/spool/slurm
LOGS=/var/log/slurm
COMP_LOG=$LOGS/jobcomp.log

say() { echo "slurm-local: $*"; }

running() { timeout 5 sinfo -h -o %t >/dev/null 2>&1; }

install_packages() {
  local missing=()
  for p in slurmctld slurmd slurm-client munge; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" != 0 ]; then
    say "missing packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
}

write_config() {
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  # slurmd -C prints what the node really has; keep a margin so the node is never drained for
  # reporting less memory than configured.
  mem=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
  mem=$((mem * 9 / 10))
  mkdir -p "$CONF_DIR" "$STATE/ctld" "$STATE/d" "$LOGS"
  cat >"$CONF_DIR/slurm.conf" <<CONF
# Written by neurobridge scripts/slurm-local.sh: a one-node cluster for tests.
ClusterName=neurobridge-local
SlurmctldHost=$host
SlurmUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
# No cgroups in containers and micro-VMs: track processes by process group.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# One core per job by default, so jobs share the node.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
MpiDefault=none
JobCompType=jobcomp/filetxt
JobCompLoc=$COMP_LOG
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
KillWait=10
MinJobAge=300
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
  install_packages
  if running; then say "already running"; return; fi
  write_config
  # munge: the key ships with the package; the daemon needs its run directory.
  if ! pgrep -x munged >/dev/null; then
    [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none; }
    chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge && chown munge:munge /run/munge
    runuser -u munge -- /usr/sbin/munged
  fi
  pgrep -x slurmctld >/dev/null || slurmctld -c
  pgrep -x slurmd >/dev/null || slurmd
  for _ in $(seq 1 30); do
    if running && [ -n "$(sinfo -h -o %t -t idle,mix,alloc 2>/dev/null)" ]; then
      say "up: $(sinfo -h -o '%P %D node(s) %c CPUs %t')"
      return
    fi
    sleep 1
  done
  say "slurm did not come up; see $LOGS/slurmctld.log and $LOGS/slurmd.log" >&2
  tail -5 "$LOGS/slurmctld.log" "$LOGS/slurmd.log" >&2 || true
  exit 1
}

stop() {
  pkill -x slurmd || true
  pkill -x slurmctld || true
  say "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) running && sinfo || { say "not running"; exit 1; } ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
