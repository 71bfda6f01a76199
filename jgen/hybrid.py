r"""Hybrids of generative and discriminative training.

Bishop & Lasserre 2007; Lasserre, Bishop & Minka 2006.

The model is a generative classifier ``p(x, y | w) = p(y | w) p(x | y, w)``
(by default :func:`gaussian_log_joint`: class priors and diagonal Gaussian
class-conditionals with free means and log-scales). Two ways to mix its
generative and discriminative training:

* **lambda hybrid** (heuristic; notes 000, "Discriminative + generative"):
  one parameter set, objective ``lam * L_G + (1 - lam) * L_D`` with
  ``L_G = sum log p(x, y | w)`` and ``L_D = sum log p(y | x, w)``
  (:func:`lambda_hybrid_loss`).
* **Bishop & Lasserre (2007)**: two copies ``w_G`` and ``w_D`` and the joint
  ``p(w_G, w_D) prod_L p(y | x, w_D) prod_{L+U} p(x | w_G)`` with the coupling
  prior ``p(w_G, w_D) ∝ p(w_G) p(w_D) exp(-||w_G - w_D||^2 / (2 sigma^2))``
  (their eqs. 6-8). The unlabelled points enter through ``p(x | w_G)``.
  :func:`bishop_lasserre_loss` writes it in terms of ``alpha`` in [0, 1],

      sigma^2 = alpha / (1 - alpha),  i.e.  alpha = sigma^2 / (1 + sigma^2),

  so ``alpha = 0`` is the generative limit (``sigma -> 0``, ``w_D = w_G``,
  and the objective is the semi-supervised generative likelihood) and
  ``alpha = 1`` the discriminative one (``sigma -> inf``, the copies are
  independent). Predictions use ``w_D``.

``lam`` and ``alpha`` are read from ``hparams`` as traced values, so sweeps
over them vmap (docs/design.md, contract 3). Traced values cannot be checked inside
the compiled code, so validate sweeps on the host with
``jgen.sweep.grid(..., check=check_hparams)``; concrete values passed to the
objectives directly are checked there. ``hparams["prior_precision"]``
(optional, default 0) adds the Gaussian prior ``p(w) = N(0, I / h)`` on every
parameter of each copy.

References:
  C. M. Bishop and J. Lasserre, "Generative or discriminative? Getting the
  best of both worlds", Bayesian Statistics 8, 2007, pp. 3-24.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from jgen import _checks
from jgen import classifiers
from jgen import likelihoods


def init_gaussian(x, y, n_classes: int) -> dict:
  """Starting parameters of :func:`gaussian_log_joint` from labelled data.

  Class means at the labelled class means, equal priors, and every log-scale
  at ``log std(x)`` of the pooled data.

  Args:
    x: labelled inputs, [N, D].
    y: labels in 0..C-1, [N] (every class present).
    n_classes: C.

  Returns:
    ``{"prior_logits": [C], "mean": [C, D], "log_scale": [C, D]}``.

  Raises:
    ValueError: ``y`` not one label in 0..C-1 per row of ``x`` (checked when
      the arrays are concrete).
  """
  _checks.integer(n_classes, "n_classes", low=1)
  if not isinstance(x, jax.core.Tracer) and not isinstance(y, jax.core.Tracer):
    classifiers.check_labelled(x, y, n_classes=n_classes)
  x = jnp.asarray(x)
  onehot = jax.nn.one_hot(y, n_classes, dtype=x.dtype)
  mean = onehot.T @ x / jnp.maximum(onehot.sum(0), 1)[:, None]
  log_scale = jnp.broadcast_to(jnp.log(jnp.std(x, 0) + 1e-3), mean.shape)
  return {"prior_logits": jnp.zeros(n_classes, x.dtype), "mean": mean,
          "log_scale": log_scale}


def gaussian_log_joint(params: dict, x: jax.Array) -> jax.Array:
  """``log p(x_n, y = c | w) = log softmax(prior_logits)_c + log N(x_n | mu_c,
  diag(exp(2 log_scale_c)))``, [N, C] (Bishop 2006, Section 4.2.2).

  Args:
    params: ``{"prior_logits": [C], "mean": [C, D], "log_scale": [C, D]}``.
    x: inputs, [N, D].
  """
  # mvn_log_prob's diag form is three GEMMs with an [N, C] output, with no
  # [N, C, D] intermediate (this is what makes vmapped sweeps cheap).
  return jax.nn.log_softmax(params["prior_logits"]) + likelihoods.mvn_log_prob(
      x, mean=params["mean"], precision_cholesky=jnp.exp(-params["log_scale"]),
      covariance_type="diag")


_BOUNDS = {"lam": (0.0, 1.0), "alpha": (0.0, 1.0), "sigma": (0.0, np.inf),
           "prior_precision": (0.0, np.inf)}


def _checked(hparams: dict, name: str) -> jax.Array:
  """``hparams[name]``, range-checked when it is concrete (not traced)."""
  low, high = _BOUNDS[name]
  return _checks.traced_or_real(hparams[name], name, low=low, high=high)


def _labelled_log_joint(log_joint, params, batch) -> jax.Array:
  """``log_joint(params, batch["x"])`` after checking ``batch["y"]`` (when
  concrete): one label in 0..C-1 per row of ``batch["x"]``."""
  lj = log_joint(params, batch["x"])
  y = batch["y"]
  if not isinstance(y, jax.core.Tracer):
    _checks.labels(y, "batch['y']", n=lj.shape[0], low=0, high=lj.shape[1] - 1)
  return lj


def _log_prior(params, hparams) -> jax.Array:
  h = _checked(hparams, "prior_precision") if "prior_precision" in hparams else 0.0
  return -0.5 * h * optax.tree.norm(params, squared=True)


def _picked(log_joint, y):
  # A one-hot contraction instead of take_along_axis: under vmap its
  # gradient is a multiply, not a scatter-add (~20% faster sweeps on CPU).
  return jnp.sum(log_joint * jax.nn.one_hot(y, log_joint.shape[1],
                                            dtype=log_joint.dtype), axis=1)


def lambda_hybrid_loss(params, key, batch: dict, *, hparams: dict,
                       log_joint: Callable = gaussian_log_joint):
  """Negative heuristic hybrid ``lam L_G + (1 - lam) L_D`` per example.

  Args:
    params: parameters of ``log_joint``.
    key: unused (the objective is deterministic).
    batch: ``{"x": [N, D], "y": [N]}``.
    hparams: ``{"lam": scalar in [0, 1], "prior_precision": optional}``.
    log_joint: ``log_joint(params, x) -> [N, C]``.

  Returns:
    ``(loss, {"generative": mean log p(x, y), "discriminative": mean
    log p(y | x)})``; ``loss = -(lam L_G + (1 - lam) L_D) / N - log p(w) / N``.
  """
  del key
  lj = _labelled_log_joint(log_joint, params, batch)
  joint = _picked(lj, batch["y"])                          # log p(x, y)   [N]
  marginal = likelihoods.mixture_log_prob(lj, log_weights=0.0)  # log p(x)
  cond = joint - marginal                                  # log p(y | x)  [N]
  lam = _checked(hparams, "lam")
  n = joint.shape[0]
  objective = lam * joint.sum() + (1 - lam) * cond.sum() + _log_prior(
      params, hparams)
  return -objective / n, {"generative": joint.mean(),
                          "discriminative": cond.mean()}


def coupling_precision(alpha: jax.Array) -> jax.Array:
  """``1 / sigma^2 = (1 - alpha) / alpha``; 0 at ``alpha = 1`` (and the
  ``alpha = 0`` case is handled by tying the copies, not by an infinite
  weight)."""
  safe = jnp.where(alpha > 0, alpha, 1.0)
  return jnp.where(alpha > 0, (1.0 - alpha) / safe, 0.0)


def discriminative_params(params: dict, alpha: jax.Array):
  """The copy used for predictions: ``w_D``, or ``w_G`` when ``alpha = 0``."""
  return jax.tree.map(lambda g, d: jnp.where(alpha > 0, d, g),
                      params["generative"], params["discriminative"])


def bishop_lasserre_loss(params: dict, key, batch: dict, *, hparams: dict,
                         log_joint: Callable = gaussian_log_joint):
  """Negative log joint of Bishop & Lasserre (2007), eqs. (6)-(8), per point.

  ``log p(w_G) + log p(w_D) - ||w_G - w_D||^2 / (2 sigma^2)
  + sum_L log p(y_n | x_n, w_D) + sum_{L+U} log p(x_n | w_G)``, with
  ``sigma^2 = alpha / (1 - alpha)`` and ``p(x | w) = sum_c p(x, c | w)``.

  Args:
    params: ``{"generative": w_G, "discriminative": w_D}``, each a parameter
      pytree of ``log_joint``.
    key: unused.
    batch: ``{"x": labelled [N_L, D], "y": [N_L], "x_unlabelled": [N_U, D]}``.
    hparams: ``{"alpha": scalar in [0, 1], "prior_precision": optional}``.
    log_joint: ``log_joint(params, x) -> [N, C]``.

  Returns:
    ``(loss, aux)`` with the loss divided by ``N_L + N_U`` and ``aux`` holding
    ``discriminative`` (mean log p(y | x, w_D)), ``generative`` (mean
    log p(x | w_G)) and ``distance`` (``||w_G - w_D||``).
  """
  del key
  alpha = _checked(hparams, "alpha")
  w_g, w_d = params["generative"], discriminative_params(params, alpha)
  lj_d = _labelled_log_joint(log_joint, w_d, batch)
  cond = _picked(lj_d, batch["y"]) - likelihoods.mixture_log_prob(
      lj_d, log_weights=0.0)
  x_all = jnp.concatenate([batch["x"], batch["x_unlabelled"]])
  marginal = likelihoods.mixture_log_prob(log_joint(w_g, x_all),
                                          log_weights=0.0)
  sq = optax.tree.norm(jax.tree.map(jnp.subtract, w_g, w_d), squared=True)
  objective = (cond.sum() + marginal.sum() - 0.5 * coupling_precision(alpha) * sq
               + _log_prior(w_g, hparams) + _log_prior(w_d, hparams))
  return -objective / x_all.shape[0], {
      "discriminative": cond.mean(), "generative": marginal.mean(),
      "distance": jnp.sqrt(sq)}


def check_hparams(**values) -> dict:
  """Validates hybrid hyperparameters (scalars or sweep lists) on the host.

  ``lam`` and ``alpha`` must lie in [0, 1]; ``sigma`` and ``prior_precision``
  must be >= 0.

  Returns:
    The values as float NumPy arrays.

  Raises:
    ValueError: naming the argument and the accepted range.
  """
  out = {}
  for name, value in values.items():
    if name not in _BOUNDS:
      raise ValueError(f"unknown hybrid hyperparameter {name!r}; accepted: "
                       f"{sorted(_BOUNDS)}.")
    low, high = _BOUNDS[name]
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    for v in arr.ravel():
      _checks.real(v, name, low=low, high=high)
    out[name] = np.asarray(value, dtype=np.float64)
  return out


def alpha_from_sigma(sigma):
  """``alpha = sigma^2 / (1 + sigma^2)`` (``sigma = inf`` gives 1)."""
  sigma = np.asarray(check_hparams(sigma=sigma)["sigma"])
  with np.errstate(invalid="ignore"):
    return np.where(np.isinf(sigma), 1.0, sigma**2 / (1 + sigma**2))


def predict(params, x: jax.Array,
            log_joint: Callable = gaussian_log_joint) -> jax.Array:
  """``argmax_c p(c | x)`` under a generative classifier's parameters, [N]."""
  return jnp.argmax(likelihoods.log_posterior(log_joint(params, x)), axis=1)


