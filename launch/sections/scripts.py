"""Helpers shared by the report's sections: running a launch script as a
user would and reading its ``result.json``."""

from __future__ import annotations

import json
import os
import subprocess
import sys


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
  root = os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__))))
  env = dict(os.environ)
  env["PYTHONPATH"] = os.pathsep.join(
      p for p in (root, env.get("PYTHONPATH")) if p)
  proc = subprocess.run(args, cwd=root, env=env, check=False)
  if proc.returncode:
    raise RuntimeError(f"{' '.join(args[2:])} failed with exit status "
                       f"{proc.returncode}.")
  with open(os.path.join(workdir, "result.json")) as f:
    return json.load(f)
