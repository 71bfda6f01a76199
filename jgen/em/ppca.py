"""Probabilistic PCA: closed-form maximum likelihood and EM.

The model is ``x = W z + mu + eps`` with ``z ~ N(0, I_q)`` and
``eps ~ N(0, sigma^2 I_D)``, so ``p(x) = N(x | mu, C)``, ``C = W W^T +
sigma^2 I`` (Tipping & Bishop 1999, eq. 2:
``N(x | Wz + mu, Sigma)``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jgen import _checks
from jgen import likelihoods


class PPCAParams(NamedTuple):
  """PPCA parameters.

  Attributes:
    mean: mu, [D].
    weight: W, [D, q].
    noise_variance: sigma^2, [].
  """
  mean: jax.Array
  weight: jax.Array
  noise_variance: jax.Array


def _check(x, n_components):
  x = _checks.data_matrix(x, "x")
  _checks.integer(n_components, "n_components", low=1, high=x.shape[1] - 1)
  return jnp.asarray(x)


def sample_covariance(x: jax.Array, ddof: int = 0) -> jax.Array:
  """``S = sum_n (x_n - xbar)(x_n - xbar)^T / (N - ddof)``, [D, D]."""
  xc = x - x.mean(0)
  return xc.T @ xc / (x.shape[0] - ddof)


def ppca_closed_form(x, n_components: int, *, ddof: int = 0) -> PPCAParams:
  """Maximum-likelihood PPCA in closed form.

  ``sigma^2 = mean of the D - q smallest eigenvalues of S`` and
  ``W = U_q (Lambda_q - sigma^2 I)^{1/2}`` (Tipping & Bishop 1999, eq. 7-8).
  ``ddof=0`` gives the maximum-likelihood S; ``ddof=1`` the unbiased S that
  scikit-learn's ``PCA`` uses.

  Args:
    x: data, [N, D].
    n_components: latent dimension q, in 1..D-1.
    ddof: 0 (maximum likelihood) or 1.

  Returns:
    :class:`PPCAParams`.
  """
  x = _check(x, n_components)
  _checks.integer(ddof, "ddof", low=0, high=1)
  evals, evecs = jnp.linalg.eigh(sample_covariance(x, ddof))
  evals, evecs = evals[::-1], evecs[:, ::-1]                 # descending
  sigma2 = jnp.mean(evals[n_components:])
  scale = jnp.sqrt(jnp.maximum(evals[:n_components] - sigma2, 0.0))
  return PPCAParams(mean=x.mean(0), weight=evecs[:, :n_components] * scale,
                    noise_variance=sigma2)


def ppca_log_prob(params: PPCAParams, x: jax.Array) -> jax.Array:
  """Per-example log marginal likelihood ``log N(x | mu, W W^T + sigma^2 I)``.

  Args:
    params: :class:`PPCAParams`.
    x: data, [N, D].

  Returns:
    Log-densities (Tipping & Bishop 1999, eq. 4), [N].
  """
  d = x.shape[1]
  cov = params.weight @ params.weight.T + params.noise_variance * jnp.eye(
      d, dtype=x.dtype)
  prec_chol = likelihoods.precision_cholesky(cov, "tied")
  return likelihoods.mvn_log_prob(x, mean=params.mean[None],
                                  precision_cholesky=prec_chol,
                                  covariance_type="tied")[:, 0]


class PPCAState(NamedTuple):
  """EM state: parameters, mean log-likelihood, iterations, convergence flag."""
  params: PPCAParams
  log_likelihood: jax.Array
  n_iter: jax.Array
  converged: jax.Array


def ppca_em_update(params: PPCAParams, s: jax.Array) -> PPCAParams:
  """One EM step for PPCA on the sample covariance S.

  ``M = W^T W + sigma^2 I``;
  ``W' = S W (sigma^2 I + M^{-1} W^T S W)^{-1}``;
  ``sigma'^2 = tr(S - S W M^{-1} W'^T) / D``
  (Tipping & Bishop 1999, eq. 29-30).

  Args:
    params: current parameters.
    s: sample covariance, [D, D].

  Returns:
    Updated parameters (the mean is already at its optimum, the data mean).
  """
  w, sigma2 = params.weight, params.noise_variance
  d, q = w.shape
  eye = jnp.eye(q, dtype=w.dtype)
  m_inv = jnp.linalg.inv(w.T @ w + sigma2 * eye)
  sw = s @ w
  w_new = sw @ jnp.linalg.inv(sigma2 * eye + m_inv @ w.T @ sw)
  sigma2_new = jnp.trace(s - sw @ m_inv @ w_new.T) / d
  return PPCAParams(mean=params.mean, weight=w_new, noise_variance=sigma2_new)


def _ppca_em(key, x, n_components, max_iter, tol):
  d = x.shape[1]
  s = sample_covariance(x)
  params = PPCAParams(
      mean=x.mean(0),
      weight=jax.random.normal(key, (d, n_components), x.dtype),
      noise_variance=jnp.trace(s) / d)

  def mean_ll(p):
    return jnp.mean(ppca_log_prob(p, x))

  def cond(state):
    return (state.n_iter < max_iter) & ~state.converged

  def body(state):
    p = ppca_em_update(state.params, s)
    ll = mean_ll(p)
    return PPCAState(p, ll, state.n_iter + 1,
                     jnp.abs(ll - state.log_likelihood) < tol)

  return jax.lax.while_loop(
      cond, body, PPCAState(params, mean_ll(params), jnp.array(0),
                            jnp.array(False)))


_ppca_em_jit = jax.jit(_ppca_em, static_argnames=("n_components", "max_iter"))


def ppca_em(key: jax.Array, x, n_components: int, *, max_iter: int = 1000,
            tol: float = 1e-8) -> PPCAState:
  """Maximum-likelihood PPCA by EM from a random W (one compiled loop).

  Args:
    key: PRNG key for the initial W.
    x: data, [N, D].
    n_components: latent dimension q, in 1..D-1.
    max_iter: maximum EM iterations.
    tol: stop when the mean log-likelihood changes by less than this.

  Returns:
    :class:`PPCAState` with the parameters, final mean log-likelihood,
    iterations and convergence flag.

  References:
    Tipping & Bishop (1999), Probabilistic principal component analysis,
    Section 3.2 and Appendix B (eq. 29-30).
  """
  x = _check(x, n_components)
  _checks.integer(max_iter, "max_iter", low=1)
  tol = _checks.real(tol, "tol", low=0.0)
  return _ppca_em_jit(key, x, n_components, max_iter, tol)
