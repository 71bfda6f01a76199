r"""Benchmark: M2 training steps per second, jgen vs Pyro; label draws vmapped.

  python -m launch.bench.ssvae --workdir=runs/bench_ssvae

(a) One M2 training step (Kingma et al. 2014, eq. 9) at the size of Pyro's
SS-VAE example: 784-500-50 networks (classifier 784-500-10, encoder
(784+10)-500-(50+50), decoder (50+10)-500-784, ReLU), Bernoulli pixels, the
sum over the 10 classes of the unlabelled bound done exactly, a labelled and
an unlabelled batch of 100 and the classification term, Adam 3e-4, on
mnist5k. jgen runs ``--chunk`` steps per compiled chunk; Pyro (``pip
install pyro-ppl``, CPU, in a fresh process) computes the same loss with
``TraceEnum_ELBO`` and parallel enumeration of y on the unlabelled batch,
``Trace_ELBO`` on the labelled batch (their ``differentiable_loss``) plus the
scaled classification term and takes one Adam step, in its usual Python
loop. Medians of ``--repeats`` timed loops of ``--steps`` steps after a
warm-up; compile time separately.

(b) ``--draws`` label draws of a ``--run_steps``-step run as one vmapped
call (:func:`jgen.sweep.run`) against a loop of the same jitted run.

Writes ``bench_ssvae.json`` (``jgen_steps_per_s``, ``pyro_steps_per_s``,
``draws_vmapped_s``, ``draws_loop_s``, ...) and prints a table.
"""

from __future__ import annotations

import multiprocessing
import os
import platform

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from jgen import data
from jgen.models import ssvae
from jgen import sweep
from jgen import train
from launch import common
from launch.bench import timing

_WORKDIR = flags.DEFINE_string("workdir", "runs/bench_ssvae", "Output folder.")
_STEPS, _CHUNK, _REPEATS, _PYRO, _PEAK = timing.benchmark_flags(steps=200,
                                                                 chunk=50)
_DRAWS = flags.DEFINE_integer("draws", 5, "Label draws for (b).")
_RUN_STEPS = flags.DEFINE_integer("run_steps", 200, "Steps per run in (b).")
common.validate("draws", common.at_least(1))
common.validate("run_steps", common.at_least(1))

BATCH, HIDDEN, LATENT, CLASSES, LR, ALPHA, N_LABELS = 100, 500, 50, 10, 3e-4, \
    46.0, 100


def _data():
  ds = data.load("mnist5k")
  idx = np.asarray(data.labelled_subset(ds.y_train, N_LABELS,
                                        n_classes=CLASSES, seed=0, draw=0))
  return ds, {"x_l": ds.x_train[idx].astype(np.float32),
              "y_l": ds.y_train[idx].astype(np.int32),
              "x_u": ds.x_train.astype(np.float32)}


def _model() -> ssvae.SSVAE:
  return ssvae.build_m2(784, latent_dim=LATENT, hidden=(HIDDEN,),
                    binarize_data=True)


def jgen_steps_per_s(d: dict, steps: int, chunk: int, repeats: int):
  s = _model()
  hp = {"alpha": jnp.float32(ALPHA), "lr": jnp.float32(LR)}
  run_chunk = jax.jit(train.make_chunk(s.step, ssvae.batches(BATCH), chunk))
  state = s.init(jax.random.PRNGKey(0), hp)
  return timing.chunk_rate(run_chunk, state, (jax.tree.map(jnp.asarray, d),
                                               hp), steps, chunk, repeats)


def pyro_steps_per_s(d: dict, steps: int, repeats: int) -> float:
  """The same M2 step in Pyro with parallel enumeration (fresh process)."""
  import pyro
  import pyro.distributions as dist
  import torch
  from torch import nn
  torch.set_num_threads(len(os.sched_getaffinity(0)))
  torch.manual_seed(0)
  pyro.set_rng_seed(0)
  mlp = lambda i, o: nn.Sequential(nn.Linear(i, HIDDEN), nn.ReLU(),
                                   nn.Linear(HIDDEN, o))
  nets_ = nn.ModuleDict({"enc_y": mlp(784, CLASSES),
                         "enc_z": mlp(784 + CLASSES, 2 * LATENT),
                         "dec": mlp(LATENT + CLASSES, 784)})

  def model(xs, ys=None):
    pyro.module("m2", nets_)
    with pyro.plate("data", xs.shape[0]):
      zs = pyro.sample("z", dist.Normal(xs.new_zeros(xs.shape[0], LATENT),
                                        1.0).to_event(1))
      ys = pyro.sample("y", dist.OneHotCategorical(
          logits=xs.new_zeros(xs.shape[0], CLASSES)), obs=ys)
      logits = nets_["dec"](torch.cat([zs, ys], -1))   # [10, B, .] enumerated
      pyro.sample("x", dist.Bernoulli(logits=logits).to_event(1), obs=xs)

  def guide(xs, ys=None):
    with pyro.plate("data", xs.shape[0]):
      if ys is None:
        ys = pyro.sample("y", dist.OneHotCategorical(
            logits=nets_["enc_y"](xs)))
      h = nets_["enc_z"](torch.cat([xs.expand(ys.shape[:-1] + xs.shape[-1:]),
                                    ys], -1))
      pyro.sample("z", dist.Normal(h[..., :LATENT],
                                   torch.exp(h[..., LATENT:])).to_event(1))

  elbo = pyro.infer.TraceEnum_ELBO(max_plate_nesting=1)   # unlabelled
  elbo_l = pyro.infer.Trace_ELBO()                          # y observed
  guide_enum = pyro.infer.config_enumerate(guide, "parallel", expand=True)
  x_l = torch.from_numpy(d["x_l"])
  y_l = nn.functional.one_hot(torch.from_numpy(d["y_l"]).long(),
                              CLASSES).float()
  x_u = torch.from_numpy(d["x_u"])
  opt = torch.optim.Adam(nets_.parameters(), lr=LR)

  def one_step():
    il = torch.randint(len(x_l), (BATCH,))
    iu = torch.randint(len(x_u), (BATCH,))
    xl, yl, xu = torch.bernoulli(x_l[il]), y_l[il], torch.bernoulli(x_u[iu])
    loss = (elbo.differentiable_loss(model, guide_enum, xu)
            + elbo_l.differentiable_loss(model, guide, xl, yl)) / BATCH
    xent = nn.functional.cross_entropy(nets_["enc_y"](xl), yl.argmax(-1))
    loss = loss + ALPHA * xent
    opt.zero_grad()
    loss.backward()
    opt.step()

  return timing.loop_rate(one_step, steps, repeats, warmup=10)


