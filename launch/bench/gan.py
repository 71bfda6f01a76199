r"""Benchmark: GAN training in jgen against the same GANs in PyTorch.

  python -m launch.bench.gan --workdir=runs/bench_gan

(a) **DCGAN-style MNIST GAN** (``jgen.nets.Generator``/``Critic`` with
``image_shape=(28, 28)``, ``--width`` channels, 64-D latent; non-saturating
loss with R1, simultaneous Adam steps, batch 64 on mnist5k): training steps
per second, jgen (``--chunk`` unrolled steps per compiled call) against the
same networks, loss, penalty and optimiser in PyTorch (CPU, a fresh process),
and jgen's fraction of the FLOP floor (XLA's own FLOP count of the step at
``--peak_gflops``).

(b) **Seeds as one call**: for each ring8 configuration of the mode-collapse
table (every loss x {none, r1, wgan_gp} x {simultaneous, alternating}; the
first ``--max_configs``), ``--seeds`` runs of ``--sweep_steps`` steps (3x128
MLPs, batch 64, generator EMA): one vmapped ``jgen.sweep`` call, a loop of
jgen's jitted single run, and a loop of the same runs in PyTorch. Compile
times are reported apart.

(c) **DCGAN seeds as one call**: ``--dcgan_seeds`` members of the DCGAN of (a)
trained as one compiled chunk, the members vmapped (one grouped convolution
per layer) and unrolled (``jgen.train.map_members``); steps of the whole
group per second, against (a)'s single run, whose rate divided by the
members is what running them one after another gives.

Writes ``bench_gan.json`` (``dcgan_jgen_steps_per_s``,
``dcgan_torch_steps_per_s``, ``sweep_jgen_s``, ``sweep_jgen_loop_s``,
``sweep_torch_loop_s``, ``members_vmap_steps_per_s``,
``members_unroll_steps_per_s``, ...) into ``--workdir`` and prints a table.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import platform
import time

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from jgen import adversarial
from jgen import data
from jgen import models
from jgen import sweep
from jgen import train
from launch import common
from launch import configs
from launch.bench import timing
from launch.configs import modes_table

_WORKDIR = flags.DEFINE_string("workdir", "runs/bench_gan", "Output folder.")
_BENCH = timing.benchmark_flags(steps=100, chunk=10)
_WIDTH = flags.DEFINE_integer("width", 32, "DCGAN channels.")
_SEEDS = flags.DEFINE_integer("seeds", 10, "Seeds per sweep configuration.")
_SWEEP_STEPS = flags.DEFINE_integer("sweep_steps", 500, "Steps per run.")
_MAX_CONFIGS = flags.DEFINE_integer("max_configs", 30,
                                    "ring8 configurations timed (of 30).")
_DCGAN_SEEDS = flags.DEFINE_integer("dcgan_seeds", 3, "DCGAN members trained "
                                    "as one call in (c).")
for _name in ("width", "seeds", "sweep_steps", "max_configs", "dcgan_seeds"):
  common.validate(_name, common.at_least(1))
_STEPS, _CHUNK, _REPEATS, _TORCH, _PEAK = _BENCH

BATCH, LATENT, LR, GAMMA = 64, 64, 2e-4, 1.0
# the sweep's runs: the mode-collapse table's (launch/configs/modes_table.py)
TOY = modes_table.get_config().to_dict()
CONFIGS = list(itertools.product(adversarial.LOSSES, ("none", "r1", "wgan_gp"),
                                 ("simultaneous", "alternating")))


def _dcgan(width):
  g = models.gan.make(models.gan.GanConfig(
      data_dim=784, image_shape=(28, 28), latent_dim=LATENT, width=width,
      loss="non_saturating", penalty="r1", lr_g=LR, lr_d=LR,
      penalty_weight=GAMMA, batch_size=BATCH))
  return g, g.hparams


def _time_chunk(run_chunk, state, xd, hp, steps, chunk, repeats):
  """Steps per second (median), compile seconds, XLA's FLOPs per step."""
  t0 = time.perf_counter()
  compiled = run_chunk.lower(state, xd, hp).compile()
  compile_s = time.perf_counter() - t0
  cost = compiled.cost_analysis()
  cost = cost[0] if isinstance(cost, (list, tuple)) else cost
  flops = float(cost.get("flops", float("nan"))) / chunk
  state, _ = jax.block_until_ready(compiled(state, xd, hp))
  rates = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    for _ in range(steps // chunk):
      state, _ = compiled(state, xd, hp)
    jax.block_until_ready(state)
    rates.append(steps / (time.perf_counter() - t0))
  return timing.median(rates), compile_s, flops


def dcgan_jgen(x, width, steps, chunk, repeats):
  """jgen's DCGAN steps per second, compile seconds, FLOPs per step."""
  g, hp = _dcgan(width)
  run_chunk = jax.jit(train.make_chunk(g.step, train.minibatch(BATCH), chunk,
                                       unroll=True))
  return _time_chunk(run_chunk, g.init(jax.random.PRNGKey(0)),
                     jnp.asarray(x), hp, steps, chunk, repeats)


def dcgan_members(x, width, members, steps, chunk, repeats):
  """``{how: (steps/s of the group, compile seconds)}`` for ``members``
  DCGANs trained as one call, vmapped and unrolled."""
  g, hp = _dcgan(width)
  states = jax.vmap(g.init)(jax.random.split(jax.random.PRNGKey(0), members))
  hp = jax.tree.map(lambda a: jnp.broadcast_to(a, (members,)), hp)
  step = train.make_chunk(g.step, train.minibatch(BATCH), chunk, unroll=True)
  return {how: _time_chunk(
      jax.jit(train.map_members(step, (0, None, 0), how)), states,
      jnp.asarray(x), hp, steps, chunk, repeats)[:2] for how in train.MEMBERS}


def _torch_nets(torch, nn, width, d_in, hidden=None):
  """The jgen networks in PyTorch: DCGAN-style (width) or MLPs (hidden)."""
  class Shuffle(nn.Module):                        # NCHW depth-to-space
    def forward(self, h):
      return nn.functional.pixel_shuffle(h, 2)
  if hidden is None:
    gen = nn.Sequential(
        nn.Linear(LATENT, 7 * 7 * 2 * width), nn.ReLU(),
        nn.Unflatten(1, (2 * width, 7, 7)),
        nn.Conv2d(2 * width, 4 * width, 3, padding=1), Shuffle(), nn.ReLU(),
        nn.Conv2d(width, 4, 3, padding=1), Shuffle(), nn.Sigmoid(),
        nn.Flatten())
    crit = nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(7 * 7 * 2 * width, 1))
    return gen, crit
  gen = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                      nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                      nn.Linear(hidden, d_in))
  crit = nn.Sequential(nn.Linear(d_in, hidden), nn.LeakyReLU(0.2),
                       nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                       nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                       nn.Linear(hidden, 1))
  return gen, crit


