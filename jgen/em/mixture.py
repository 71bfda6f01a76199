"""Gaussian-mixture parameters: densities, posteriors and sampling.

``p(x) = sum_k w_k N(x | mu_k, Sigma_k)`` (Bishop 2006, Section 9.2) with the
parameters in scikit-learn's shapes; the covariance types are those of
:mod:`jgen.likelihoods`. The EM steps are in :mod:`jgen.em.steps`, the fit in
:mod:`jgen.em.gmm`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from jgen import likelihoods


@struct.dataclass
class GMMParams:
  """Gaussian-mixture parameters in scikit-learn's shapes.

  Attributes:
    weights: mixing weights, [K]; zero for switched-off components.
    means: component means, [K, D].
    covariances: covariances, shaped by `covariance_type` (see
      :mod:`jgen.likelihoods`).
    precisions_cholesky: Cholesky factors of the precisions, same shape.
    covariance_type: ``full``, ``tied``, ``diag`` or ``spherical`` (static).
  """
  weights: jax.Array
  means: jax.Array
  covariances: jax.Array
  precisions_cholesky: jax.Array
  covariance_type: str = struct.field(pytree_node=False, default="full")



def log_weights(params: GMMParams) -> jax.Array:
  """``log w_k``, [K]; ``-inf`` for switched-off components (w_k = 0)."""
  return jnp.where(params.weights > 0, jnp.log(params.weights), -jnp.inf)


def component_log_prob(params: GMMParams, x: jax.Array,
                       x_features: jax.Array | None = None) -> jax.Array:
  """``log N(x_n | mu_k, Sigma_k)``, [N, K] (Bishop 2006, eq. 2.43).

  `x_features` optionally holds ``likelihoods.mvn_features(x, type)``.
  """
  return likelihoods.mvn_log_prob(
      x, mean=params.means, precision_cholesky=params.precisions_cholesky,
      covariance_type=params.covariance_type, x_features=x_features)


def natural_parameters(params: GMMParams) -> tuple[jax.Array, jax.Array,
                                                   jax.Array]:
  """``(A, b, c)`` with ``log w_k + log N(x | k) = T(x) A_k + x b_k + c_k``.

  :func:`jgen.likelihoods.mvn_natural_parameters` with ``log w_k`` added to
  ``c_k``; a switched-off component (w_k = 0) gets ``c_k = -inf`` and zero
  ``A_k``, ``b_k``, so its log-density is ``-inf`` whatever its covariance.

  Args:
    params: mixture parameters.

  Returns:
    ``A`` [K, T], ``b`` [K, D], ``c`` [K].
  """
  quad, lin, const = likelihoods.mvn_natural_parameters(
      params.means, params.precisions_cholesky, params.covariance_type)
  on = params.weights > 0
  return (jnp.where(on[:, None], quad, 0.0), jnp.where(on[:, None], lin, 0.0),
          jnp.where(on, const + log_weights(params), -jnp.inf))


def natural_log_prob(natural: tuple[jax.Array, jax.Array, jax.Array],
                     x: jax.Array, x_features: jax.Array) -> jax.Array:
  """``T(x) A^T + x b^T + c``, [N, K], from :func:`natural_parameters`.

  Args:
    natural: ``(A, b, c)``.
    x: data, [N, D].
    x_features: ``likelihoods.mvn_features(x, type)``, [N, T].

  Returns:
    ``log w_k + log N(x_n | k)``, [N, K].
  """
  quad, lin, const = natural
  return x_features @ quad.T + x @ lin.T + const


def weighted_log_prob(params: GMMParams, x: jax.Array,
                      x_features: jax.Array | None = None) -> jax.Array:
  """``log w_k + log N(x_n | mu_k, Sigma_k)``, [N, K]; ``-inf`` where w_k = 0.

  `x_features` optionally holds ``likelihoods.mvn_features(x, type)``.
  """
  if x_features is None:
    x_features = likelihoods.mvn_features(x, params.covariance_type)
  return natural_log_prob(natural_parameters(params), x, x_features)


def score_samples(params: GMMParams, x: jax.Array) -> jax.Array:
  """Per-example log-likelihood ``log p(x_n)`` under the mixture, [N].

  Args:
    params: mixture parameters.
    x: data, [N, D].

  Returns:
    ``log sum_k w_k N(x_n | mu_k, Sigma_k)`` (Bishop 2006, eq. 9.14), [N].
  """
  return likelihoods.mixture_log_prob(component_log_prob(params, x),
                                      log_weights=log_weights(params))


def predict_proba(params: GMMParams, x: jax.Array) -> jax.Array:
  """Posterior component probabilities (responsibilities), [N, K].

  Args:
    params: mixture parameters.
    x: data, [N, D].

  Returns:
    ``p(k | x_n)`` by Bayes' rule in log space (Bishop 2006, eq. 9.23).
  """
  return jnp.exp(likelihoods.log_posterior(weighted_log_prob(params, x)))


def predict(params: GMMParams, x: jax.Array) -> jax.Array:
  """Most probable component per example, [N] int32."""
  return jnp.argmax(weighted_log_prob(params, x), axis=1).astype(jnp.int32)


def sample(key: jax.Array, params: GMMParams, n: int) -> tuple[jax.Array,
                                                              jax.Array]:
  """Draws `n` samples from the mixture (ancestral sampling).

  Args:
    key: PRNG key.
    params: mixture parameters.
    n: number of samples.

  Returns:
    ``(x [n, D], components [n] int32)``.

  References:
    Bishop (2006), Section 8.1.2 (ancestral sampling) and eq. (9.7).
  """
  d = params.means.shape[1]
  key_c, key_z = jax.random.split(key)
  comp = jax.random.categorical(key_c, jnp.log(params.weights), shape=(n,))
  z = jax.random.normal(key_z, (n, d), params.means.dtype)
  cov = params.covariances
  if params.covariance_type == "full":
    scale = jnp.linalg.cholesky(cov)[comp]                     # [n, D, D]
    noise = jnp.einsum("nde,ne->nd", scale, z)
  elif params.covariance_type == "tied":
    noise = z @ jnp.linalg.cholesky(cov).T
  elif params.covariance_type == "diag":
    noise = z * jnp.sqrt(cov)[comp]
  else:
    noise = z * jnp.sqrt(cov)[comp][:, None]
  return params.means[comp] + noise, comp.astype(jnp.int32)
