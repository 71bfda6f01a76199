"""Gaussian-mixture Bayes classifier: one mixture per class plus class priors.

``p(y = c | x) ∝ p(c) p(x | c)`` with ``p(x | c)`` a Gaussian mixture fitted by
EM to the points of class c (Hastie, Tibshirani & Friedman 2009, Section 6.8). The
posterior is computed in log space.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen import likelihoods
from jgen.em import api
from jgen.em import mixture


class GMMClassifier(NamedTuple):
  """Per-class mixtures (stacked along a leading class axis) and priors.

  Attributes:
    log_prior: ``log p(c)``, [C].
    params: :class:`mixture.GMMParams` with a leading axis of size C.
  """
  log_prior: jax.Array
  params: mixture.GMMParams


def fit_gmm_classifier(key: jax.Array, x, y, n_components: int,
                       **fit_options) -> GMMClassifier:
  """Fits a Gaussian mixture to each class by EM and the class frequencies.

  Args:
    key: PRNG key; class c uses ``jax.random.fold_in(key, c)``.
    x: data, [N, D].
    y: integer classes in 0..C-1, [N]; every class must have at least
      `n_components` points.
    n_components: mixture components per class.
    **fit_options: passed to :func:`jgen.em.fit_gmm` (``covariance_type``,
      ``n_init``, ``reg_covar``, ...).

  Returns:
    A :class:`GMMClassifier`.
  """
  x = _checks.data_matrix(x, "x")
  y = np.asarray(y)
  if y.shape != (x.shape[0],):
    raise ValueError(f"y must have shape ({x.shape[0]},) to match x, got "
                     f"{y.shape}.")
  y = _checks.labels(y, "y", n=x.shape[0], low=0, high=int(y.max()))
  n_classes = int(y.max()) + 1
  counts = np.bincount(y, minlength=n_classes)
  if counts.min() < n_components:
    raise ValueError(f"y: every class needs at least n_components="
                     f"{n_components} points, got counts {counts.tolist()}.")
  fits = [api.fit_gmm(jax.random.fold_in(key, c), x[y == c], n_components,
                      **fit_options).params for c in range(n_classes)]
  params = jax.tree.map(lambda *a: jnp.stack(a), *fits)
  return GMMClassifier(log_prior=jnp.log(counts / counts.sum()),
                       params=params)


def class_log_likelihood(clf: GMMClassifier, x: jax.Array) -> jax.Array:
  """``log p(x_n | c)`` for every class, [N, C]."""
  return jax.vmap(mixture.score_samples, in_axes=(0, None), out_axes=1)(
      clf.params, x)


def log_posterior(clf: GMMClassifier, x: jax.Array) -> jax.Array:
  """``log p(c | x_n)`` by Bayes' rule in log space, [N, C].

  Args:
    clf: fitted classifier.
    x: data, [N, D].

  Returns:
    Log posterior class probabilities (Bishop 2006, eq. 4.57), [N, C].
  """
  return likelihoods.log_posterior(class_log_likelihood(clf, x)
                                   + clf.log_prior)


def predict_proba(clf: GMMClassifier, x) -> jax.Array:
  """Posterior class probabilities ``p(c | x_n)``, [N, C]."""
  return jnp.exp(log_posterior(clf, jnp.asarray(_checks.data_matrix(x, "x"))))


def predict(clf: GMMClassifier, x) -> jax.Array:
  """Bayes decision ``argmax_c p(c | x_n)``, [N] int32."""
  lp = log_posterior(clf, jnp.asarray(_checks.data_matrix(x, "x")))
  return jnp.argmax(lp, 1).astype(jnp.int32)
