"""Flax (linen) networks: MLP classifier, hypernetwork, mixture of experts.

Modules return logits or parameter vectors; the objectives (``jgen.hybrid``,
``jgen.classifiers``) turn them into log-likelihoods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class MLP(nn.Module):
  """Fully connected network; the last layer is linear (logits).

  Attributes:
    features: widths of the layers, the last one the output size.
    activation: non-linearity between layers.
  """
  features: Sequence[int]
  activation: Callable = nn.relu

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for width in self.features[:-1]:
      x = self.activation(nn.Dense(width)(x))
    return nn.Dense(self.features[-1])(x)


class HyperNetwork(nn.Module):
  """``G(lam; u)``: hyperparameters to a flat vector of model parameters.

  Ha, Dai & Le (2016), "HyperNetworks", arXiv:1609.09106; lecture notes 000,
  "Model selection: hybrid approach" (``G : Lambda x R^u -> R^n``). The output
  layer starts at zero, so ``offset + G(lam)`` starts at a given parameter
  vector ``offset`` for every ``lam``; unflatten with
  ``jax.flatten_util.ravel_pytree``'s ``unravel``.

  Attributes:
    num_outputs: ``n``, the size of the flattened target parameters.
    hidden: widths of the hidden layers.
  """
  num_outputs: int
  hidden: Sequence[int] = (64, 64)

  @nn.compact
  def __call__(self, lam: jax.Array) -> jax.Array:
    """Maps hyperparameters (a scalar or a vector) to ``[num_outputs]``."""
    h = jnp.reshape(lam, (-1,)).astype(jnp.float32)          # [n_hparams]
    for width in self.hidden:
      h = nn.tanh(nn.Dense(width)(h))
    return nn.Dense(self.num_outputs, kernel_init=nn.initializers.zeros)(h)


class MixtureOfExperts(nn.Module):
  """Gated linear experts: ``w_MOE(x) = sum_k gamma_k(x) w_k``.

  ``gamma(x) = softmax(V x + c)`` over ``n_experts`` experts, each a linear
  classifier ``(W_k, b_k)``; the logits are ``w_MOE(x) x + b_MOE(x)``
  (lecture notes 000, "Model selection: discriminative approach"; Jacobs et
  al. 1991, "Adaptive mixtures of local experts").

  Attributes:
    n_experts: number of experts.
    n_classes: number of classes.
  """
  n_experts: int
  n_classes: int

  @nn.compact
  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Returns ``(logits [N, C], gates [N, K])``."""
    gates = nn.softmax(nn.Dense(self.n_experts, name="gate")(x))
    w = self.param("w", nn.initializers.lecun_normal(),
                   (self.n_experts, self.n_classes, x.shape[-1]))
    b = self.param("b", nn.initializers.zeros, (self.n_experts, self.n_classes))
    w_moe = jnp.einsum("nk,kcd->ncd", gates, w)                  # [N, C, D]
    return jnp.einsum("ncd,nd->nc", w_moe, x) + gates @ b, gates


class GaussianEncoder(nn.Module):
  """``q(z | x) = N(mean(x), diag exp(2 log_scale(x)))`` (Kingma & Welling
  2014, Appendix C.2).

  Attributes:
    latent_dim: L.
    hidden: widths of the MLP's hidden layers (after the conv stack, if any).
    conv: image shape ``(H, W)`` for a convolutional front end (28x28 or
      8x8 images, flattened or not), or None for an MLP on flat inputs.
  """
  latent_dim: int
  hidden: Sequence[int] = (400,)
  conv: tuple[int, int] | None = None

  @nn.compact
  def __call__(self, x: jax.Array, context: jax.Array | None = None
               ) -> tuple[jax.Array, jax.Array]:
    """``x`` [B, D] (or [B, H, W]) -> ``(mean, log_scale)``, [B, L] each.

    ``context`` [B, K] (e.g. a one-hot class, for a conditional VAE) is
    concatenated to the features before the dense layers.
    """
    if self.conv is not None:
      h = x.reshape(x.shape[0], *self.conv, 1)
      for features in (32, 64):
        h = nn.relu(nn.Conv(features, (3, 3), strides=(2, 2))(h))
      x = h.reshape(h.shape[0], -1)
    else:
      x = x.reshape(x.shape[0], -1)
    if context is not None:
      x = jnp.concatenate([x, context.astype(x.dtype)], axis=-1)
    for width in self.hidden:
      x = nn.relu(nn.Dense(width)(x))
    out = nn.Dense(2 * self.latent_dim)(x)
    return out[:, :self.latent_dim], out[:, self.latent_dim:]


class Decoder(nn.Module):
  """``z -> `` parameters of ``p(x | z)``: Bernoulli logits or Gaussian means.

  Attributes:
    output_dim: D (pixels, flattened).
    hidden: widths of the MLP's hidden layers.
    conv: image shape ``(H, W)`` (divisible by 4) for a transposed-conv
      back end, or None for an MLP.
  """
  output_dim: int
  hidden: Sequence[int] = (400,)
  conv: tuple[int, int] | None = None

  @nn.compact
  def __call__(self, z: jax.Array, context: jax.Array | None = None
               ) -> jax.Array:
    """``z`` [..., L] -> [..., D]; ``context`` [..., K] is concatenated to z."""
    if context is not None:
      context = jnp.broadcast_to(context, z.shape[:-1] + context.shape[-1:])
      z = jnp.concatenate([z, context.astype(z.dtype)], axis=-1)
    lead = z.shape[:-1]
    h = z.reshape(-1, z.shape[-1])
    for width in self.hidden:
      h = nn.relu(nn.Dense(width)(h))
    if self.conv is not None:
      height, width = self.conv[0] // 4, self.conv[1] // 4
      h = nn.relu(nn.Dense(height * width * 64)(h)).reshape(-1, height, width,
                                                            64)
      h = nn.relu(nn.ConvTranspose(32, (3, 3), strides=(2, 2))(h))
      h = nn.ConvTranspose(1, (3, 3), strides=(2, 2))(h)
      out = h.reshape(h.shape[0], -1)
    else:
      out = nn.Dense(self.output_dim)(h)
    return out.reshape(*lead, self.output_dim)
