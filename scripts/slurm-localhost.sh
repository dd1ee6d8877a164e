#!/usr/bin/env bash
# A one-node Slurm on this machine, for the job-array round trip (tests/slurm_roundtrip.rs,
# docs/slurm.md). The recipe is /work/shared/notes/slurm-localhost.md: Debian's packages,
# munged, slurmctld and slurmd as plain background processes (no systemd, no cgroups).
#
#   scripts/slurm-localhost.sh start DIR    write DIR/slurm.conf, start the daemons, wait
#                                           for the node to be idle; then
#                                           export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-localhost.sh status DIR   the daemons started in DIR and the node
#   scripts/slurm-localhost.sh stop DIR     stop them (by the PIDs recorded in DIR); safe
#                                           to call again
#
# State, spool, logs and PIDs live under DIR. Needs root (SlurmUser=root; munged runs as
# the munge user) and the packages slurmctld slurmd slurm-client munge, which scripts/test
# installs. Only one Slurm can run on a machine (ports 6817 and 6818).
set -euo pipefail
# The daemons are in /usr/sbin, which is not on every user's PATH.
export PATH="$PATH:/usr/sbin:/sbin"

say() { echo "slurm-localhost: $*" >&2; }
die() {
    say "$*"
    exit 1
}

PACKAGES="slurmctld slurmd slurm-client munge"
CTLD_PORT=6817
SLURMD_PORT=6818
# The daemons in the order they start; stop goes backwards.
DAEMONS="munged slurmctld slurmd"

