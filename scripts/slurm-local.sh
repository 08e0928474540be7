#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying and testing `launcher=slurm`.
#
#   scripts/slurm-local.sh up      install (apt) and start munged, slurmctld and slurmd; idempotent
#   scripts/slurm-local.sh down    stop exactly the daemons `up` started (their pid files)
#   scripts/slurm-local.sh status  say whether the cluster answers
#
# Needs root (the daemons run as root; fine for a throwaway test cluster, not for a real one).
# State (spool, logs, pid files) lives in $RVOS_SLURM_DIR (default /tmp/rvos-slurm). The config is
# written to /etc/slurm/slurm.conf so that sbatch/squeue find it without SLURM_CONF; an existing
# config that this script did not write is left alone and `up` refuses to start.
# Settings: see docs/slurm.md (one node with CPUs=$(nproc), partition `debug`, no accounting).
set -euo pipefail

STATE=${RVOS_SLURM_DIR:-/tmp/rvos-slurm}
CONF=/etc/slurm/slurm.conf
MARK='# written by rvos scripts/slurm-local.sh'
NODE=rvosnode
HOST=$(hostname -s)

say() { echo "slurm-local: $*"; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then
    return 0
  fi
  command -v apt-get >/dev/null || { say "slurmctld/slurmd/sbatch/munged are missing and there is no apt-get"; return 1; }
  say "installing slurmctld slurmd slurm-client munge with apt-get"
  local apt=(apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends slurmctld slurmd slurm-client munge)
  # Debian's maintainer scripts would start the daemons through the init system; this script
  # starts its own, so keep them from starting here (policy-rc.d exit 101 = "not allowed").
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1; fi
  local ok=0
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" >/dev/null 2>&1 ||
    { apt-get -o DPkg::Lock::Timeout=600 update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive "${apt[@]}" >/dev/null 2>&1; } || ok=1
  [ "$made_policy" = 1 ] && rm -f "$policy"
  [ "$ok" = 0 ] || { say "apt-get could not install the Slurm packages"; return 1; }
}

write_config() {
  if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    say "$CONF exists and was not written by this script; not touching it (this machine has its own Slurm)"
    return 1
  fi
  local cpus mem
  cpus=$(nproc)
  # RealMemory in MiB, a little under the total so slurmd does not mark the node invalid.
  mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
  mkdir -p /etc/slurm "$STATE/state" "$STATE/spool" "$STATE/log"
  local tmp="$CONF.tmp.$$"
  cat >"$tmp" <<EOF
$MARK (state in $STATE)
ClusterName=rvos
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
# Refuse at submission a job that the partition can never run (instead of leaving it pending).
EnforcePartLimits=ALL
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
NodeName=$NODE NodeHostname=$HOST NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  if [ -f "$CONF" ] && cmp -s "$tmp" "$CONF"; then rm -f "$tmp"; return 0; fi
  mv "$tmp" "$CONF"
  # A running controller (started earlier) picks up a changed config.
  if alive "$STATE/slurmctld.pid"; then scontrol reconfigure >/dev/null 2>&1 || true; fi
}

start_munge() {
  if [ -S /run/munge/munge.socket.2 ] && munge -n >/dev/null 2>&1; then return 0; fi
  mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
  local user=root
  id munge >/dev/null 2>&1 && user=munge
  if [ ! -s /etc/munge/munge.key ]; then
    if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key; else dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; fi
  fi
  chown -R "$user" /etc/munge /run/munge /var/lib/munge /var/log/munge
  chmod 700 /etc/munge
  chmod 400 /etc/munge/munge.key
  if [ "$user" = munge ]; then runuser -u munge -- munged --pid-file=/run/munge/munged.pid; else munged --force --pid-file=/run/munge/munged.pid; fi
  cp /run/munge/munged.pid "$STATE/munged.started"
}

start_daemon() { # name pidfile command...
  local name=$1 pidfile=$2
  shift 2
  if alive "$pidfile"; then return 0; fi
  "$@"
  for _ in $(seq 50); do alive "$pidfile" && break; sleep 0.2; done
  alive "$pidfile" || { say "$name did not start; see $STATE/log/$name.log"; return 1; }
  cp "$pidfile" "$STATE/$name.started"
}

up() {
  [ "$(id -u)" = 0 ] || { say "run as root (the test cluster's daemons run as root)"; exit 1; }
  install_packages
  write_config
  start_munge
  start_daemon slurmctld "$STATE/slurmctld.pid" slurmctld -f "$CONF"
  start_daemon slurmd "$STATE/slurmd.pid" slurmd -f "$CONF" -N "$NODE"
  # The node registers within seconds; wait until the partition can run a job.
  for _ in $(seq 60); do
    if sinfo -h -p debug -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
      say "up: partition debug, node $NODE with $(nproc) CPUs (state in $STATE)"
      return 0
    fi
    sleep 0.5
  done
  scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true
  sinfo -h -p debug -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)' && { say "up"; return 0; }
  say "the node did not become idle; see $STATE/log/"
  return 1
}

stop_started() { # name
  local f="$STATE/$1.started"
  [ -f "$f" ] || return 0
  local pid
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -f "$f"
}

down() {
  stop_started slurmd
  stop_started slurmctld
  stop_started munged
  say "down"
}

status() {
  if sinfo -h -p debug -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then say "up"; else say "not answering"; return 1; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
