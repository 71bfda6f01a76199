r"""Benchmark: a 64-member lambda x seed sweep as one call vs loops.

  python -m launch.bench.sweep --workdir=runs/bench_sweep

The member is the lambda hybrid (``jgen.hybrid.lambda_hybrid_loss``) of a
Gaussian class-conditional classifier (diagonal, 10 classes) on the digits
projected on 16 principal components, trained with Adam on minibatches of 128
for ``--num_steps`` steps; 16 lambda values x 4 seeds. Timed in one run:

(a) ``vmapped_s``: one ``jit(vmap(run))`` call over the 64 members
    (``jgen.sweep.run``);
(b) ``loop_s``: a Python loop over the members calling the same jitted
    single-run function (``lax.scan`` over the steps);
(c) ``torch_loop_s``: the same model, objective and optimiser in PyTorch
    (CPU), a Python loop over members and steps.

Compile time is excluded from (a) and (b) and reported apart as
``compile_s`` (of the vmapped call) and ``loop_compile_s``. Medians over
``--repeats`` runs. Writes ``bench_sweep.json`` and prints a table.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import platform
import time

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgen import data
from jgen import hybrid
from jgen import sweep
from jgen import train
from launch import common
from launch.bench import timing

_WORKDIR = flags.DEFINE_string("workdir", "runs/bench_sweep", "Output folder.")
_NUM_STEPS = flags.DEFINE_integer("num_steps", 300, "Adam steps per member.")
_REPEATS = flags.DEFINE_integer("repeats", 3, "Timed repetitions.")
_TORCH = flags.DEFINE_bool("torch", True, "Time the PyTorch loop.")
_BATCH = flags.DEFINE_integer("batch_size", 128, "Minibatch size.")

for _name in ("num_steps", "repeats", "batch_size"):
  common.validate(_name, common.at_least(1))

LR = 0.01


def make_member(w0, num_steps: int, batch_size: int):
  """The single run, ``member(key, hparams, data) -> final objective``."""
  opt = optax.adam(LR)
  run = train.make_run(lambda k, h, d: train.init_state(w0, opt, k),
                       train.gradient_step(hybrid.lambda_hybrid_loss, opt),
                       train.minibatch(batch_size), num_steps)

  def member(key, hparams, d):
    state, metrics = run(key, hparams, d)
    return {"loss": metrics["loss"][-1], "params": state.params}
  return member


def torch_loop(x, y, w0, lams, seeds, num_steps: int, batch_size: int) -> float:
  """(c): the same training in PyTorch; returns the wall time in seconds.

  Member ``m`` has ``lams[m]`` and ``seeds[m]`` (the flattened grid).
  """
  import torch
  torch.set_num_threads(len(os.sched_getaffinity(0)))
  xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
  torch.set_flush_denormal(True)
  log_2pi = math.log(2 * math.pi)

  def member(lam, seed, steps):
    gen = torch.Generator().manual_seed(int(seed))
    p = {k: torch.tensor(np.asarray(v), requires_grad=True)
         for k, v in w0.items()}
    opt = torch.optim.Adam(p.values(), lr=LR)
    for _ in range(steps):
      idx = torch.randint(len(xt), (batch_size,), generator=gen)
      xb, yb = xt[idx], yt[idx]
      z = (xb[:, None, :] - p["mean"]) * torch.exp(-p["log_scale"])
      lj = torch.log_softmax(p["prior_logits"], 0) + (
          -0.5 * (log_2pi + z**2) - p["log_scale"]).sum(-1)
      joint = lj.gather(1, yb[:, None])[:, 0]
      cond = joint - torch.logsumexp(lj, 1)
      loss = -(lam * joint.sum() + (1 - lam) * cond.sum()) / batch_size
      opt.zero_grad()
      loss.backward()
      opt.step()
    return loss.item()

  member(0.5, 0, 50)          # warm-up: the first steps of a process are slow
  t0 = time.perf_counter()
  for lam, seed in zip(lams, seeds):          # one run per sweep member
    member(float(lam), int(seed), num_steps)
  return time.perf_counter() - t0


def run(num_steps: int, repeats: int, with_torch: bool,
        batch_size: int = 128) -> dict:
  """Times (a), (b) and (c); returns the record written to JSON."""
  ds = data.load("digits", seed=0)   # the data of the lambda-path experiment
  x, = data.pca(ds.x_train, n_components=16, seed=0)
  y = ds.y_train
  d = {"x": jnp.asarray(x), "y": jnp.asarray(y)}
  w0 = hybrid.init_gaussian(x, y, 10)
  g = sweep.grid(lam=np.linspace(0, 1, 16), seeds=range(4))
  key = jax.random.PRNGKey(0)
  member = make_member(w0, num_steps, batch_size)

  t0 = time.perf_counter()
  jax.block_until_ready(sweep.run(member, g, key, d).outputs)
  first_vmapped = time.perf_counter() - t0
  vm_times = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    res = sweep.run(member, g, key, d)
    vm_times.append(time.perf_counter() - t0)

  single = jax.jit(member)
  keys = [jax.random.fold_in(key, int(s)) for s in g.seeds]
  hps = [{"lam": jnp.float32(v)} for v in g.hparams["lam"]]

  def loop():
    return [single(k, h, d)["loss"] for k, h in zip(keys, hps)]
  first_loop, loop_times = timing.time_call(loop, repeats)
  loop_losses = np.asarray(jax.block_until_ready(loop()))
  vm_losses = res.outputs["loss"].reshape(-1)

  torch_s = None
  if with_torch:
    # A fresh process: after XLA's thread pool has run, PyTorch's OpenMP
    # threads in the same process ran ~50x slower here (28 ms per step).
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
      torch_s = pool.apply(torch_loop, (x, y, jax.device_get(w0),
                                        g.hparams["lam"], g.seeds, num_steps,
                                        batch_size))
  vm, lp = timing.median(vm_times), timing.median(loop_times)
  return {
      "members": g.size, "num_steps": num_steps, "batch_size": batch_size,
      "vmapped_s": vm, "loop_s": lp, "torch_loop_s": torch_s,
      "compile_s": max(first_vmapped - vm, 0.0),
      "loop_compile_s": max(first_loop - lp, 0.0),
      "speedup_vs_loop": lp / vm,
      "speedup_vs_torch": (torch_s / vm) if torch_s else None,
      "max_abs_diff_vmapped_vs_loop_final_loss": float(
          np.max(np.abs(vm_losses - loop_losses))),
      "devices": [str(dv) for dv in jax.devices()],
      "platform": platform.platform(), "jax": jax.__version__,
      "repeats": repeats,
  }


def main(argv):
  del argv
  out = common.workdir(_WORKDIR.value)
  rec = run(_NUM_STEPS.value, _REPEATS.value, _TORCH.value, _BATCH.value)
  rec["host_matmul_gflops"] = timing.host_gflops()
  train.write_json(os.path.join(out, "bench_sweep.json"), rec)
  rows = [{"method": "(a) one vmapped call (jgen.sweep)", "seconds": rec["vmapped_s"]},
          {"method": "(b) loop over jitted single runs", "seconds": rec["loop_s"]},
          {"method": "(c) PyTorch loop", "seconds": rec["torch_loop_s"] or "-"}]
  print(common.table(rows, ["method", "seconds"]))
  print(f"compile (vmapped): {rec['compile_s']:.2f} s; "
        f"(b)/(a) = {rec['speedup_vs_loop']:.1f}x"
        + (f"; (c)/(a) = {rec['speedup_vs_torch']:.1f}x"
           if rec["speedup_vs_torch"] else ""))


if __name__ == "__main__":
  common.run(main)
