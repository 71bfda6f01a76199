r"""Bayesian model selection by the evidence (MacKay 1992; Bishop 2006, Section 3.4).

The evidence of a hyperparameter ``h`` is ``p(D | h) = int p(D | w) p(w | h)
dw`` (notes 000, "Model selection: coherent Bayesian inference"). With the
prior ``p(w | h) = N(0, I / h)`` on the M weights:

* Bayesian linear regression ``t = Phi w + eps``, ``eps ~ N(0, 1 / beta)``:
  closed form (Bishop 2006, eq. 3.86), :func:`linear_regression_log_evidence`;
* logistic regression: the Laplace approximation
  ``log p(D | h) ~ log p(D | w*) + log p(w* | h) + M/2 log 2 pi
  - 1/2 log det A`` with ``w*`` the MAP weights and ``A`` the Hessian of the
  negative log posterior at ``w*`` (Bishop 2006, eqs. 4.135-4.137),
  :func:`laplace_log_evidence` and :func:`logistic_log_evidence`.

The design matrix carries any bias column: every weight has the prior.
:func:`cross_validation` gives the K-fold held-out log-likelihood of the MAP
weights for the same models, to compare the evidence's choice of ``h`` with
cross-validation. Everything is a pure function of arrays, so curves over
``h`` are one ``vmap``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from jgen import classifiers
from jgen import likelihoods



def linear_regression_log_evidence(phi: jax.Array, t: jax.Array, *,
                                   prior_precision: jax.Array,
                                   noise_precision: jax.Array) -> jax.Array:
  """``log p(t | h, beta)`` of Bayesian linear regression, exactly.

  ``M/2 log h + N/2 log beta - E(m_N) - 1/2 log det A - N/2 log 2 pi`` with
  ``A = h I + beta Phi^T Phi``, ``m_N = beta A^{-1} Phi^T t`` and ``E(m) =
  beta/2 ||t - Phi m||^2 + h/2 ||m||^2`` (Bishop 2006, eqs. 3.78-3.86).

  Args:
    phi: design matrix, [N, M].
    t: targets, [N].
    prior_precision: ``h`` (> 0), scalar.
    noise_precision: ``beta`` (> 0), scalar.

  Returns:
    The log evidence, a scalar.
  """
  n, m = phi.shape
  a = prior_precision * jnp.eye(m, dtype=phi.dtype) + noise_precision * (
      phi.T @ phi)
  chol = jnp.linalg.cholesky(a)
  mean = noise_precision * jax.scipy.linalg.cho_solve((chol, True), phi.T @ t)
  energy = 0.5 * noise_precision * jnp.sum((t - phi @ mean) ** 2) + (
      0.5 * prior_precision * jnp.sum(mean**2))
  log_det = 2.0 * jnp.sum(jnp.log(jnp.diag(chol)))
  return (0.5 * m * jnp.log(prior_precision) + 0.5 * n * jnp.log(
      noise_precision) - energy - 0.5 * log_det - 0.5 * n * likelihoods.LOG_2PI)


def laplace_log_evidence(neg_log_joint: Callable, w_map) -> jax.Array:
  """Laplace approximation of ``log int exp(-f(w)) dw`` at the mode ``w*``.

  ``-f(w*) + M/2 log 2 pi - 1/2 log det grad^2 f(w*)`` (Bishop 2006, eq.
  4.135), exact when ``exp(-f)`` is Gaussian.

  Args:
    neg_log_joint: ``f(w) = -log p(D | w) - log p(w | h)`` of a pytree ``w``.
    w_map: the minimiser of ``f``.

  Returns:
    The approximate log evidence, a scalar.
  """
  flat, unravel = ravel_pytree(w_map)
  f = lambda v: neg_log_joint(unravel(v))
  _, log_det = jnp.linalg.slogdet(jax.hessian(f)(flat))
  return -f(flat) + 0.5 * flat.size * likelihoods.LOG_2PI - 0.5 * log_det


def _gaussian_neg_log_prior(w, prior_precision):
  m = w.size
  return (0.5 * prior_precision * jnp.sum(w**2) - 0.5 * m * jnp.log(
      prior_precision) + 0.5 * m * likelihoods.LOG_2PI)


def logistic_map(x: jax.Array, y: jax.Array, *, prior_precision: jax.Array,
                 weights: jax.Array | None = None, num_iter: int = 30):
  """MAP weights of binary logistic regression with prior ``N(0, I / h)``.

  Args:
    x: design matrix (include a column of ones for a bias), [N, M].
    y: labels in {0, 1}, [N].
    prior_precision: ``h`` (> 0).
    weights: per-example weights of the likelihood (e.g. a fold mask), [N].
    num_iter: Newton iterations.

  Returns:
    ``(w_map [M], f)`` with ``f(w) = -sum_n weights_n log p(y_n | x_n, w) -
    log N(w | 0, I / h)``.
  """
  weights = jnp.ones(x.shape[0], x.dtype) if weights is None else weights
  yy = y.astype(x.dtype)

  def f(w):
    ll = classifiers.logistic_log_likelihood(
        {"w": w, "b": jnp.zeros((), x.dtype)}, x, yy)
    return -jnp.sum(weights * ll) + _gaussian_neg_log_prior(w, prior_precision)
  return classifiers.newton(f, jnp.zeros(x.shape[1], x.dtype), num_iter), f


def logistic_log_evidence(x: jax.Array, y: jax.Array, *,
                          prior_precision: jax.Array,
                          num_iter: int = 30) -> jax.Array:
  """Laplace-approximate ``log p(y | X, h)`` of Bayesian logistic regression.

  Args:
    x: design matrix (include a column of ones for a bias), [N, M].
    y: labels in {0, 1}, [N].
    prior_precision: ``h`` (> 0), scalar.
    num_iter: Newton iterations for the MAP weights.

  Returns:
    The approximate log evidence (Bishop 2006, eq. 4.137).
  """
  w_map, f = logistic_map(x, y, prior_precision=prior_precision,
                          num_iter=num_iter)
  return laplace_log_evidence(f, w_map)


def linear_regression_map(phi, t, *, prior_precision, noise_precision,
                          weights=None):
  """Posterior mean ``m_N`` of Bayesian linear regression (eq. 3.53-3.54)."""
  weights = jnp.ones(phi.shape[0], phi.dtype) if weights is None else weights
  a = prior_precision * jnp.eye(phi.shape[1], dtype=phi.dtype) + (
      noise_precision * (phi.T * weights) @ phi)
  return noise_precision * jnp.linalg.solve(a, phi.T @ (weights * t))


def cross_validation(x: jax.Array, y: jax.Array, folds: jax.Array, *,
                     model: str, prior_precision: jax.Array,
                     noise_precision: jax.Array | float = 1.0) -> jax.Array:
  """K-fold held-out log-likelihood per example of the MAP weights.

  Args:
    x: design matrix, [N, M].
    y: labels in {0, 1} (``"logistic"``) or targets (``"linear"``), [N].
    folds: fold index of each example in 0..K-1, [N].
    model: ``"logistic"`` or ``"linear"``.
    prior_precision: ``h``.
    noise_precision: ``beta`` of the linear model.

  Returns:
    The mean over examples of ``log p(y_n | x_n, w*_{-fold(n)})``.
  """
  if model not in ("logistic", "linear"):
    raise ValueError(f"model must be 'logistic' or 'linear', got {model!r}.")
  k = int(np.max(np.asarray(folds))) + 1

  def held_out(fold):
    train = (folds != fold).astype(x.dtype)
    if model == "logistic":
      w, _ = logistic_map(x, y, prior_precision=prior_precision, weights=train)
      ll = classifiers.logistic_log_likelihood(
          {"w": w, "b": jnp.zeros((), x.dtype)}, x, y.astype(x.dtype))
    else:
      w = linear_regression_map(x, y, prior_precision=prior_precision,
                                noise_precision=noise_precision, weights=train)
      ll = 0.5 * (jnp.log(noise_precision) - likelihoods.LOG_2PI) - (
          0.5 * noise_precision * (y - x @ w) ** 2)
    return jnp.sum((1 - train) * ll)
  return jnp.sum(jax.vmap(held_out)(jnp.arange(k))) / x.shape[0]
