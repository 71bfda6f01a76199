r"""Benchmark: one batched run on one device, a member per device, and the
same over two processes on JAX's distributed runtime.

  python -m launch.bench.processes --workdir=runs/bench_processes

The run is ``launch/configs/ring8.py`` (the GAN of jgen's mode-coverage
table) with ``--members`` seeds trained ``--steps`` steps in chunks of
``--chunk``, through ``jgen.train.train`` as ``launch.train`` calls it. Each
layout runs in fresh processes that this script starts (a CPU process's
device count is fixed when it starts):

(a) ``one_device``: one process, one device, the members vmapped;
(b) ``devices``: one process with ``--members`` devices, a member per
    device (``devices=members``; with ``JAX_PLATFORMS=cpu`` forced host
    devices);
(c) ``processes``: two processes on 127.0.0.1 with ``--members / 2``
    devices each, joined by ``jgen.distributed.initialize`` (gloo on CPU),
    a member per device;
(d) ``processes_data``: the same devices as a ``data`` axis of 2 (each
    batch split over a process's two devices, the gradients all-reduced)
    and a ``sweep`` axis of ``--members / 2`` (two members per device).

Per layout: member-steps per second over the chunks after the first
(median of the chunks' rates), the first chunk's seconds (compile and one
chunk) and the processes' wall time from start to exit (imports and
joining included). On CPU the forced devices share the host's cores, so
(b) to (d) measure what the runtime and its collectives cost, not a
speed-up; on several accelerators (b) is the speed-up. Members need no
collective while they train; a ``data`` axis needs several per step, and
over CPU processes every collective goes through gloo. Writes
``bench_processes.json`` (with the host's matmul rate) and a table.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import socket
import subprocess
import sys
import time

from absl import flags
import jax
import numpy as np

from jgen import train
from jgen.models import experiment
from launch import common
from launch.bench import timing
from launch.configs import ring8

_WORKDIR = flags.DEFINE_string("workdir", "runs/bench_processes",
                               "Output folder.")
_STEPS = flags.DEFINE_integer("steps", 2000, "Training steps per member.")
_CHUNK = flags.DEFINE_integer("chunk", 100, "Steps per compiled chunk.")
_MEMBERS = flags.DEFINE_integer("members", 4, "Members (seeds), even.")
_TIMEOUT = flags.DEFINE_integer("timeout", 900, "Seconds per layout.")
_CHILD = flags.DEFINE_string("child", None, "Internal: time one process of "
                             "a layout into this JSON file.")
_N_DATA = flags.DEFINE_integer("n_data", 1, "Internal: the layout's data "
                               "axis.")
common.process_flags()
for _name in ("steps", "chunk", "timeout"):
  common.validate(_name, common.at_least(1))


def _even(v):
  if v is None or v < 2 or v % 2:
    raise ValueError(f"must be even and >= 2, got {v}.")


common.validate("members", _even)
flags.register_multi_flags_validator(
    ["steps", "chunk"], lambda f: f["steps"] % f["chunk"] == 0
    and f["steps"] > f["chunk"],
    message="--steps must be a multiple of --chunk, above it.")

# name -> (processes, devices per process (None: members / processes), n_data)
LAYOUTS = {"one_device": (1, 1, 1), "devices": (1, None, 1),
           "processes": (2, None, 1), "processes_data": (2, None, 2)}


def child(out: str) -> None:
  """One process of a layout: trains the run, writes its timings."""
  started = time.perf_counter()
  common.join()
  fields = {**ring8.get_config().to_dict(), "num_steps": _STEPS.value,
            "n_seeds": _MEMBERS.value, "n_data": _N_DATA.value,
            "devices": jax.device_count()}
  s = experiment.build(fields)
  start = experiment.inputs(s)
  stamps = [time.perf_counter()]
  train.train(start.state, s.model.step, start.data, start.hparams,
              num_steps=_STEPS.value, batch_fn=s.model.batch_fn,
              chunk_size=_CHUNK.value, batched=True,
              data_axes=start.data_axes, mesh=s.mesh, progress=False,
              callback=lambda *_: stamps.append(time.perf_counter()))
  chunks = np.diff(stamps)
  rate = timing.median(_MEMBERS.value * _CHUNK.value / chunks[1:])
  with open(out, "w") as f:            # every process its own file
    json.dump({"member_steps_per_s": rate, "first_chunk_s": float(chunks[0]),
               "wall_s": time.perf_counter() - started,
               "devices": jax.device_count(),
               "processes": jax.process_count(),
               "mesh": dict(s.mesh.shape) if s.mesh is not None else None}, f)


def layout(name: str, folder: str) -> dict:
  """Starts the processes of a layout, waits for them; process 0's
  timings with the wall time of the slowest."""
  processes, per, n_data = LAYOUTS[name]
  per = per or _MEMBERS.value // processes
  with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
  env = dict(os.environ, JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", "cpu"),
             XLA_FLAGS=f"--xla_force_host_platform_device_count={per}")
  outs = [os.path.join(folder, f"{name}.{i}.json") for i in range(processes)]
  argv = lambda i: [sys.executable, "-m", "launch.bench.processes",
                    f"--child={outs[i]}", f"--steps={_STEPS.value}",
                    f"--chunk={_CHUNK.value}", f"--members={_MEMBERS.value}",
                    f"--n_data={n_data}"] + ([f"--coordinator_address=127.0.0.1:{port}",
                          f"--num_processes={processes}",
                          f"--process_id={i}"] if processes > 1 else [])
  children = [subprocess.Popen(argv(i), env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
              for i in range(processes)]
  try:
    logs = [c.communicate(timeout=_TIMEOUT.value)[0] for c in children]
  finally:
    for c in children:
      c.kill()
  if any(c.returncode for c in children):
    raise SystemExit(f"bench.processes: layout {name} failed:\n" +
                     "\n".join(log[-2000:] for log in logs))
  got = [json.load(open(p)) for p in outs]
  return {**got[0], "wall_s": max(g["wall_s"] for g in got)}


def main(argv):
  del argv
  common.quiet_logs()
  if _CHILD.value:
    child(_CHILD.value)
    return
  folder = common.workdir(_WORKDIR.value)
  rows = [{"layout": name, **layout(name, folder)} for name in LAYOUTS]
  base = rows[0]["member_steps_per_s"]
  for r in rows:
    r["rate_vs_one_device"] = r["member_steps_per_s"] / base
  rec = {"date": time.strftime("%Y-%m-%d"), "machine": platform.platform(),
         "cpus": multiprocessing.cpu_count(), "backend": jax.default_backend(),
         "jax": jax.__version__, "host_matmul_gflops": timing.host_gflops(),
         "config": "launch/configs/ring8.py", "steps": _STEPS.value,
         "chunk": _CHUNK.value, "members": _MEMBERS.value, "layouts": rows}
  train.write_json(os.path.join(folder, "bench_processes.json"), rec)
  print(common.table(rows, ["layout", "processes", "devices", "mesh",
                            "member_steps_per_s", "rate_vs_one_device",
                            "first_chunk_s", "wall_s"]))


if __name__ == "__main__":
  common.run(main)
