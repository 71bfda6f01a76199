"""Validated, compiled entry points for Gaussian-mixture EM.

These are the edges of docs/design.md (contracts 6 and 7): arguments are checked on
the host before tracing, then the pure functions of :mod:`jgen.em.gmm` run
under ``jit``. Option names follow scikit-learn's ``GaussianMixture`` where
they mean the same.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen import likelihoods
from jgen.em import gmm
from jgen.em import init as initialisers
from jgen.em import mixture
from jgen.em import steps


class ConvergenceWarning(UserWarning):
  """EM stopped at ``max_iter`` before the objective settled within ``tol``."""


_fit_restarts = jax.jit(gmm.fit_restarts,
                        static_argnames=("init", "n_kmeans_iter"))
_fit_from = jax.jit(gmm.fit_from)
# Its own compiled call: XLA then keeps one layout of the features through
# the EM loop (about 20% of a 20-iteration full-covariance fit saved).
_centred_features = jax.jit(gmm.centred_features, static_argnums=1)
_score_samples = jax.jit(mixture.score_samples)
_predict_proba = jax.jit(mixture.predict_proba)
_sample = jax.jit(mixture.sample, static_argnames=("n",))


@jax.jit
def _params_from_means(x, means, labels, config):
  """M-step on the nearest-mean assignment (labelled points clamped)."""
  k = means.shape[0]
  active = jnp.ones((k,), bool)
  resp = initialisers.nearest_responsibilities(x, means, active)
  resp = steps.clamp_labels(resp, labels)
  fallback = steps.fallback_covariance(x, config.covariance_type,
                                       config.reg_covar)
  return steps.m_step(x, resp, covariance_type=config.covariance_type,
                      reg_covar=config.reg_covar, active=active,
                      fallback=fallback)[0]


def check_config(n_components, n_samples, *, covariance_type, mode, max_iter,
                 tol, reg_covar, init="kmeans") -> gmm.EMConfig:
  """Validates the EM settings and returns them as a :class:`gmm.EMConfig`.

  Raises:
    ValueError/TypeError: naming the offending argument and what is accepted.
  """
  _checks.integer(n_components, "n_components", low=1, high=n_samples)
  _checks.choice(covariance_type, "covariance_type",
                 likelihoods.COVARIANCE_TYPES)
  _checks.choice(mode, "mode", steps.MODES)
  _checks.choice(init, "init", initialisers.INITS)
  _checks.integer(max_iter, "max_iter", low=1)
  tol = _checks.real(tol, "tol", low=0.0)
  reg_covar = _checks.real(reg_covar, "reg_covar", low=0.0)
  return gmm.EMConfig(tol=tol, reg_covar=reg_covar,
                      covariance_type=covariance_type, mode=mode,
                      max_iter=max_iter)


def _user_params(x, labels, k, config, weights_init, means_init,
                 precisions_init) -> mixture.GMMParams:
  """Initial parameters from scikit-learn style ``*_init`` arrays.

  Missing pieces come from the M-step on the nearest-mean assignment.
  """
  d = x.shape[1]
  if means_init is None:
    raise ValueError("means_init is required when weights_init or "
                     "precisions_init is given.")
  means = _checks.data_matrix(means_init, "means_init").astype(x.dtype)
  if means.shape != (k, d):
    raise ValueError(f"means_init must have shape ({k}, {d}), got {means.shape}.")
  w = None
  if weights_init is not None:
    w = np.asarray(weights_init, dtype=x.dtype)
    if w.shape != (k,) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
      raise ValueError(f"weights_init must be {k} non-negative weights summing "
                       f"to 1, got {w}.")
  if w is not None and precisions_init is not None:
    # Everything is given: no M-step pass over the data is needed.
    params = mixture.GMMParams(
        weights=jnp.asarray(w), means=jnp.asarray(means), covariances=None,
        precisions_cholesky=None, covariance_type=config.covariance_type)
  else:
    params = _params_from_means(x, jnp.asarray(means), labels, config)
    params = params.replace(means=jnp.asarray(means))
    if w is not None:
      params = params.replace(weights=jnp.asarray(w))
  if precisions_init is not None:
    shapes = {"full": (k, d, d), "tied": (d, d), "diag": (k, d),
              "spherical": (k,)}
    prec = np.asarray(precisions_init, dtype=x.dtype)
    expected = shapes[config.covariance_type]
    if prec.shape != expected:
      raise ValueError(f"precisions_init must have shape {expected} for "
                       f"covariance_type={config.covariance_type!r}, got "
                       f"{prec.shape}.")
    if config.covariance_type in ("full", "tied"):
      if not np.all(np.isfinite(prec)) or not np.allclose(
          prec, np.swapaxes(prec, -1, -2)):
        raise ValueError("precisions_init must hold finite symmetric "
                         "matrices.")
      try:
        chol = np.linalg.cholesky(prec)
      except np.linalg.LinAlgError:
        raise ValueError("precisions_init must be positive definite (its "
                         "Cholesky factorisation failed).") from None
      cov = np.linalg.inv(prec)
    else:
      if np.any(prec <= 0):
        raise ValueError("precisions_init must be positive.")
      chol, cov = np.sqrt(prec), 1.0 / prec
    params = params.replace(covariances=jnp.asarray(cov),
                            precisions_cholesky=jnp.asarray(chol))
  return params


def fit_gmm(key: jax.Array, x, n_components: int, *,
            covariance_type: str = "full", mode: str = "soft", labels=None,
            n_init: int = 1, max_iter: int = 100, tol: float = 1e-3,
            reg_covar: float = 1e-6, init: str = "kmeans",
            weights_init=None, means_init=None, precisions_init=None,
            n_kmeans_iter: int = 10, warn: bool = True) -> gmm.FitResult:
  """Fits a Gaussian mixture by EM; restarts run as one vmapped compiled call.

  Soft EM maximises the log-likelihood (Dempster et al. 1977; Bishop 2006,
  Section 9.2.2), hard EM the classification likelihood (Celeux & Govaert
  1992); points with ``labels >= 0`` keep their label (semi-supervised EM,
  Nigam et al. 2000). From the same initial parameters, soft EM reproduces
  scikit-learn's ``GaussianMixture`` iterate by iterate.

  Args:
    key: PRNG key; restart r uses ``jax.random.split(key, n_init)[r]``.
    x: data, [N, D], finite.
    n_components: K, in 1..N.
    covariance_type: ``full``, ``tied``, ``diag`` or ``spherical``.
    mode: ``soft`` or ``hard``.
    labels: optional [N] ints in -1..K-1; -1 marks an unlabelled point.
    n_init: number of restarts; the best final objective wins.
    max_iter: maximum EM iterations per restart.
    tol: stop when the mean objective changes by less than this.
    reg_covar: non-negative value added to covariance diagonals.
    init: ``kmeans``, ``k-means++``, ``random`` or ``random_from_data``.
    weights_init, means_init, precisions_init: optional initial parameters in
      scikit-learn's shapes; `means_init` is needed with the other two.
    n_kmeans_iter: Lloyd iterations of the ``kmeans`` initialiser.
    warn: emit :class:`ConvergenceWarning` and collapse warnings.

  Returns:
    A :class:`jgen.em.gmm.FitResult`: ``params`` (weights, means, covariances,
    precisions_cholesky), ``log_likelihood`` (mean per-sample, at ``params``),
    ``history``, ``n_iter``, ``converged``, ``n_resets``,
    ``restart_objectives``.

  Raises:
    ValueError: on NaN/inf or wrongly shaped data, K outside 1..N, negative
      `reg_covar` or `tol`, an unknown `covariance_type`, `mode` or `init`,
      labels outside -1..K-1, or ``n_init > 1`` with given initial params.
  """
  x = _checks.data_matrix(x, "x")
  n = x.shape[0]
  config = check_config(n_components, n, covariance_type=covariance_type,
                        mode=mode, max_iter=max_iter, tol=tol,
                        reg_covar=reg_covar, init=init)
  _checks.integer(n_init, "n_init", low=1)
  _checks.integer(n_kmeans_iter, "n_kmeans_iter", low=0)
  if labels is not None:     # None: no labels, no label work in the loop
    labels = jnp.asarray(_checks.labels(labels, "labels", n=n, low=-1,
                                        high=n_components - 1))
  x = jnp.asarray(x)
  user_given = any(a is not None for a in (weights_init, means_init,
                                           precisions_init))
  if user_given:
    if n_init != 1:
      raise ValueError(f"n_init must be 1 when initial parameters are given, "
                       f"got {n_init}.")
    params = _user_params(x, labels, n_components, config, weights_init,
                          means_init, precisions_init)
    result = _fit_from(params, x, labels, config,
                       _centred_features(x, config.covariance_type))
  else:
    keys = jax.random.split(key, n_init)
    result = _fit_restarts(keys, x, labels, jnp.ones((n_components,), bool),
                           config, init=init, n_kmeans_iter=n_kmeans_iter,
                           x_features=_centred_features(
                               x, config.covariance_type))
  if warn:
    _warn(result)
  return result


def _warn(result: gmm.FitResult) -> None:
  if not bool(result.converged):
    warnings.warn(
        f"EM did not converge in {int(result.n_iter)} iterations; raise "
        "max_iter or tol, or check the data scale.", ConvergenceWarning,
        stacklevel=3)
  if int(result.n_resets) > 0:
    warnings.warn(
        f"{int(result.n_resets)} covariance estimate(s) were not positive "
        "definite (a collapsing component) and were reset to the data "
        "covariance; consider a larger reg_covar or fewer components.",
        RuntimeWarning, stacklevel=3)


def _check_params_data(params: mixture.GMMParams, x) -> jax.Array:
  x = _checks.data_matrix(x, "x")
  d = params.means.shape[1]
  if x.shape[1] != d:
    raise ValueError(f"x must have {d} features to match params, got "
                     f"{x.shape[1]}.")
  return jnp.asarray(x)


def score_samples(params: mixture.GMMParams, x) -> jax.Array:
  """Per-example log-likelihood ``log p(x_n)`` of a fitted mixture, [N].

  Args:
    params: mixture parameters (e.g. ``fit_gmm(...).params``).
    x: data, [N, D].

  Returns:
    ``log sum_k w_k N(x_n | mu_k, Sigma_k)`` (Bishop 2006, eq. 9.14), [N].
  """
  return _score_samples(params, _check_params_data(params, x))


def predict_proba(params: mixture.GMMParams, x) -> jax.Array:
  """Responsibilities ``p(k | x_n)`` (Bishop 2006, eq. 9.23), [N, K].

  Args:
    params: mixture parameters.
    x: data, [N, D].

  Returns:
    Posterior component probabilities, [N, K].
  """
  return _predict_proba(params, _check_params_data(params, x))


def sample(key: jax.Array, params: mixture.GMMParams, n: int):
  """Draws `n` samples by ancestral sampling (Bishop 2006, Section 8.1.2).

  Args:
    key: PRNG key.
    params: mixture parameters.
    n: number of samples, >= 1.

  Returns:
    ``(x [n, D], components [n])``.
  """
  _checks.integer(n, "n", low=1)
  return _sample(key, params, n)
