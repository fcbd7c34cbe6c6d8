#!/usr/bin/env python3
"""Where a distributed step's time goes, from the trace lines `RECUR_TRACE=1` makes the roles log.

    RECUR_TRACE=1 recur train --workers 2 --threads 1 ... 2> trace.log
    python3 bench/step_breakdown.py trace.log

Prints the mean compute time of a shard and the mean time between the last worker finishing its
shard of a step and the last worker starting its shard of the next one (gradient out, sum and
update on the server, weights back), with that gap's share of the step. The first two steps are
left out as warm-up. The clock is the system-wide monotonic one, so lines of different processes
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
for t, who, what in events:
    m = re.match(r"compute start step (\d+)", what)
    if m:
        starts[int(m.group(1))].append(t)
        open_at[who] = t
    elif what == "compute end" and who in open_at:
        ends.append(t)
        durations.append(t - open_at.pop(who))
steps = sorted(starts)[2:]
gaps = []
for s in steps:
    before = [t for t in ends if t < min(starts[s])]
    if before:
        gaps.append(max(starts[s]) - max(before))
if not gaps:
    sys.exit("no complete steps in the trace")
compute = statistics.mean(durations[4:] or durations)
gap = statistics.mean(gaps)
print(f"{len(gaps)} steps: compute per shard {compute:.1f} ms, between steps {gap:.1f} ms "
      f"({100 * gap / (compute + gap):.1f}% of the step outside compute)")
