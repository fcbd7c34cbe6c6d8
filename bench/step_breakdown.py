#!/usr/bin/env python3
"""Where a distributed step's time goes, from the trace lines `RECUR_TRACE=1` makes the roles log.

    RECUR_TRACE=1 recur train --workers 2 --threads 1 ... 2> trace.log
    python3 bench/step_breakdown.py trace.log

Prints the mean compute time of a shard and, per step, the longest time any worker spent not
computing after the last worker had finished the step before: from that moment to the start of
its shard of the next step, plus the time it then waited inside that shard for pieces of its
weights (a worker starts a shard as soon as the first piece of its weights is in and waits for
the others as its forward pass reaches them; those waits are the trace lines "waited … ms for
weights piece", taken out of the compute time). It also prints the figure the script gave before
(the latest start plus the longest wait of any worker, which can add one worker's wait to
another's start) as "summed", and the straggler wait: per step, how much later its last shard
finished than its first. The first two steps are left out as warm-up. The clock is the
system-wide monotonic one, so lines of different processes compare directly.
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
shard_start = {}  # (worker, step) -> start time
shard_wait = {}   # (worker, step) -> ms waited for weight pieces in that shard
shard_end = {}    # (worker, step) -> end time
for t, who, what in events:
    m = re.match(r"compute start step (\d+)", what)
    if m:
        starts[int(m.group(1))].append(t)
        open_at[who] = t
        current[who] = int(m.group(1))
        shard_start[(who, current[who])] = t
    elif what.startswith("waited ") and who in open_at:
        w = float(what.split()[1])
        waits[who] = waits.get(who, 0.0) + w
    elif what == "compute end" and who in open_at:
        ends.append(t)
        w = waits.pop(who, 0.0)
        durations.append(t - open_at.pop(who) - w)
        shard_wait[(who, current[who])] = w
        shard_end[(who, current[who])] = t
steps = sorted(starts)[2:]
# The straggler wait of a step: how much later its last shard finished than its first (one shard
# per worker, so the time the faster worker waited for the slower).
step_ends = collections.defaultdict(list)
for (who, step), t in shard_end.items():
    step_ends[step].append(t)
gaps, summed = [], []
for s in steps:
    before = [t for t in ends if t < min(starts[s])]
    if not before:
        continue
    mine = [(start, shard_wait.get((w, step), 0.0)) for (w, step), start in shard_start.items() if step == s]
    gaps.append(max(start - max(before) + wait for start, wait in mine))
    summed.append(max(start for start, _ in mine) - max(before) + max(wait for _, wait in mine))
if not gaps:
    sys.exit("no complete steps in the trace")
compute = statistics.mean(durations[4:] or durations)
gap, old = statistics.mean(gaps), statistics.mean(summed)
print(f"{len(gaps)} steps: compute per shard {compute:.1f} ms, between steps {gap:.1f} ms "
      f"({100 * gap / (compute + gap):.1f}% of the step outside compute; summed {old:.1f} ms, "
      f"{100 * old / (compute + old):.1f}%)")
spreads = [max(step_ends[s]) - min(step_ends[s]) for s in steps if len(step_ends[s]) > 1]
if spreads:
    print(f"straggler wait (last shard of a step done after the first): mean {statistics.mean(spreads):.1f} ms, "
          f"median {statistics.median(spreads):.1f} ms over {len(spreads)} steps")
