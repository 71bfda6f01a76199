"""Helpers shared by launch scripts: work directories, JSON, timing, tables."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable

from absl import logging
import jax


def workdir(path: str) -> str:
  """Creates `path` (and parents) and returns it."""
  os.makedirs(path, exist_ok=True)
  return path


def write_json(path: str, obj) -> None:
  """Writes `obj` as indented JSON (NumPy/JAX scalars become Python)."""
  def default(o):
    try:
      return o.tolist()
    except AttributeError:
      return str(o)
  with open(path, "w") as f:
    json.dump(obj, f, indent=2, default=default)
    f.write("\n")


def time_call(fn: Callable, repeats: int) -> tuple[float, list[float]]:
  """Runs `fn` once (compile/warm-up) and `repeats` more times.

  Returns:
    ``(first_call_seconds, [seconds per later call])``; JAX results are
    blocked on, so the times are wall-clock times of finished work.
  """
  t0 = time.perf_counter()
  jax.block_until_ready(fn())
  first = time.perf_counter() - t0
  times = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    jax.block_until_ready(fn())
    times.append(time.perf_counter() - t0)
  return first, times


def median(values) -> float:
  return float(statistics.median(values))


def table(rows: list[dict], columns: list[str]) -> str:
  """A Markdown table of `rows` restricted to `columns`."""
  def fmt(v):
    return f"{v:.4g}" if isinstance(v, float) else str(v)
  lines = ["| " + " | ".join(columns) + " |",
           "|" + "---|" * len(columns)]
  lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |"
            for r in rows]
  return "\n".join(lines)


def quiet_logs() -> None:
  """Hides absl INFO lines (orbax logs every checkpoint step at INFO)."""
  logging.set_verbosity(logging.WARNING)
