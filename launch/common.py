"""Helpers shared by launch scripts: flag checks, work directories, JSON,
timing, tables.

A bad flag is answered before any work with one line naming the flag and
exit status 2 (:func:`run`, :func:`validate`, :func:`fail`); a workdir
holding a run with another configuration is refused (:func:`claim_workdir`).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

from absl import app
from absl import flags
from absl import logging
import jax

from jgen import train


def fail(flag: str, message: str) -> None:
  """Prints ``--flag: message`` as one line on stderr and exits with 2."""
  print(f"{os.path.basename(sys.argv[0])}: --{flag}: {message}",
        file=sys.stderr)
  sys.exit(2)


def refuse(message: str) -> None:
  """Prints ``message`` (a library error that names its argument) as one
  line on stderr and exits with 2."""
  print(f"{os.path.basename(sys.argv[0])}: {message}", file=sys.stderr)
  sys.exit(2)


def _parse(argv: list[str]) -> list[str]:
  try:
    rest = flags.FLAGS(argv)
  except flags.Error as err:          # unknown flag, bad type, failed check
    print(f"{os.path.basename(argv[0])}: {err}", file=sys.stderr)
    sys.exit(2)
  except Exception as err:
    if "config" not in flags.FLAGS:
      raise
    print(f"{os.path.basename(argv[0])}: {_config_error(err, argv)}",
          file=sys.stderr)
    sys.exit(2)
  if len(rest) > 1:
    print(f"{os.path.basename(argv[0])}: unexpected arguments {rest[1:]}; "
          f"every setting is a --flag (--helpfull lists them).",
          file=sys.stderr)
    sys.exit(2)
  return rest


def _config_error(err: Exception, argv: list[str]) -> str:
  """One line for an error raised while ``--config`` (an ml_collections
  config file) and its ``--config.<field>`` overrides were parsed: a
  ``KeyError`` in the chain is an override of a field the file does not
  have, anything else a file that does not load."""
  chain, e = [], err
  while e is not None:
    chain.append(e)
    e = e.__cause__ or e.__context__
  missing = [e for e in chain if isinstance(e, KeyError)]
  if missing:
    field = str(missing[-1].args[0]).splitlines()[0].strip("\"'")
    return f"--config.{field}: not a field of the config file."
  path = next((a.split("=", 1)[1] for a in argv
               if a.startswith("--config=")), "?")
  cause = chain[-1]
  first = (str(cause).strip().splitlines() or [""])[0]
  return f"--config: cannot load {path}: {type(cause).__name__}: {first}"


def run(main: Callable) -> None:
  """``app.run(main)`` with flag errors as one line and exit status 2."""
  app.run(main, flags_parser=_parse)


def validate(name: str, check: Callable) -> None:
  """Registers ``check(value)`` (raising ``ValueError``/``TypeError``) as
  the validator of flag ``name``; absl runs it while parsing, before
  ``main``."""
  def checker(value):
    try:
      check(value)
    except (ValueError, TypeError) as err:
      raise flags.ValidationError(str(err)) from None
    return True
  flags.register_validator(name, checker)


def at_least(low: float) -> Callable:
  """A check for :func:`validate`: the value is >= ``low``."""
  def check(value):
    if value is None or value < low:
      raise ValueError(f"must be >= {low}, got {value}.")
  return check


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
  validate("peak_gflops", lambda v: None if v is not None and v > 0 else
           at_least(1e-9)(v))
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
    validate(name, at_least(1))
  flags.register_multi_flags_validator(
      ["steps", "chunk"], lambda f: f["steps"] % f["chunk"] == 0,
      message="--steps must be a multiple of --chunk.")
  return out


def flag_config(names, check: Callable | None = None) -> dict:
  """The values of the flags ``names`` as a config dict, checked.

  ``check(config)`` runs first (e.g. loading the data set to test shapes);
  a ``ValueError("flag: message")`` it raises exits through :func:`fail`
  naming that flag, and any other ``ValueError``/``TypeError`` (the
  library's, which names its argument) as one line with exit status 2,
  before any work.
  """
  config = {name: flags.FLAGS[name].value for name in names}
  if check is not None:
    try:
      check(config)
    except (ValueError, TypeError) as err:
      flag, sep, message = str(err).partition(": ")
      if sep and flag in config:
        fail(flag, message)
      # the library's message names the setting itself
      print(f"{os.path.basename(sys.argv[0])}: {err}", file=sys.stderr)
      sys.exit(2)
  return config


def claim_workdir(path: str, config: dict) -> None:
  """Creates ``path`` and writes ``config.json``, refusing a workdir that
  holds a run with another configuration (its checkpoints would be resumed
  under the wrong settings).

  The same configuration resumes; one that differs only by a larger
  ``num_steps`` continues the run to the new step. Any other difference
  exits through :func:`fail` (``--workdir``) naming every differing
  setting.
  """
  os.makedirs(path, exist_ok=True)
  target = os.path.join(path, "config.json")
  if os.path.exists(target):
    with open(target) as f:
      old = json.load(f)
    new = json.loads(json.dumps(config))
    diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    longer = (diff == ["num_steps"] and isinstance(old["num_steps"], int)
              and new["num_steps"] > old["num_steps"])
    if diff and not longer:
      what = "; ".join(f"{k}: {old.get(k)!r} there, {new.get(k)!r} now"
                       for k in diff)
      fail("workdir", f"{path} holds a run with another configuration "
                      f"({what}); only a larger num_steps continues a run. "
                      f"Use a new --workdir, or delete {path} to start over.")
  train.write_json(target, config)


def workdir(path: str) -> str:
  """Creates `path` (and parents) and returns it."""
  os.makedirs(path, exist_ok=True)
  return path


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


def run_script(module: str, workdir: str, **flag_values) -> dict:
  """Runs a launch script as a user would and returns its ``result.json``.

  ``python -m module --workdir=workdir --name=value ...`` in a fresh process
  (so each script owns its flags and its float precision); ``True``/``False``
  become ``--name``/``--noname``. The script's output passes through.

  Args:
    module: e.g. ``"launch.hybrid"``.
    workdir: the script's ``--workdir``.
    **flag_values: further flags.

  Returns:
    The parsed ``workdir/result.json``.

  Raises:
    RuntimeError: the script exited with a non-zero status.
  """
  workdir = os.path.abspath(workdir)
  args = [sys.executable, "-m", module, f"--workdir={workdir}"]
  for name, value in flag_values.items():
    if isinstance(value, bool):
      args.append(f"--{name}" if value else f"--no{name}")
    else:
      args.append(f"--{name}={value}")
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  env = dict(os.environ)
  env["PYTHONPATH"] = os.pathsep.join(
      p for p in (root, env.get("PYTHONPATH")) if p)
  proc = subprocess.run(args, cwd=root, env=env, check=False)
  if proc.returncode:
    raise RuntimeError(f"{' '.join(args[2:])} failed with exit status "
                       f"{proc.returncode}.")
  with open(os.path.join(workdir, "result.json")) as f:
    return json.load(f)
