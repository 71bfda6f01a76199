r"""Fit a Gaussian mixture by EM to a dataset and write the result and a figure.

  python -m launch.fit_gmm --dataset=ring8 --n_components=8 --workdir=runs/gmm

Writes ``config.json``, ``result.json`` (mean log-likelihood, n_iter,
converged, BIC, fit seconds; test accuracy when labels are used) and
``gmm.png`` (2-D data with component ellipses, otherwise the log-likelihood
per iteration) into ``--workdir``.
"""

from __future__ import annotations

import os
import time

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen import data
from jgen import em
from jgen import plotting
from jgen import train
from launch import common

_DATASET = flags.DEFINE_string("dataset", "ring8", f"Dataset: {data.NAMES}.")
_K = flags.DEFINE_integer("n_components", 8, "Number of components.")
_COV = flags.DEFINE_enum("covariance_type", "full",
                         ["full", "tied", "diag", "spherical"],
                         "Covariance type.")
_N_INIT = flags.DEFINE_integer("n_init", 5, "Restarts (one vmapped call).")
_MODE = flags.DEFINE_enum("mode", "soft", ["soft", "hard"], "EM variant.")
_LABELLED = flags.DEFINE_float(
    "labelled_fraction", 0.0,
    "Fraction of training points whose label is given (semi-supervised EM; "
    "needs labels in 0..n_components-1).")
_MAX_ITER = flags.DEFINE_integer("max_iter", 200, "Maximum EM iterations.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of data, labels and init.")
_WORKDIR = flags.DEFINE_string("workdir", "runs/fit_gmm", "Output folder.")

common.validate("dataset", data.check_name)
for _name in ("n_components", "n_init", "max_iter"):
  common.validate(_name, common.at_least(1))
common.validate("labelled_fraction", lambda v: _checks.real(
    v, "labelled_fraction", low=0.0, high=1.0))


def run(config: dict, workdir: str) -> dict:
  """Fits the mixture described by `config` and writes outputs to `workdir`.

  Args:
    config: dict with the flag names as keys.
    workdir: output folder (created).

  Returns:
    The contents of ``result.json``.
  """
  common.workdir(workdir)
  train.write_json(os.path.join(workdir, "config.json"), config)
  ds = data.load(config["dataset"], seed=config["seed"])
  x = ds.x_train.reshape(len(ds.x_train), -1)
  k = config["n_components"]
  labels = None
  if config["labelled_fraction"] > 0:
    if ds.y_train.min() < 0 or ds.y_train.max() >= k:
      raise ValueError(f"labelled_fraction: dataset {config['dataset']!r} has "
                       f"labels outside 0..{k - 1}.")
    rng = np.random.default_rng(config["seed"])
    given = rng.random(len(x)) < config["labelled_fraction"]
    labels = np.where(given, ds.y_train, -1)
  t0 = time.perf_counter()
  res = em.fit_gmm(jax.random.key(config["seed"]), x, k,
                   covariance_type=config["covariance_type"],
                   n_init=config["n_init"], mode=config["mode"], labels=labels,
                   max_iter=config["max_iter"])
  jax.block_until_ready(res)
  seconds = time.perf_counter() - t0
  result = {"log_likelihood": float(res.log_likelihood),
            "test_log_likelihood": float(jnp.mean(em.score_samples(
                res.params, ds.x_test.reshape(len(ds.x_test), -1)))),
            "n_iter": int(res.n_iter), "converged": bool(res.converged),
            "bic": float(em.bic(res.params, jnp.asarray(x))),
            "fit_seconds_including_compile": seconds,
            "restart_objectives": np.asarray(res.restart_objectives).tolist()}
  if labels is not None:
    pred = np.asarray(em.predict_proba(res.params, ds.x_test.reshape(
        len(ds.x_test), -1))).argmax(1)
    result["test_accuracy"] = float(np.mean(pred == ds.y_test))
  fig, axes = plotting.figure()
  if x.shape[1] == 2:
    plotting.gmm_2d(axes[0, 0], x, res.params,
                    f"{config['dataset']}: K={k}, {config['covariance_type']}")
  else:
    plotting.history(axes[0, 0], {config["mode"]: res.history},
                     "mean objective per sample")
  plotting.save(fig, os.path.join(workdir, "gmm.png"))
  train.write_json(os.path.join(workdir, "result.json"), result)
  return result


def main(argv):
  del argv
  config = {name: flags.FLAGS[name].value for name in (
      "dataset", "n_components", "covariance_type", "n_init", "mode",
      "labelled_fraction", "max_iter", "seed")}
  print(run(config, _WORKDIR.value))


if __name__ == "__main__":
  common.run(main)
