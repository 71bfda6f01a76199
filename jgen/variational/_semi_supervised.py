r"""Semi-supervised VAE bounds: M2 of Kingma, Rezende, Mohamed & Welling (2014).

The generative model is ``p(y) p(z) p(x | y, z)`` with the label y a latent
variable that is observed for some examples; the inference model is
``q(y | x) q(z | x, y)``. As in :mod:`jgen.variational`'s bounds, the model
comes as callables, so closed-form models plug in as well as Flax ones:

* ``encode(x, y) -> (mean, log_scale)`` of ``q(z | x, y)``, [B, L] each;
* ``decoder_log_prob(z, x, y) -> log p(x | y, z)``, [S, B] for z [S, B, L];
* ``log_prior_y``: ``log p(y)``, an array [C];
* ``class_logits``: the logits of ``q(y | x)``, an array [B, C].

The bounds (eq. 6-9 of the paper):

* labelled, eq. (6): ``-L(x, y) = E_q(z|x,y)[log p(x | y, z) + log p(y) +
  log p(z) - log q(z | x, y)] <= log p(x, y)``;
* unlabelled, eq. (7): ``-U(x) = sum_y q(y | x) (-L(x, y)) + H(q(y | x))
  <= log p(x)``, the sum over the C classes done exactly (enumerated, as in
  the authors' code);
* eq. (8)-(9): ``J^alpha = sum_labelled L + sum_unlabelled U + alpha
  E_labelled[-log q(y | x)]``.

jgen's ``alpha`` convention (:func:`make_m2_loss`) is per example: the loss
of a step is ``mean_labelled L + mean_unlabelled U + alpha mean_labelled
[-log q(y | x)]``. The paper sums L and U over the data set and sets
``alpha = 0.1 N`` on the mean classification term, so the classification
term weighs ``0.1 N / N_l`` times a labelled bound there; jgen's
``alpha = 0.1 N / N_l`` gives the same ratio (50 for 100 labels of MNIST's
50,000; Pyro's example uses 46).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from jgen import _checks
from jgen import data
from jgen.nets import M2
from jgen.variational import _bounds


def labelled_bound(key: jax.Array, x: jax.Array, y: jax.Array, *,
                   encode: Callable, decoder_log_prob: Callable,
                   log_prior_y: jax.Array, num_samples: int = 1) -> jax.Array:
  """``-L(x, y)`` of Kingma et al. (2014), eq. (6), per example.

  ``E_q(z|x,y)[log p(x | y, z)] - KL(q(z | x, y) || N(0, I)) + log p(y)``,
  the KL in closed form and the expectation with ``num_samples``
  reparameterised samples; a lower bound on ``log p(x, y)``, equal to it
  when ``q(z | x, y)`` is the exact posterior.

  Args:
    key: PRNG key.
    x: data, [B, ...].
    y: labels in 0..C-1, [B].
    encode, decoder_log_prob, log_prior_y: the model (module doc).
    num_samples: samples of z per example.

  Returns:
    [B] bounds (nats).
  """
  terms = _bounds.elbo(key, x, lambda xx: encode(xx, y),
                       lambda z, xx: decoder_log_prob(z, xx, y),
                       num_samples=num_samples)
  return terms["elbo"] + log_prior_y[y]


def _per_class(fn: Callable, x: jax.Array, n_classes: int) -> jax.Array:
  """``fn(y)`` for every class y = 0..C-1 as the same-size batch: [C, B]."""
  ys = jnp.broadcast_to(jnp.arange(n_classes)[:, None],
                        (n_classes, x.shape[0]))
  return jax.vmap(fn)(ys)


def unlabelled_bound(key: jax.Array, x: jax.Array, *, class_logits: jax.Array,
                     encode: Callable, decoder_log_prob: Callable,
                     log_prior_y: jax.Array, num_samples: int = 1) -> dict:
  """``-U(x)`` of Kingma et al. (2014), eq. (7), the sum over y enumerated.

  ``-U(x) = sum_y q(y | x) (-L(x, y)) + H(q(y | x)) <= log p(x)``, equal to
  ``log p(x)`` when ``q(y | x) = p(y | x)`` and every ``q(z | x, y)`` is
  exact. Every class uses the same z noise (common random numbers).

  Args:
    key: PRNG key.
    x: data, [B, ...].
    class_logits: logits of ``q(y | x)``, [B, C].
    encode, decoder_log_prob, log_prior_y: the model (module doc).
    num_samples: samples of z per example and class.

  Returns:
    ``{"bound": [B], "labelled": -L(x, y) for every y [B, C], "log_q_y":
    log q(y | x) [B, C]}``.
  """
  n_classes = log_prior_y.shape[0]
  per_class = _per_class(lambda y: labelled_bound(
      key, x, y, encode=encode, decoder_log_prob=decoder_log_prob,
      log_prior_y=log_prior_y, num_samples=num_samples), x, n_classes).T
  log_q = jax.nn.log_softmax(class_logits, axis=-1)
  bound = jnp.sum(jnp.exp(log_q) * (per_class - log_q), axis=-1)
  return {"bound": bound, "labelled": per_class, "log_q_y": log_q}


def m2_log_likelihood(key: jax.Array, x: jax.Array, *, encode: Callable,
                      decoder_log_prob: Callable, log_prior_y: jax.Array,
                      num_samples: int, chunk_size: int = 100) -> jax.Array:
  """Importance-sampled ``log p(x)`` of an M2 model, the sum over y inside
  each importance weight.

  ``w_k = sum_y p(y) p(z_ky) p(x | y, z_ky) / q(z_ky | x, y)`` with
  ``z_ky ~ q(z | x, y)``: each ``w_k`` is an unbiased estimate of
  ``sum_y p(x, y) = p(x)``, and ``log (1/K) sum_k w_k`` is the IWAE
  estimator (Burda et al. 2016, eq. 8) of this proposal; it rises with K to
  ``log p(x)``. Accumulated in chunks of ``chunk_size`` samples.

  Args:
    key: PRNG key.
    x: data, [B, ...].
    encode, decoder_log_prob, log_prior_y: the model (module doc).
    num_samples: K, a multiple of ``chunk_size``.
    chunk_size: samples per chunk.

  Returns:
    [B] estimates (nats).
  """
  n_classes = log_prior_y.shape[0]

  def log_weights(k, size):
    per_class = _per_class(lambda y: _bounds.log_importance_weights(
        k, x, lambda xx: encode(xx, y),
        lambda z, xx: decoder_log_prob(z, xx, y), size), x, n_classes)
    return jax.nn.logsumexp(per_class + log_prior_y[:, None, None], axis=0)
  return _bounds.chunked_log_mean_exp(key, log_weights, x.shape[0],
                                      num_samples=num_samples,
                                      chunk_size=chunk_size)


def m2_fns(model: M2, params, mask: jax.Array | None = None) -> dict:
  """An :class:`jgen.nets.M2` as the callables of this module's bounds.

  Args:
    model: the module.
    params: its parameters.
    mask: optional [D] weights of a Gaussian decoder's dimensions (1 kept,
      0 left out; M1+M2's inactive features).

  Returns:
    ``{"encode", "decoder_log_prob", "log_prior_y"}`` (pass as ``**fns``).
  """
  return {
      "encode": lambda x, y: model.apply(params, x, y, method=M2.encode),
      "decoder_log_prob": lambda z, x, y: model.apply(params, z, x, y, mask,
                                                      method=M2.log_prob),
      "log_prior_y": model.apply(params, method=M2.log_prior_y)}


def check_alpha(alpha) -> jax.Array | float:
  """``alpha`` of eq. (9): a concrete value must be finite and >= 0."""
  return _checks.traced_or_real(alpha, "alpha", low=0.0)


def make_m2_loss(model: M2, *, num_samples: int = 1,
                 binarize_data: bool = False,
                 features: Callable | None = None) -> Callable:
  """M2's ``J^alpha`` (Kingma et al. 2014, eq. 9) in the objective contract.

  ``loss(params, key, batch, *, hparams) -> (loss, aux)`` with ``batch =
  {"x_l": [B_l, D], "y_l": [B_l], "x_u": [B_u, D]}`` (and optionally
  ``"mask"`` [D], the Gaussian decoder's kept dimensions, :func:`m2_fns`) and
  ``hparams =
  {"alpha": ...}`` (traced; 0 gives ``J`` of eq. 8). The loss is ``mean L
  (labelled) + mean U (unlabelled) + alpha mean(-log q(y | x))`` (labelled);
  the module doc relates this ``alpha`` to the paper's.

  Args:
    model: an :class:`jgen.nets.M2`.
    num_samples: samples of z per example (and class).
    binarize_data: binarise ``x_l`` and ``x_u`` afresh at every step
      (:func:`jgen.data.binarize`).
    features: ``features(key, x) -> x'`` applied to ``x_l`` and ``x_u``
      first, e.g. a sample of M1's ``q(z1 | x)`` (M1+M2: the features are
      re-sampled at every step, as Kingma et al. do).

  Returns:
    The loss; ``aux`` holds the batch means ``labelled_bound`` (-L),
    ``unlabelled_bound`` (-U), ``cross_entropy`` and ``accuracy`` of
    ``q(y | x)`` on the labelled batch.

  Raises:
    ValueError: ``num_samples < 1``; at call time a concrete ``alpha < 0``.
  """
  _checks.integer(num_samples, "num_samples", low=1)

  def loss(params, key, batch, *, hparams):
    alpha = check_alpha((hparams or {}).get("alpha", 0.0))
    k_bin, k_feat, k_l, k_u = jax.random.split(key, 4)
    x_l, x_u = batch["x_l"], batch["x_u"]
    if binarize_data:
      kb_l, kb_u = jax.random.split(k_bin)
      x_l, x_u = data.binarize(kb_l, x_l), data.binarize(kb_u, x_u)
    if features is not None:
      kf_l, kf_u = jax.random.split(k_feat)
      x_l, x_u = features(kf_l, x_l), features(kf_u, x_u)
    fns = m2_fns(model, params, batch.get("mask"))
    y_l = batch["y_l"]
    lab = labelled_bound(k_l, x_l, y_l, num_samples=num_samples, **fns)
    logits_u = model.apply(params, x_u, method=M2.class_logits)
    unl = unlabelled_bound(k_u, x_u, class_logits=logits_u,
                           num_samples=num_samples, **fns)
    logits_l = model.apply(params, x_l, method=M2.class_logits)
    log_q = jnp.take_along_axis(jax.nn.log_softmax(logits_l), y_l[:, None],
                                axis=-1)[:, 0]
    xent = -jnp.mean(log_q)
    total = -jnp.mean(lab) - jnp.mean(unl["bound"]) + alpha * xent
    return total, {
        "labelled_bound": jnp.mean(lab),
        "unlabelled_bound": jnp.mean(unl["bound"]), "cross_entropy": xent,
        "accuracy": jnp.mean(jnp.argmax(logits_l, -1) == y_l)}
  return loss

