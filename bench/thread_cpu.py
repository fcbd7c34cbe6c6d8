#!/usr/bin/env python3
"""CPU time of every thread of a distributed run's processes, by role and kind of thread.

    python3 bench/thread_cpu.py [--steps N] [--timeout-s S] &   # start it, then the run
    recur train --workers 2 ...

Polls /proc every 0.2 s for processes whose command line is `recur ps|coordinator|worker …`,
keeps each thread's latest user and system time (a thread's figures are cumulative, so the last
sample before it exits is its total), and, once the run's processes are gone, prints the seconds
of each role in three kinds of thread: libzmq's I/O threads ("ZMQbg/IO/…": the kernel's copies
of every message), libzmq's other threads, and the rest (the role's own work). With --steps, also
per step in milliseconds. Linux only. It gives up after --timeout-s seconds (default 600).
"""
import argparse
import collections
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=0)
parser.add_argument("--timeout-s", type=float, default=600)
args = parser.parse_args()

ROLES = ("ps", "worker", "coordinator")
latest = {}  # (pid, tid) -> (role, kind, user ticks, system ticks)


def role_of(argv):
    if len(argv) < 2 or not argv[0].endswith(b"recur") or argv[1].decode() not in ROLES:
        return None
    role = argv[1].decode()
    if b"--name" in argv[:-1]:
        role += " " + argv[argv.index(b"--name") + 1].decode()
    return role


def kind_of(name):
    if name.startswith("ZMQbg/IO"):
        return "zmq-io"
    return "zmq-other" if name.startswith("ZMQbg") else "own"


seen = False
deadline = time.monotonic() + args.timeout_s
while time.monotonic() < deadline:
    alive = False
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            role = role_of(open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0"))
            if role is None:
                continue
            alive = True
            for tid in os.listdir(f"/proc/{pid}/task"):
                stat = open(f"/proc/{pid}/task/{tid}/stat").read()
                name = stat[stat.index("(") + 1:stat.rindex(")")]
                fields = stat[stat.rindex(")") + 2:].split()
                latest[(pid, tid)] = (role, kind_of(name), int(fields[11]), int(fields[12]))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue  # exited between listing and reading
    seen = seen or alive
    if seen and not alive:
        break
    time.sleep(0.2)

hz = os.sysconf("SC_CLK_TCK")
totals = collections.defaultdict(lambda: [0, 0])
for role, kind, user, system in latest.values():
    totals[(role, kind)][0] += user
    totals[(role, kind)][1] += system
for (role, kind), (user, system) in sorted(totals.items()):
    line = f"{role:14s} {kind:10s} user {user / hz:7.2f} s  system {system / hz:7.2f} s"
    if args.steps:
        line += f"  ({1000 * (user + system) / hz / args.steps:6.1f} ms per step)"
    print(line)
