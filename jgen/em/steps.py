"""The E- and M-steps of EM for Gaussian mixtures.

* E-step: responsibilities ``gamma_nk = w_k N(x_n | k) / sum_j w_j N(x_n | j)``
  (Bishop 2006, eq. 9.23). Hard (classification) EM replaces them by the
  one-hot arg-max (Celeux & Govaert 1992); points with a known label keep a
  clamped one-hot responsibility (semi-supervised EM; Nigam et al. 2000).
* M-step: ``N_k = sum_n gamma_nk``, ``w_k = N_k / N``,
  ``mu_k = sum_n gamma_nk x_n / N_k``, ``Sigma_k = sum_n gamma_nk (x_n - mu_k)
  (x_n - mu_k)^T / N_k + reg_covar I`` (Bishop eq. 9.24-9.27), with the
  ``tied``, ``diag`` and ``spherical`` restrictions as in scikit-learn.

The E-step produces the M-step's sufficient statistics directly (Neal &
Hinton 1998): one ``lax.scan`` over row blocks computes each block's
responsibilities from the Gaussians' natural parameters and reduces them to
sums (``N_k``, ``sum r x``, ``sum r T(x)``) while the block is in cache.
"""

from __future__ import annotations

from typing import NamedTuple

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
    labels: known component per point, or -1, [N] int; None for none.

  Returns:
    [N, K] responsibilities.
  """
  if labels is None:
    return resp
  onehot = jax.nn.one_hot(jnp.maximum(labels, 0), resp.shape[1],
                          dtype=resp.dtype)
  return jnp.where((labels >= 0)[:, None], onehot, resp)


class Blocks(NamedTuple):
  """The data cut into equal row blocks for the E-step's scan.

  Attributes:
    x: data, [n_blocks, B, D].
    features: ``likelihoods.mvn_features`` of the rows, [n_blocks, B, T].
    labels: known component per row or -1, [n_blocks, B]; None for none.
    mask: 1 for a data row, 0 for padding, [n_blocks, B]; None when there is
      no padding.
    n: number of data rows (static).
  """
  x: jax.Array
  features: jax.Array
  labels: jax.Array | None
  mask: jax.Array | None
  n: int


def row_blocks(n: int, block_rows: int) -> tuple[int, int]:
  """``(n_blocks, B)``: equal blocks of at most `block_rows` covering `n` rows.

  A block size between ``block_rows // 2`` and `block_rows` that divides `n`
  is taken when there is one (no padding, so no copy of the data); otherwise
  the padding, ``n_blocks * B - n``, is less than ``n_blocks``.
  """
  if n <= block_rows:
    return 1, n
  for b in range(block_rows, block_rows // 2, -1):
    if n % b == 0:
      return n // b, b
  n_blocks = -(-n // block_rows)
  return n_blocks, -(-n // n_blocks)


def auto_block_rows(n: int, width: int, itemsize: int) -> int:
  """Rows per block: all `n` when the [n, width] data fit 16 MB, else 4 MB.

  Blocks keep a block's data in the last-level cache between the E-step's
  GEMM and the M-step's (the features are read once per iteration, not
  twice); data that fit the cache whole gain nothing from blocking and pay
  the scan's per-block cost.
  """
  row = width * itemsize
  return n if n * row <= 2 ** 24 else max(1, 2 ** 22 // row)


def to_blocks(x: jax.Array, labels: jax.Array | None, x_features: jax.Array,
              block_rows: int = 0) -> Blocks:
  """Pads the rows of `x`, `labels` and `x_features` and cuts them into blocks.

  Args:
    x: data, [N, D].
    labels: known component per point or -1, [N]; None for none.
    x_features: ``likelihoods.mvn_features(x, type)``, [N, T].
    block_rows: the most rows per block; 0 for :func:`auto_block_rows`.

  Returns:
    :class:`Blocks`.
  """
  n = x.shape[0]
  if not block_rows:
    block_rows = auto_block_rows(
        n, x.shape[1] + x_features.shape[1], x.dtype.itemsize)
  n_blocks, b = row_blocks(n, block_rows)

  def cut(a, fill=0):
    if n_blocks * b > n:
      a = jnp.pad(a, [(0, n_blocks * b - n)] + [(0, 0)] * (a.ndim - 1),
                  constant_values=fill)
    return a.reshape((n_blocks, b) + a.shape[1:])

  return Blocks(x=cut(x), features=cut(x_features),
                labels=None if labels is None else cut(labels, -1),
                mask=(cut(jnp.ones((n,), x.dtype)) if n_blocks * b > n
                      else None), n=n)


class Statistics(NamedTuple):
  """Sums over the data that the M-step needs (Neal & Hinton 1998).

  Attributes:
    nk: ``sum_n r_nk``, [K].
    sum_x: ``sum_n r_nk x_n``, [K, D].
    second: ``sum_n r_nk T(x_n)``, [K, T], with ``T`` the type's
      ``likelihoods.mvn_features``: ``vech(x x^T)`` or ``x^2``.
    objective: sum over the rows of the objective (module doc), [].
    log_likelihood: ``sum_n log p(x_n)``, [].
  """
  nk: jax.Array
  sum_x: jax.Array
  second: jax.Array
  objective: jax.Array
  log_likelihood: jax.Array


def statistics(resp: jax.Array, x: jax.Array, x_features: jax.Array) -> Statistics:
  """The M-step's sums for given responsibilities (objective terms zero).

  Args:
    resp: responsibilities, [N, K].
    x: data, [N, D].
    x_features: ``likelihoods.mvn_features(x, type)``, [N, T].

  Returns:
    :class:`Statistics`; each sum is one [K, N] GEMM.
  """
  zero = jnp.zeros((), x.dtype)
  return Statistics(nk=resp.sum(0), sum_x=resp.T @ x,
                    second=resp.T @ x_features, objective=zero,
                    log_likelihood=zero)


def expected_statistics(params: mixture.GMMParams, blocks: Blocks, *,
                        mode: str = "soft",
                        moments: bool = True) -> Statistics:
  """E-step: the M-step's sums under the responsibilities at `params`.

  One ``lax.scan`` over row blocks: each block's responsibilities (Bishop
  2006, eq. 9.23; module doc for hard and labelled points) are reduced to
  sums while the block is in cache, so the [N, K] responsibilities and the
  [N, T] features are never read twice from memory.

  Args:
    params: current parameters.
    blocks: the data (:func:`to_blocks`).
    mode: ``soft`` or ``hard``.
    moments: also accumulate ``nk``, ``sum_x`` and ``second`` (False for a
      final evaluation of the objective alone; they are then zero).

  Returns:
    :class:`Statistics` summed over the data rows.
  """
  natural = mixture.natural_parameters(params)   # once, not once per block

  def block(total, rows):
    xb, fb, lb, mb = rows
    wlp = mixture.natural_log_prob(natural, xb, fb)
    resp, obj, loglik = _responsibilities(wlp, lb, mode)
    if mb is not None:
      resp, obj, loglik = resp * mb[:, None], obj * mb, loglik * mb
    if moments:
      part = statistics(resp, xb, fb)
    else:
      part = jax.tree.map(jnp.zeros_like, total)
    part = part._replace(objective=jnp.sum(obj),
                         log_likelihood=jnp.sum(loglik))
    return jax.tree.map(jnp.add, total, part), None

  k, d = params.means.shape
  dtype = blocks.x.dtype
  zero = jnp.zeros((), dtype)
  init = Statistics(nk=jnp.zeros((k,), dtype), sum_x=jnp.zeros((k, d), dtype),
                    second=jnp.zeros((k, blocks.features.shape[-1]), dtype),
                    objective=zero, log_likelihood=zero)
  total, _ = jax.lax.scan(block, init, (blocks.x, blocks.features,
                                        blocks.labels, blocks.mask))
  return total


def _responsibilities(wlp, labels, mode):
  """Responsibilities, per-row objective and per-row ``log p(x_n)``."""
  k = wlp.shape[1]
  # log-sum-exp with one exp: the normalised exponentials are the soft
  # responsibilities.
  top = jnp.max(wlp, axis=1, keepdims=True)
  e = jnp.exp(wlp - top)
  total = jnp.sum(e, axis=1, keepdims=True)
  log_norm = (jnp.log(total) + top)[:, 0]
  if mode == "soft":
    resp = e / total
    obj = log_norm
  else:
    resp = jax.nn.one_hot(jnp.argmax(wlp, axis=1), k, dtype=wlp.dtype)
    obj = top[:, 0]
  if labels is None:
    return resp, obj, log_norm
  resp = clamp_labels(resp, labels)
  safe = jnp.maximum(labels, 0)
  obj = jnp.where(labels >= 0,
                  jnp.take_along_axis(wlp, safe[:, None], 1)[:, 0], obj)
  return resp, obj, log_norm


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
  """M-step from responsibilities: :func:`m_step_from` of :func:`statistics`.

  Args:
    x: data, [N, D].
    resp: responsibilities, [N, K].
    covariance_type, reg_covar, active, fallback: as in :func:`m_step_from`.
    x_features: optional precomputed ``likelihoods.mvn_features(x, type)``.

  Returns:
    ``(params, n_reset)`` (:func:`m_step_from`).
  """
  if x_features is None:
    x_features = likelihoods.mvn_features(x, covariance_type)
  return m_step_from(statistics(resp, x, x_features),
                     covariance_type=covariance_type, reg_covar=reg_covar,
                     active=active, fallback=fallback)


def m_step_from(stats: Statistics, *, covariance_type: str, reg_covar,
                active: jax.Array,
                fallback: jax.Array) -> tuple[mixture.GMMParams, jax.Array]:
  """M-step: closed-form maximisation of the expected complete log-likelihood.

  Args:
    stats: the sums of :func:`statistics` or :func:`expected_statistics`.
    covariance_type: ``full``, ``tied``, ``diag`` or ``spherical``.
    reg_covar: non-negative value added to the covariances' diagonals.
    active: which components take part, [K] bool; others get weight 0.
    fallback: covariance used for a component whose estimate is not positive
      definite (from :func:`fallback_covariance`).

  Returns:
    ``(params, n_reset)``: the new parameters and how many components were
    reset to `fallback`.

  References:
    Bishop (2006), eq. (9.24)-(9.27); scikit-learn
    ``_estimate_gaussian_parameters`` (the ``10 eps`` floor on ``N_k``).
  """
  nk = stats.nk + 10 * jnp.finfo(stats.nk.dtype).eps          # [K]
  means = stats.sum_x / nk[:, None]                            # [K, D]
  d = means.shape[1]
  if covariance_type == "full":
    second = likelihoods.unpack_symmetric(stats.second, d) / nk[:, None, None]
    cov = _add_diagonal(second - means[:, :, None] * means[:, None, :],
                        reg_covar)
  elif covariance_type == "tied":
    # sum_k sum_n r_nk x_n x_n^T = sum_n x_n x_n^T (each row's r sums to 1).
    second = likelihoods.unpack_symmetric(stats.second.sum(0), d)
    second = second - (nk[:, None] * means).T @ means
    cov = _add_diagonal(second / nk.sum(), reg_covar)
  else:
    avg_x2 = stats.second / nk[:, None]
    cov = avg_x2 - 2.0 * means * stats.sum_x / nk[:, None] + jnp.square(means)
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


