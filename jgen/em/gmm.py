"""Expectation-maximisation for Gaussian mixtures: soft, hard, semi-supervised.

The mixture ``p(x) = sum_k w_k N(x | mu_k, Sigma_k)`` (:mod:`jgen.em.mixture`)
is fitted by EM (Dempster, Laird & Rubin 1977; Bishop 2006, Section 9.2.2)
with the steps of :mod:`jgen.em.steps`.

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
from jgen.em import mixture
from jgen.em import steps


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
  params: mixture.GMMParams
  objective: jax.Array
  history: jax.Array
  n_iter: jax.Array
  converged: jax.Array
  n_resets: jax.Array



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
    block_rows: the most rows per block of the E-step's scan
      (:func:`jgen.em.steps.expected_statistics`); 0 (the default) picks
      blocks of about 4 MB once the data and their features pass 16 MB
      (:func:`jgen.em.steps.auto_block_rows`). A speed setting only.
  """
  tol: float = 1e-3
  reg_covar: float = 1e-6
  covariance_type: str = struct.field(pytree_node=False, default="full")
  mode: str = struct.field(pytree_node=False, default="soft")
  max_iter: int = struct.field(pytree_node=False, default=100)
  block_rows: int = struct.field(pytree_node=False, default=0)


def em_init(params: mixture.GMMParams, max_iter: int) -> EMState:
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
    labels: known component per point or -1, [N]; None for none.
    active: which components take part, [K] bool.
    fallback: reset covariance for collapsing components.
    config: settings (:class:`EMConfig`).
    x_features: optional precomputed ``likelihoods.mvn_features(x, type)``.

  Returns:
    The next state.
  """
  if x_features is None:
    x_features = likelihoods.mvn_features(x, config.covariance_type)
  blocks = steps.to_blocks(x, labels, x_features, config.block_rows)
  return _update(state, blocks, active, fallback, config)


def _update(state: EMState, blocks: steps.Blocks, active: jax.Array,
            fallback: jax.Array, config: EMConfig) -> EMState:
  stats = steps.expected_statistics(state.params, blocks, mode=config.mode)
  params, n_reset = steps.m_step_from(
      stats, covariance_type=config.covariance_type,
      reg_covar=config.reg_covar, active=active, fallback=fallback)
  obj = stats.objective / blocks.n
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
  params: mixture.GMMParams
  log_likelihood: jax.Array
  objective: jax.Array
  history: jax.Array
  n_iter: jax.Array
  converged: jax.Array
  n_resets: jax.Array
  restart_objectives: jax.Array


def init_params(key: jax.Array, x: jax.Array, labels: jax.Array,
                active: jax.Array, config: EMConfig, init: str = "kmeans",
                n_kmeans_iter: int = 10,
                x_features: jax.Array | None = None) -> mixture.GMMParams:
  """Initial parameters: the M-step applied to initial responsibilities.

  Labelled points get their one-hot label as responsibility. With labels, a
  component that has labelled points is started at their mean and the
  unlabelled points are assigned to the nearest starting mean, so that
  component k is anchored to class k rather than to an arbitrary cluster.

  Args:
    key: PRNG key.
    x: data, [N, D].
    labels: known component per point or -1, [N]; None for none.
    active: which components take part, [K] bool.
    config: settings (:class:`EMConfig`).
    init: initialiser name (:data:`jgen.em.init.INITS`).
    n_kmeans_iter: Lloyd iterations for ``init="kmeans"``.
    x_features: optional ``likelihoods.mvn_features(x, type)``.

  Returns:
    Initial parameters.
  """
  k = active.shape[0]
  fallback = steps.fallback_covariance(x, config.covariance_type,
                                       config.reg_covar)

  def params_from(resp):
    return steps.m_step(x, steps.clamp_labels(resp, labels),
                        covariance_type=config.covariance_type,
                        reg_covar=config.reg_covar, active=active,
                        fallback=fallback, x_features=x_features)[0]

  params = params_from(
      initialisers.initial_responsibilities(key, x, active, init, n_kmeans_iter))
  if labels is None:
    return params
  label_resp = steps.clamp_labels(jnp.zeros((x.shape[0], k), x.dtype), labels)
  counts = label_resp.sum(0)                                   # [K]

  def anchored(params):
    label_means = (label_resp.T @ x) / jnp.maximum(counts, 1.0)[:, None]
    centers = jnp.where((counts > 0)[:, None], label_means, params.means)
    return params_from(initialisers.nearest_responsibilities(x, centers, active))

  # A branch, not a select: with no labelled point the second M-step is
  # not run.
  return jax.lax.cond(jnp.any(counts > 0), anchored, lambda p: p, params)


def centred_features(x: jax.Array, covariance_type: str) -> jax.Array:
  """``likelihoods.mvn_features(x - mean(x), covariance_type)``, [N, T].

  :func:`fit`, :func:`fit_from` and :func:`fit_restarts` compute it when not
  given; computing it in a compiled call of its own (as
  :func:`jgen.em.fit_gmm` does) lets XLA keep one layout of the [N, T]
  matrix through the EM loop, and restarts share it.
  """
  return likelihoods.mvn_features(x - jnp.mean(x, axis=0), covariance_type)


def run_em(params: mixture.GMMParams, x: jax.Array, labels: jax.Array,
           active: jax.Array, config: EMConfig,
           x_features: jax.Array | None = None) -> FitResult:
  """Runs EM from `params` to convergence or `max_iter` (``lax.while_loop``).

  Args:
    params: initial parameters.
    x: data, [N, D].
    labels: known component per point or -1, [N]; None for none.
    active: which components take part, [K] bool.
    config: settings (:class:`EMConfig`).

    x_features: optional ``likelihoods.mvn_features(x, type)``.

  Returns:
    A :class:`FitResult` for this single run.
  """
  fallback = steps.fallback_covariance(x, config.covariance_type,
                                       config.reg_covar)
  # T(x), vech(x x^T) or x^2, computed once for all iterations.
  if x_features is None:
    x_features = likelihoods.mvn_features(x, config.covariance_type)
  blocks = steps.to_blocks(x, labels, x_features, config.block_rows)

  def cond(state):
    return (state.n_iter < config.max_iter) & ~state.converged

  def body(state):
    return _update(state, blocks, active, fallback, config)

  state = jax.lax.while_loop(cond, body, em_init(params, config.max_iter))
  final = steps.expected_statistics(state.params, blocks, mode=config.mode,
                                    moments=False)
  final_obj = final.objective / blocks.n
  final_obj = jnp.where(jnp.isnan(final_obj), -jnp.inf, final_obj)
  return FitResult(params=state.params,
                   log_likelihood=final.log_likelihood / blocks.n,
                   objective=final_obj,
                   history=state.history.at[state.n_iter].set(final_obj),
                   n_iter=state.n_iter, converged=state.converged,
                   n_resets=state.n_resets, restart_objectives=final_obj)


def fit(key: jax.Array, x: jax.Array, labels: jax.Array, active: jax.Array,
        config: EMConfig, init: str = "kmeans", n_kmeans_iter: int = 10,
        x_features: jax.Array | None = None) -> FitResult:
  """One EM fit from a random initialisation; pure, so it ``vmap``s over keys.

  The data are centred before fitting (the mixture is shift-equivariant) to
  keep float32 second moments accurate; means are shifted back.

  Args:
    key: PRNG key for the initialisation.
    x: data, [N, D].
    labels: known component per point or -1, [N]; None for none.
    active: which of the K (padded) components take part, [K] bool.
    config: settings (:class:`EMConfig`).
    init: initialiser name.
    n_kmeans_iter: Lloyd iterations for ``init="kmeans"``.
    x_features: optional :func:`centred_features` of ``x``.

  Returns:
    A :class:`FitResult`.
  """
  shift = jnp.mean(x, axis=0)
  xc = x - shift
  if x_features is None:
    x_features = likelihoods.mvn_features(xc, config.covariance_type)
  params = init_params(key, xc, labels, active, config, init, n_kmeans_iter,
                       x_features)
  return _unshift(run_em(params, xc, labels, active, config, x_features),
                  shift)


def fit_from(params: mixture.GMMParams, x: jax.Array, labels: jax.Array,
             config: EMConfig,
             x_features: jax.Array | None = None) -> FitResult:
  """EM from given initial parameters (scikit-learn's ``*_init`` options).

  Args:
    params: initial parameters; components with weight 0 stay off.
    x: data, [N, D].
    labels: known component per point or -1, [N]; None for none.
    config: settings (:class:`EMConfig`).
    x_features: optional :func:`centred_features` of ``x``.

  Returns:
    A :class:`FitResult`; from the same start its ``history`` equals
    scikit-learn's per-iteration ``lower_bound_``.
  """
  shift = jnp.mean(x, axis=0)
  active = params.weights > 0
  params = params.replace(means=params.means - shift)
  return _unshift(run_em(params, x - shift, labels, active, config,
                         x_features), shift)


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
                 n_kmeans_iter: int = 10,
                 x_features: jax.Array | None = None) -> FitResult:
  """`len(keys)` restarts as one ``vmap``; returns the best.

  Args:
    keys: PRNG keys, one per restart, [R, ...].
    x: data, [N, D].
    labels: known component per point or -1, [N]; None for none.
    active: which components take part, [K] bool.
    config: settings (:class:`EMConfig`).
    init: initialiser name.
    n_kmeans_iter: Lloyd iterations for ``init="kmeans"``.
    x_features: optional :func:`centred_features` of ``x``.

  Returns:
    The :class:`FitResult` of the restart with the highest final objective,
    with every restart's objective in ``restart_objectives``.
  """
  args = (x, labels, active, config, init, n_kmeans_iter, x_features)
  if keys.shape[0] == 1:
    # One start: no vmap, whose batch dimension of 1 slows XLA's CPU GEMMs.
    runs = jax.tree.map(lambda a: a[None], fit(keys[0], *args))
  else:
    runs = jax.vmap(fit, in_axes=(0,) + (None,) * 7)(keys, *args)
  return best_of(runs)


