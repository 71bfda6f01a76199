"""Dense networks: MLP, hypernetwork, mixture of experts.

Modules return logits or parameter vectors; the objectives (``jgen.hybrid``,
``jgen.classifiers``, ``jgen.adversarial``) turn them into losses.
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

  Ha, Dai & Le (2016), "HyperNetworks", arXiv:1609.09106; as a map
  from hyperparameters to weights, Lorraine & Duvenaud (2018), "Stochastic
  hyperparameter optimization through hypernetworks" (``G : Lambda -> R^n``). The output
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
  (Jacobs et al. 1991, "Adaptive mixtures of local experts").

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
