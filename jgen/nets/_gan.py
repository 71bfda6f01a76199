"""GAN networks: an MLP pair for vectors, a DCGAN-style conv pair for images.

:class:`Generator` maps latents ``z [B, L]`` to flat examples ``[B, D]``;
:class:`Critic` maps flat examples to one logit each, ``[B]`` (high for real
data), which is the ``critic(params, x)`` of :func:`jgen.adversarial.gan`:
``gan(critic=Critic(...).apply, generator=Generator(...).apply, ...)``.

With ``image_shape=None`` both are MLPs (2-D toy data: Metz et al. 2017,
Appendix A, and Srivastava et al. 2017 use 3-4 layer MLPs of width 128-400);
with an image shape of :data:`jgen.nets.IMAGE_SHAPES` (28x28 or 8x8) they
are DCGAN-style (Radford et al. 2016): the generator is a dense layer to an
``(H/4) x (W/4)`` map and two stride-2 upsampling convolutions, the critic
two stride-2 convolutions with leaky ReLUs and a dense logit (InfoGAN's
networks, Chen et al. 2016, Table 1, add a ``dense`` 1024-unit layer to
both). The generator upsamples by sub-pixel convolution (Shi et al. 2016: a
3x3 convolution to ``4 C`` channels, then a 2x2 depth-to-space shuffle), a
stride-2 transposed convolution written as an ordinary one: XLA's CPU backend
takes about 30x longer for the weight gradient of a transposed convolution.

Normalisation (``norm``) is off by default. The generator may normalise its
hidden layers by the batch's statistics (:class:`BatchStatNorm`, no running
averages, so it stays a pure function of its parameters and batch: sample
in batches, not one at a time); the critic per example (layer norm), as
the penalties differentiate it per example, or, without a penalty, by the
batch (InfoGAN's discriminator), read in evaluation mode with the
:func:`population_statistics` of training batches.

Spectral normalisation (Miyato et al. 2018): ``Critic(spectral_norm=True)``
wraps every layer in :class:`flax.linen.SpectralNorm`. jgen's critic is a pure
function, so the power iteration's vector ``u`` is not carried from step to
step: each call runs ``power_iterations`` iterations from the stored random
``u`` (its gradient is stopped, so optimisers leave it alone).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgen import _checks
from jgen.nets._vae import IMAGE_SHAPES

CONDITIONING = ("projection", "concat")
# Normalisation of hidden layers: the generator's may use batch statistics,
# the critic's must treat examples independently (the penalties need it).
GENERATOR_NORMS = ("none", "batch", "layer")
CRITIC_NORMS = ("none", "layer", "batch")


class BatchStatNorm(nn.Module):
  """Batch normalisation by the batch's own statistics (Ioffe & Szegedy
  2015, Algorithm 1): ``y = scale * (x - mean_B) / sqrt(var_B + epsilon) +
  bias`` per feature (the last axis), the mean and variance over every other
  axis. A network using it stays a pure function of its parameters and its
  batch, as GAN generators run in training mode; no running averages are
  carried through training.

  Evaluation mode (Ioffe & Szegedy 2015, Algorithm 2, step 10): when the
  variables hold a ``batch_stats`` collection with this module's ``mean``
  and ``var``, those replace the batch's. :func:`population_statistics`
  computes them after training from batches of training data (Wu & Johnson
  2021, "Rethinking 'Batch' in BatchNorm", Section 3: PreciseBN). In
  training mode the batch's ``mean`` and unbiased variance ``var`` are
  sown into the ``moments`` collection, which is kept only when the caller
  makes it mutable.

  Attributes:
    epsilon: added to the variance.
  """
  epsilon: float = 1e-5

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """``x`` [..., F] -> normalised [..., F]."""
    if self.has_variable("batch_stats", "mean"):
      mean = self.get_variable("batch_stats", "mean")
      var = self.get_variable("batch_stats", "var")
    else:
      axes = tuple(range(x.ndim - 1))
      mean = jnp.mean(x, axes)
      var = jnp.mean(jnp.square(x - mean), axes)
      m = x.size // x.shape[-1]           # values per feature
      if not self.is_initializing():      # no moments among the variables
        self.sow("moments", "mean", mean)
        self.sow("moments", "var", var * m / max(m - 1, 1))  # unbiased
    scale = self.param("scale", nn.initializers.ones, (x.shape[-1],))
    bias = self.param("bias", nn.initializers.zeros, (x.shape[-1],))
    return (x - mean) * jax.lax.rsqrt(var + self.epsilon) * scale + bias


def population_statistics(apply: Callable, variables: dict,
                          batches: jax.Array) -> dict:
  """The population statistics of every :class:`BatchStatNorm` of a
  network: each layer's batch mean and unbiased batch variance in training
  mode, averaged over ``batches`` (Ioffe & Szegedy 2015, Algorithm 2, step
  10: ``E[x] = E_B[mu_B]``, ``Var[x] = m / (m - 1) E_B[sigma_B^2]``; computed
  after training, as PreciseBN does, Wu & Johnson 2021, Section 3). Pass
  ``{**variables, "batch_stats": stats}`` to ``apply`` for evaluation mode.

  Args:
    apply: the network's ``apply(variables, x)``.
    variables: its variables (``{"params": ...}``).
    batches: ``[n_batches, batch_size, ...]`` inputs, e.g. training images
      in batches of the training batch size.

  Returns:
    The ``batch_stats`` collection: per normalisation layer, ``mean`` and
    ``var`` [F] (an empty dict for a network without one).

  Raises:
    ValueError: ``batches`` without a batch axis of at least 2 examples.
  """
  if jnp.ndim(batches) < 3 or jnp.shape(batches)[1] < 2:
    raise ValueError(f"batches must be [n_batches, batch_size >= 2, ...], "
                     f"got shape {jnp.shape(batches)}.")

  def one(x):
    _, state = apply(variables, x, mutable=["moments"])
    return jax.tree.map(lambda t: t[0], state.get("moments", {}),
                        is_leaf=lambda t: isinstance(t, tuple))
  return jax.tree.map(lambda a: jnp.mean(a, 0), jax.lax.map(one, batches))


def _normalise(kind: str, x: jax.Array, name: str | None = None
               ) -> jax.Array:
  """``x`` [B, ..., F] normalised by ``kind``: ``"batch"``
  (:class:`BatchStatNorm`), ``"layer"`` (over all of an example's values, a
  scale and bias per feature; Ba et al. 2016) or ``"none"``; the module
  named ``name`` (None: Flax's automatic name)."""
  if kind == "batch":
    return BatchStatNorm(name=name)(x)
  if kind == "layer":
    return nn.LayerNorm(epsilon=1e-5, reduction_axes=tuple(range(1, x.ndim)),
                        feature_axes=-1, name=name)(x)
  return x


def stop_body_gradient(variables: dict) -> dict:
  """A :class:`Critic`'s variables with the gradient stopped everywhere but
  in its auxiliary head (the modules named ``aux*``).

  ``critic.apply(stop_body_gradient(v), x)`` computes the same values as
  ``critic.apply(v, x)``; differentiated, it still passes gradients to ``x``
  and to the head, and none to the body. A term so computed trains the head
  on the body's features without shaping them: an InfoGAN whose ``Q`` head
  reads the discriminator's features, the body trained by the adversarial
  loss alone (:class:`jgen.models.gan.GanConfig` with
  ``q_trains_body=False``).

  Args:
    variables: the critic's variables ``{collection: {module name: ...}}``.

  Returns:
    The same tree, ``jax.lax.stop_gradient`` on every module not named
    ``aux*``.
  """
  return {col: {name: (tree if name.startswith("aux") else
                       jax.tree.map(jax.lax.stop_gradient, tree))
                for name, tree in modules.items()}
          for col, modules in variables.items()}


def _check_shapes(image_shape, dim: int, dim_name: str) -> None:
  if image_shape is None:
    return
  if tuple(image_shape) not in IMAGE_SHAPES:
    raise ValueError(f"image_shape must be one of {IMAGE_SHAPES} or None "
                     f"(an MLP for vectors), got {tuple(image_shape)}.")
  if dim != image_shape[0] * image_shape[1]:
    raise ValueError(f"{dim_name} ({dim}) must be the number of pixels of "
                     f"image_shape={tuple(image_shape)}.")


def _check_dense(dense: int, image_shape) -> None:
  if dense and image_shape is None:
    raise ValueError(f"dense: {dense} is the width of a layer of the conv "
                     "networks (an image_shape); an MLP's widths are its "
                     "hidden argument.")


def depth_to_space(x: jax.Array) -> jax.Array:
  """``[B, H, W, 4 C] -> [B, 2 H, 2 W, C]``: each pixel's channels become a
  2x2 block (the periodic shuffle of Shi et al. 2016, eq. (4)).

  Args:
    x: [B, H, W, 4 C].

  Returns:
    [B, 2 H, 2 W, C].
  """
  b, h, w, c4 = x.shape
  c = c4 // 4
  x = x.reshape(b, h, w, 2, 2, c).transpose(0, 1, 3, 2, 4, 5)
  return x.reshape(b, 2 * h, 2 * w, c)


class Generator(nn.Module):
  """``z [B, L] -> x [B, D]``: an MLP, or DCGAN-style for images.

  Attributes:
    output_dim: D, the size of a flat example.
    image_shape: ``(H, W)`` of :data:`IMAGE_SHAPES` for the conv generator
      (sigmoid outputs in [0, 1], the range of jgen's image data), or None for
      an MLP with linear outputs.
    hidden: the MLP's hidden widths.
    width: the conv generator's channels (``2 * width`` at ``H/4``).
    dense: 0, or the width of a fully connected hidden layer between ``z``
      and the conv generator's first map (InfoGAN's 1024, Chen et al. 2016,
      Table 1).
    norm: how every hidden layer is normalised before its ReLU: a name of
      :data:`GENERATOR_NORMS` (``"batch"``: :class:`BatchStatNorm`, as
      DCGAN and InfoGAN's generators, Radford et al. 2016; Chen et al. 2016,
      Table 1).
  """
  output_dim: int
  image_shape: tuple[int, int] | None = None
  hidden: Sequence[int] = (128, 128, 128)
  width: int = 64
  dense: int = 0
  norm: str = "none"

  def __post_init__(self):
    _checks.integer(self.output_dim, "output_dim", low=1)
    _checks.integer(self.width, "width", low=1)
    _checks.integer(self.dense, "dense", low=0)
    _checks.choice(self.norm, "norm", GENERATOR_NORMS)
    _check_shapes(self.image_shape, self.output_dim, "output_dim")
    _check_dense(self.dense, self.image_shape)
    super().__post_init__()

  @nn.compact
  def __call__(self, z: jax.Array) -> jax.Array:
    """``z`` [B, L] -> [B, D]."""
    act = lambda t: nn.relu(_normalise(self.norm, t))
    if self.image_shape is None:
      h = z
      for w in self.hidden:
        h = act(nn.Dense(w)(h))
      return nn.Dense(self.output_dim)(h)
    hh, ww = self.image_shape[0] // 4, self.image_shape[1] // 4
    h = act(nn.Dense(self.dense)(z)) if self.dense else z
    h = act(nn.Dense(hh * ww * 2 * self.width)(h))
    h = h.reshape(z.shape[0], hh, ww, 2 * self.width)
    h = act(depth_to_space(nn.Conv(4 * self.width, (3, 3))(h)))
    h = depth_to_space(nn.Conv(4, (3, 3))(h))
    return jax.nn.sigmoid(h.reshape(z.shape[0], -1))


class Critic(nn.Module):
  """``x [B, D] -> logits [B]`` (high for real data): an MLP, or DCGAN-style.

  Attributes:
    input_dim: D, the size of a flat example.
    image_shape: ``(H, W)`` of :data:`IMAGE_SHAPES` for the conv critic, or
      None for an MLP.
    hidden: the MLP's hidden widths.
    width: the conv critic's channels (``width`` then ``2 * width``).
    spectral_norm: spectrally normalise every layer (Miyato et al. 2018).
    power_iterations: power-iteration steps per call (with spectral_norm).
    n_classes: 0 for an unconditional critic; C for ``D(x, y)`` with labels
      ``y`` in 0..C-1 (:func:`jgen.adversarial.conditional_gan`).
    conditioning: how ``y`` enters: ``"projection"`` (Miyato & Koyama 2018,
      eq. (3): ``logit = psi(phi(x)) + embed(y)^T phi(x)``) or ``"concat"``
      (``one_hot(y)`` appended to the input, as channels for images; Mirza &
      Osindero 2014).
    aux_dim: 0, or the width of an auxiliary linear head on the critic's
      body (AC-GAN's classifier, Odena et al. 2017; InfoGAN's ``Q``, Chen et
      al. 2016); the critic then returns ``(logits, aux [B, aux_dim])``.
    aux_hidden: 0 for a linear head, or the width of one leaky-ReLU hidden
      layer in it (InfoGAN's ``Q``: 128 units, Chen et al. 2016, Table 1).
      The head's modules are named ``aux*`` (``aux_hidden``, ``aux_norm``,
      ``aux``): what :func:`stop_body_gradient` leaves trainable.
    dense: 0, or the width of a fully connected leaky-ReLU layer between the
      conv body and the logit (InfoGAN's 1024, Chen et al. 2016, Table 1);
      the heads then read it.
    norm: how every hidden layer but the first (and the aux head's hidden
      layer) is normalised: a name of :data:`CRITIC_NORMS`. ``"batch"``
      (:class:`BatchStatNorm`; Chen et al. 2016, Table 1, InfoGAN's
      discriminator and ``Q``) takes the statistics of the batch the critic
      is called on, and the games score real and generated batches in
      separate calls, as Chen et al.; it couples the examples, so it cannot
      go with a gradient penalty, which needs a critic that treats examples
      independently (Gulrajani et al. 2017, Section 4, put layer norm where
      batch norm was).
  """
  input_dim: int
  image_shape: tuple[int, int] | None = None
  hidden: Sequence[int] = (128, 128, 128)
  width: int = 64
  spectral_norm: bool = False
  power_iterations: int = 5
  n_classes: int = 0
  conditioning: str = "projection"
  aux_dim: int = 0
  aux_hidden: int = 0
  dense: int = 0
  norm: str = "none"

  def __post_init__(self):
    _checks.integer(self.input_dim, "input_dim", low=1)
    _checks.integer(self.width, "width", low=1)
    _checks.integer(self.power_iterations, "power_iterations", low=1)
    _checks.integer(self.n_classes, "n_classes", low=0)
    _checks.integer(self.aux_dim, "aux_dim", low=0)
    _checks.integer(self.aux_hidden, "aux_hidden", low=0)
    _checks.integer(self.dense, "dense", low=0)
    _checks.choice(self.conditioning, "conditioning", CONDITIONING)
    _checks.choice(self.norm, "norm", CRITIC_NORMS)
    if self.n_classes == 1:
      raise ValueError("n_classes must be 0 (unconditional) or at least 2, "
                       "got 1.")
    _check_shapes(self.image_shape, self.input_dim, "input_dim")
    _check_dense(self.dense, self.image_shape)
    super().__post_init__()

  def _layer(self, layer: nn.Module, x: jax.Array) -> jax.Array:
    if self.spectral_norm:
      return nn.SpectralNorm(layer, n_steps=self.power_iterations)(
          x, update_stats=False)
    return layer(x)

  @nn.compact
  def __call__(self, x: jax.Array, y: jax.Array | None = None, *,
               with_features: bool = False):
    """``x`` [B, D] (and labels ``y`` ints [B] when ``n_classes``) -> logits
    [B], or ``(logits [B], aux [B, aux_dim])`` when ``aux_dim``; with
    ``with_features`` also the body's last layer ``[B, F]`` (VAE-GAN's
    ``Dis_l``, Larsen et al. 2016), as ``(output, features)``."""
    if x.ndim != 2 or x.shape[1] != self.input_dim:
      raise ValueError(f"x must have shape [B, {self.input_dim}], got "
                       f"{x.shape}.")
    if (y is None) != (self.n_classes == 0):
      raise ValueError("y (labels [B]) must be given exactly when the critic "
                       f"is conditional (n_classes={self.n_classes}).")
    act = lambda t, first=False, name=None: nn.leaky_relu(
        t if first else _normalise(self.norm, t, name), 0.2)
    concat = self.n_classes and self.conditioning == "concat"
    if self.image_shape is None:
      h = x
      if concat:
        h = jnp.concatenate([h, jax.nn.one_hot(y, self.n_classes)], 1)
      for i, w in enumerate(self.hidden):
        h = act(self._layer(nn.Dense(w), h), i == 0)
    else:
      h = x.reshape(x.shape[0], *self.image_shape, 1)
      if concat:
        maps = jnp.broadcast_to(jax.nn.one_hot(y, self.n_classes)[:, None, None],
                                (*h.shape[:3], self.n_classes))
        h = jnp.concatenate([h, maps], -1)
      for i, c in enumerate((self.width, 2 * self.width)):
        h = act(self._layer(nn.Conv(c, (4, 4), strides=(2, 2)), h), i == 0)
      h = h.reshape(x.shape[0], -1)
      if self.dense:
        h = act(self._layer(nn.Dense(self.dense), h))
    logits = self._layer(nn.Dense(1), h)[:, 0]
    if self.n_classes and self.conditioning == "projection":
      embed = nn.Embed(self.n_classes, h.shape[1], name="projection")(y)
      logits = logits + jnp.sum(embed * h, 1)
    out = logits
    if self.aux_dim:
      a = act(nn.Dense(self.aux_hidden, name="aux_hidden")(h),
              name="aux_norm") if self.aux_hidden else h
      out = (logits, nn.Dense(self.aux_dim, name="aux")(a))
    return (out, h) if with_features else out


class SplitCritic(nn.Module):
  """Two MLP critics on the two parts of ``[a | b]``: ``[B, A + L] -> [B, 2]``.

  The semi-supervised adversarial autoencoder's pair of critics (Makhzani et
  al. 2015, Section 5, Fig. 8): column 0 scores the categorical part ``a``
  (A wide), column 1 the style ``b`` (L wide). Each column is an
  independent critic, so a GAN loss averaged over both columns is the mean
  of the two critics' losses, and the input gradient of the columns' sum
  holds each critic's gradient on its own part.

  Attributes:
    split: A, the width of the first part.
    rest: L, the width of the second part.
    hidden: hidden widths of both critics.
  """
  split: int
  rest: int
  hidden: Sequence[int] = (128, 128)

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """``x`` [B, A + L] -> logits [B, 2]."""
    if x.ndim != 2 or x.shape[1] != self.split + self.rest:
      raise ValueError(f"x must have shape [B, {self.split + self.rest}], "
                       f"got {x.shape}.")
    a = Critic(self.split, None, self.hidden, name="first")(x[:, :self.split])
    b = Critic(self.rest, None, self.hidden, name="second")(x[:, self.split:])
    return jnp.stack([a, b], 1)
