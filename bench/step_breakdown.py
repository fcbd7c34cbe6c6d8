#!/usr/bin/env python3
"""Where a distributed step's time goes, from the trace lines `RECUR_TRACE=1` makes the roles log.

    RECUR_TRACE=1 recur train --workers 2 --threads 1 ... 2> trace.log
    python3 bench/step_breakdown.py trace.log

Prints the mean compute time of a shard and the mean time between the last worker finishing its
shard of a step and the last worker starting its shard of the next one (gradient out, sum and
update on the server, weights back), with that gap's share of the step. A worker starts a shard
as soon as the first piece of its weights is in and waits for the others as its forward pass
reaches them: those waits ("waited … ms for weights piece") are taken out of the compute time and
added to the gap of their step. The first two steps are left out as warm-up. The clock is the system-wide monotonic one, so lines of different processes
compare directly.
"""
import collections
import re
import statistics
import sys

events = []
for line in open(sys.argv[1]):
    m = re.match(r"\[(\S+)\] trace ([\d.]+) (.*)", line.strip())
    if m:
        events.append((float(m.group(2)), m.group(1), m.group(3)))
events.sort()
starts = collections.defaultdict(list)  # step -> start times of its shards
ends = []
durations = []
open_at = {}
waits = {}        # worker -> ms waited for weight pieces in the shard in hand
current = {}      # worker -> step of the shard in hand
step_waits = {}   # step -> the longest such wait among its shards
for t, who, what in events:
    m = re.match(r"compute start step (\d+)", what)
    if m:
        starts[int(m.group(1))].append(t)
        open_at[who] = t
        current[who] = int(m.group(1))
    elif what.startswith("waited ") and who in open_at:
        w = float(what.split()[1])
        waits[who] = waits.get(who, 0.0) + w
    elif what == "compute end" and who in open_at:
        ends.append(t)
        w = waits.pop(who, 0.0)
        durations.append(t - open_at.pop(who) - w)
        step_waits[current[who]] = max(step_waits.get(current[who], 0.0), w)
steps = sorted(starts)[2:]
gaps = []
for s in steps:
    before = [t for t in ends if t < min(starts[s])]
    if before:
        gaps.append(max(starts[s]) - max(before) + step_waits.get(s, 0.0))
if not gaps:
    sys.exit("no complete steps in the trace")
compute = statistics.mean(durations[4:] or durations)
gap = statistics.mean(gaps)
print(f"{len(gaps)} steps: compute per shard {compute:.1f} ms, between steps {gap:.1f} ms "
      f"({100 * gap / (compute + gap):.1f}% of the step outside compute)")
