r"""Benchmark: training steps per second of the 784-400-20 VAE, jgen vs PyTorch.

  python -m launch.bench.vae --workdir=runs/bench_vae

Same model (MLP encoder 784-400-(20+20), decoder 20-400-784, ReLU, Bernoulli
logits), objective (one-sample ELBO with dynamic binarisation), optimiser
(Adam 1e-3) and batch size (128) on mnist5k. jgen runs ``--chunk`` steps per
compiled ``lax.scan`` chunk (``jgen.train.make_chunk``); PyTorch (CPU, in a
fresh process) runs its usual Python loop. Both are timed over ``--steps``
steps after a warm-up, medians of ``--repeats``. Also reports jgen's fraction
of the FLOP floor (3 x the forward FLOPs per step at ``--peak_gflops``).
Writes ``bench_vae.json`` (``jgen_steps_per_s``, ``torch_steps_per_s``, ...)
and prints a table.
"""

from __future__ import annotations

import multiprocessing
import os
import platform

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgen import data
from jgen import nets
from jgen import train
from jgen import variational
from launch import common
from launch.bench import timing
from launch.configs import vae as vae_config

_WORKDIR = flags.DEFINE_string("workdir", "runs/bench_vae", "Output folder.")
_STEPS, _CHUNK, _REPEATS, _TORCH, _PEAK = timing.benchmark_flags(steps=500,
                                                                  chunk=100)

# the VAE of launch/configs/vae.py (784-400-20, batch 128, Adam 1e-3)
_VAE = vae_config.get_config()
BATCH, HIDDEN, LATENT, LR = (_VAE.batch_size, _VAE.hidden[0], _VAE.latent_dim,
                             _VAE.learning_rate)


def flops_per_step(d: int = 784) -> float:
  """3 x forward multiply-adds x 2 of the encoder and decoder matmuls."""
  forward = 2 * BATCH * (d * HIDDEN + HIDDEN * 2 * LATENT + LATENT * HIDDEN
                         + HIDDEN * d)
  return 3.0 * forward


def jgen_steps_per_s(x: np.ndarray, steps: int, chunk: int, repeats: int):
  model = nets.VAE(latent_dim=LATENT, output_dim=x.shape[1], hidden=(HIDDEN,))
  params = model.init(jax.random.PRNGKey(0), jnp.asarray(x[:2]))
  opt = optax.adam(LR)
  step = train.gradient_step(variational.make_loss(model, "vae", binarize_data=True),
                             opt)
  run_chunk = jax.jit(train.make_chunk(step, train.minibatch(BATCH), chunk))
  state = train.init_state(params, opt, jax.random.PRNGKey(0))
  return timing.chunk_rate(run_chunk, state, ({"x": jnp.asarray(x)}, {}),
                           steps, chunk, repeats)


def torch_steps_per_s(x: np.ndarray, steps: int, repeats: int) -> float:
  """The same training in PyTorch (run in a fresh process)."""
  import torch
  from torch import nn
  torch.set_num_threads(len(os.sched_getaffinity(0)))
  torch.manual_seed(0)
  d = x.shape[1]
  enc = nn.Sequential(nn.Linear(d, HIDDEN), nn.ReLU(),
                      nn.Linear(HIDDEN, 2 * LATENT))
  dec = nn.Sequential(nn.Linear(LATENT, HIDDEN), nn.ReLU(),
                      nn.Linear(HIDDEN, d))
  opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=LR)
  xt = torch.from_numpy(x)

  def one_step():
    idx = torch.randint(len(xt), (BATCH,))
    xb = torch.bernoulli(xt[idx])
    h = enc(xb)
    mean, log_scale = h[:, :LATENT], h[:, LATENT:]
    z = mean + torch.exp(log_scale) * torch.randn_like(mean)
    rec = -nn.functional.binary_cross_entropy_with_logits(
        dec(z), xb, reduction="none").sum(1)
    kl = 0.5 * (torch.exp(2 * log_scale) + mean**2 - 1 - 2 * log_scale).sum(1)
    loss = -(rec - kl).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()

  return timing.loop_rate(one_step, steps, repeats, warmup=50)


def main(argv):
  del argv
  out = common.workdir(_WORKDIR.value)
  x = data.load("mnist5k").x_train
  steps = max(_STEPS.value // _CHUNK.value, 1) * _CHUNK.value
  jgen_rate, compile_s = jgen_steps_per_s(x, steps, _CHUNK.value,
                                          _REPEATS.value)
  torch_rate = None
  if _TORCH.value:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
      torch_rate = pool.apply(torch_steps_per_s, (x, steps, _REPEATS.value))
  gflop = flops_per_step(x.shape[1]) / 1e9
  rec = {"jgen_steps_per_s": jgen_rate, "torch_steps_per_s": torch_rate,
         "speedup": jgen_rate / torch_rate if torch_rate else None,
         "jgen_compile_s": compile_s, "gflop_per_step": gflop,
         "jgen_fraction_of_floor": jgen_rate * gflop / _PEAK.value,
         "peak_gflops_assumed": _PEAK.value, "batch_size": BATCH,
         "steps_timed": steps, "chunk": _CHUNK.value, "repeats": _REPEATS.value,
         "devices": [str(d) for d in jax.devices()],
         "platform": platform.platform(), "jax": jax.__version__}
  rec["host_matmul_gflops"] = timing.host_gflops()
  train.write_json(os.path.join(out, "bench_vae.json"), rec)
  print(common.table([{"tool": "jgen", "steps/s": jgen_rate},
                      {"tool": "PyTorch", "steps/s": torch_rate or "-"}],
                     ["tool", "steps/s"]))
  print(f"jgen / PyTorch = {rec['speedup'] or float('nan'):.2f}x; jgen at "
        f"{rec['jgen_fraction_of_floor']:.0%} of the FLOP floor "
        f"({gflop:.2f} GFLOP per step at {_PEAK.value:g} GFLOP/s); compile "
        f"{compile_s:.2f} s")


if __name__ == "__main__":
  common.run(main)
