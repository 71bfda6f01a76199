"""Per-example log-densities (the math layer).

Every function takes arrays with keyword-only parameters and returns one value
per example; reductions happen in the objectives (docs/design.md, contract 1). They
are pure and traceable: ``jit``/``vmap``/``grad`` are applied by the caller.

Gaussians follow the parameterisation of scikit-learn's ``GaussianMixture``:
a covariance is carried by the Cholesky factor ``P`` of its precision,
``Sigma^{-1} = P P^T``, so that ``log N(x | mu, Sigma) = -D/2 log(2 pi)
+ sum(log diag P) - 1/2 ||(x - mu)^T P||^2`` (Bishop 2006, eq. 2.43) costs one
matrix product and no solve. The four covariance types and their shapes are

=========== ===================== =========================
type        covariances           precision_cholesky
=========== ===================== =========================
full        [K, D, D]             [K, D, D] (lower)
tied        [D, D]                [D, D] (lower)
diag        [K, D]                [K, D]
spherical   [K]                   [K]
=========== ===================== =========================
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

LOG_2PI = float(np.log(2.0 * np.pi))


def precision_cholesky(covariances: jax.Array, covariance_type: str) -> jax.Array:
  """Cholesky factor of the precision from covariances.

  For ``full``/``tied``: ``L = chol(Sigma)``, ``P = L^{-T}`` so that
  ``P P^T = Sigma^{-1}``; for ``diag``/``spherical``: ``P = Sigma^{-1/2}``.
  A covariance that is not positive definite gives a non-finite factor, which
  callers detect (``jgen.em`` resets such components).

  Args:
    covariances: covariances in the shape of `covariance_type` (module doc).
    covariance_type: one of ``COVARIANCE_TYPES``.

  Returns:
    The precision Cholesky factor, same shape as `covariances`.

  References:
    scikit-learn ``mixture._gaussian_mixture._compute_precision_cholesky``.
  """
  if covariance_type in ("full", "tied"):
    chol = jnp.linalg.cholesky(covariances)
    eye = jnp.broadcast_to(jnp.eye(chol.shape[-1], dtype=chol.dtype), chol.shape)
    inv = jax.scipy.linalg.solve_triangular(chol, eye, lower=True)
    return jnp.swapaxes(inv, -1, -2)
  return jax.lax.rsqrt(covariances)


def log_det_precision_cholesky(prec_chol: jax.Array, covariance_type: str,
                               n_features: int) -> jax.Array:
  """``log det P`` = ``-1/2 log det Sigma``; shape [K] (or [] for tied).

  Args:
    prec_chol: precision Cholesky factor (module doc for shapes).
    covariance_type: one of ``COVARIANCE_TYPES``.
    n_features: D, needed for the spherical type.

  Returns:
    Log-determinant of the precision Cholesky factor per component.
  """
  if covariance_type in ("full", "tied"):
    return jnp.sum(jnp.log(jnp.diagonal(prec_chol, axis1=-2, axis2=-1)), -1)
  if covariance_type == "diag":
    return jnp.sum(jnp.log(prec_chol), -1)
  return n_features * jnp.log(prec_chol)


def quadratic_features(x: jax.Array) -> jax.Array:
  """Upper-triangular products ``vech(x x^T)``: ``x_i x_j`` for i <= j.

  With them a quadratic form ``x^T A x`` for symmetric A is one dot product
  with :func:`pack_symmetric` (A), so K Mahalanobis distances, and K
  responsibility-weighted second moments, are single [N, D(D+1)/2] GEMMs
  instead of [N, K, D] intermediates.

  Args:
    x: data, [N, D].

  Returns:
    Features, [N, D(D+1)/2].
  """
  i, j = np.triu_indices(x.shape[-1])
  return x[..., i] * x[..., j]


def pack_symmetric(a: jax.Array) -> jax.Array:
  """Weights w with ``quadratic_features(x) @ w = x^T a x`` for symmetric a.

  Args:
    a: symmetric matrices, [..., D, D].

  Returns:
    Upper triangle with off-diagonal entries doubled, [..., D(D+1)/2].
  """
  i, j = np.triu_indices(a.shape[-1])
  return a[..., i, j] * np.where(i == j, 1.0, 2.0).astype(a.dtype)


def unpack_symmetric(v: jax.Array, n_features: int) -> jax.Array:
  """Symmetric matrices from their upper triangles ``vech``, [..., D, D]."""
  i, j = np.triu_indices(n_features)
  upper = jnp.zeros(v.shape[:-1] + (n_features, n_features), v.dtype)
  upper = upper.at[..., i, j].set(v)
  lower = jnp.swapaxes(upper, -1, -2)
  return upper + lower - jnp.eye(n_features, dtype=v.dtype) * lower


def mvn_features(x: jax.Array, covariance_type: str) -> jax.Array:
  """The quadratic sufficient statistics ``T(x)`` of a Gaussian of this type.

  ``vech(x x^T)`` (:func:`quadratic_features`), [N, D(D+1)/2], for ``full``
  and ``tied``; ``x^2``, [N, D], for ``diag`` and ``spherical``.

  Args:
    x: data, [N, D].
    covariance_type: one of ``COVARIANCE_TYPES``.

  Returns:
    ``T(x)``.

  Raises:
    ValueError: an unknown `covariance_type`.
  """
  _check_covariance_type(covariance_type)
  if covariance_type in ("full", "tied"):
    return quadratic_features(x)
  return jnp.square(x)


def _check_covariance_type(covariance_type: str) -> None:
  if covariance_type not in COVARIANCE_TYPES:
    raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, "
                     f"got {covariance_type!r}.")


def mvn_natural_parameters(mean: jax.Array, precision_cholesky: jax.Array,
                           covariance_type: str) -> tuple[jax.Array, jax.Array,
                                                          jax.Array]:
  """``(A, b, c)`` with ``log N(x | mu_k, Sigma_k) = T(x) A_k + x b_k + c_k``.

  The Gaussian as an exponential family (Bishop 2006, Section 2.4, eq.
  2.220): with ``L = Sigma^{-1} = P P^T`` the log-density is ``-1/2 x^T L x
  + x^T L mu - 1/2 mu^T L mu - D/2 log(2 pi) + log det P``, so ``A_k`` is
  ``-1/2 L_k`` packed against :func:`mvn_features` ``T(x)``, ``b_k = L_k
  mu_k`` and ``c_k`` the rest. K log-densities of N points are then GEMMs
  with [N, K] outputs.

  Args:
    mean: component means, [K, D].
    precision_cholesky: precision Cholesky factors in the shape of
      `covariance_type` (module doc).
    covariance_type: one of ``COVARIANCE_TYPES``.

  Returns:
    ``A`` [K, T] (T the width of :func:`mvn_features`), ``b`` [K, D], ``c``
    [K].

  Raises:
    ValueError: an unknown `covariance_type`.
  """
  _check_covariance_type(covariance_type)
  k, d = mean.shape
  prec = precision_cholesky
  log_det = log_det_precision_cholesky(prec, covariance_type, d)
  if covariance_type in ("full", "tied"):
    precision = prec @ jnp.swapaxes(prec, -1, -2)        # [K, D, D] or [D, D]
    precision = jnp.broadcast_to(precision, (k, d, d))
    quad = -0.5 * pack_symmetric(precision)
    lin = jnp.einsum("kde,ke->kd", precision, mean)
  else:
    p2 = jnp.square(prec)                                # [K, D] or [K]
    p2 = jnp.broadcast_to(p2 if covariance_type == "diag" else p2[:, None],
                          (k, d))
    quad = -0.5 * p2
    lin = mean * p2
  const = -0.5 * (d * LOG_2PI + jnp.sum(lin * mean, 1)) + log_det
  return quad, lin, const


def mvn_log_prob(x: jax.Array, *, mean: jax.Array, precision_cholesky: jax.Array,
                 covariance_type: str = "full",
                 x_features: jax.Array | None = None) -> jax.Array:
  """Log-density of K multivariate Gaussians at every example.

  ``log N(x_n | mu_k, Sigma_k)`` for all n, k with ``Sigma_k^{-1} = P_k P_k^T``
  (Bishop 2006, eq. 2.43), computed from the natural parameters
  (:func:`mvn_natural_parameters`) as ``T(x) A^T + x b^T + c``: GEMMs with
  [N, K] outputs, and no [N, K, D] intermediate. Callers iterating over the
  same x, such as EM, pass ``T(x)`` (:func:`mvn_features`) precomputed.
  Centre the data first for float32 accuracy (``jgen.em`` does).

  Args:
    x: data, [N, D].
    mean: component means, [K, D].
    precision_cholesky: precision Cholesky factors in the shape of
      `covariance_type` (module doc).
    covariance_type: one of ``COVARIANCE_TYPES``.
    x_features: optional :func:`mvn_features` of `x` for this type.

  Returns:
    Log-densities, [N, K].

  References:
    Bishop (2006), Pattern Recognition and Machine Learning, eq. (2.43) and
    (2.220); scikit-learn ``_estimate_log_gaussian_prob``.
  """
  quad, lin, const = mvn_natural_parameters(mean, precision_cholesky,
                                            covariance_type)
  if x_features is None:
    x_features = mvn_features(x, covariance_type)
  return x_features @ quad.T + x @ lin.T + const


def gaussian_log_prob(x: jax.Array, *, mean: jax.Array,
                      log_scale: jax.Array) -> jax.Array:
  """Diagonal Gaussian log-density summed over the last axis.

  ``sum_d log N(x_d | mean_d, exp(log_scale_d)^2)``; `log_scale` may be a
  scalar (spherical) or broadcast against `x` (diagonal).

  Args:
    x: values, [..., D].
    mean: means, broadcastable to `x`.
    log_scale: log standard deviations, broadcastable to `x`.

  Returns:
    Log-densities, [...].

  References:
    Kingma & Welling (2014), Auto-Encoding Variational Bayes, Appendix C.2.
  """
  z = (x - mean) * jnp.exp(-log_scale)
  # z already has the broadcast shape of x, mean and log_scale.
  return jnp.sum(-0.5 * (LOG_2PI + jnp.square(z)) - log_scale, -1)


def bernoulli_log_prob(x: jax.Array, *, logits: jax.Array) -> jax.Array:
  """Bernoulli log-probability with logits, summed over the last axis.

  ``x log sigmoid(l) + (1 - x) log sigmoid(-l) = x l - softplus(l)``, stable
  for large |l|; `x` may be fractional (the continuous relaxation used for
  grey-scale images).

  Args:
    x: values in [0, 1], [..., D].
    logits: logits, broadcastable to `x`.

  Returns:
    Log-probabilities, [...].

  References:
    Kingma & Welling (2014), Appendix C.1.
  """
  return jnp.sum(x * logits - jax.nn.softplus(logits), -1)


def categorical_log_prob(y: jax.Array, *, logits: jax.Array) -> jax.Array:
  """Categorical log-probability ``log softmax(logits)[y]``.

  Args:
    y: integer classes, [...].
    logits: unnormalised log-probabilities, [..., C].

  Returns:
    Log-probabilities, [...].

  References:
    Bishop (2006), eq. (4.104).
  """
  log_p = jax.nn.log_softmax(logits, -1)
  return jnp.take_along_axis(log_p, y[..., None].astype(jnp.int32), -1)[..., 0]


def mixture_log_prob(component_log_prob: jax.Array, *,
                     log_weights: jax.Array) -> jax.Array:
  """Mixture log-density ``log sum_k w_k p_k(x)`` by log-sum-exp.

  Args:
    component_log_prob: ``log p_k(x_n)``, [N, K].
    log_weights: ``log w_k``, [K]; ``-inf`` switches a component off.

  Returns:
    Log-densities, [N].

  References:
    Bishop (2006), eq. (9.7) and (9.14).
  """
  return jax.nn.logsumexp(component_log_prob + log_weights, axis=-1)


def log_posterior(log_joint: jax.Array) -> jax.Array:
  """Bayes' rule in log space: ``log p(c | x) = log p(x, c) - log p(x)``.

  Args:
    log_joint: ``log p(x_n, c)``, [..., C].

  Returns:
    Log posteriors of ``log_joint``'s shape; each row log-sums to 0
    (Bishop 2006, eq. 4.57 and 9.23).
  """
  return log_joint - jax.nn.logsumexp(log_joint, axis=-1, keepdims=True)
