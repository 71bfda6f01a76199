r"""VAE-GAN assembled (Larsen et al. 2016, :func:`jgen.adversarial.vaegan`):
a Gaussian encoder, the GAN's generator as decoder and the GAN's critic,
whose body's last layer measures the reconstruction (DCGAN-style networks
for images, MLPs for vectors)."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgen import _checks
from jgen import adversarial
from jgen import minimax
from jgen import nets
from jgen import train
from jgen.models import _base


@dataclasses.dataclass(frozen=True)
class VaeganConfig(_base.TwoPlayerConfig):
  """VAE-GAN, every field checked when the config is built (with the
  fields of :class:`jgen.models.TwoPlayerConfig`).

  Attributes:
    model: ``"vaegan"``.
    data_dim: D, the size of a flat example in [0, 1].
    image_shape: ``(H, W)`` of :data:`jgen.nets.IMAGE_SHAPES` holding
      ``data_dim`` pixels for conv networks, or None for MLPs.
    latent_dim: L.
    hidden: MLP widths (the encoder's after its conv stack).
    width: the conv generator's and critic's channels.
    recon_weight: gamma, the decoder's weight of the feature reconstruction
      (Larsen et al. 2016, Section 2.3; traced).

  Raises:
    ValueError: naming the field: bad sizes or shapes, an unknown loss,
      penalty or method.
  """
  model: str = "vaegan"
  data_dim: int = 784
  image_shape: tuple[int, int] | None = (28, 28)
  latent_dim: int = 32
  hidden: tuple[int, ...] = (128,)
  width: int = 32
  recon_weight: float = 1.0

  def __post_init__(self):
    super().__post_init__()
    _checks.choice(self.model, "model", ("vaegan",))
    _checks.integer(self.data_dim, "data_dim", low=1)
    object.__setattr__(self, "image_shape", _base.check_image_shape(
        self.image_shape, self.data_dim))
    _checks.integer(self.latent_dim, "latent_dim", low=1)
    object.__setattr__(self, "hidden", _base.check_widths(self.hidden))
    _checks.integer(self.width, "width", low=1)
    _checks.real(self.recon_weight, "recon_weight", low=0.0, high=1e30)


class Parts(NamedTuple):
  """VAE-GAN's own pieces: the :class:`jgen.nets.GaussianEncoder`, the
  decoder (:class:`jgen.nets.Generator`), the :class:`jgen.nets.Critic`,
  the game and the players."""
  encoder: nn.Module
  decoder: nn.Module
  critic: nn.Module
  game: adversarial.Game
  players: minimax.Players


def make(config: VaeganConfig) -> _base.Model:
  """Builds the :class:`jgen.models.Model` of a :class:`VaeganConfig`.

  Args:
    config: the checked config.

  Returns:
    The model: hparams ``{"lr_u", "lr_v", "reg_weight", "recon_weight"}``;
    ``sample`` decodes ``N(0, I)`` draws; ``evaluate`` scores them with
    :class:`jgen.metrics.SampleQuality`.

  Raises:
    TypeError: ``config`` is not a :class:`VaeganConfig`.
  """
  _base.expect(config, VaeganConfig)
  c = config
  encoder = nets.GaussianEncoder(c.latent_dim, c.hidden, c.image_shape)
  decoder = nets.Generator(c.data_dim, c.image_shape, c.hidden, c.width)
  critic = nets.Critic(c.data_dim, c.image_shape, c.hidden, c.width)
  game = adversarial.vaegan(
      lambda u, x: encoder.apply(u["encoder"], x),
      lambda u, z: decoder.apply(u["decoder"], z),
      lambda v, x: critic.apply(v, x, with_features=True),
      latent_dim=c.latent_dim, loss=c.loss, penalty=c.penalty_or_none)
  players = c.players()
  step = minimax.make_step(game, c.method, players)

  @jax.jit      # one compile, not one per initialiser op
  def init(key, data=None):
    del data                  # initialised without the data
    k_e, k_d, k_v = jax.random.split(jax.random.fold_in(key, 1), 3)
    x = jnp.zeros((1, c.data_dim))
    u = {"encoder": encoder.init(k_e, x),
         "decoder": decoder.init(k_d, jnp.zeros((1, c.latent_dim)))}
    return minimax.init(u, critic.init(k_v, x), players, key=key)

  def sample(state, key, n):
    return decoder.apply(state.u["decoder"],
                         jax.random.normal(key, (n, c.latent_dim)))

  scorers = {}
  jit_sample = jax.jit(sample, static_argnums=2)

  def evaluate(state, dataset, *, samples=None, key=None):
    """:class:`jgen.metrics.SampleQuality` of 2,500 decoded prior draws
    (or of ``samples``) against the dataset's test split."""
    return _base.sample_quality(scorers, dataset, jit_sample, state, samples,
                                key)

  return _base.Model(
      config, init, step, train.minibatch(c.batch_size),
      c.two_player_hparams(recon_weight=c.recon_weight),
      lambda dataset, *, draw=0: _base.flat(dataset.x_train, c.data_dim,
                                            "dataset.x_train"), sample,
      evaluate, lambda state, dataset, workdir: [],
      Parts(encoder, decoder, critic, game, players))
