"""Helpers shared by the benchmarks: their flags and timing (compile time
apart, medians of repeats, the host's measured matmul rate)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import NamedTuple

from absl import flags
import jax

from launch import common


class BenchmarkFlags(NamedTuple):
  """Flag holders shared by the benchmarks (see :func:`benchmark_flags`)."""
  steps: flags.FlagHolder
  chunk: flags.FlagHolder
  repeats: flags.FlagHolder
  torch: flags.FlagHolder
  peak_gflops: flags.FlagHolder


def peak_gflops_flag() -> flags.FlagHolder:
  """Defines ``--peak_gflops`` (default 350, about the float32 matmul peak of
  two CPU cores), the peak a benchmark's arithmetic floor is taken at, with
  its check (positive).

  Returns:
    The flag holder.
  """
  holder = flags.DEFINE_float("peak_gflops", 350.0, "The machine's float32 "
                              "matmul peak (GFLOP/s) for the arithmetic floor.")
  common.validate("peak_gflops", lambda v: None if v is not None and v > 0 else
           common.at_least(1e-9)(v))
  return holder


def benchmark_flags(steps: int, chunk: int) -> BenchmarkFlags:
  """Defines ``--steps --chunk --repeats --torch --peak_gflops`` with their
  checks (``--steps`` a multiple of ``--chunk``).

  Args:
    steps: default timed steps per repeat.
    chunk: default jgen steps per compiled call.

  Returns:
    The flag holders.
  """
  out = BenchmarkFlags(
      flags.DEFINE_integer("steps", steps, "Timed steps per repeat."),
      flags.DEFINE_integer("chunk", chunk, "jgen steps per compiled call."),
      flags.DEFINE_integer("repeats", 3, "Timed repeats."),
      flags.DEFINE_bool("torch", True, "Time PyTorch too."),
      peak_gflops_flag())
  for name in ("steps", "chunk", "repeats"):
    common.validate(name, common.at_least(1))
  flags.register_multi_flags_validator(
      ["steps", "chunk"], lambda f: f["steps"] % f["chunk"] == 0,
      message="--steps must be a multiple of --chunk.")
  return out


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


def host_gflops(n: int = 2048, repeats: int = 5) -> float:
  """The host's measured float32 matmul rate in GFLOP/s (median of
  ``repeats`` ``n x n`` products with JAX, after one warm-up), to record
  beside a benchmark: the shared CPU host runs at 133 to 206 of its nominal
  350 on busy days."""
  a = jax.random.normal(jax.random.PRNGKey(0), (n, n), jax.numpy.float32)
  matmul = jax.jit(lambda x: x @ x)
  _, times = time_call(lambda: matmul(a), repeats)
  return 2 * n ** 3 / median(times) / 1e9


def chunk_rate(run_chunk: Callable, state, args: tuple, steps: int,
               chunk: int, repeats: int) -> tuple[float, float]:
  """Median steps per second of a compiled chunk ``run_chunk(state, *args)
  -> (state, metrics)`` of ``chunk`` steps, called ``steps // chunk`` times
  per timed repeat after one untimed (compiling) call.

  Returns:
    ``(steps per second, seconds of the first call)``.
  """
  t0 = time.perf_counter()
  state, _ = jax.block_until_ready(run_chunk(state, *args))
  compile_s = time.perf_counter() - t0
  rates = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    for _ in range(steps // chunk):
      state, _ = run_chunk(state, *args)
    jax.block_until_ready(state)
    rates.append((steps // chunk) * chunk / (time.perf_counter() - t0))
  return median(rates), compile_s


def loop_rate(step: Callable, steps: int, repeats: int, warmup: int) -> float:
  """Median steps per second of a Python loop calling ``step()`` (PyTorch
  baselines): ``warmup`` untimed calls, then ``repeats`` timed loops of
  ``steps`` calls."""
  for _ in range(warmup):
    step()
  rates = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    for _ in range(steps):
      step()
    rates.append(steps / (time.perf_counter() - t0))
  return median(rates)


def median(values) -> float:
  return float(statistics.median(values))
