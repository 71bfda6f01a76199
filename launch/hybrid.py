r"""Generative vs discriminative classifiers and their hybrids (notes 000).

  python -m launch.hybrid --workdir=runs/hybrid [--quick]

Writes into ``--workdir``: ``config.json``; ``result.json`` with ``alpha``,
``test_error_mean`` and ``test_error_std`` (the Bishop & Lasserre alpha
sweep) plus the lambda path / hypernetwork gap, the evidence vs
cross-validation choice of the prior precision, and the mixture of experts;
figures ``alpha_sweep.png``, ``boundaries.png``, ``lambda_path.png``,
``evidence.png``; the hypernetwork's ``hypernet/metrics.jsonl`` and orbax
checkpoints.

The experiments are described in :mod:`launch.report_hybrid`.
"""

from __future__ import annotations

from absl import flags

from launch import common
from launch import report_hybrid

_WORKDIR = flags.DEFINE_string("workdir", "runs/hybrid", "Output folder.")
_QUICK = flags.DEFINE_bool("quick", False, "Reduced run (tests, --quick report).")
_N_DRAWS = flags.DEFINE_integer("n_draws", 50, "Draws of the labelled points.")
_NUM_STEPS = flags.DEFINE_integer("num_steps", 2000, "Adam steps per run.")
_SEED = flags.DEFINE_integer("seed", 0, "Random seed.")



def _multiple_of_20(value: int) -> None:
  if value < 20 or value % 20:
    raise ValueError(f"must be a positive multiple of 20, got {value}.")


common.validate("n_draws", common.at_least(1))
common.validate("num_steps", _multiple_of_20)


def config_from_flags() -> dict:
  """The run's config; ``--quick`` overrides the draws and steps."""
  quick = _QUICK.value
  return {"quick": quick, "n_draws": 20 if quick else _N_DRAWS.value,
          "num_steps": 400 if quick else _NUM_STEPS.value, "seed": _SEED.value}


def main(argv):
  del argv
  common.quiet_logs()
  res = report_hybrid.run(config_from_flags(), _WORKDIR.value)
  print(common.table([{"alpha": a, "test_error_mean": m, "test_error_std": s}
                      for a, m, s in zip(res["alpha"], res["test_error_mean"],
                                         res["test_error_std"])],
                     ["alpha", "test_error_mean", "test_error_std"]))


if __name__ == "__main__":
  common.run(main)
