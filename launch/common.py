"""Helpers shared by launch scripts: flag checks, work directories, logs,
tables (the benchmarks' timing is in ``launch.bench.timing``, the report's
script runner in ``launch.sections.scripts``).

A bad flag is answered before any work with one line naming the flag and
exit status 2 (:func:`run`, :func:`validate`, :func:`fail`); a workdir
holding a run with another configuration is refused (:func:`claim_workdir`).
A script that runs over several processes defines their flags with
:func:`process_flags` and joins JAX's runtime with :func:`join`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable

from absl import app
from absl import flags
from absl import logging

from jgen import distributed
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


def process_flags() -> None:
  """Defines ``--coordinator_address``, ``--num_processes``,
  ``--process_id`` and ``--auto_distributed`` (checked together when the
  flags are parsed, :func:`jgen.distributed.check_processes`); :func:`join`
  joins the runtime they describe."""
  flags.DEFINE_string("coordinator_address", None, "host:port of process 0 "
                      "for a run over several processes (with "
                      "--num_processes and --process_id).")
  flags.DEFINE_integer("num_processes", None, "Processes of the run (one per "
                       "host; run the same command on each).")
  flags.DEFINE_integer("process_id", None, "This process, 0..num_processes-1 "
                       "(process 0 writes the files).")
  flags.DEFINE_bool("auto_distributed", False, "Let JAX detect the processes "
                    "(TPU pod slice, SLURM, Open MPI) instead of the three "
                    "flags above.")

  def check(values):
    try:
      distributed.check_processes(values["coordinator_address"],
                                  values["num_processes"],
                                  values["process_id"])
    except ValueError as err:
      raise flags.ValidationError(str(err)) from None
    if values["auto_distributed"] and values["num_processes"] is not None:
      raise flags.ValidationError("--auto_distributed: JAX detects the "
                                  "processes; drop --coordinator_address, "
                                  "--num_processes and --process_id.")
    return True
  flags.register_multi_flags_validator(
      ["coordinator_address", "num_processes", "process_id",
       "auto_distributed"], check)


def join() -> None:
  """Joins JAX's multi-process runtime as :func:`process_flags` say (a
  no-op for one process); call it before any JAX computation."""
  f = flags.FLAGS
  distributed.initialize(f.coordinator_address, f.num_processes,
                         f.process_id, auto=f.auto_distributed)


def claim_workdir(path: str, config: dict) -> None:
  """Creates ``path`` and writes ``config.json``, refusing a workdir that
  holds a run with another configuration (its checkpoints would be resumed
  under the wrong settings).

  The same configuration resumes; one that differs only by a larger
  ``num_steps`` continues the run to the new step. Any other difference
  exits through :func:`fail` (``--workdir``) naming every differing
  setting. Over several processes every process checks (and refuses
  alike); process 0 writes, between barriers.
  """
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
  distributed.barrier("launch: workdir checked")
  if distributed.is_main():
    os.makedirs(path, exist_ok=True)
    train.write_json(target, config)
  distributed.barrier("launch: workdir claimed")


def workdir(path: str) -> str:
  """Creates `path` (and parents) and returns it."""
  os.makedirs(path, exist_ok=True)
  return path


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


