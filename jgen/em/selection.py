"""Model selection for Gaussian mixtures: BIC, AIC and cross-validation.

The sweep over the number of components is one compiled call: every fit uses
``K_max`` padded components and a boolean mask of the active ones (an inactive
component has weight 0 and ``-inf`` log-weight), so all k share one program
and ``vmap`` runs them together with the folds and restarts.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen.em import api
from jgen.em import gmm
from jgen.em import mixture


def n_parameters(n_components, n_features: int, covariance_type: str):
  """Number of free parameters of a K-component mixture.

  Args:
    n_components: K (int or traced scalar).
    n_features: D.
    covariance_type: ``full``, ``tied``, ``diag`` or ``spherical``.

  Returns:
    ``(K - 1) + K D + covariance parameters`` (scikit-learn ``_n_parameters``).
  """
  d = n_features
  cov = {"full": n_components * d * (d + 1) / 2, "tied": d * (d + 1) / 2,
         "diag": n_components * d, "spherical": n_components}[covariance_type]
  return n_components - 1 + n_components * d + cov


def bic(params: mixture.GMMParams, x: jax.Array) -> jax.Array:
  """Bayesian information criterion ``-2 log L + p log N`` (lower is better).

  Args:
    params: mixture parameters; components with weight 0 are not counted.
    x: data, [N, D].

  Returns:
    The BIC (Schwarz 1978), a scalar.
  """
  k = jnp.sum(params.weights > 0)
  p = n_parameters(k, x.shape[1], params.covariance_type)
  return -2.0 * jnp.sum(mixture.score_samples(params, x)) + p * jnp.log(x.shape[0])


def aic(params: mixture.GMMParams, x: jax.Array) -> jax.Array:
  """Akaike information criterion ``-2 log L + 2 p`` (Akaike 1974).

  Args:
    params: mixture parameters; components with weight 0 are not counted.
    x: data, [N, D].

  Returns:
    The AIC, a scalar.
  """
  k = jnp.sum(params.weights > 0)
  p = n_parameters(k, x.shape[1], params.covariance_type)
  return -2.0 * jnp.sum(mixture.score_samples(params, x)) + 2.0 * p


class Selection(NamedTuple):
  """Scores for each candidate number of components.

  Attributes:
    k_values: candidate K, [M].
    bic: BIC of the fit on all data, [M].
    aic: AIC of the fit on all data, [M].
    cv_log_likelihood: mean held-out log-likelihood per sample over folds, [M].
    cv_std: its standard deviation over folds, [M].
    best_k_bic: K with the lowest BIC.
    best_k_cv: K with the highest held-out log-likelihood.
  """
  k_values: np.ndarray
  bic: np.ndarray
  aic: np.ndarray
  cv_log_likelihood: np.ndarray
  cv_std: np.ndarray
  best_k_bic: int
  best_k_cv: int


def _select(key, x, actives, folds, config, n_init, init, n_kmeans_iter):
  """All fits of a selection sweep as nested vmaps (pure, jitted by caller)."""
  n = x.shape[0]
  key_full, key_cv = jax.random.split(key)

  def fit_best(key, xs, active):
    keys = jax.random.split(key, n_init)
    return gmm.fit_restarts(keys, xs, -jnp.ones((xs.shape[0],), jnp.int32),
                            active, config, init, n_kmeans_iter)

  def full(active):
    params = fit_best(key_full, x, active).params
    return bic(params, x), aic(params, x)

  bics, aics = jax.vmap(full)(actives)

  def held_out(active, fold_index):
    test = folds[fold_index]
    train_mask = jnp.ones((n,), bool).at[test].set(False)
    train = jnp.nonzero(train_mask, size=n - test.shape[0])[0]
    key = jax.random.fold_in(key_cv, fold_index)
    params = fit_best(key, x[train], active).params
    return jnp.mean(mixture.score_samples(params, x[test]))

  fold_ids = jnp.arange(folds.shape[0])
  cv = jax.vmap(lambda a: jax.vmap(lambda f: held_out(a, f))(fold_ids))(actives)
  return bics, aics, cv


_select_jit = jax.jit(_select, static_argnames=("n_init", "init",
                                                "n_kmeans_iter"))


def select_n_components(key: jax.Array, x, k_values, *, n_folds: int = 5,
                        covariance_type: str = "full", n_init: int = 1,
                        max_iter: int = 100, tol: float = 1e-3,
                        reg_covar: float = 1e-6, init: str = "kmeans",
                        n_kmeans_iter: int = 10) -> Selection:
  """Chooses the number of components by BIC, AIC and K-fold held-out LL.

  All ``len(k_values) x (1 + n_folds) x n_init`` EM fits are one compiled
  call (padding to ``max(k_values)`` with masked components). Folds come
  from a random permutation; ``N mod n_folds`` points are left out of the
  held-out sets so that all folds have equal size.

  Args:
    key: PRNG key.
    x: data, [N, D].
    k_values: candidate numbers of components, each in 1..N.
    n_folds: number of cross-validation folds, >= 2.
    covariance_type, n_init, max_iter, tol, reg_covar, init, n_kmeans_iter:
      as in :func:`jgen.em.fit_gmm`.

  Returns:
    A :class:`Selection`.

  References:
    Schwarz (1978) for BIC; Hastie, Tibshirani & Friedman (2009), Section 7.10.
  """
  x = _checks.data_matrix(x, "x")
  n = x.shape[0]
  k_values = np.asarray(k_values)
  if k_values.ndim != 1 or k_values.size == 0:
    raise ValueError(f"k_values must be a non-empty 1-D list, got {k_values!r}.")
  for k in k_values:
    _checks.integer(int(k), "k_values", low=1, high=n)
  _checks.integer(n_folds, "n_folds", low=2, high=n)
  _checks.integer(n_init, "n_init", low=1)
  config = api.check_config(int(k_values.max()), n - n // n_folds,
                            covariance_type=covariance_type, mode="soft",
                            max_iter=max_iter, tol=tol, reg_covar=reg_covar,
                            init=init)
  k_max = int(k_values.max())
  actives = jnp.arange(k_max)[None, :] < jnp.asarray(k_values)[:, None]
  key_perm, key_fit = jax.random.split(key)
  perm = np.asarray(jax.random.permutation(key_perm, n))
  m = n // n_folds
  folds = jnp.asarray(perm[: m * n_folds].reshape(n_folds, m))
  bics, aics, cv = _select_jit(key_fit, jnp.asarray(x), actives, folds, config,
                               n_init, init, n_kmeans_iter)
  bics, aics, cv = np.asarray(bics), np.asarray(aics), np.asarray(cv)
  cv_mean = cv.mean(1)
  return Selection(k_values=k_values, bic=bics, aic=aics,
                   cv_log_likelihood=cv_mean, cv_std=cv.std(1),
                   best_k_bic=int(k_values[np.argmin(bics)]),
                   best_k_cv=int(k_values[np.argmax(cv_mean)]))
