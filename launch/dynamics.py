r"""Convergence maps of minimax methods on the bilinear game and the Dirac-GAN.

  python -m launch.dynamics --workdir=runs/dynamics [--num_steps=1000]

Writes ``result.json`` shaped ``{game: {method: {"converged_fraction",
"final_distance"}}}`` for the games ``bilinear``, ``dirac_gan`` and
``dirac_gan_r1`` and the methods of ``jgen.minimax.METHODS``; ``config.json``;
``maps.npz`` (final distance over the learning rate x gamma grid per game and
method) and ``convergence_maps.png``. The experiment is described in
:mod:`launch.report_dynamics`.
"""

from __future__ import annotations

from absl import flags

from jgen import _checks
from launch import common
from launch import report_dynamics

_WORKDIR = flags.DEFINE_string("workdir", "runs/dynamics", "Output folder.")
_NUM_STEPS = flags.DEFINE_integer(
    "num_steps", report_dynamics.DEFAULTS["num_steps"], "Steps per run.")
_N_LR = flags.DEFINE_integer("n_lr", 24, "Learning rates on the grid (0.01-1).")
_N_GAMMA = flags.DEFINE_integer("n_gamma", 24, "Consensus gammas (0-2).")
_TOL = flags.DEFINE_float("tol", report_dynamics.DEFAULTS["tol"],
                          "Distance below which a run has converged.")

for _name in ("num_steps", "n_lr", "n_gamma"):
  common.validate(_name, common.at_least(1))
common.validate("tol", lambda v: _checks.real(v, "tol", low=1e-300))


def main(argv):
  del argv
  for name, flag in (("--num_steps", _NUM_STEPS), ("--n_lr", _N_LR),
                     ("--n_gamma", _N_GAMMA)):
    if flag.value < 1:
      raise ValueError(f"{name} must be >= 1, got {flag.value}.")
  if not _TOL.value > 0:
    raise ValueError(f"--tol must be > 0, got {_TOL.value}.")
  res = report_dynamics.run({"num_steps": _NUM_STEPS.value, "n_lr": _N_LR.value,
                             "n_gamma": _N_GAMMA.value, "tol": _TOL.value},
                            _WORKDIR.value)
  methods = list(next(iter(res.values())))
  print(common.table(
      [{"game": g, **{m: f"{r[m]['converged_fraction']:.2f} / "
                         f"{r[m]['final_distance']:.2g}" for m in methods}}
       for g, r in res.items()], ["game"] + methods))


if __name__ == "__main__":
  common.run(main)