def hypernetwork_params(hypernet, u, base_params, lam: jax.Array):
  """The hypernetwork's parameters at ``lam``: ``w(lam) = w_0 + G_u(lam)``.

  A hypernetwork G (Ha et al. 2016) maps the hybrid weight to an offset of
  the flattened parameters ``w_0``, so one network covers the whole
  lambda path (the best-response approximation of Lorraine & Duvenaud 2018).

  Args:
    hypernet: a Flax module ``G(lam) -> [P]`` (e.g. :class:`nets.HyperNetwork`)
      with P the size of the flattened ``base_params``.
    u: the hypernetwork's parameters.
    base_params: ``w_0``, a parameter pytree (e.g. of :func:`init_gaussian`).
    lam: scalar hybrid weight in [0, 1].

  Returns:
    A pytree shaped like ``base_params``.
  """
  flat0, unravel = ravel_pytree(base_params)
  return unravel(flat0 + hypernet.apply(u, lam))


def make_hypernetwork_loss(hypernet, base_params,
                           log_joint: Callable = gaussian_log_joint):
  """The lambda-hybrid objective of a hypernetwork, lambda drawn per batch.

  ``E_{lam ~ U(0, 1)} [loss_lam(w(lam))]`` with ``loss_lam``
  :func:`lambda_hybrid_loss` and ``w(lam)`` :func:`hypernetwork_params`;
  each call draws one ``lam`` from its key (Lorraine & Duvenaud 2018, Alg. 2).

  Args:
    hypernet: the hypernetwork module (see :func:`hypernetwork_params`).
    base_params: ``w_0``.
    log_joint: ``log_joint(params, x) -> [N, C]``.

  Returns:
    ``loss(u, key, batch, *, hparams) -> (loss, aux)``; ``hparams`` may hold
    ``prior_precision``; ``aux`` adds the drawn ``lam``.
  """
  def loss(u, key, batch, *, hparams):
    if "lam" in hparams:
      raise ValueError("hparams must not hold 'lam': the hypernetwork's "
                       "objective draws lam ~ U(0, 1) per batch.")
    lam = jax.random.uniform(key)
    value, aux = lambda_hybrid_loss(
        hypernetwork_params(hypernet, u, base_params, lam), None, batch,
        hparams={**hparams, "lam": lam}, log_joint=log_joint)
    return value, {**aux, "lam": lam}
  return loss
