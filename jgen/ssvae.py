r"""Semi-supervised VAEs assembled: M1, M2 and M1+M2 (Kingma, Rezende, Mohamed
& Welling 2014), with label draws and alpha as sweep axes.

* **M2** (:func:`make`): an :class:`jgen.nets.M2` trained on ``J^alpha`` of
  eq. (9) (:func:`jgen.variational.make_m2_loss`) with Adam, one labelled and
  one unlabelled minibatch per step; the classifier ``q(y | x)`` answers.
* **M1** (:func:`m1_features`, :func:`fit_m1_classifier`): a VAE trained on
  all images (:mod:`jgen.variational`'s ``vae`` objective); a classifier on
  the posterior means of the labelled images. The paper used a transductive
  SVM; jgen uses its own softmax logistic regression
  (:func:`jgen.classifiers.fit_logistic`, an L2 penalty), which needs no
  extra dependency and is deterministic.
* **M1+M2**: M2 with a Gaussian likelihood on M1's latent features, drawn
  afresh from ``q(z1 | x)`` at every step (the ``features`` of
  :func:`make`), as the authors do; at test time the posterior mean.

A whole run is one pure function (:func:`make_run`) of ``(key, hparams,
data)`` with ``hparams = {"alpha", "lr", "draw"}``: ``draw`` picks the
class-balanced labelled subset (:func:`jgen.data.labelled_subset`), so
five label draws, or an alpha sweep, are one :func:`jgen.sweep.run` call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgen import _checks
from jgen import classifiers
from jgen import data
from jgen import metrics
from jgen import nets
from jgen import train
from jgen import variational

MODELS = ("m1", "m2", "m1_m2")


class SSVAE(NamedTuple):
  """A configured M2 (on pixels, or on M1's features).

  Attributes:
    model: the :class:`jgen.nets.M2`.
    loss: ``loss(params, key, batch, *, hparams)`` (eq. 9).
    step: ``step(state, batch, hparams) -> (state, metrics)``.
    init: ``init(key, hparams=None) -> TrainState``.
    test_features: ``x -> M2's inputs`` at test time (identity for M2, M1's
      posterior mean for M1+M2).
    n_classes: C.
  """
  model: nets.M2
  loss: Callable
  step: Callable
  init: Callable
  test_features: Callable
  n_classes: int


def check_hparams(hparams: dict) -> dict:
  """Checks ``alpha`` (>= 0), ``lr`` (> 0) and ``draw`` (integer >= 0).

  Args:
    hparams: a dict of scalars or sweep lists.

  Returns:
    ``hparams`` unchanged.

  Raises:
    ValueError: a missing entry or a value out of range.
  """
  _checks.has_keys(hparams, "hparams", ("alpha", "lr", "draw"))
  for a in np.ravel(hparams["alpha"]):
    variational.check_alpha(float(a))
  for lr in np.ravel(hparams["lr"]):
    _checks.real(float(lr), "lr", low=np.finfo(np.float32).tiny)
  for d in np.ravel(hparams["draw"]):
    if d != int(d) or d < 0:
      raise ValueError(f"draw must be a non-negative integer, got {d}.")
  return hparams


def optimizer(hparams) -> optax.GradientTransformation:
  """Adam with the traced learning rate ``hparams["lr"]`` (Kingma et al.
  2014 used Adam/AdaGrad-style steps; Pyro's example Adam at 3e-4)."""
  return optax.adam(hparams["lr"])


def make(data_dim: int, *, n_classes: int = 10, latent_dim: int = 50,
         hidden=(500,), likelihood: str = "bernoulli",
         learn_prior: bool = False, num_samples: int = 1,
         binarize_data: bool = False, features: Callable | None = None,
         test_features: Callable | None = None) -> SSVAE:
  """Builds M2 (or the M2 of M1+M2) from sizes and names, checked here.

  Args:
    data_dim: D, the size of M2's input (pixels, or M1's latent size).
    n_classes: C >= 2.
    latent_dim: size of z.
    hidden: hidden widths (Kingma et al. and Pyro: one layer of 500).
    likelihood: ``bernoulli`` or ``gaussian`` (M1+M2).
    learn_prior: learn ``p(y)``.
    num_samples: samples of z per example and class.
    binarize_data: dynamic binarisation of the pixels at every step.
    features: ``features(key, x)`` applied to every batch (M1+M2).
    test_features: ``x -> features`` at test time (with ``features``).

  Returns:
    The :class:`SSVAE`.

  Raises:
    ValueError: bad sizes or names; ``features`` without
      ``test_features`` or the reverse.
  """
  _checks.integer(data_dim, "data_dim", low=1)
  if (features is None) != (test_features is None):
    raise ValueError("features and test_features go together (M1+M2).")
  model = nets.M2(latent_dim, data_dim, n_classes=n_classes,
                  hidden=tuple(_checks.integer(h, "hidden", low=1)
                               for h in hidden),
                  likelihood=likelihood, learn_prior=learn_prior)
  loss = variational.make_m2_loss(model, num_samples=num_samples,
                                  binarize_data=binarize_data,
                                  features=features)
  step = train.gradient_step(loss, optimizer)

  def init(key, hparams=None):
    hparams = {"lr": 1e-3} if hparams is None else hparams
    params = model.init(jax.random.fold_in(key, 1), jnp.zeros((1, data_dim)),
                        jnp.zeros((1,), jnp.int32))
    return train.init_state(params, optimizer, key, hparams)
  return SSVAE(model, loss, step, init,
               test_features or (lambda x: x), n_classes)


def batches(batch_size: int, labelled_batch_size: int | None = None
            ) -> Callable:
  """``batch_fn`` for :func:`jgen.train.train`: from ``{"x_l", "y_l",
  "x_u"}`` draws ``labelled_batch_size`` labelled and ``batch_size``
  unlabelled examples (with replacement), independently.

  Args:
    batch_size: unlabelled examples per step.
    labelled_batch_size: labelled examples per step (``batch_size`` by
      default).

  Returns:
    ``batch_fn(key, data) -> {"x_l", "y_l", "x_u"}``.
  """
  _checks.integer(batch_size, "batch_size", low=1)
  b_l = _checks.integer(labelled_batch_size or batch_size,
                        "labelled_batch_size", low=1)

  def batch_fn(key, d):
    k_l, k_u = jax.random.split(key)
    i_l = jax.random.randint(k_l, (b_l,), 0, d["y_l"].shape[0])
    i_u = jax.random.randint(k_u, (batch_size,), 0, d["x_u"].shape[0])
    return {"x_l": d["x_l"][i_l], "y_l": d["y_l"][i_l], "x_u": d["x_u"][i_u]}
  return batch_fn


def class_logits(s: SSVAE, params, x) -> jax.Array:
  """M2's classifier ``q(y | x)`` (Kingma et al. 2014, eq. (9)) on images
  (through M1's test features for M1+M2), for
  :func:`jgen.metrics.error_rate`.

  Args:
    s: the :class:`SSVAE`.
    params: its parameters.
    x: images, [N, D].

  Returns:
    Class logits, [N, C] (traceable).
  """
  return s.model.apply(params, s.test_features(x), method=nets.M2.class_logits)


def make_run(s: SSVAE, *, num_steps: int, n_labels: int, batch_size: int = 100,
             label_seed: int = 0, labels_only: bool = False) -> Callable:
  """A whole semi-supervised run, returning its test error (what
  :func:`jgen.sweep.run` vmaps over draws, alphas, learning rates, seeds).

  The labelled subset of ``hparams["draw"] = d`` is
  :func:`jgen.data.labelled_subset` with ``seed=label_seed, draw=d``; every
  training image is also an unlabelled example (as in Kingma et al.).

  Args:
    s: the :class:`SSVAE`.
    num_steps: training steps.
    n_labels: labelled examples (class-balanced).
    batch_size: labelled and unlabelled examples per step.
    label_seed: seed of the label draws.
    labels_only: train only the classifier ``q(y | x)``, by cross-entropy
      on the labelled examples (the baseline of the same architecture that
      ignores the unlabelled images).

  Returns:
    ``run(key, hparams, data) -> (test_error, metrics)`` with ``data =
    {"x", "y", "x_test", "y_test"}`` and ``metrics`` per step.
  """
  _checks.integer(num_steps, "num_steps", low=1)
  _checks.integer(batch_size, "batch_size", low=1)
  step = s.step
  if labels_only:
    apply = lambda p, x: s.model.apply(p, s.test_features(x),
                                       method=nets.M2.class_logits)
    xent = classifiers.cross_entropy_loss(apply)
    step = train.gradient_step(
        lambda p, k, b, *, hparams: xent(p, k, {"x": b["x_l"], "y": b["y_l"]},
                                         hparams=hparams), optimizer)
  chunk = train.make_chunk(step, batches(batch_size), num_steps)

  def run(key, hparams, d):
    idx = data.labelled_subset(d["y"], n_labels, n_classes=s.n_classes,
                               seed=label_seed, draw=hparams["draw"])
    state, per_step = chunk(
        s.init(key, hparams),
        {"x_l": d["x"][idx], "y_l": d["y"][idx], "x_u": d["x"]}, hparams)
    return metrics.error_rate(class_logits(s, state.params, d["x_test"]),
                              d["y_test"]), per_step
  return run


def m1_features(vae: nets.VAE, params) -> tuple[Callable, Callable]:
  """M1's features: a sample of ``q(z1 | x)`` (training) and its mean (test).

  Args:
    vae: the trained M1 :class:`jgen.nets.VAE`.
    params: its parameters.

  Returns:
    ``(sample(key, x) -> [B, L1], mean(x) -> [B, L1])``.
  """
  def mean(x):
    return vae.apply(params, x, method=nets.VAE.encode)[0]

  def sample(key, x):
    mu, log_scale = vae.apply(params, x, method=nets.VAE.encode)
    return mu + jnp.exp(log_scale) * jax.random.normal(key, mu.shape, mu.dtype)
  return sample, mean


def fit_m1_classifier(features: Callable, x_l, y_l, *, n_classes: int = 10,
                      l2: float = 1.0) -> Callable:
  """M1's classifier: softmax logistic regression on M1's posterior means.

  Args:
    features: ``x -> [B, L1]`` (the mean of :func:`m1_features`).
    x_l: labelled images, [N_l, D].
    y_l: their labels, [N_l].
    n_classes: C.
    l2: the logistic regression's L2 penalty.

  Returns:
    ``predict(x) -> [B]`` class predictions.
  """
  w = classifiers.fit_logistic(np.asarray(features(jnp.asarray(x_l))), y_l,
                               l2=l2, n_classes=n_classes)
  return lambda x: jnp.argmax(classifiers.linear_logits(w, features(x)), -1)
