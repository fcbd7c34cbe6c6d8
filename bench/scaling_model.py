#!/usr/bin/env python3
"""The synchronous step's time for W workers and S server shards, from measured terms.

One step, as docs/protocol.md draws it: every worker pulls the weights (P floats, a 1/S slice
from each server), computes its k shards (forward then backward), and pushes one gradient (P
floats, a slice to each server) per shard; each server sums its slices, the coordinator totals
the servers' norms, and each server applies its slice's update. The terms:

  c   seconds to compute one shard at one thread with no network (scaling_netns.sh prints it)
  P   floats of the model, 4 bytes each on the wire
  R   bytes/s of every link, each way (links are full duplex)
  o   seconds a step spends outside compute and transfer: the servers' sum and update, the norm
      round trip, the copies into and out of messages (measured: the residual of the
      scaling_netns.sh rows that have no more processes than cores)

A server's link carries W·P/S floats out (weights) and W·k·P/S in (gradients) each step, a
worker's P in and k·P out, so the pull takes  t_pull = 4P·max(W/S, 1)/R  and the push
t_push = 4P·k·max(W/S, 1)/R.  The roles overlap transfers with compute (the forward pass starts
on the first weight piece, and each gradient piece leaves as soon as backpropagation finishes
it), so the pull hides under the first shard's forward third and the push under the rest:

  step = max(t_pull, c/3) + max(t_push, k·c·f − c/3) + o

where f = max(1, W / cores) when the workers share cores (the measured rows here: W workers on
2 cores, f = max(1, W/2)), and 1 on hosts of their own. Efficiency is k·c / step: the share of the step a worker computes, against workers
that only compute (perfect scaling of a fixed per-worker batch).

Usage: bench/scaling_model.py --compute 0.180 --overhead 0.09 [--params 4270146] [--gbits 10]
                              [--shards-per-worker 1] [--workers 8,16,32,64] [--shards 1,2,4,8]
                              [--measured W,S,GBITS,K,STEP_S ...]
--measured rows (from scaling_netns.sh: K = shards per step / W) are printed beside the model's
step for the same W, S, link rate and K, with the roles sharing 2 cores.
"""
import argparse


def step_time(w, s, k, c, p, rate, overhead, share):
    t_pull = 4.0 * p * max(w / s, 1.0) / rate
    t_push = 4.0 * p * k * max(w / s, 1.0) / rate
    return max(t_pull, c / 3) + max(t_push, k * c * share - c / 3) + overhead


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compute", type=float, required=True, help="seconds of one shard at one thread")
    ap.add_argument("--overhead", type=float, required=True, help="seconds of a step outside compute and transfer")
    ap.add_argument("--params", type=int, default=4270146, help="floats of the model (LSTM H=512 L=2, V=66)")
    ap.add_argument("--gbits", type=float, default=10.0, help="link rate, Gbit/s each way")
    ap.add_argument("--shards-per-worker", type=int, default=1)
    ap.add_argument("--workers", default="8,16,32,64")
    ap.add_argument("--shards", default="1,2,4,8")
    ap.add_argument("--measured", nargs="*", default=[], help="W,S,GBITS,K,STEP_S rows to compare")
    a = ap.parse_args()
    c, p, o = a.compute, a.params, a.overhead

    if a.measured:
        print("| workers | server shards | shards per worker | link | measured step (s) | model (s) |")
        print("|---|---|---|---|---|---|")
        for row in a.measured:
            w, s, g, k, m = row.split(",")
            w, s, k = int(w), int(s), int(k)
            share = max(1.0, w / 2)
            model = step_time(w, s, k, c, p, float(g) * 1e9 / 8, o, share)
            print(f"| {w} | {s} | {k} | {g} Gbit/s | {float(m):.3f} | {model:.3f} |")
        print()

    rate = a.gbits * 1e9 / 8
    k = a.shards_per_worker
    shards = [int(x) for x in a.shards.split(",")]
    print(f"Efficiency (compute / step) at {a.gbits:g} Gbit/s, {k} shard(s) of {c:.3f} s per worker, "
          f"overhead {o:.3f} s, P = {p:,} floats, a host per role:")
    print()
    print("| workers | " + " | ".join(f"S={s}" for s in shards) + " |")
    print("|---|" + "---|" * len(shards))
    for w in [int(x) for x in a.workers.split(",")]:
        cells = [f"{k * c / step_time(w, s, k, c, p, rate, o, 1.0):.0%}" for s in shards]
        print(f"| {w} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