def _torch_gan_step(torch, gen, crit, opt_g, opt_d, xt, batch, latent, loss,
                    penalty, weight, method):
  """One step of the jgen game in PyTorch (same losses, logits high for
  real data)."""
  F = torch.nn.functional
  gen_loss = {"minimax": lambda f: -F.softplus(f),
              "non_saturating": lambda f: F.softplus(-f),
              "wasserstein": lambda f: -f, "hinge": lambda f: -f,
              "least_squares": lambda f: 0.5 * (f - 1) ** 2}[loss]
  crit_loss = {"minimax": lambda r, f: F.softplus(-r) + F.softplus(f),
               "non_saturating": lambda r, f: F.softplus(-r) + F.softplus(f),
               "wasserstein": lambda r, f: f - r,
               "hinge": lambda r, f: F.relu(1 - r) + F.relu(1 + f),
               "least_squares": lambda r, f: 0.5 * ((r - 1) ** 2 + f**2)}[loss]
  real = xt[torch.randint(len(xt), (batch,))]

  def d_loss():
    fake = gen(torch.randn(batch, latent)).detach()
    r = real.clone().requires_grad_(penalty == "r1")
    value = crit_loss(crit(r)[:, 0], crit(fake)[:, 0]).mean()
    if penalty == "r1":
      g, = torch.autograd.grad(crit(r)[:, 0].sum(), r, create_graph=True)
      value = value + weight * 0.5 * g.pow(2).sum(1).mean()
    elif penalty == "wgan_gp":
      t = torch.rand(batch, 1)
      xh = (t * real + (1 - t) * fake).requires_grad_(True)
      g, = torch.autograd.grad(crit(xh)[:, 0].sum(), xh, create_graph=True)
      value = value + weight * ((g.pow(2).sum(1) + 1e-30).sqrt() - 1).pow(2).mean()
    return value

  def g_loss():
    return gen_loss(crit(gen(torch.randn(batch, latent)))[:, 0]).mean()

  if method == "simultaneous":
    ld, lg = d_loss(), g_loss()
    gd = torch.autograd.grad(ld, list(crit.parameters()))
    gg = torch.autograd.grad(lg, list(gen.parameters()))
    for p, g in zip(crit.parameters(), gd):
      p.grad = g
    for p, g in zip(gen.parameters(), gg):
      p.grad = g
    opt_d.step()
    opt_g.step()
  else:
    opt_d.zero_grad()
    d_loss().backward()
    opt_d.step()
    opt_g.zero_grad()
    g_loss().backward()
    opt_g.step()


