"""The E- and M-steps of EM for Gaussian mixtures.

* E-step: responsibilities ``gamma_nk = w_k N(x_n | k) / sum_j w_j N(x_n | j)``
  (Bishop 2006, eq. 9.23). Hard (classification) EM replaces them by the
  one-hot arg-max (Celeux & Govaert 1992); points with a known label keep a
  clamped one-hot responsibility (semi-supervised EM; Nigam et al. 2000).
* M-step: ``N_k = sum_n gamma_nk``, ``w_k = N_k / N``,
  ``mu_k = sum_n gamma_nk x_n / N_k``, ``Sigma_k = sum_n gamma_nk (x_n - mu_k)
  (x_n - mu_k)^T / N_k + reg_covar I`` (Bishop eq. 9.24-9.27), with the
  ``tied``, ``diag`` and ``spherical`` restrictions as in scikit-learn.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jgen import likelihoods
from jgen.em import mixture

MODES = ("soft", "hard")


def clamp_labels(resp: jax.Array, labels: jax.Array) -> jax.Array:
  """Responsibilities with known labels clamped to one-hot rows.

  Semi-supervised EM (Nigam et al. 2000): a point with ``labels[n] >= 0``
  belongs to that component with certainty; ``-1`` leaves row ``n`` as is.

  Args:
    resp: responsibilities, [N, K].
    labels: known component per point, or -1, [N] int.

  Returns:
    [N, K] responsibilities.
  """
  onehot = jax.nn.one_hot(jnp.maximum(labels, 0), resp.shape[1],
                          dtype=resp.dtype)
  return jnp.where((labels >= 0)[:, None], onehot, resp)


def e_step(params: mixture.GMMParams, x: jax.Array, labels: jax.Array, *,
           mode: str = "soft",
           x_features: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
  """E-step: responsibilities and the mean objective at `params`.

  Args:
    params: current parameters.
    x: data, [N, D].
    labels: known component per point, or -1 for unlabelled, [N] int.
    mode: ``soft`` (posterior responsibilities) or ``hard`` (one-hot arg-max).
    x_features: optional precomputed ``likelihoods.quadratic_features(x)``.

  Returns:
    ``(responsibilities [N, K], objective [])`` (module doc for the objective).
  """
  return responsibilities(mixture.weighted_log_prob(params, x, x_features), labels,
                          mode=mode)


def responsibilities(wlp: jax.Array, labels: jax.Array, *,
                     mode: str = "soft") -> tuple[jax.Array, jax.Array]:
  """Responsibilities and mean objective from ``log w_k + log N(x_n | k)``.

  Args:
    wlp: weighted component log-densities, [N, K].
    labels: known component per point, or -1 for unlabelled, [N] int.
    mode: ``soft`` or ``hard``.

  Returns:
    ``(responsibilities [N, K], objective [])``.
  """
  k = wlp.shape[1]
  if mode == "soft":
    log_norm = likelihoods.mixture_log_prob(wlp, log_weights=0.0)
    resp = jnp.exp(wlp - log_norm[:, None])
    obj = log_norm
  else:
    resp = jax.nn.one_hot(jnp.argmax(wlp, axis=1), k, dtype=wlp.dtype)
    obj = jnp.max(wlp, axis=1)
  resp = clamp_labels(resp, labels)
  safe = jnp.maximum(labels, 0)
  obj = jnp.where(labels >= 0,
                  jnp.take_along_axis(wlp, safe[:, None], 1)[:, 0], obj)
  return resp, jnp.mean(obj)


def _add_diagonal(a: jax.Array, value) -> jax.Array:
  return a + value * jnp.eye(a.shape[-1], dtype=a.dtype)


def fallback_covariance(x: jax.Array, covariance_type: str,
                        reg_covar) -> jax.Array:
  """The data covariance in the type's single-component shape (collapse reset)."""
  if covariance_type in ("full", "tied"):
    return _add_diagonal(jnp.cov(x, rowvar=False, bias=True), reg_covar)
  var = jnp.var(x, axis=0) + reg_covar
  if covariance_type == "diag":
    return var
  return jnp.mean(var)


def m_step(x: jax.Array, resp: jax.Array, *, covariance_type: str, reg_covar,
           active: jax.Array, fallback: jax.Array,
           x_features: jax.Array | None = None) -> tuple[mixture.GMMParams, jax.Array]:
  """M-step: closed-form maximisation of the expected complete log-likelihood.

  Args:
    x: data, [N, D].
    resp: responsibilities, [N, K].
    covariance_type: ``full``, ``tied``, ``diag`` or ``spherical``.
    reg_covar: non-negative value added to the covariances' diagonals.
    active: which components take part, [K] bool; others get weight 0.
    fallback: covariance used for a component whose estimate is not positive
      definite (from :func:`fallback_covariance`).
    x_features: optional precomputed ``likelihoods.quadratic_features(x)``.

  Returns:
    ``(params, n_reset)``: the new parameters and how many components were
    reset to `fallback`.

  References:
    Bishop (2006), eq. (9.24)-(9.27); scikit-learn
    ``_estimate_gaussian_parameters`` (the ``10 eps`` floor on ``N_k``).
  """
  nk = resp.sum(0) + 10 * jnp.finfo(resp.dtype).eps           # [K]
  sum_x = resp.T @ x                                           # [K, D]
  means = sum_x / nk[:, None]
  if covariance_type == "full":
    # sum_n r_nk x_n x_n^T for all k as one [K, N] x [N, D(D+1)/2] product.
    if x_features is None:
      x_features = likelihoods.quadratic_features(x)
    second = likelihoods.unpack_symmetric(resp.T @ x_features, x.shape[1])
    second = second / nk[:, None, None]
    cov = _add_diagonal(second - means[:, :, None] * means[:, None, :],
                        reg_covar)
  elif covariance_type == "tied":
    second = x.T @ x - (nk[:, None] * means).T @ means
    cov = _add_diagonal(second / nk.sum(), reg_covar)
  else:
    avg_x2 = resp.T @ jnp.square(x) / nk[:, None]
    cov = avg_x2 - 2.0 * means * sum_x / nk[:, None] + jnp.square(means)
    cov = cov + reg_covar
    if covariance_type == "spherical":
      cov = cov.mean(1)
  prec_chol = likelihoods.precision_cholesky(cov, covariance_type)
  # A covariance that is not positive definite (a collapsing component, or
  # float32 round-off) is reset to the data covariance rather than left NaN.
  if covariance_type == "tied":
    bad = ~jnp.all(jnp.isfinite(prec_chol))
    bad_b = bad
  else:
    finite = jnp.isfinite(prec_chol).reshape(prec_chol.shape[0], -1)
    bad = ~jnp.all(finite, axis=1) & active
    bad_b = bad.reshape((-1,) + (1,) * (cov.ndim - 1))
  cov = jnp.where(bad_b, fallback, cov)
  prec_chol = jnp.where(
      bad_b, likelihoods.precision_cholesky(fallback, covariance_type),
      prec_chol)
  weights = jnp.where(active, nk, 0.0)
  params = mixture.GMMParams(weights=weights / weights.sum(), means=means,
                             covariances=cov, precisions_cholesky=prec_chol,
                             covariance_type=covariance_type)
  return params, jnp.sum(bad, dtype=jnp.int32)


