#!/usr/bin/env python3
"""The synchronous step's time for W workers and S server shards, from measured terms.

One step, as docs/protocol.md draws it: every worker pulls the weights (P floats, a 1/S slice
from each server), computes one shard (forward then backward), and pushes its gradient (P floats,
a slice to each server); each server sums its W gradient slices, the coordinator totals the
servers' norms, and each server applies its slice's update. The terms:

  c       seconds to compute one shard at one thread, no network (scaling_netns.sh prints it)
  P       floats of the model (4 bytes each on the wire)
  R       bytes/s of every link, each direction (links are full duplex)
  a       seconds a server takes to add one gradient float (the sum over W)
  u       seconds a server takes to update one float (clip and Adam)
  L       seconds of one round trip (the norm exchange and the step's messages)

A server's link carries W·P/S floats each way per step and a worker's P, so the pull and the push
each take  t = 4·P·max(W/S, 1)/R.  Without overlap,

  step = t_pull + c + t_push + a·W·P/S + u·P/S + 3·L

With the overlap the roles implement (the forward pass starts on the first weight piece, and each
gradient piece leaves as soon as backpropagation finishes it), the pull hides under the forward
third of c and the push under the backward two thirds, and only what sticks out counts:

  step = max(t_pull, c/3) + max(t_push, 2c/3) + a·W·P/S + u·P/S + 3·L

Efficiency is c / step: the share of the step a worker spends computing, against workers that
only compute (perfect scaling of a fixed per-worker shard).

Usage: bench/scaling_model.py --compute 0.21 [--params 4270146] [--gbits 10] [--add-ns 0.25]
                              [--update-ns 2.0] [--rtt-ms 0.1] [--workers 8,16,32,64] [--shards 1,2,4,8]
                              [--measured W,S,GBITS,STEP_S ...]
--measured rows (from scaling_netns.sh) are printed beside the model's two figures for the same
W, S and link rate, to show which of the two the implementation follows.
"""
import argparse


def step_time(w, s, c, p, rate, add, upd, rtt, overlap):
    t = 4.0 * p * max(w / s, 1.0) / rate
    server = add * w * p / s + upd * p / s + 3 * rtt
    if overlap:
        return max(t, c / 3) + max(t, 2 * c / 3) + server
    return t + c + t + server


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compute", type=float, required=True, help="seconds of one shard at one thread")
    ap.add_argument("--params", type=int, default=4270146, help="floats of the model (LSTM H=512 L=2, V=66)")
    ap.add_argument("--gbits", type=float, default=10.0, help="link rate, Gbit/s each way")
    ap.add_argument("--add-ns", type=float, default=0.25, help="ns per gradient float summed at a server")
    ap.add_argument("--update-ns", type=float, default=2.0, help="ns per float of a server's update")
    ap.add_argument("--rtt-ms", type=float, default=0.1, help="round trip, ms")
    ap.add_argument("--workers", default="8,16,32,64")
    ap.add_argument("--shards", default="1,2,4,8")
    ap.add_argument("--measured", nargs="*", default=[], help="W,S,GBITS,STEP_S rows to compare")
    a = ap.parse_args()
    rate = a.gbits * 1e9 / 8
    args = dict(c=a.compute, p=a.params, add=a.add_ns * 1e-9, upd=a.update_ns * 1e-9, rtt=a.rtt_ms * 1e-3)

    if a.measured:
        print("| workers | shards | link | measured step (s) | model, no overlap (s) | model, overlapped (s) |")
        print("|---|---|---|---|---|---|")
        for row in a.measured:
            w, s, g, m = row.split(",")
            r = float(g) * 1e9 / 8
            no = step_time(int(w), int(s), rate=r, overlap=False, **args)
            ov = step_time(int(w), int(s), rate=r, overlap=True, **args)
            print(f"| {w} | {s} | {g} Gbit/s | {float(m):.3f} | {no:.3f} | {ov:.3f} |")
        print()

    shards = [int(x) for x in a.shards.split(",")]
    print(f"Efficiency (compute / step) at {a.gbits:g} Gbit/s, one shard of {a.compute:.3f} s per worker, "
          f"P = {a.params:,} floats; overlapped (no overlap):")
    print()
    print("| workers | " + " | ".join(f"S={s}" for s in shards) + " |")
    print("|---|" + "---|" * len(shards))
    for w in [int(x) for x in a.workers.split(",")]:
        cells = []
        for s in shards:
            ov = a.compute / step_time(w, s, rate=rate, overlap=True, **args)
            no = a.compute / step_time(w, s, rate=rate, overlap=False, **args)
            cells.append(f"{ov:.0%} ({no:.0%})")
        print(f"| {w} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