def dcgan_torch(x, width, steps, repeats):
  """PyTorch's DCGAN steps per second (same model, loss, optimiser)."""
  import torch
  from torch import nn
  torch.set_num_threads(len(os.sched_getaffinity(0)))
  torch.manual_seed(0)
  gen, crit = _torch_nets(torch, nn, width, 784)
  opt_g = torch.optim.Adam(gen.parameters(), lr=LR, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(crit.parameters(), lr=LR, betas=(0.5, 0.999))
  xt = torch.from_numpy(np.asarray(x, np.float32))
  step = lambda: _torch_gan_step(torch, gen, crit, opt_g, opt_d, xt, BATCH,
                                 LATENT, "non_saturating", "r1", GAMMA,
                                 "simultaneous")
  return timing.loop_rate(step, steps, repeats, warmup=10)


def sweep_jgen(x, games, seeds, steps):
  """Per configuration: one vmapped call over seeds, and a loop of jitted
  single runs; run and compile seconds summed over configurations."""
  out = {"vmapped_s": 0.0, "vmapped_compile_s": 0.0, "loop_s": 0.0,
         "loop_compile_s": 0.0}
  xd = jnp.asarray(x)
  for loss, pen, method in games:
    g = models.gan.make(models.gan.GanConfig(
        hidden=TOY["hidden"], loss=loss, penalty=pen, method=method,
        ema_decay=TOY["ema_decay"], batch_size=TOY["batch_size"]))
    run = models.gan.make_run(g, num_steps=steps)
    grid = sweep.grid(seeds=range(seeds), lr_u=[TOY["lr_g"]],
                      lr_v=[TOY["lr_d"]],
                      reg_weight=[configs.PENALTY_WEIGHTS[pen]])
    keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(
        jax.random.PRNGKey(0), jnp.asarray(grid.seeds, jnp.uint32))
    hp = {k: jnp.asarray(v) for k, v in grid.hparams.items()}
    t0 = time.perf_counter()
    vm = sweep.vmapped(run, 1).lower(keys, hp, xd).compile()
    out["vmapped_compile_s"] += time.perf_counter() - t0
    t0 = time.perf_counter()
    jax.block_until_ready(vm(keys, hp, xd))
    out["vmapped_s"] += time.perf_counter() - t0
    single_hp = {k: v[0] for k, v in hp.items()}
    t0 = time.perf_counter()
    one = jax.jit(run).lower(keys[0], single_hp, xd).compile()
    out["loop_compile_s"] += time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(seeds):
      jax.block_until_ready(one(keys[i], single_hp, xd))
    out["loop_s"] += time.perf_counter() - t0
  return out


def sweep_torch(x, games, seeds, steps):
  """The same runs as a PyTorch loop; seconds."""
  import torch
  from torch import nn
  torch.set_num_threads(len(os.sched_getaffinity(0)))
  xt = torch.from_numpy(np.asarray(x, np.float32))
  t0 = time.perf_counter()
  for loss, pen, method in games:
    for seed in range(seeds):
      torch.manual_seed(seed)
      gen, crit = _torch_nets(torch, nn, None, 2, TOY["hidden"][0])
      ema = [p.detach().clone() for p in gen.parameters()]
      opt_g = torch.optim.Adam(gen.parameters(), lr=TOY["lr_g"],
                               betas=(0.5, 0.999))
      opt_d = torch.optim.Adam(crit.parameters(), lr=TOY["lr_d"],
                               betas=(0.5, 0.999))
      for _ in range(steps):
        _torch_gan_step(torch, gen, crit, opt_g, opt_d, xt, TOY["batch_size"],
                        2, loss, pen, configs.PENALTY_WEIGHTS[pen], method)
        with torch.no_grad():
          for e, p in zip(ema, gen.parameters()):
            e.mul_(TOY["ema_decay"]).add_(p, alpha=1 - TOY["ema_decay"])
      with torch.no_grad():
        gen(torch.randn(2500, 2))
  return time.perf_counter() - t0


def main(argv):
  del argv
  common.quiet_logs()
  out = common.workdir(_WORKDIR.value)
  x = data.load("mnist5k").x_train
  ring = data.load("ring8", n_samples=50_000).x_train
  games = CONFIGS[:_MAX_CONFIGS.value]
  rate, compile_s, flops = dcgan_jgen(x, _WIDTH.value, _STEPS.value,
                                      _CHUNK.value, _REPEATS.value)
  sj = sweep_jgen(ring, games, _SEEDS.value, _SWEEP_STEPS.value)
  n = _DCGAN_SEEDS.value
  group = dcgan_members(x, _WIDTH.value, n, _STEPS.value, _CHUNK.value,
                        _REPEATS.value)
  torch_rate = torch_sweep = None
  if _TORCH.value:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
      torch_rate = pool.apply(dcgan_torch, (x, _WIDTH.value, _STEPS.value,
                                            _REPEATS.value))
      torch_sweep = pool.apply(sweep_torch, (ring, games, _SEEDS.value,
                                             _SWEEP_STEPS.value))
  ratio = lambda a, b: a / b if a and b else None
  rec = {"dcgan_jgen_steps_per_s": rate, "dcgan_torch_steps_per_s": torch_rate,
         "dcgan_speedup": ratio(rate, torch_rate),
         "dcgan_jgen_compile_s": compile_s, "dcgan_chunk": _CHUNK.value,
         "dcgan_gflop_per_step": flops / 1e9,
         "dcgan_jgen_fraction_of_floor": rate * flops / 1e9 / _PEAK.value,
         "dcgan_width": _WIDTH.value, "batch_size": BATCH,
         "sweep_jgen_s": sj["vmapped_s"],
         "sweep_jgen_compile_s": sj["vmapped_compile_s"],
         "sweep_jgen_loop_s": sj["loop_s"],
         "sweep_jgen_loop_compile_s": sj["loop_compile_s"],
         "sweep_torch_loop_s": torch_sweep,
         "sweep_speedup_vs_torch": ratio(torch_sweep, sj["vmapped_s"]),
         "sweep_speedup_vs_jgen_loop": ratio(sj["loop_s"], sj["vmapped_s"]),
         "sweep_configs": len(games), "sweep_seeds": _SEEDS.value,
         "sweep_steps": _SWEEP_STEPS.value, "members": n,
         **{f"members_{how}_{k}": v for how, (r, c) in group.items()
            for k, v in (("steps_per_s", r), ("compile_s", c))},
         "members_one_by_one_steps_per_s": rate / n,
         "members_unroll_speedup_vs_vmap": ratio(group["unroll"][0],
                                                 group["vmap"][0]),
         "peak_gflops_assumed": _PEAK.value,
         "steps_timed": _STEPS.value, "repeats": _REPEATS.value,
         "devices": [str(d) for d in jax.devices()],
         "platform": platform.platform(), "jax": jax.__version__}
  rec["host_matmul_gflops"] = timing.host_gflops()
  train.write_json(os.path.join(out, "bench_gan.json"), rec)
  fmt = lambda v: "-" if v is None else f"{v:.3g}"
  print(common.table([
      {"benchmark": "DCGAN steps/s (batch 64)", "jgen": fmt(rate),
       "jgen loop": "-", "PyTorch": fmt(torch_rate)},
      {"benchmark": f"{len(games)} configs x {_SEEDS.value} seeds, s",
       "jgen": fmt(sj["vmapped_s"]), "jgen loop": fmt(sj["loop_s"]),
       "PyTorch": fmt(torch_sweep)},
      {"benchmark": f"DCGAN x {n} seeds as one call, steps/s",
       "jgen": f"{fmt(group['unroll'][0])} unrolled, "
               f"{fmt(group['vmap'][0])} vmapped",
       "jgen loop": fmt(rate / n),
       "PyTorch": fmt(torch_rate and torch_rate / n)}],
      ["benchmark", "jgen", "jgen loop", "PyTorch"]))
  print(f"DCGAN: jgen at {rec['dcgan_jgen_fraction_of_floor']:.0%} of the "
        f"FLOP floor ({flops / 1e9:.2f} GFLOP per step); compile "
        f"{compile_s:.1f} s; sweep compile {sj['vmapped_compile_s']:.1f} s "
        f"(loop {sj['loop_compile_s']:.1f} s); {n} DCGAN members compile "
        f"{group['unroll'][1]:.1f} s unrolled, {group['vmap'][1]:.1f} s "
        f"vmapped")


if __name__ == "__main__":
  common.run(main)
