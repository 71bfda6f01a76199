r"""Re-evaluate and re-draw a run of ``launch.train`` without training it.

  python -m launch.sample --workdir=runs/cgan
  python -m launch.sample --workdir=runs/vae --best --dataset=digits

Restores the last (or, with ``--best``, the best-validated) checkpoint of
``--workdir`` (``jgen.models.experiment.restore``) and writes into
``--out`` (default ``<workdir>/sample``): ``evaluation.json`` (the model's
``evaluate`` on the test split of the run's dataset, or of ``--dataset``),
``samples.png`` (``--n`` samples, for models that generate; each member's
with ``n_seeds``) and the model's own figures.
"""

from __future__ import annotations

import os

from absl import flags
import jax
import numpy as np

from jgen import data
from jgen import models
from jgen import plotting
from jgen import train
from launch import common

_WORKDIR = flags.DEFINE_string("workdir", None, "A launch.train run.")
_OUT = flags.DEFINE_string("out", None, "Output folder (default: "
                           "<workdir>/sample).")
_BEST = flags.DEFINE_bool("best", False, "The best-validated state "
                          "(workdir/best/) instead of the last.")
_DATASET = flags.DEFINE_string("dataset", None, "Evaluate on this dataset's "
                               "test split instead of the run's.")
_N = flags.DEFINE_integer("n", 64, "Samples drawn into samples.png.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the samples.")
flags.mark_flag_as_required("workdir")
common.validate("n", common.at_least(1))
common.validate("seed", common.at_least(0))
common.validate("dataset", lambda v: v is None or data.check_name(v, "dataset"))


def main(argv):
  del argv
  common.quiet_logs()
  try:
    s, state, step = models.experiment.restore(_WORKDIR.value,
                                               best=_BEST.value)
    dataset = s.dataset
    if _DATASET.value is not None:
      dataset = data.load(_DATASET.value, seed=s.experiment.seed)
      if not len(dataset.x_test):
        dataset = dataset._replace(x_test=dataset.x_train,
                                   y_test=dataset.y_train)
      s.model.train_data(dataset)         # its examples fit the model
  except (ValueError, TypeError) as err:
    common.refuse(str(err))
  out = common.workdir(_OUT.value or os.path.join(_WORKDIR.value, "sample"))
  members = models.experiment.members(state, s.experiment.n_seeds)
  result = {"step": step, "best": _BEST.value,
            "dataset": _DATASET.value or s.experiment.dataset,
            "runs": [s.model.evaluate(x, dataset) for x in members]}
  shape = models.experiment.image_shape(s.model)
  if s.model.sample is not None and shape is not None:
    key = jax.random.PRNGKey(_SEED.value)
    fig, axes = plotting.figure(len(members), 1, 3.2)
    for i, (ax, x) in enumerate(zip(axes[0], members)):
      plotting.image_grid(ax, np.asarray(s.model.sample(x, key, _N.value)),
                          shape, int(np.ceil(np.sqrt(_N.value))))
      ax.set_title(f"seed {s.experiment.seed + i}, step {step}")
    plotting.save(fig, os.path.join(out, "samples.png"))
  s.model.figures(members[0], dataset, out)
  train.write_json(os.path.join(out, "evaluation.json"), result)
  print({k: v for k, v in result["runs"][0].items() if np.ndim(v) == 0})


if __name__ == "__main__":
  common.run(main)
