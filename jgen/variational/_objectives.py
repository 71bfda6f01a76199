r"""VAE objectives by name (Kingma & Welling 2014; Burda et al. 2016).

Every objective is built by :func:`make_loss` into the contract
``loss(params, key, batch, *, hparams) -> (loss, aux)`` for a
:class:`jgen.nets.VAE`. :data:`OBJECTIVES` maps a name to an
:class:`Objective`: a per-example bound ``bound(model, params, key, x, y, *,
beta, num_samples) -> (bound [B], aux dict of [B])`` and whether it has a KL
weight ``beta`` (``hparams["beta"]``, traced, 1 by default):

========== ===== ============================================================
name       beta  bound
========== ===== ============================================================
vae        yes   ELBO ``E_q log p(x|z) - beta KL(q(z|x) || p(z))`` (Kingma &
                 Welling 2014, eq. 10; beta-VAE, Higgins et al. 2017, eq. 4)
beta_vae   yes   the same function under the beta-VAE's name
iwae       no    IWAE bound with K = ``num_samples`` (Burda et al. 2016, eq. 8)
cvae       yes   conditional ELBO with ``q(z|x,c)``, ``p(x|z,c)`` (Sohn et al.
                 2015, eq. 4)
mog_vae    yes   mixture-of-Gaussians prior: q(c|x) categorical, q(z|x)
                 Gaussian, p(z|c) = N(mu_c, I), p(c) uniform
                 (Dilokthanakul et al. 2016): ``E_q log p(x|z) - beta
                 KL(q(z,c|x) || p(z,c))``
========== ===== ============================================================

An objective without a KL weight refuses ``hparams["beta"]`` with a
``ValueError`` instead of ignoring it. A new objective is one bound function
and one line in :data:`OBJECTIVES`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen import data
from jgen.nets import VAE
from jgen.variational import _bounds


class Objective(NamedTuple):
  """A per-example bound and whether it takes the KL weight ``beta``.

  Attributes:
    bound: ``bound(model, params, key, x, y, *, beta, num_samples) ->
      (bound [B], aux dict of [B])``.
    uses_beta: the bound has a KL term that ``beta`` weights.
    needs: ``"n_classes"`` or ``"n_clusters"`` when the model must have them.
  """
  bound: Callable
  uses_beta: bool
  needs: str | None = None


def bound_fns(model: VAE, params, y=None) -> dict:
  """The model as the callables of :mod:`jgen.variational` bounds.

  Args:
    model: a :class:`jgen.nets.VAE`.
    params: its parameters.
    y: labels [B] for a conditional model, else None.

  Returns:
    ``{"encode", "decoder_log_prob", "prior_log_prob"}`` (the last is None
    for the N(0, I) prior), to be passed as ``**fns`` to :func:`elbo`,
    :func:`iwae` or :func:`importance_log_likelihood`.
  """
  return {
      "encode": lambda x: model.apply(params, x, y, method=VAE.encode),
      "decoder_log_prob": lambda z, x: model.apply(params, z, x, y,
                                                   method=VAE.log_prob),
      "prior_log_prob": (lambda z: model.apply(params, z,
                                               method=VAE.prior_log_prob))
                        if model.n_clusters else None}


def mixture_prior_terms(mean: jax.Array, log_scale: jax.Array,
                        cluster_logits: jax.Array,
                        prior_means: jax.Array) -> jax.Array:
  """``-KL(q(z, c | x) || p(z, c))`` in closed form, per example.

  ``sum_c q(c|x) [E_q log N(z | mu_c, I) + log p(c) - log q(c|x)] +
  H[q(z|x)]`` with ``q(z|x) = N(mean, diag s^2)`` and ``p(c) = 1/K``
  (the mixture-of-Gaussians VAE of Dilokthanakul et al. 2016, eq. 9 with a
  fixed unit variance).

  Args:
    mean, log_scale: ``q(z | x)``, [B, L].
    cluster_logits: logits of ``q(c | x)``, [B, K].
    prior_means: ``mu_c``, [K, L].

  Returns:
    [B] values (nats).
  """
  log_qc = jax.nn.log_softmax(cluster_logits)
  dim, k = mean.shape[-1], prior_means.shape[0]
  sq = jnp.sum(jnp.square(mean[:, None, :] - prior_means[None]), -1)
  e_log_pz = -0.5 * (dim * jnp.log(2 * jnp.pi) + sq
                     + jnp.sum(jnp.exp(2 * log_scale), -1)[:, None])
  entropy_z = jnp.sum(0.5 * (1 + jnp.log(2 * jnp.pi)) + log_scale, -1)
  return (jnp.sum(jnp.exp(log_qc) * (e_log_pz - jnp.log(k) - log_qc), -1)
          + entropy_z)


def _elbo(model, params, key, x, y, *, beta, num_samples):
  terms = _bounds.elbo(key, x, **bound_fns(model, params, y),
                       num_samples=num_samples, beta=beta)
  return terms["elbo"], terms


def _iwae(model, params, key, x, y, *, beta, num_samples):
  del beta
  fns = bound_fns(model, params, y)
  terms = _bounds.elbo(key, x, **fns, num_samples=num_samples)
  bound = _bounds.iwae(key, x, **fns, num_samples=num_samples)
  return bound, {**terms, "iwae": bound}


def _mog_vae(model, params, key, x, y, *, beta, num_samples):
  fns = bound_fns(model, params, y)
  terms = _bounds.elbo(key, x, **fns, num_samples=num_samples)
  mean, log_scale = fns["encode"](x)
  prior_terms = mixture_prior_terms(
      mean, log_scale, model.apply(params, x, method=VAE.cluster_logits),
      model.apply(params, method=VAE.prior_means))
  bound = terms["reconstruction"] + beta * prior_terms
  return bound, {"elbo": bound, "reconstruction": terms["reconstruction"],
                 "kl": -prior_terms}


OBJECTIVES: dict[str, Objective] = {
    "vae": Objective(_elbo, uses_beta=True),
    "beta_vae": Objective(_elbo, uses_beta=True),
    "iwae": Objective(_iwae, uses_beta=False),
    "cvae": Objective(_elbo, uses_beta=True, needs="n_classes"),
    "mog_vae": Objective(_mog_vae, uses_beta=True, needs="n_clusters"),
}


def make_loss(model: VAE, objective: str, *, num_samples: int = 1,
              binarize_data: bool = False) -> Callable:
  """The objective ``loss(params, key, batch, *, hparams) -> (loss, aux)``.

  Args:
    model: a :class:`jgen.nets.VAE`.
    objective: a name of :data:`OBJECTIVES`.
    num_samples: samples of z per example (K for ``iwae``).
    binarize_data: binarise ``batch["x"]`` afresh at every step
      (:func:`jgen.data.binarize`; dynamic binarisation).

  Returns:
    The loss: the batch mean of the negative bound; ``aux`` holds the batch
    means of ``elbo``, ``reconstruction`` and ``kl`` (and ``iwae``).
    ``hparams["beta"]`` weights the KL term where the objective has one; an
    objective without one raises ``ValueError`` when given a beta.

  Raises:
    ValueError: unknown objective, ``num_samples < 1``, a model without the
      classes (``cvae``) or clusters (``mog_vae``) the objective needs.
  """
  _checks.choice(objective, "objective", OBJECTIVES)
  _checks.integer(num_samples, "num_samples", low=1)
  entry = OBJECTIVES[objective]
  if entry.needs and not getattr(model, entry.needs):
    raise ValueError(f"objective {objective!r} needs a VAE with "
                     f"{entry.needs} > 0.")

  def loss(params, key, batch, *, hparams):
    hparams = {} if hparams is None else hparams
    if "beta" in hparams and not entry.uses_beta:
      raise ValueError(f"objective {objective!r} has no KL term to weight; "
                       f"remove 'beta' from hparams (objectives with a beta: "
                       f"{[n for n, o in OBJECTIVES.items() if o.uses_beta]}).")
    beta = _checks.traced_or_real(hparams.get("beta", 1.0), "beta", low=0.0)
    k_bin, k_z = jax.random.split(key)
    x = data.binarize(k_bin, batch["x"]) if binarize_data else batch["x"]
    y = batch.get("y") if model.n_classes else None
    bound, aux = entry.bound(model, params, k_z, x, y, beta=beta,
                             num_samples=num_samples)
    return -jnp.mean(bound), {k: jnp.mean(v) for k, v in aux.items()}
  return loss


def evaluate(model: VAE, params, key: jax.Array, x, y=None, *,
             num_samples: int = 1000, elbo_samples: int = 10,
             batch_size: int = 100) -> dict:
  """Mean test ELBO and importance-sampled ``log p(x)``, in batches.

  The ELBO with ``elbo_samples`` samples of z and the estimator of
  :func:`importance_log_likelihood` with K = ``num_samples`` (in chunks of
  up to 100 samples; Burda et al. 2016, Section 5), over the data in batches
  of ``batch_size`` (one compiled function for all batches).

  Args:
    model: a :class:`jgen.nets.VAE`.
    params: its parameters.
    key: PRNG key (batch ``i`` uses ``fold_in(key, i)``).
    x: data [N, D] (binarise test images once, e.g. with
      :func:`jgen.data.binarize` and a fixed key, before calling).
    y: labels [N] for a conditional model.
    num_samples: K; rounded down to a multiple of the chunk size.
    elbo_samples: samples of z for the ELBO.
    batch_size: examples per compiled call.

  Returns:
    ``{"elbo", "log_likelihood", "eval_samples", "n"}`` (nats per example).

  Raises:
    ValueError: empty or non-finite ``x``, bad sample or batch sizes, ``y``
      of the wrong length.
  """
  x = _checks.data_matrix(x, "x")
  _checks.integer(num_samples, "num_samples", low=1)
  _checks.integer(elbo_samples, "elbo_samples", low=1)
  _checks.integer(batch_size, "batch_size", low=1)
  y = np.zeros(len(x), np.int32) if y is None else _checks.labels(
      y, "y", n=len(x), low=0, high=np.iinfo(np.int32).max)
  chunk = min(100, num_samples)
  k_total = (num_samples // chunk) * chunk

  @jax.jit
  def bounds(xb, yb, k):
    fns = bound_fns(model, params, yb if model.n_classes else None)
    e = _bounds.elbo(k, xb, **fns, num_samples=elbo_samples)["elbo"]
    ll = _bounds.importance_log_likelihood(
        jax.random.fold_in(k, 1), xb, **fns, num_samples=k_total,
        chunk_size=chunk)
    return e, ll
  es, lls = [], []
  for i in range(0, len(x), batch_size):
    e, ll = bounds(jnp.asarray(x[i:i + batch_size]),
                   jnp.asarray(y[i:i + batch_size]), jax.random.fold_in(key, i))
    es.append(np.asarray(e))
    lls.append(np.asarray(ll))
  return {"elbo": float(np.mean(np.concatenate(es))),
          "log_likelihood": float(np.mean(np.concatenate(lls))),
          "eval_samples": int(k_total), "n": int(len(x))}