usage() {
    echo "usage: $0 start|stop|status DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

# PID recorded for a daemon in DIR, or nothing.
pid_of() { cat "$dir/$1.started-pid" 2>/dev/null || true; }

# Whether PID is alive and is the daemon NAME (a PID may have been reused since).
is_daemon() {
    local pid=$1 name=$2 comm
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [ "$comm" = "$name" ]
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

log_tails() {
    local f
    for f in "$dir"/munged.out "$dir"/slurmctld.log "$dir"/slurmctld.out "$dir"/slurmd.log "$dir"/slurmd.out; do
        [ -s "$f" ] || continue
        echo "----- $f (last 20 lines)" >&2
        tail -n 20 "$f" >&2
    done
}

stop() {
    local name pid i stopped=0
    for name in slurmd slurmctld munged; do
        pid=$(pid_of "$name")
        [ -n "$pid" ] || continue
        if is_daemon "$pid" "$name"; then
            kill "$pid" 2>/dev/null || true
            for i in $(seq 1 40); do
                is_daemon "$pid" "$name" || break
                sleep 0.25
            done
            if is_daemon "$pid" "$name"; then
                say "$name (pid $pid) still running 10 s after SIGTERM; sending SIGKILL"
                kill -9 "$pid" 2>/dev/null || true
                for i in $(seq 1 20); do
                    is_daemon "$pid" "$name" || break
                    sleep 0.25
                done
            fi
            if is_daemon "$pid" "$name"; then
                die "could not stop $name (pid $pid)"
            fi
            stopped=$((stopped + 1))
        fi
        rm -f "$dir/$name.started-pid"
    done
    say "stopped $stopped daemons started in $dir"
}

status() {
    local name pid down=0
    for name in $DAEMONS; do
        pid=$(pid_of "$name")
        if [ -z "$pid" ]; then
            echo "$name: not started from $dir"
            down=1
        elif is_daemon "$pid" "$name"; then
            echo "$name: running (pid $pid)"
        else
            echo "$name: not running (pid $pid recorded)"
            down=1
        fi
    done
    if [ "$down" -eq 0 ]; then
        echo "node: $(SLURM_CONF="$dir/slurm.conf" sinfo -h -N -o '%N %T %c CPUs %m MB' 2>&1)"
        echo "export SLURM_CONF=$dir/slurm.conf"
    fi
    return "$down"
}

start() {
    local missing="" c name
    for c in munged munge slurmctld slurmd sbatch squeue sinfo scontrol setpriv; do
        command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
    done
    if [ -n "$missing" ]; then
        die "Slurm or munge is not installed (missing:$missing); install the Debian packages:" \
            "apt-get install --no-install-recommends $PACKAGES (scripts/test does it)"
    fi
    [ "$(id -u)" -eq 0 ] || die "start needs root (SlurmUser=root, munged runs as the munge user)"
    id munge >/dev/null 2>&1 || die "no munge user: reinstall the munge package"
    [ -r /etc/munge/munge.key ] || die "no /etc/munge/munge.key: reinstall the munge package"

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    for name in $DAEMONS; do
        if is_daemon "$(pid_of "$name")" "$name"; then
            die "$name from $dir is already running; stop it first: $0 stop $dir"
        fi
    done
    for c in $CTLD_PORT $SLURMD_PORT; do
        if port_busy "$c"; then
            die "port $c is in use: another Slurm is running on this machine" \
                "(stop it, e.g. $0 stop ITS-DIR, or kill its slurmctld and slurmd)"
        fi
    done

    local host node mem
    host=$(hostname -s)
    node=$(slurmd -C | grep '^NodeName=') || die "slurmd -C printed no NodeName line"
    # The hardware but the name; RealMemory 90% of what slurmd sees, because a node that
    # reports less than its configured memory is drained ("Low RealMemory").
    node=${node#NodeName=* }
    mem=$(echo "$node" | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
    if [ -n "$mem" ]; then
        node=${node/RealMemory=$mem/RealMemory=$((mem * 9 / 10))}
    fi

    mkdir -p "$dir/state" "$dir/spool"
    cat >"$dir/slurm.conf" <<EOF
# Written by scripts/slurm-localhost.sh start $dir
ClusterName=oncolattice
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
NodeName=$host NodeAddr=127.0.0.1 $node State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF="$dir/slurm.conf"

    # munged: the packaged socket in /run/munge, which no tmpfiles.d run created. A munged
    # that already answers (the machine's own) is used and left alone.
    if munge -n </dev/null >/dev/null 2>&1; then
        say "munged already answers on this machine; using it (it is not ours to stop)"
    else
        install -d -o munge -g munge -m 0755 /run/munge
        setpriv --reuid=munge --regid=munge --init-groups munged -F \
            </dev/null >"$dir/munged.out" 2>&1 &
        echo $! >"$dir/munged.started-pid"
        for _ in $(seq 1 40); do
            munge -n </dev/null >/dev/null 2>&1 && break
            sleep 0.25
        done
        munge -n </dev/null >/dev/null 2>&1 || {
            log_tails
            stop
            die "munged did not answer within 10 s"
        }
    fi

    slurmctld -D -f "$SLURM_CONF" </dev/null >"$dir/slurmctld.out" 2>&1 &
    echo $! >"$dir/slurmctld.started-pid"
    slurmd -D -f "$SLURM_CONF" </dev/null >"$dir/slurmd.out" 2>&1 &
    echo $! >"$dir/slurmd.started-pid"

    local state="" i
    for i in $(seq 1 60); do
        state=$(sinfo -h -N -o %T 2>/dev/null || true)
        [ "$state" = idle ] && break
        for name in slurmctld slurmd; do
            if ! is_daemon "$(pid_of "$name")" "$name"; then
                log_tails
                stop
                die "$name exited while starting (logs above, and in $dir)"
            fi
        done
        sleep 1
    done
    if [ "$state" != idle ]; then
        log_tails
        SLURM_CONF="$SLURM_CONF" scontrol show node >&2 2>&1 || true
        stop
        die "node $host not idle after 60 s (state: ${state:-none}); logs above, and in $dir"
    fi
    say "node $host idle after ${i} s; export SLURM_CONF=$SLURM_CONF"
}

case "$cmd" in
start) start ;;
stop)
    if [ -d "$dir" ]; then
        stop
    else
        say "no $dir: nothing to stop"
    fi
    ;;
status) status ;;
*) usage ;;
esac
