#!/usr/bin/env python3
"""Writes Tests/RecurBoardTests/Fixtures/tensorboard_scalars.tfevents with TensorBoard's own writer.

RecurBoardTests/TensorBoardFixtureTests reads it with Recur's TensorBoardReader and expects
exactly the tags, steps and float32 values in SCALARS below (the test holds the same table), so
the reader is checked against files that TensorBoard itself frames and encodes.

Usage: ~/.venvs/torch-ref/bin/python scripts/tensorboard_fixture.py
Needs the `tensorboard` package (pip install tensorboard). The version event's wall time is the
time of the run; the summary events use the fixed WALL_TIME + step so reruns differ only there.
"""
import glob
import os
import shutil
import tempfile

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "RecurBoardTests", "Fixtures", "tensorboard_scalars.tfevents")

# Seconds since the epoch of the first summary event; each event adds its step.
WALL_TIME = 1_700_000_000.25

# step -> [(tag, value)]. Values that float32 cannot hold exactly check the rounding; the 0.0
# checks that a zero is present (simple_value is a oneof member, so it is written).
SCALARS = {
    1: [("train/loss", 2.302585092994046), ("opt/lr", 0.001)],
    2: [("train/loss", 2.1), ("val/loss", 2.25), ("opt/lr", 0.001)],
    10: [("train/loss", 1.5), ("val/loss", 1.6180339887), ("opt/lr", 0.0005)],
    25: [("train/loss", 0.123456789), ("val/loss", 1e-8), ("opt/lr", 0.0)],
}


def main():
    work = tempfile.mkdtemp()
    try:
        writer = EventFileWriter(work)
        for step, values in SCALARS.items():
            summary = summary_pb2.Summary(
                value=[summary_pb2.Summary.Value(tag=tag, simple_value=value) for tag, value in values]
            )
            writer.add_event(event_pb2.Event(wall_time=WALL_TIME + step, step=step, summary=summary))
        writer.close()
        (written,) = glob.glob(os.path.join(work, "events.out.tfevents.*"))
        os.makedirs(os.path.dirname(OUT), exist_ok=True)
        shutil.copyfile(written, OUT)
    finally:
        shutil.rmtree(work)
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes, {len(SCALARS)} summary events)")


if __name__ == "__main__":
    main()
