"""Two local processes of one run on JAX's distributed runtime, for the
multi-process tests (tests/test_distributed.py, tests/test_launch.py)."""

import os
import socket
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
  """A free TCP port on 127.0.0.1 for the coordinator."""
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def pair(argv, timeout: int = 240, devices: int | None = None) -> list[str]:
  """Runs ``argv(process_id, port)`` as processes 0 and 1 of a run on CPU
  (``devices`` forced host devices each, or as they set it), asserts both
  exit 0, and returns their outputs. The parent kills its children on a
  timeout."""
  port = free_port()
  env = dict(os.environ, PYTHONPATH=ROOT, JAX_PLATFORMS="cpu")
  env.pop("XLA_FLAGS", None)
  if devices is not None:
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
  children = [subprocess.Popen(argv(i, port), cwd=ROOT, env=env,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
              for i in range(2)]
  try:
    logs = [c.communicate(timeout=timeout)[0] for c in children]
  finally:
    for c in children:
      c.kill()
  assert [c.returncode for c in children] == [0, 0], logs
  return logs
