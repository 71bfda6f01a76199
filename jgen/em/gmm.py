"""Expectation-maximisation for Gaussian mixtures: soft, hard, semi-supervised.

The mixture ``p(x) = sum_k w_k N(x | mu_k, Sigma_k)`` is fitted by EM
(Dempster, Laird & Rubin 1977; Bishop 2006, Section 9.2.2):

* E-step: responsibilities ``gamma_nk = w_k N(x_n | k) / sum_j w_j N(x_n | j)``
  (Bishop eq. 9.23). Hard (classification) EM replaces them by the one-hot
  arg-max (Celeux & Govaert 1992); points with a known label keep a clamped
  one-hot responsibility (semi-supervised EM; Nigam et al. 2000).
* M-step: ``N_k = sum_n gamma_nk``, ``w_k = N_k / N``,
  ``mu_k = sum_n gamma_nk x_n / N_k``, ``Sigma_k = sum_n gamma_nk (x_n - mu_k)
  (x_n - mu_k)^T / N_k + reg_covar I`` (Bishop eq. 9.24-9.27), with the
  ``tied``, ``diag`` and ``spherical`` restrictions as in scikit-learn.

The algorithm is an ``init``/``update`` pair over :class:`EMState` (the optax
pattern, docs/design.md contract 4); :func:`fit` runs it under ``lax.while_loop``
and is a pure function of the key, so restarts and sweeps are ``vmap``s.
The objective recorded in ``history`` is the one each mode increases
monotonically: the mean log-likelihood (soft), the mean classification
log-likelihood ``log w_z N(x | z)`` at the hard assignments (hard), and for
labelled points the joint ``log w_y N(x | y)``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from flax import struct

from jgen import likelihoods
from jgen.em import init as initialisers

MODES = ("soft", "hard")


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


class EMState(NamedTuple):
  """State of a running EM fit.

  Attributes:
    params: current parameters.
    objective: mean objective at the parameters of the previous iteration
      (scikit-learn's ``lower_bound_``); ``-inf`` before the first update.
    history: objective per iteration, [max_iter + 1]; NaN where not reached.
    n_iter: number of updates done.
    converged: whether the last change of the objective was below `tol`.
    n_resets: count of component covariances reset after they stopped being
      positive definite (a collapsing component).
  """
  params: GMMParams
  objective: jax.Array
  history: jax.Array
  n_iter: jax.Array
  converged: jax.Array
  n_resets: jax.Array


def weighted_log_prob(params: GMMParams, x: jax.Array,
                      x_features: jax.Array | None = None) -> jax.Array:
  """``log w_k + log N(x_n | mu_k, Sigma_k)``, [N, K]; ``-inf`` where w_k = 0.

  `x_features` optionally holds ``likelihoods.quadratic_features(x)``.
  """
  log_prob = likelihoods.mvn_log_prob(
      x, mean=params.means, precision_cholesky=params.precisions_cholesky,
      covariance_type=params.covariance_type, x_features=x_features)
  return jnp.where(params.weights > 0, log_prob + jnp.log(params.weights),
                   -jnp.inf)


def score_samples(params: GMMParams, x: jax.Array) -> jax.Array:
  """Per-example log-likelihood ``log p(x_n)`` under the mixture, [N].

  Args:
    params: mixture parameters.
    x: data, [N, D].

  Returns:
    ``log sum_k w_k N(x_n | mu_k, Sigma_k)`` (Bishop 2006, eq. 9.14), [N].
  """
  return jax.nn.logsumexp(weighted_log_prob(params, x), axis=1)


def predict_proba(params: GMMParams, x: jax.Array) -> jax.Array:
  """Posterior component probabilities (responsibilities), [N, K].

  Args:
    params: mixture parameters.
    x: data, [N, D].

  Returns:
    ``p(k | x_n)`` by Bayes' rule in log space (Bishop 2006, eq. 9.23).
  """
  return jax.nn.softmax(weighted_log_prob(params, x), axis=1)


def predict(params: GMMParams, x: jax.Array) -> jax.Array:
  """Most probable component per example, [N] int32."""
  return jnp.argmax(weighted_log_prob(params, x), axis=1).astype(jnp.int32)


def e_step(params: GMMParams, x: jax.Array, labels: jax.Array, *,
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
  return responsibilities(weighted_log_prob(params, x, x_features), labels,
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
    log_norm = jax.nn.logsumexp(wlp, axis=1)
    resp = jnp.exp(wlp - log_norm[:, None])
    obj = log_norm
  else:
    resp = jax.nn.one_hot(jnp.argmax(wlp, axis=1), k, dtype=wlp.dtype)
    obj = jnp.max(wlp, axis=1)
  known = labels >= 0
  safe = jnp.maximum(labels, 0)
  resp = jnp.where(known[:, None], jax.nn.one_hot(safe, k, dtype=wlp.dtype),
                   resp)
  obj = jnp.where(known, jnp.take_along_axis(wlp, safe[:, None], 1)[:, 0], obj)
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
           x_features: jax.Array | None = None) -> tuple[GMMParams, jax.Array]:
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
  params = GMMParams(weights=weights / weights.sum(), means=means,
                     covariances=cov, precisions_cholesky=prec_chol,
                     covariance_type=covariance_type)
  return params, jnp.sum(bad, dtype=jnp.int32)


@struct.dataclass
class EMConfig:
  """Settings of one EM fit: static structure plus traced numbers.

  `covariance_type`, `mode` and `max_iter` are static (they change shapes or
  code); `tol` and `reg_covar` are traced, so a sweep over them ``vmap``s
  without recompiling (docs/design.md, contract 3).

  Attributes:
    tol: convergence threshold on the change of the mean objective.
    reg_covar: non-negative regularisation added to covariance diagonals.
    covariance_type: ``full``, ``tied``, ``diag`` or ``spherical``.
    mode: ``soft`` or ``hard``.
    max_iter: maximum number of EM iterations.
  """
  tol: float = 1e-3
  reg_covar: float = 1e-6
  covariance_type: str = struct.field(pytree_node=False, default="full")
  mode: str = struct.field(pytree_node=False, default="soft")
  max_iter: int = struct.field(pytree_node=False, default=100)


def em_init(params: GMMParams, max_iter: int) -> EMState:
  """Starts EM at `params` with an empty history of length ``max_iter + 1``."""
  dtype = params.means.dtype
  return EMState(params=params, objective=jnp.array(-jnp.inf, dtype),
                 history=jnp.full((max_iter + 1,), jnp.nan, dtype),
                 n_iter=jnp.array(0, jnp.int32),
                 converged=jnp.array(False),
                 n_resets=jnp.array(0, jnp.int32))


def em_update(state: EMState, x: jax.Array, labels: jax.Array,
              active: jax.Array, fallback: jax.Array, config: EMConfig,
              x_features: jax.Array | None = None) -> EMState:
  """One EM iteration: E-step at the current params, then M-step.

  Convergence is judged as in scikit-learn: ``|objective_t - objective_{t-1}|
  < tol``, the objective being evaluated in the E-step.

  Args:
    state: current state.
    x: data, [N, D].
    labels: known component per point or -1, [N].
    active: which components take part, [K] bool.
    fallback: reset covariance for collapsing components.
    config: settings (:class:`EMConfig`).
    x_features: optional precomputed ``likelihoods.quadratic_features(x)``.

  Returns:
    The next state.
  """
  resp, obj = e_step(state.params, x, labels, mode=config.mode,
                     x_features=x_features)
  params, n_reset = m_step(x, resp, covariance_type=config.covariance_type,
                           reg_covar=config.reg_covar, active=active,
                           fallback=fallback, x_features=x_features)
  return EMState(params=params, objective=obj,
                 history=state.history.at[state.n_iter].set(obj),
                 n_iter=state.n_iter + 1,
                 converged=jnp.abs(obj - state.objective) < config.tol,
                 n_resets=state.n_resets + n_reset)


class FitResult(NamedTuple):
  """Result of :func:`fit` (one run) or :func:`fit_gmm` (best of restarts).

  Attributes:
    params: fitted parameters (scikit-learn shapes).
    log_likelihood: mean per-sample log-likelihood of `x` at `params`.
    objective: mean EM objective at `params` (equals `log_likelihood` for
      unlabelled soft EM).
    history: objective per iteration, [max_iter + 1]; entry ``n_iter`` is the
      objective at the returned `params`, later entries are NaN.
    n_iter: number of EM iterations run.
    converged: whether the change of the objective fell below `tol`.
    n_resets: number of covariance resets of collapsing components.
    restart_objectives: final objective of each restart, [n_init] (only from
      :func:`fit_gmm`; a scalar copy of `objective` from :func:`fit`).
  """
  params: GMMParams
  log_likelihood: jax.Array
  objective: jax.Array
  history: jax.Array
  n_iter: jax.Array
  converged: jax.Array
  n_resets: jax.Array
  restart_objectives: jax.Array


def init_params(key: jax.Array, x: jax.Array, labels: jax.Array,
                active: jax.Array, config: EMConfig, init: str = "kmeans",
                n_kmeans_iter: int = 10) -> GMMParams:
  """Initial parameters: the M-step applied to initial responsibilities.

  Labelled points get their one-hot label as responsibility. With labels, a
  component that has labelled points is started at their mean and the
  unlabelled points are assigned to the nearest starting mean, so that
  component k is anchored to class k rather than to an arbitrary cluster.

  Args:
    key: PRNG key.
    x: data, [N, D].
    labels: known component per point or -1, [N].
    active: which components take part, [K] bool.
    config: settings (:class:`EMConfig`).
    init: initialiser name (:data:`jgen.em.init.INITS`).
    n_kmeans_iter: Lloyd iterations for ``init="kmeans"``.

  Returns:
    Initial parameters.
  """
  k = active.shape[0]
  known = (labels >= 0)[:, None]
  label_resp = jax.nn.one_hot(jnp.maximum(labels, 0), k, dtype=x.dtype) * known
  fallback = fallback_covariance(x, config.covariance_type, config.reg_covar)

  def params_from(resp):
    resp = jnp.where(known, label_resp, resp)
    return m_step(x, resp, covariance_type=config.covariance_type,
                  reg_covar=config.reg_covar, active=active,
                  fallback=fallback)[0]

  params = params_from(
      initialisers.initial_responsibilities(key, x, active, init, n_kmeans_iter))
  counts = label_resp.sum(0)                                   # [K]
  label_means = (label_resp.T @ x) / jnp.maximum(counts, 1.0)[:, None]
  centers = jnp.where((counts > 0)[:, None], label_means, params.means)
  anchored = params_from(
      initialisers.nearest_responsibilities(x, centers, active))
  return jax.tree.map(lambda a, b: jnp.where(jnp.any(counts > 0), a, b),
                      anchored, params)


def run_em(params: GMMParams, x: jax.Array, labels: jax.Array,
           active: jax.Array, config: EMConfig) -> FitResult:
  """Runs EM from `params` to convergence or `max_iter` (``lax.while_loop``).

  Args:
    params: initial parameters.
    x: data, [N, D].
    labels: known component per point or -1, [N].
    active: which components take part, [K] bool.
    config: settings (:class:`EMConfig`).

  Returns:
    A :class:`FitResult` for this single run.
  """
  fallback = fallback_covariance(x, config.covariance_type, config.reg_covar)
  # Full covariances work on vech(x x^T), computed once for all iterations.
  x_features = (likelihoods.quadratic_features(x)
                if config.covariance_type == "full" else None)

  def cond(state):
    return (state.n_iter < config.max_iter) & ~state.converged

  def body(state):
    return em_update(state, x, labels, active, fallback, config, x_features)

  state = jax.lax.while_loop(cond, body, em_init(params, config.max_iter))
  wlp = weighted_log_prob(state.params, x, x_features)
  _, final_obj = responsibilities(wlp, labels, mode=config.mode)
  final_obj = jnp.where(jnp.isnan(final_obj), -jnp.inf, final_obj)
  return FitResult(params=state.params,
                   log_likelihood=jnp.mean(jax.nn.logsumexp(wlp, axis=1)),
                   objective=final_obj,
                   history=state.history.at[state.n_iter].set(final_obj),
                   n_iter=state.n_iter, converged=state.converged,
                   n_resets=state.n_resets, restart_objectives=final_obj)


def fit(key: jax.Array, x: jax.Array, labels: jax.Array, active: jax.Array,
        config: EMConfig, init: str = "kmeans",
        n_kmeans_iter: int = 10) -> FitResult:
  """One EM fit from a random initialisation; pure, so it ``vmap``s over keys.

  The data are centred before fitting (the mixture is shift-equivariant) to
  keep float32 second moments accurate; means are shifted back.

  Args:
    key: PRNG key for the initialisation.
    x: data, [N, D].
    labels: known component per point or -1, [N].
    active: which of the K (padded) components take part, [K] bool.
    config: settings (:class:`EMConfig`).
    init: initialiser name.
    n_kmeans_iter: Lloyd iterations for ``init="kmeans"``.

  Returns:
    A :class:`FitResult`.
  """
  shift = jnp.mean(x, axis=0)
  xc = x - shift
  params = init_params(key, xc, labels, active, config, init, n_kmeans_iter)
  return _unshift(run_em(params, xc, labels, active, config), shift)


def fit_from(params: GMMParams, x: jax.Array, labels: jax.Array,
             config: EMConfig) -> FitResult:
  """EM from given initial parameters (scikit-learn's ``*_init`` options).

  Args:
    params: initial parameters; components with weight 0 stay off.
    x: data, [N, D].
    labels: known component per point or -1, [N].
    config: settings (:class:`EMConfig`).

  Returns:
    A :class:`FitResult`; from the same start its ``history`` equals
    scikit-learn's per-iteration ``lower_bound_``.
  """
  shift = jnp.mean(x, axis=0)
  active = params.weights > 0
  params = params.replace(means=params.means - shift)
  return _unshift(run_em(params, x - shift, labels, active, config), shift)


def _unshift(result: FitResult, shift: jax.Array) -> FitResult:
  params = result.params.replace(means=result.params.means + shift)
  return result._replace(params=params)


def best_of(results: FitResult) -> FitResult:
  """Picks the restart with the highest final objective from stacked results."""
  best = jnp.argmax(results.objective)
  picked = jax.tree.map(lambda a: a[best], results)
  return picked._replace(restart_objectives=results.objective)


def fit_restarts(keys: jax.Array, x: jax.Array, labels: jax.Array,
                 active: jax.Array, config: EMConfig, init: str = "kmeans",
                 n_kmeans_iter: int = 10) -> FitResult:
  """`len(keys)` restarts as one ``vmap``; returns the best.

  Args:
    keys: PRNG keys, one per restart, [R, ...].
    x: data, [N, D].
    labels: known component per point or -1, [N].
    active: which components take part, [K] bool.
    config: settings (:class:`EMConfig`).
    init: initialiser name.
    n_kmeans_iter: Lloyd iterations for ``init="kmeans"``.

  Returns:
    The :class:`FitResult` of the restart with the highest final objective,
    with every restart's objective in ``restart_objectives``.
  """
  runs = jax.vmap(fit, in_axes=(0, None, None, None, None, None, None))(
      keys, x, labels, active, config, init, n_kmeans_iter)
  return best_of(runs)


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
