r"""Auxiliary terms of structured GANs: AC-GAN's classifier, InfoGAN's codes.

Per-example terms, both minimised, that a structured game
(:func:`jgen.adversarial.conditional_gan`, :func:`jgen.adversarial.infogan`)
adds to the GAN losses with a traced weight:

* AC-GAN (Odena et al. 2017, eq. (2)-(3)): the critic's auxiliary classifier
  ``C(c | x)`` is trained on real and generated images, the generator on its
  own; :func:`acgan_critic_loss` ``= -log C(y | x) - log C(y' | G(z, y'))``
  and :func:`acgan_generator_loss` ``= -log C(y' | G(z, y'))`` (TF-GAN's
  ``acgan_discriminator_loss`` / ``acgan_generator_loss``).
* InfoGAN (Chen et al. 2016, eq. (4)-(5)): the mutual-information lower bound
  ``L_I(G, Q) = E[log Q(c | G(z, c))] + H(c) <= I(c; G(z, c))``. The codes
  are a categorical ``c_1 ~ Cat(1/K)`` and ``M`` continuous ``c_j ~ U(-1,
  1)``; ``Q`` is a categorical over ``K`` and a factored Gaussian of unit
  scale over the ``M`` continuous codes (Chen et al., Section 6: "simply
  treating Q(c_j|x) as a factored Gaussian is sufficient"; the fixed scale is
  TF-GAN's InfoGAN example's: a learned scale lets the continuous codes'
  term grow without bound as the scale shrinks and swamp the GAN loss).
  :func:`mutual_information_penalty` is ``-log Q(c | x)`` per example (TF-GAN's
  ``mutual_information_penalty``: the bound without its constant ``H(c)``,
  :func:`code_entropy`); both players minimise it with weight ``lambda``.

Layout of ``Q``'s output (the critic's auxiliary head, :func:`q_size` wide):
``[K categorical logits | M means]``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from jgen import _checks
from jgen import likelihoods


def _cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
  return -likelihoods.categorical_log_prob(labels, logits=logits)


def acgan_critic_loss(real_class_logits: jax.Array,
                      fake_class_logits: jax.Array, real_labels: jax.Array,
                      fake_labels: jax.Array) -> jax.Array:
  """``-log C(y | x) - log C(y' | G(z, y'))`` per example: minus AC-GAN's
  ``L_C`` (Odena et al. 2017, eq. (2)), which the critic maximises.

  Args:
    real_class_logits: the auxiliary classifier's logits of real examples,
      [B, C].
    fake_class_logits: its logits of generated examples, [B, C].
    real_labels: the real examples' classes, ints [B].
    fake_labels: the classes the generator was asked for, ints [B].

  Returns:
    [B] losses.
  """
  return (_cross_entropy(real_class_logits, real_labels)
          + _cross_entropy(fake_class_logits, fake_labels))


def acgan_generator_loss(fake_class_logits: jax.Array,
                         fake_labels: jax.Array) -> jax.Array:
  """``-log C(y' | G(z, y'))`` per example: the generator's share of AC-GAN's
  ``L_C`` (Odena et al. 2017, eq. (2)-(3)).

  Args:
    fake_class_logits: the auxiliary classifier's logits of generated
      examples, [B, C].
    fake_labels: the classes the generator was asked for, ints [B].

  Returns:
    [B] losses.
  """
  return _cross_entropy(fake_class_logits, fake_labels)


def q_size(n_categorical: int, n_continuous: int) -> int:
  """Width of InfoGAN's ``Q`` head: ``K`` logits and ``M`` means.

  Args:
    n_categorical: K, categories of the categorical code (0 for none).
    n_continuous: M, continuous codes.

  Returns:
    ``K + M``.

  Raises:
    ValueError: a negative size, K = 1 (a one-category code carries no
      information), or no code at all.
  """
  _check_codes(n_categorical, n_continuous)
  return n_categorical + n_continuous


def _check_codes(n_categorical: int, n_continuous: int) -> None:
  _checks.integer(n_categorical, "n_categorical", low=0)
  _checks.integer(n_continuous, "n_continuous", low=0)
  if n_categorical == 1:
    raise ValueError("n_categorical must be 0 (no categorical code) or at "
                     "least 2, got 1.")
  if n_categorical + n_continuous == 0:
    raise ValueError("InfoGAN needs a code: n_categorical or n_continuous "
                     "must be positive.")


def sample_codes(key: jax.Array, n: int, n_categorical: int,
                 n_continuous: int) -> tuple[jax.Array, jax.Array]:
  """InfoGAN's code prior: ``c_1 ~ Cat(1/K)``, ``c_j ~ U(-1, 1)``.

  Args:
    key: PRNG key.
    n: number of codes.
    n_categorical: K (0 for none).
    n_continuous: M.

  Returns:
    ``(categorical ints [n], continuous [n, M])`` (the categorical entries
    are 0 when K = 0).
  """
  k_c, k_u = jax.random.split(key)
  cat = (jax.random.randint(k_c, (n,), 0, n_categorical) if n_categorical
         else jnp.zeros((n,), jnp.int32))
  return cat, jax.random.uniform(k_u, (n, n_continuous), minval=-1.0,
                                 maxval=1.0)


def code_vector(categorical: jax.Array, continuous: jax.Array,
                n_categorical: int) -> jax.Array:
  """The generator's code input: ``[one_hot(c_1) | c_2..c_{M+1}]``, [n, K + M].

  Args:
    categorical: ints [n].
    continuous: [n, M].
    n_categorical: K (0 for none).

  Returns:
    [n, K + M] float32.
  """
  parts = [continuous.astype(jnp.float32)]
  if n_categorical:
    parts.insert(0, jax.nn.one_hot(categorical, n_categorical))
  return jnp.concatenate(parts, 1)


def mutual_information_penalty(q_out: jax.Array, categorical: jax.Array,
                               continuous: jax.Array, *, n_categorical: int,
                               n_continuous: int) -> jax.Array:
  """``-log Q(c | x)`` per example: minus InfoGAN's ``L_I`` without ``H(c)``
  (Chen et al. 2016, eq. (4)-(5); TF-GAN's ``mutual_information_penalty``).

  ``log Q(c | x) = log softmax(l)[c_1] + sum_j log N(c_j; mu_j, 1)``.

  Args:
    q_out: the ``Q`` head's outputs, [B, :func:`q_size`].
    categorical: the categorical codes, ints [B] (ignored when K = 0).
    continuous: the continuous codes, [B, M].
    n_categorical: K.
    n_continuous: M.

  Returns:
    [B] penalties; ``code_entropy(K, M) - mean(penalty)`` is the lower bound
    ``L_I`` on the mutual information ``I(c; G(z, c))``.
  """
  k, m = n_categorical, n_continuous
  out = jnp.zeros(q_out.shape[0], q_out.dtype)
  if k:
    out = out + _cross_entropy(q_out[:, :k], categorical)
  if m:
    out = out - likelihoods.gaussian_log_prob(
        continuous, mean=q_out[:, k:k + m], log_scale=jnp.zeros(()))
  return out


def code_entropy(n_categorical: int, n_continuous: int) -> float:
  """``H(c)`` of InfoGAN's code prior: ``log K + M log 2`` (a uniform
  categorical and ``M`` codes uniform on [-1, 1]; the continuous part is a
  differential entropy).

  Args:
    n_categorical: K (0 for none).
    n_continuous: M.

  Returns:
    The entropy in nats.
  """
  _check_codes(n_categorical, n_continuous)
  return (math.log(n_categorical) if n_categorical else 0.0) + (
      n_continuous * math.log(2.0))
