r"""A GAN assembled: networks, loss, penalty and schedule into one run.

:func:`make` turns a configuration (data shape, loss and penalty names and
options, method, critic steps, optimiser settings, EMA) into a :class:`Gan`:
the Flax :class:`jgen.nets.Generator` and :class:`jgen.nets.Critic`, the
:class:`jgen.adversarial.Game`, the :func:`jgen.minimax.make_step` step and
an ``init(key)`` giving the :class:`jgen.minimax.MinimaxState`. Everything
then runs through the one training path: :func:`jgen.train.train` (chunks,
checkpoints, resume, NaN stop) for one run, :func:`jgen.train.make_run` and
:func:`jgen.sweep.run` for many seeds and learning rates as one vmapped call.

The generator is player ``u``, the critic player ``v``. Swept
hyperparameters are ``hparams = {"lr_u": ..., "lr_v": ..., "reg_weight":
...}`` (two time-scales when ``lr_u != lr_v``; Heusel et al. 2017); both
players use Adam (Kingma & Ba 2015) with ``betas`` (Radford et al. 2016 use
``(0.5, 0.999)``), and the learning rates are traced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgen import _checks
from jgen import adversarial
from jgen import minimax
from jgen import nets
from jgen import train


class Gan(NamedTuple):
  """A configured GAN.

  Attributes:
    generator: the :class:`jgen.nets.Generator`.
    critic: the :class:`jgen.nets.Critic`.
    game: the :class:`jgen.adversarial.Game` (``u`` generator, ``v`` critic).
    step: ``step(state, batch, hparams) -> (state, metrics)``.
    players: the players' :class:`jgen.minimax.Players`.
    init: ``init(key) -> MinimaxState`` (the key also seeds the run).
    sample: ``sample(u, key, n) -> [n, D]`` generated examples (the
      class-conditional models ask for classes ``i mod C`` in turn, InfoGAN
      draws its codes from their prior).
    latent_dim: the size of ``z``.
    model: a name of :data:`MODELS`.
    codes: ``(K, M)``, the one-hot and continuous parts of the code the
      generator sees beside ``z``: ``(C, 0)`` for the class-conditional
      models, InfoGAN's ``(K, M)``, ``(0, 0)`` for the GAN.
    generate: ``generate(u, z [n, L], code [n, K + M]) -> [n, D]``.
    latent_std: the standard deviation of ``z ~ N(0, latent_std^2 I)``.
  """
  generator: nets.Generator
  critic: nets.Critic
  game: adversarial.Game
  step: Callable
  players: minimax.Players
  init: Callable
  sample: Callable
  latent_dim: int
  model: str = "gan"
  codes: tuple[int, int] = (0, 0)
  generate: Callable | None = None
  latent_std: float = 1.0


# The games of gan.make, and the traced weights each adds to the hparams.
MODELS = ("gan", "cgan", "acgan", "infogan")
_WEIGHTS = {"acgan": ("aux_weight",),
            "infogan": ("info_weight", "continuous_weight")}


def check_hparams(hparams: dict, model: str = "gan") -> dict:
  """Checks ``lr_u``, ``lr_v``, ``reg_weight`` and the model's weights
  (``aux_weight`` of AC-GAN, ``info_weight`` and ``continuous_weight`` of
  InfoGAN), all >= 0, on the host.

  Args:
    hparams: a dict of scalars or sweep lists.
    model: a name of :data:`MODELS`.

  Returns:
    ``hparams`` unchanged.

  Raises:
    ValueError: an unknown model, a missing entry, or a negative or
      non-finite value.
  """
  _checks.choice(model, "model", MODELS)
  extra = _WEIGHTS.get(model, ())
  _checks.has_keys(hparams, "hparams", ("lr_u", "lr_v", "reg_weight") + extra)
  minimax.check_hparams(**hparams)
  for name in extra:
    for v in np.ravel(np.asarray(hparams[name], dtype=np.float64)):
      _checks.real(v, name, low=0.0, high=1e30)
  return hparams


def make(data_dim: int, *, image_shape: tuple[int, int] | None = None,
         latent_dim: int = 2, hidden=(128, 128, 128), width: int = 64,
         loss: str = "non_saturating", loss_options: dict | None = None,
         penalty: str | None = "r1", penalty_options: dict | None = None,
         noise_std: float = 0.0, spectral_norm: bool = False,
         method: str = "simultaneous", n_critic: int = 1,
         order: str = "v_first", betas: tuple[float, float] = (0.5, 0.999),
         clip: float | None = None,
         ema_decay: float | None = None, model: str = "gan",
         n_classes: int = 10, conditioning: str = "projection",
         n_categorical: int = 10, n_continuous: int = 2,
         q_hidden: int = 128, dense: int = 0, generator_norm: str = "none",
         critic_norm: str = "none", latent_std: float = 1.0,
         q_trains_body: bool = True) -> Gan:
  """Builds a :class:`Gan` from names and sizes (all checked here).

  ``model`` picks the game: ``"gan"`` (:func:`jgen.adversarial.gan`),
  ``"cgan"`` (:func:`jgen.adversarial.conditional_gan`, the critic
  conditioned by ``conditioning``), ``"acgan"``
  (:func:`jgen.adversarial.acgan`, a ``n_classes``-way head on the critic) or
  ``"infogan"`` (:func:`jgen.adversarial.infogan`, a ``Q`` head on the
  critic). The class-conditional models train on labelled data ``{"x",
  "y"}``.

  Args:
    data_dim: D, the size of a flat example.
    image_shape: ``(H, W)`` for the DCGAN-style networks, None for MLPs.
    latent_dim: size of ``z ~ N(0, latent_std^2 I)``.
    hidden: the MLPs' hidden widths.
    width: the conv networks' base channels.
    loss: a name of :data:`jgen.adversarial.LOSSES`.
    loss_options: options of the loss (:func:`jgen.adversarial.make_loss`).
    penalty: a name of :data:`jgen.adversarial.PENALTIES` or None.
    penalty_options: options of the penalty
      (:func:`jgen.adversarial.make_penalty`).
    noise_std: instance-noise standard deviation (Sønderby et al. 2017).
    spectral_norm: spectrally normalised critic (Miyato et al. 2018).
    method: a name of :data:`jgen.minimax.METHODS`.
    n_critic: critic steps per generator step.
    order: which player moves first in ``alternating``.
    betas: Adam's ``(b1, b2)`` for both players.
    clip: WGAN weight clipping of the critic to ``[-clip, clip]``, or None.
    ema_decay: keep an EMA of the generator with this decay, or None.
    model: a name of :data:`MODELS`.
    n_classes: C of ``cgan``/``acgan``.
    conditioning: ``cgan``'s critic conditioning, ``"projection"`` or
      ``"concat"`` (:class:`jgen.nets.Critic`).
    n_categorical: InfoGAN's K (0 or >= 2).
    n_continuous: InfoGAN's M.
    q_hidden: width of the hidden layer of InfoGAN's ``Q`` head (0: linear;
      Chen et al. 2016, Table 1: 128).
    dense: 0, or the width of a fully connected hidden layer in both conv
      networks (:class:`jgen.nets.Generator`, :class:`jgen.nets.Critic`;
      Chen et al. 2016, Table 1: 1024).
    generator_norm: a name of :data:`jgen.nets.GENERATOR_NORMS`.
    critic_norm: a name of :data:`jgen.nets.CRITIC_NORMS`.
    latent_std: the prior's scale, > 0. ClusterGAN (Mukherjee et al. 2019,
      the discrete-continuous prior) draws ``z`` with std 0.1 beside the
      one-hot code, so that the noise cannot choose the mode that the code
      should.
    q_trains_body: InfoGAN: whether the mutual-information term of the
      critic's loss trains the body that ``Q`` shares with ``D`` (Chen et
      al. 2016) or only the ``Q`` head (False;
      :func:`jgen.nets.stop_body_gradient`).

  Returns:
    The :class:`Gan`.

  Raises:
    ValueError: an unknown name or option (the message lists the valid
      ones), non-positive sizes, ``n_critic < 1``, betas outside [0, 1), an
      ``image_shape`` that does not fit ``data_dim`` or the networks,
      ``n_classes < 2``, negative code sizes, no InfoGAN code,
      ``latent_std`` outside [1e-6, 1e6] or ``critic_norm="batch"`` with a
      penalty.
    TypeError: a ``q_trains_body`` that is not a bool.
  """
  _checks.choice(model, "model", MODELS)
  latent_std = _checks.real(latent_std, "latent_std", low=1e-6, high=1e6)
  if not isinstance(q_trains_body, bool):
    raise TypeError(f"q_trains_body must be a bool, got {q_trains_body!r}.")
  _checks.integer(data_dim, "data_dim", low=1)
  _checks.integer(latent_dim, "latent_dim", low=1)
  _checks.integer(n_critic, "n_critic", low=1)
  if penalty is None and penalty_options:
    raise ValueError("penalty_options given without a penalty.")
  if critic_norm == "batch" and penalty is not None:
    raise ValueError(f"critic_norm='batch' needs penalty=None, got penalty="
                     f"{penalty!r}: batch statistics couple the examples that "
                     "a gradient penalty differentiates one at a time.")
  for i, b in enumerate(betas):
    _checks.real(b, f"betas[{i}]", low=0.0, high=0.999999)
  hidden = tuple(_checks.integer(h, "hidden", low=1) for h in hidden)
  conditional = model in ("cgan", "acgan")
  if conditional:
    _checks.integer(n_classes, "n_classes", low=2)
  codes, aux_dim = ((n_classes, 0), n_classes) if conditional else ((0, 0), 0)
  if model == "infogan":
    codes = (n_categorical, n_continuous)
    aux_dim = adversarial.q_size(n_categorical, n_continuous)   # checks
  code_dim = sum(codes)
  generator = nets.Generator(data_dim, image_shape, hidden, width,
                             dense=dense, norm=generator_norm)
  critic = nets.Critic(
      data_dim, image_shape, hidden, width, spectral_norm,
      n_classes=n_classes if model == "cgan" else 0,
      conditioning=conditioning,
      aux_dim=0 if model == "cgan" else aux_dim,
      aux_hidden=q_hidden if model == "infogan" else 0, dense=dense,
      norm=critic_norm)
  pair = adversarial.make_loss(loss, **(loss_options or {}))
  pen = (None if penalty is None else
         adversarial.make_penalty(penalty, **(penalty_options or {})))

  def sample_latent(key, n):
    return latent_std * jax.random.normal(key, (n, latent_dim), jnp.float32)

  common = dict(loss=pair, penalty=pen, noise_std=noise_std)
  if model == "gan":
    game = adversarial.gan(critic.apply, generator.apply, sample_latent,
                           **common)
  elif model == "infogan":
    game = adversarial.infogan(critic.apply, generator.apply, sample_latent,
                               n_categorical=n_categorical,
                               n_continuous=n_continuous,
                               q_params=(None if q_trains_body else
                                         nets.stop_body_gradient), **common)
  else:
    build = (adversarial.conditional_gan if model == "cgan" else
             adversarial.acgan)
    game = build(critic.apply, generator.apply, sample_latent,
                 n_classes=n_classes, **common)
  adam = optax.scale_by_adam(*betas)
  players = (minimax.Players(adam, adam) if clip is None else
             minimax.Players(adam, adam,
                             project_v=minimax.clip_weights(clip)))
  step = minimax.make_step(game, method, players, n_v=n_critic, order=order,
                           ema_decay=ema_decay)

  @jax.jit      # one compile, not one per initialiser op
  def init(key):
    k_u, k_v = jax.random.split(jax.random.fold_in(key, 1))
    u = generator.init(k_u, jnp.zeros((1, latent_dim + code_dim)))
    v = critic.init(k_v, jnp.zeros((1, data_dim)),
                    jnp.zeros((1,), jnp.int32) if model == "cgan" else None)
    return minimax.init(u, v, players, key=key, ema=ema_decay is not None)

  def generate(u, z, code):
    return generator.apply(u, jnp.concatenate([z, code], 1) if code_dim
                           else z)

  def sample(u, key, n):
    k_z, k_c = jax.random.split(key)
    z = sample_latent(k_z if code_dim else key, n)
    if conditional:
      code = jax.nn.one_hot(jnp.arange(n) % n_classes, n_classes)
    elif model == "infogan":
      code = adversarial.code_vector(*adversarial.sample_codes(
          k_c, n, n_categorical, n_continuous), n_categorical)
    else:
      code = None
    return generate(u, z, code)

  return Gan(generator, critic, game, step, players, init, sample, latent_dim,
             model, codes, generate, latent_std)


def generator_params(state: minimax.MinimaxState):
  """The generator's parameters to sample from: the EMA when kept, else
  ``state.u``.

  Args:
    state: a GAN's :class:`jgen.minimax.MinimaxState`.

  Returns:
    A parameter pytree of the generator.
  """
  return state.u if state.ema_u is None else state.ema_u


def grid_inputs(g: Gan, key: jax.Array, *, n_cols: int = 10,
                vary: int | None = None) -> tuple[jax.Array, jax.Array]:
  """Latents and codes of the figures of structured GANs, row by row.

  * CGAN / AC-GAN: one row per class, the columns' ``z`` shared by every row
    (the class-conditional grid of Mirza & Osindero 2014, Fig. 2).
  * InfoGAN with ``vary=None``: one row per value of the categorical code,
    continuous codes 0 (Chen et al. 2016, Fig. 2(a)); with ``vary=j``: the
    ``j``-th continuous code from -2 to 2 along the columns, one ``z`` for
    the whole grid (Fig. 2(c)-(d); the prior covers [-1, 1]).

  Args:
    g: a :class:`Gan` of model ``cgan``, ``acgan`` or ``infogan``.
    key: PRNG key of the latents.
    n_cols: columns.
    vary: InfoGAN's continuous code to traverse (0-based), or None.

  Returns:
    ``(z [R * n_cols, L], code [R * n_cols, K + M])``; ``g.generate(u, z,
    code)`` draws the grid.

  Raises:
    ValueError: an unstructured model, ``n_cols < 1``, ``vary`` with a
      class-conditional model or out of range.
  """
  _checks.integer(n_cols, "n_cols", low=1)
  if g.model == "gan":
    raise ValueError("grid_inputs needs a structured model (cgan, acgan, "
                     "infogan), got 'gan'.")
  k, m = g.codes
  if vary is not None:
    if not m:
      raise ValueError(f"vary needs continuous codes; the {g.model} has "
                       "none.")
    _checks.integer(vary, "vary", low=0, high=m - 1)
  rows = max(k, 1)
  z = g.latent_std * jax.random.normal(
      key, (1 if vary is not None else n_cols, g.latent_dim))
  z = jnp.tile(z, (rows, 1)) if vary is None else jnp.broadcast_to(
      z, (rows * n_cols, g.latent_dim))
  cat = jnp.repeat(jnp.arange(rows), n_cols)
  cont = jnp.zeros((rows * n_cols, m))
  if vary is not None:
    cont = cont.at[:, vary].set(jnp.tile(jnp.linspace(-2.0, 2.0, n_cols),
                                         rows))
  return z, adversarial.code_vector(cat, cont, k)


def make_run(g: Gan, *, num_steps: int, batch_size: int,
             n_samples: int = 2500, sample_seed: int = 0) -> Callable:
  """A whole GAN run that returns samples: what :func:`jgen.sweep.run` vmaps.

  Args:
    g: the :class:`Gan`.
    num_steps: training steps.
    batch_size: real examples per step (drawn with replacement).
    n_samples: generated examples returned at the end (2,500 in the
      VEEGAN/PacGAN protocol).
    sample_seed: seed of the latents of the returned samples.

  Returns:
    ``run(key, hparams, x) -> (samples [n_samples, D], metrics)`` with
    ``metrics`` the per-step metrics of :func:`jgen.minimax.make_step` plus
    ``finite`` ([num_steps] each).

  Raises:
    ValueError: ``num_steps``, ``batch_size`` or ``n_samples`` < 1.
  """
  _checks.integer(num_steps, "num_steps", low=1)
  _checks.integer(batch_size, "batch_size", low=1)
  _checks.integer(n_samples, "n_samples", low=1)
  run = train.make_run(lambda key, hp, x: g.init(key), g.step,
                       train.minibatch(batch_size), num_steps)

  def sampled(key, hparams, x):
    state, metrics = run(key, hparams, x)
    return g.sample(generator_params(state),
                    jax.random.PRNGKey(sample_seed), n_samples), metrics
  return sampled
