r"""Convergence maps of minimax methods on the bilinear game and the Dirac-GAN.

  python -m launch.dynamics --workdir=runs/dynamics [--num_steps=1000]

Games: ``bilinear`` (``min_x max_y x y``), ``dirac_gan`` (standard loss, no
penalty) and ``dirac_gan_r1`` (R1 with gamma = 0.3; Mescheder et al. 2018),
scalar players started at (1, 1). For each method of
``jgen.minimax.METHODS``, a learning rate x gamma grid (gamma is the
consensus weight; the other methods ignore it) is one vmapped call of
``num_steps`` steps; a member converges when its final distance to the
equilibrium (0, 0) is below ``tol``. ``final_distance`` is the distance after
``num_steps`` at the default settings (``DEFAULTS``).

Writes ``result.json`` shaped ``{game: {method: {"converged_fraction",
"final_distance"}}}``; ``config.json`` (with ``defaults``); ``maps.npz``
(final distance over the learning rate x gamma grid per game and method) and
``convergence_maps.png``. Runs in float64. Over several processes
(``--coordinator_address --num_processes --process_id``, as
``launch.train``) the grids are sharded over every device and process 0
writes.
"""

from __future__ import annotations

import os

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen import distributed
from jgen import dynamics
from jgen import games
from jgen import minimax
from jgen import plotting
from jgen import sweep
from jgen import train
from launch import common

# name -> () -> (game, R1 weight, start point (1, 1) in the players' shapes,
# data); functions, so that importing the script runs no JAX computation
# (a run over several processes joins JAX's runtime first)
GAMES = {
    "bilinear": lambda: (games.bilinear(jnp.eye(1)), 0.0,
                         (jnp.ones(1), jnp.ones(1)), None),
    "dirac_gan": lambda: (games.dirac_gan(), 0.0,
                          (jnp.float32(1.0), jnp.float32(1.0)),
                          games.dirac_data()),
    "dirac_gan_r1": lambda: (games.dirac_gan(penalty="r1"), 0.3,
                             (jnp.float32(1.0), jnp.float32(1.0)),
                             games.dirac_data()),
}
DEFAULTS = {"lr": 0.1, "gamma": 0.5, "num_steps": 1000, "tol": 1e-3}



_WORKDIR = flags.DEFINE_string("workdir", "runs/dynamics", "Output folder.")
_NUM_STEPS = flags.DEFINE_integer(
    "num_steps", DEFAULTS["num_steps"], "Steps per run.")
_N_LR = flags.DEFINE_integer("n_lr", 24, "Learning rates on the grid (0.01-1).")
_N_GAMMA = flags.DEFINE_integer("n_gamma", 24, "Consensus gammas (0-2).")
_TOL = flags.DEFINE_float("tol", DEFAULTS["tol"],
                          "Distance below which a run has converged.")

for _name in ("num_steps", "n_lr", "n_gamma"):
  common.validate(_name, common.at_least(1))
common.validate("tol", lambda v: _checks.real(v, "tol", low=1e-300))



def _member(game, method: str, reg_weight: float, start, batch,
            num_steps: int):
  step = minimax.make_step(game, method)

  def final_distance(key, hp):
    hparams = {"lr_u": hp["lr"], "lr_v": hp["lr"], "gamma": hp["gamma"],
               "reg_weight": reg_weight}
    _, path = dynamics.trajectory(step, minimax.init(*start, key=key),
                                  hparams, num_steps, batch)
    d = dynamics.distance(path)[-1]
    return jnp.where(jnp.isfinite(d), d, jnp.inf)
  return final_distance


def run(config: dict, workdir: str) -> dict:
  """Computes the convergence maps; writes result.json, maps.npz, figures.

  Args:
    config: ``{"num_steps", "n_lr", "n_gamma", "tol"}``.
    workdir: output folder.

  Returns:
    ``{game: {method: {"converged_fraction", "final_distance"}}}``.
  """
  lrs = np.logspace(-2, 0, config["n_lr"])
  gammas = np.linspace(0.0, 2.0, config["n_gamma"])
  g = sweep.grid(lr=lrs, gamma=gammas, check=minimax.check_hparams)
  default = sweep.grid(lr=[DEFAULTS["lr"]], gamma=[DEFAULTS["gamma"]])
  result, maps = {}, {}
  key = jax.random.PRNGKey(0)
  for name, make in GAMES.items():
    result[name] = {}
    for method in minimax.METHODS:
      game, reg_weight, start, batch = make()
      member = _member(game, method, reg_weight, start, batch,
                       config["num_steps"])
      dist = sweep.run(member, g, key).outputs[..., 0]       # [n_lr, n_gamma]
      at_default = float(sweep.run(member, default, key).outputs.ravel()[0])
      maps[f"{name}/{method}"] = dist
      result[name][method] = {
          "converged_fraction": float(np.mean(dist < config["tol"])),
          "final_distance": at_default}
  if distributed.is_main():
    np.savez(os.path.join(workdir, "maps.npz"), lr=lrs, gamma=gammas, **maps)
  _figure(workdir, maps, lrs, gammas, config["tol"])
  train.write_json(os.path.join(workdir, "result.json"), result)
  return result


def _figure(workdir, maps, lrs, gammas, tol):
  names, methods = list(GAMES), list(minimax.METHODS)
  fig, axes = plotting.figure(len(methods), len(names), 2.6)
  for i, name in enumerate(names):
    for j, method in enumerate(methods):
      ax = axes[i, j]
      d = np.log10(np.clip(maps[f"{name}/{method}"], 1e-12, 1e6))
      ax.imshow(d.T, origin="lower", aspect="auto", cmap="viridis_r",
                extent=[np.log10(lrs[0]), np.log10(lrs[-1]), gammas[0],
                        gammas[-1]], vmin=-12, vmax=6)
      ax.contour(np.log10(lrs), gammas, d.T, levels=[np.log10(tol)],
                 colors="w")
      ax.set_title(f"{name}\n{method}", fontsize=8)
      ax.set_xlabel("log10 lr", fontsize=7)
      ax.set_ylabel("gamma", fontsize=7)
  fig.suptitle("log10 distance to the equilibrium after the run (yellow: "
               f"converged; dashed: distance {tol:g})", fontsize=9)
  plotting.save(fig, os.path.join(workdir, "convergence_maps.png"))

common.process_flags()


def main(argv):
  del argv
  common.join()
  jax.config.update("jax_enable_x64", True)
  config = {"num_steps": _NUM_STEPS.value, "n_lr": _N_LR.value,
            "n_gamma": _N_GAMMA.value, "tol": _TOL.value}
  common.claim_workdir(_WORKDIR.value, {**config, "defaults": DEFAULTS})
  res = run(config, _WORKDIR.value)
  methods = list(next(iter(res.values())))
  if distributed.is_main():
    print(common.table(
        [{"game": g, **{m: f"{r[m]['converged_fraction']:.2f} / "
                           f"{r[m]['final_distance']:.2g}" for m in methods}}
         for g, r in res.items()], ["game"] + methods))


if __name__ == "__main__":
  common.run(main)