def draws_seconds(ds, n_draws: int, run_steps: int, repeats: int) -> dict:
  """(b): ``n_draws`` label draws as one vmapped call vs a loop."""
  s = _model()
  run = ssvae.make_run(s, num_steps=run_steps, n_labels=N_LABELS,
                       batch_size=BATCH)
  d = {"x": jnp.asarray(ds.x_train, jnp.float32),
       "y": jnp.asarray(ds.y_train, jnp.int32),
       "x_test": jnp.asarray(ds.x_test, jnp.float32),
       "y_test": jnp.asarray(ds.y_test, jnp.int32)}
  grid = sweep.grid(seeds=[0], alpha=[ALPHA], lr=[LR],
                    draw=list(range(n_draws)))
  vm_first, vm = timing.time_call(
      lambda: sweep.run(run, grid, jax.random.PRNGKey(0), d).outputs,
      repeats)
  one = jax.jit(run)
  key = jax.random.fold_in(jax.random.PRNGKey(0), 0)
  members = [{k: jnp.asarray(v[m]) for k, v in grid.hparams.items()}
             for m in range(n_draws)]
  loop_first, loop = timing.time_call(
      lambda: [one(key, hp, d)[0] for hp in members], repeats)
  return {"draws_vmapped_s": timing.median(vm),
          "draws_vmapped_compile_s": vm_first - timing.median(vm),
          "draws_loop_s": timing.median(loop),
          "draws_loop_compile_s": loop_first - timing.median(loop)}


def main(argv):
  del argv
  common.quiet_logs()
  out = common.workdir(_WORKDIR.value)
  ds, d = _data()
  steps = max(_STEPS.value // _CHUNK.value, 1) * _CHUNK.value
  rate, compile_s = jgen_steps_per_s(d, steps, _CHUNK.value, _REPEATS.value)
  draws = draws_seconds(ds, _DRAWS.value, _RUN_STEPS.value, _REPEATS.value)
  pyro_rate = None
  if _PYRO.value:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
      pyro_rate = pool.apply(pyro_steps_per_s, (d, steps, _REPEATS.value))
  rec = {"jgen_steps_per_s": rate, "pyro_steps_per_s": pyro_rate,
         "speedup": rate / pyro_rate if pyro_rate else None,
         "jgen_compile_s": compile_s, **draws,
         "draws_speedup": draws["draws_loop_s"] / draws["draws_vmapped_s"],
         "draws": _DRAWS.value, "run_steps": _RUN_STEPS.value,
         "batch_size": BATCH, "alpha": ALPHA, "steps_timed": steps,
         "chunk": _CHUNK.value, "repeats": _REPEATS.value,
         "devices": [str(dev) for dev in jax.devices()],
         "platform": platform.platform(), "jax": jax.__version__}
  rec["host_matmul_gflops"] = timing.host_gflops()
  train.write_json(os.path.join(out, "bench_ssvae.json"), rec)
  fmt = lambda v: "-" if v is None else f"{v:.3g}"
  print(common.table([
      {"benchmark": "M2 steps/s (batch 100+100, 10 classes enumerated)",
       "jgen": fmt(rate), "jgen loop": "-", "Pyro": fmt(pyro_rate)},
      {"benchmark": f"{_DRAWS.value} label draws x {_RUN_STEPS.value} steps, s",
       "jgen": fmt(draws["draws_vmapped_s"]),
       "jgen loop": fmt(draws["draws_loop_s"]), "Pyro": "-"}],
      ["benchmark", "jgen", "jgen loop", "Pyro"]))
  print(f"jgen / Pyro = {rec['speedup'] or float('nan'):.2f}x; compile "
        f"{compile_s:.1f} s; draws vmapped {rec['draws_speedup']:.2f}x the loop")


if __name__ == "__main__":
  common.run(main)
