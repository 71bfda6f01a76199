"""Config files of ``launch.train``, one per experiment.

Each file defines ``get_config()`` returning :func:`make`'s ConfigDict and
opens with the command that runs it and the result it gave (date and
machine). The settings shared by several experiments are the dicts below.
"""

from __future__ import annotations

import dataclasses

import ml_collections

from jgen import models
from jgen.models import experiment

# The DCGAN-style image GANs on mnist5k (launch.reproduce's gan_zoo section;
# dcgan_mnist.py sets its own networks and rates on top): non-saturating
# loss with R1 (gamma 1), Adam (0.5, 0.999) at 5e-4 for both players, batch
# 64, 32 base channels, a 64-D latent, an EMA of the generator for samples.
MNIST_GAN = {"dataset": "mnist5k", "image_shape": (28, 28),
             "loss": "non_saturating", "penalty": "r1",
             "penalty_weight": 1.0, "lr_g": 5e-4, "lr_d": 5e-4,
             "batch_size": 64, "width": 32, "latent_dim": 64,
             "ema_decay": 0.999, "num_steps": 5000}
# The same game for the other adversarially trained families (no EMA or
# latent fields of the GAN networks).
MNIST_TWO_PLAYER = {k: MNIST_GAN[k] for k in (
    "dataset", "loss", "penalty", "penalty_weight", "lr_g", "lr_d",
    "batch_size", "num_steps")}
# The 2-D mode-coverage GAN (jgen's best configuration on ring8/grid25):
# 3x128 MLPs, a 2-D latent, non-saturating loss with R1 (gamma 0.1),
# simultaneous Adam (0.5, 0.999) at 1e-3, batch 128, EMA 0.999.
MODES_GAN = {"loss": "non_saturating", "penalty": "r1",
             "penalty_weight": 0.1, "method": "simultaneous", "lr_g": 1e-3,
             "lr_d": 1e-3, "batch_size": 128, "hidden": (128, 128, 128),
             "latent_dim": 2, "ema_decay": 0.999, "num_steps": 30_000}

# The VAE and IWAE compared as Burda et al. (2016, Section 5) did, on
# mnist5k: 784-200-200-50 MLPs, pixels binarised afresh every minibatch,
# Adam at 1e-3 on minibatches of 20; each model selected by its own
# importance-sampled log p(x) (K = 1,000) on 500 held-out training images.
BURDA = {"dataset": "mnist5k", "hidden": (200, 200), "latent_dim": 50,
         "binarize": True, "batch_size": 20, "learning_rate": 1e-3,
         "num_steps": 30_000, "validate_every": 2000,
         "validation_metric": "test_log_likelihood", "validation_size": 500}

# The mode-collapse table's penalty weights: R1's gamma, WGAN-GP's lambda.
PENALTY_WEIGHTS = {"none": 0.0, "r1": 0.1, "wgan_gp": 1.0}


def decay_over_last_third(c: ml_collections.ConfigDict
                          ) -> ml_collections.ConfigDict:
  """``c`` with both learning rates falling linearly to 0 over the last
  third of its ``num_steps`` (:func:`jgen.minimax.linear_decay`): the decay
  fields are references to ``num_steps``, so ``--config.num_steps=`` moves
  them too."""
  steps = c.get_ref("num_steps")
  c.lr_decay_start = steps - steps // 3
  c.lr_decay_steps = steps // 3
  return c


def make(model: str, *shared: dict, **fields) -> ml_collections.ConfigDict:
  """A run of ``model``: every field of the run and of the model's config
  with its default (:func:`jgen.models.experiment.defaults`), then the
  ``shared`` settings in order, then ``fields``. The fields the data give
  (``data_dim``, ``n_classes``, ``label_seed``) and an ``image_shape``
  without a default are None (from the data; no image networks) and take
  ``--config.<field>`` overrides of their type.

  Raises:
    ValueError: a field neither the run nor the model's config has.
  """
  values = experiment.defaults(model)
  known = {f.name for f in dataclasses.fields(models.REGISTRY[model][0])}
  c = ml_collections.ConfigDict(values)
  for name, kind in (("image_shape", tuple), ("data_dim", int),
                     ("n_classes", int), ("label_seed", int)):
    if name in known and name not in values:
      c[name] = ml_collections.FieldReference(None, field_type=kind)
  fields = {k: v for d in (*shared, fields) for k, v in d.items()}
  unknown = sorted(set(fields) - set(c))
  if unknown:
    raise ValueError(f"{unknown[0]}: not a field of a {model} run.")
  c.update(fields)
  return c
