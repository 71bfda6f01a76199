"""Runs ``python -m MODULE ARGS...`` many times from one warm process.

The bad-flag tests start a launch script dozens of times, and each start
spends about two seconds importing JAX, Flax, scikit-learn and jgen before
the script answers in a millisecond. This server imports those once; each
request (a JSON list ``[MODULE, *ARGS]`` on a line of stdin) forks, runs the
module as ``__main__`` in the child exactly as ``python -m`` would (the
script's own ``sys.argv[0]``, flags, exit status and stderr), and answers
one JSON line ``{"rc": ..., "stderr": ...}`` on stdout.

No JAX computation runs in this process, so the children fork from a
process without XLA threads.
"""

import json
import os
import pkgutil
import runpy
import sys
import tempfile
import traceback

import jgen
import launch.common  # noqa: F401  (no flags; every script imports it)

for _mod in pkgutil.walk_packages(jgen.__path__, "jgen."):
  __import__(_mod.name)


def _child(argv: list[str], err_fd: int) -> None:
  os.dup2(err_fd, 2)
  devnull = os.open(os.devnull, os.O_WRONLY)
  os.dup2(devnull, 1)
  sys.argv = ["-m", *argv[1:]]
  code = 0
  try:
    runpy.run_module(argv[0], run_name="__main__", alter_sys=True)
  except SystemExit as stop:
    code = stop.code if isinstance(stop.code, int) else 1
  except BaseException:               # a traceback is what the test rejects
    traceback.print_exc()
    code = 1
  sys.stderr.flush()
  os._exit(code)


def main() -> None:
  for line in sys.stdin:
    argv = json.loads(line)
    with tempfile.TemporaryFile() as err:
      pid = os.fork()
      if pid == 0:
        _child(argv, err.fileno())
      _, status = os.waitpid(pid, 0)
      err.seek(0)
      reply = {"rc": os.waitstatus_to_exitcode(status),
               "stderr": err.read().decode()}
    print(json.dumps(reply), flush=True)


if __name__ == "__main__":
  main()
