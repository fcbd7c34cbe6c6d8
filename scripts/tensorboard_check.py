#!/usr/bin/env python3
"""Reads an event file (or a folder of them) with TensorBoard's own EventAccumulator and prints
every scalar: the check that files written by Recur's TensorBoardWriter load in TensorBoard.

Usage: ~/.venvs/torch-ref/bin/python scripts/tensorboard_check.py PATH
To get a file from Recur's writer, run its test with RECUR_TB_OUT set to a folder:
  RECUR_TB_OUT=/tmp/recur-tb swift test --skip-build --filter TensorBoardWriterTests
Exits 1 when TensorBoard finds no scalars, or no "brain.Event:2" version event.
"""
import os
import sys

from tensorboard.backend.event_processing import event_accumulator, event_file_loader


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tensorboard_check.py EVENT_FILE_OR_FOLDER")
    # size_guidance 0 keeps every scalar instead of TensorBoard's default reservoir sample.
    acc = event_accumulator.EventAccumulator(sys.argv[1], size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    # EventAccumulator keeps only the number of "brain.Event:2"; a file's raw first event shows the text.
    print(f"file_version (EventAccumulator): {acc.file_version}")
    if os.path.isfile(sys.argv[1]):
        first = next(iter(event_file_loader.EventFileLoader(sys.argv[1]).Load()), None)
        print(f"first event: file_version {first.file_version!r}, wall_time {first.wall_time!r}")
    tags = acc.Tags()["scalars"]
    for tag in sorted(tags):
        for event in acc.Scalars(tag):
            print(f"{tag}\tstep {event.step}\tvalue {event.value!r}\twall_time {event.wall_time!r}")
    if not tags or acc.file_version != 2.0:
        sys.exit("tensorboard_check: no scalars, or not a brain.Event:2 file")


if __name__ == "__main__":
    main()
