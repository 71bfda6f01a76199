r"""Train a VAE-family model and evaluate its bound and importance-sampled log p(x).

  python -m launch.train_vae --model=vae --dataset=mnist5k --workdir=runs/vae

Writes into ``--workdir``: ``config.json``; ``metrics.jsonl`` and orbax
``checkpoints/`` (a diverging run stops with a message naming the step and
keeps its last good checkpoint; the same command resumes); ``result.json``
with ``test_elbo`` and ``test_log_likelihood`` (nats per example, importance
sampled with ``eval_samples`` = K samples, K stated in the file) and, with
``--eval_dataset``, the same keys under ``eval``; ``samples.png``,
``reconstructions.png`` and, for ``--latent_dim=2``, ``manifold.png`` (the
decoded latent grid of Kingma & Welling 2014, Fig. 4).

Pixel data in [0, 1] are binarised dynamically for the Bernoulli decoder; the
test data are binarised once with a fixed seed.
"""

from __future__ import annotations

from absl import flags

from jgen import data
from jgen import _checks
from jgen import variational
from launch import common
from launch import report_vae

_MODEL = flags.DEFINE_enum("model", "vae", list(variational.OBJECTIVES), "Objective.")
_DATASET = flags.DEFINE_string("dataset", "mnist5k", "A jgen.data name.")
_EVAL_DATASET = flags.DEFINE_string("eval_dataset", None,
                                    "Optional second dataset to evaluate.")
_LATENT = flags.DEFINE_integer("latent_dim", 20, "Latent dimension L.")
_HIDDEN = flags.DEFINE_integer("hidden", 400, "Hidden width of the MLPs.")
_CONV = flags.DEFINE_bool("conv", False, "Convolutional networks.")
_BETA = flags.DEFINE_float("beta", 1.0, "KL weight (beta_vae).")
_CLUSTERS = flags.DEFINE_integer("n_clusters", 10,
                                 "Mixture components of the mog_vae prior.")
_SAMPLES = flags.DEFINE_integer("num_samples", 1,
                                "Samples of z per example (K for iwae).")
_STEPS = flags.DEFINE_integer("num_steps", 10_000, "Adam steps.")
_BATCH = flags.DEFINE_integer("batch_size", 128, "Minibatch size.")
_LR = flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
_EVAL_SAMPLES = flags.DEFINE_integer("eval_samples", 1000,
                                     "K of the importance-sampled log p(x).")
_SEED = flags.DEFINE_integer("seed", 0, "Random seed.")
_WORKDIR = flags.DEFINE_string("workdir", "runs/vae", "Output folder.")

common.validate("dataset", data.check_name)
common.validate("eval_dataset", lambda v: v is None or data.check_name(v))
for _name in ("latent_dim", "hidden", "n_clusters", "num_samples", "num_steps",
              "batch_size", "eval_samples"):
  common.validate(_name, common.at_least(1))
common.validate("beta", lambda v: _checks.real(v, "beta", low=0.0))
common.validate("learning_rate", lambda v: _checks.real(v, "learning_rate",
                                                        low=1e-300))
flags.register_multi_flags_validator(
    ["model", "beta"], lambda f: f["beta"] == 1.0 or
    variational.OBJECTIVES[f["model"]].uses_beta,
    message="--beta: the objective of --model has no KL term to weight.")


def main(argv):
  del argv
  common.quiet_logs()
  config = {"model": _MODEL.value, "dataset": _DATASET.value,
            "eval_dataset": _EVAL_DATASET.value, "latent_dim": _LATENT.value,
            "hidden": _HIDDEN.value, "conv": _CONV.value, "beta": _BETA.value,
            "n_clusters": _CLUSTERS.value,
            "num_samples": _SAMPLES.value, "num_steps": _STEPS.value,
            "batch_size": _BATCH.value, "learning_rate": _LR.value,
            "eval_samples": _EVAL_SAMPLES.value, "seed": _SEED.value}
  try:
    report_vae.check_data(config)
  except ValueError as err:
    flag, _, message = str(err).partition(": ")
    common.fail(flag, message)
  common.claim_workdir(_WORKDIR.value, config)
  res = report_vae.run(config, _WORKDIR.value)
  print({k: v for k, v in res.items() if k != "eval"}, res.get("eval", ""))


if __name__ == "__main__":
  common.run(main)
