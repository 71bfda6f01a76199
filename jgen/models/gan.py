r"""The GAN family assembled: GAN, CGAN, AC-GAN and InfoGAN from one config.

:class:`GanConfig` holds every setting (checked when it is built; options of
another model of the family are refused) and :func:`make` turns it into a
:class:`jgen.models.Model`: the Flax :class:`jgen.nets.Generator` and
:class:`jgen.nets.Critic`, the :class:`jgen.adversarial.Game`, the
:func:`jgen.minimax.make_step` step, ``init(key)`` giving the
:class:`jgen.minimax.MinimaxState`, sampling, evaluation and figures.
Everything then runs through the one training path: :func:`jgen.train.train`
(chunks, checkpoints, resume, NaN stop) for one run, :func:`make_run` and
:func:`jgen.sweep.run` for many seeds and learning rates as one vmapped call.

The generator is player ``u``, the critic player ``v``. Swept
hyperparameters are ``hparams = {"lr_u": ..., "lr_v": ..., "reg_weight":
...}`` plus the model's weights (two time-scales when ``lr_u != lr_v``;
Heusel et al. 2017); both players use Adam (Kingma & Ba 2015) with
``betas`` (Radford et al. 2016 use ``(0.5, 0.999)``), and the learning rates
are traced.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import traverse_util

from jgen import _checks
from jgen import adversarial
from jgen import metrics
from jgen import minimax
from jgen import nets
from jgen import plotting
from jgen import train
from jgen.models import _base

# The games of the family, and the traced weights each adds to the hparams.
MODELS = ("gan", "cgan", "acgan", "infogan")
_WEIGHTS = {"acgan": ("aux_weight",),
            "infogan": ("info_weight", "continuous_weight")}
# Options that apply to some models of the family only.
_APPLIES = {
    "n_classes": ("cgan", "acgan"), "conditioning": ("cgan",),
    "aux_weight": ("acgan",), "n_categorical": ("infogan",),
    "n_continuous": ("infogan",), "q_hidden": ("infogan",),
    "q_trains_body": ("infogan",), "info_weight": ("infogan",),
    "continuous_weight": ("infogan",), "q_augment": ("infogan",)}
_SMOOTHED = ("minimax", "non_saturating")   # losses with label smoothing


@dataclasses.dataclass(frozen=True)
class GanConfig(_base.TwoPlayerConfig):
  """A GAN of the family, every field checked when the config is built
  (with the loss, penalty, schedule, Adam and batch fields of
  :class:`jgen.models.TwoPlayerConfig`).

  Attributes:
    model: a name of :data:`MODELS`: ``"gan"``
      (:func:`jgen.adversarial.gan`), ``"cgan"`` (Mirza & Osindero 2014;
      :func:`jgen.adversarial.conditional_gan`), ``"acgan"`` (Odena et al.
      2017; :func:`jgen.adversarial.acgan`) or ``"infogan"`` (Chen et al.
      2016; :func:`jgen.adversarial.infogan`). The class-conditional models
      train on labelled data ``{"x", "y"}``.
    data_dim: D, the size of a flat example.
    image_shape: ``(H, W)`` of :data:`jgen.nets.IMAGE_SHAPES` with ``H * W
      == data_dim`` for the DCGAN-style networks, None for MLPs.
    latent_dim: size of ``z ~ N(0, latent_std^2 I)``.
    latent_std: the prior's scale in [1e-6, 1e6] (ClusterGAN, Mukherjee et
      al. 2019, draws ``z`` with std 0.1 beside the one-hot code).
    hidden: the MLPs' hidden widths.
    width: the conv networks' base channels.
    dense: 0, or the width of a fully connected hidden layer in both conv
      networks (Chen et al. 2016, Table 1: 1024).
    generator_norm: a name of :data:`jgen.nets.GENERATOR_NORMS`.
    critic_norm: a name of :data:`jgen.nets.CRITIC_NORMS` (``"batch"`` only
      with ``penalty="none"``: batch statistics couple the examples a
      gradient penalty differentiates one at a time).
    spectral_norm: spectrally normalised critic (Miyato et al. 2018).
    loss_options: further options of the loss
      (:func:`jgen.adversarial.make_loss`), e.g. least squares' ``a, b, c``.
    label_smoothing: one-sided label smoothing in [0, 1) (Salimans et al.
      2016) of the ``minimax`` and ``non_saturating`` critics.
    penalty_options: options of the penalty
      (:func:`jgen.adversarial.make_penalty`).
    noise_std: instance-noise standard deviation (Sonderby et al. 2017).
    augment: DiffAugment's policy (Zhao et al. 2020), comma-separated names
      of :data:`jgen.adversarial.AUGMENTATIONS`, e.g.
      ``"translation,cutout"``: the same differentiable transformations of
      real and generated images before the critic; images only; "" is off.
    n_critic: critic steps per generator step.
    order: which player moves first in ``alternating``.
    clip: WGAN weight clipping of the critic to ``[-clip, clip]``; 0 is off.
    ema_decay: decay in [0, 1) of an EMA of the generator used for samples;
      0 is off.
    n_classes: C of ``cgan``/``acgan``.
    conditioning: ``cgan``'s critic conditioning, ``"projection"`` or
      ``"concat"`` (:class:`jgen.nets.Critic`).
    n_categorical: InfoGAN's K (0 or >= 2).
    n_continuous: InfoGAN's M (K + M >= 1).
    q_hidden: hidden units of InfoGAN's ``Q`` head (0: linear; Chen et al.
      2016, Table 1: 128).
    q_trains_body: InfoGAN: whether the mutual-information term of the
      critic's loss trains the body ``Q`` shares with ``D`` (Chen et al.
      2016) or only the ``Q`` head (:func:`jgen.nets.stop_body_gradient`).
    aux_weight: AC-GAN's weight of the classification terms (traced).
    info_weight: InfoGAN's lambda of the categorical code (traced).
    continuous_weight: InfoGAN's weight of the continuous codes (traced).
    q_augment: InfoGAN: names of :data:`jgen.adversarial.AUGMENTATIONS`
      (e.g. ``"translation,rotation"``) that should not change a generated
      image's category; the categorical term is also taken on the
      transformed image (:func:`jgen.adversarial.infogan`); "" is off.

  Raises:
    ValueError: naming the field: an unknown name or option (the message
      lists the valid ones), a size or rate out of range, an
      ``image_shape`` that does not fit ``data_dim``, an option of another
      model of the family set away from its default, ``critic_norm="batch"``
      with a penalty, label smoothing with a loss that has none.
    TypeError: a field of the wrong type.
  """
  model: str = "gan"
  data_dim: int = 2
  image_shape: tuple[int, int] | None = None
  latent_dim: int = 2
  latent_std: float = 1.0
  hidden: tuple[int, ...] = (128, 128, 128)
  width: int = 64
  dense: int = 0
  generator_norm: str = "none"
  critic_norm: str = "none"
  spectral_norm: bool = False
  loss_options: dict | None = None
  label_smoothing: float = 0.0
  penalty_options: dict | None = None
  noise_std: float = 0.0
  augment: str = ""
  n_critic: int = 1
  order: str = "v_first"
  clip: float = 0.0
  ema_decay: float = 0.0
  n_classes: int = 10
  conditioning: str = "projection"
  n_categorical: int = 10
  n_continuous: int = 2
  q_hidden: int = 128
  q_trains_body: bool = True
  aux_weight: float = 1.0
  info_weight: float = 1.0
  continuous_weight: float = 0.1
  q_augment: str = ""

  def __post_init__(self):
    super().__post_init__()
    _checks.choice(self.model, "model", MODELS)
    _base.refuse_inapplicable(self, self.model, _APPLIES)
    _checks.integer(self.data_dim, "data_dim", low=1)
    object.__setattr__(self, "image_shape", _base.check_image_shape(
        self.image_shape, self.data_dim))
    if self.image_shape is None:
      for name, off in (("dense", 0), ("generator_norm", "none"),
                        ("critic_norm", "none")):
        if getattr(self, name) != off:
          raise ValueError(f"{name}: an option of the conv networks "
                           f"(image_shape set), got {getattr(self, name)!r}.")
    for name in ("latent_dim", "width", "n_critic"):
      _checks.integer(getattr(self, name), name, low=1)
    for name in ("dense", "q_hidden", "n_categorical", "n_continuous"):
      _checks.integer(getattr(self, name), name, low=0)
    object.__setattr__(self, "hidden", _base.check_widths(self.hidden))
    _checks.real(self.latent_std, "latent_std", low=1e-6, high=1e6)
    _checks.choice(self.generator_norm, "generator_norm", nets.GENERATOR_NORMS)
    _checks.choice(self.critic_norm, "critic_norm", nets.CRITIC_NORMS)
    _checks.choice(self.order, "order", minimax.ORDERS)
    _checks.choice(self.conditioning, "conditioning", nets.CONDITIONING)
    for name in ("spectral_norm", "q_trains_body"):
      _checks.boolean(getattr(self, name), name)
    for name in ("loss_options", "penalty_options"):
      if not isinstance(getattr(self, name), (dict, type(None))):
        raise TypeError(f"{name} must be a dict or None, got "
                        f"{getattr(self, name)!r}.")
    if self.penalty == "none" and self.penalty_options:
      raise ValueError("penalty_options: given without a penalty.")
    if self.critic_norm == "batch" and self.penalty != "none":
      raise ValueError(f"critic_norm='batch' needs penalty='none', got "
                       f"penalty={self.penalty!r}: batch statistics couple "
                       "the examples that a gradient penalty differentiates "
                       "one at a time.")
    _checks.real(self.label_smoothing, "label_smoothing", low=0.0,
                 high=0.999999)
    if self.label_smoothing and self.loss not in _SMOOTHED:
      raise ValueError(f"label_smoothing: only the {'/'.join(_SMOOTHED)} "
                       f"critics take label smoothing, got loss="
                       f"{self.loss!r}.")
    _checks.real(self.ema_decay, "ema_decay", low=0.0, high=0.999999)
    for name in ("noise_std", "clip", "aux_weight", "info_weight",
                 "continuous_weight"):
      _checks.real(getattr(self, name), name, low=0.0, high=1e30)
    for name in ("augment", "q_augment"):
      policy = getattr(self, name)
      if not isinstance(policy, str):
        raise TypeError(f"{name} must be a string of comma-separated names, "
                        f"got {policy!r}.")
      if adversarial.check_policy(policy, name) and self.shape is None:
        raise ValueError(f"{name}: the augmentations transform images; "
                         f"data_dim={self.data_dim} is not an image size (no "
                         f"image_shape).")
    if self.model in ("cgan", "acgan"):
      _checks.integer(self.n_classes, "n_classes", low=2)
    if self.model == "infogan":
      adversarial.q_size(self.n_categorical, self.n_continuous)   # checks
      if self.q_augment and not self.n_categorical:
        raise ValueError("q_augment: asks the categorical code to be "
                         "invariant; n_categorical is 0.")

  @property
  def shape(self) -> tuple[int, int] | None:
    """The ``(H, W)`` the flat examples are images of, or None (points)."""
    return self.image_shape or _base.image_shape(self.data_dim)

  @property
  def codes(self) -> tuple[int, int]:
    """``(K, M)``: the one-hot and continuous parts of the code the
    generator sees beside ``z``: ``(C, 0)`` for the class-conditional
    models, InfoGAN's ``(K, M)``, ``(0, 0)`` for the GAN."""
    if self.model in ("cgan", "acgan"):
      return self.n_classes, 0
    if self.model == "infogan":
      return self.n_categorical, self.n_continuous
    return 0, 0


class Parts(NamedTuple):
  """The GAN's own pieces (:attr:`jgen.models.Model.parts`).

  Attributes:
    generator: the :class:`jgen.nets.Generator`.
    critic: the :class:`jgen.nets.Critic`.
    game: the :class:`jgen.adversarial.Game` (``u`` generator, ``v`` critic).
    players: the players' :class:`jgen.minimax.Players`.
    generate: ``generate(u, z [n, L], code [n, K + M]) -> [n, D]``.
  """
  generator: nets.Generator
  critic: nets.Critic
  game: adversarial.Game
  players: minimax.Players
  generate: Callable


def check_hparams(hparams: dict, model: str = "gan") -> dict:
  """Checks ``lr_u``, ``lr_v``, ``reg_weight`` and the model's weights
  (``aux_weight`` of AC-GAN, ``info_weight`` and ``continuous_weight`` of
  InfoGAN), all >= 0, on the host (scalars or sweep lists).

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


def make(config: GanConfig) -> _base.Model:
  """Builds the :class:`jgen.models.Model` of a :class:`GanConfig`.

  Args:
    config: the checked config.

  Returns:
    The model. Its state is a :class:`jgen.minimax.MinimaxState`; its
    ``hparams`` are ``{"lr_u", "lr_v", "reg_weight"}`` plus the model's
    weights; ``train_data(dataset)`` is the flat training images (and their
    labels, ``{"x", "y"}``, for the class-conditional models); ``sample``
    asks the class-conditional models for classes ``i mod C`` in turn and
    draws InfoGAN's codes from their prior; ``parts`` is a :class:`Parts`.

  Raises:
    TypeError: ``config`` is not a :class:`GanConfig`.
  """
  _base.expect(config, GanConfig)
  c = config
  model, latent_dim, data_dim = c.model, c.latent_dim, c.data_dim
  conditional = model in ("cgan", "acgan")
  n_cat, n_cont = c.codes
  code_dim = n_cat + n_cont
  aux_dim = (c.n_classes if conditional else
             adversarial.q_size(n_cat, n_cont) if model == "infogan" else 0)
  generator = nets.Generator(data_dim, c.image_shape, c.hidden, c.width,
                             dense=c.dense, norm=c.generator_norm)
  critic = nets.Critic(
      data_dim, c.image_shape, c.hidden, c.width, c.spectral_norm,
      n_classes=c.n_classes if model == "cgan" else 0,
      conditioning=c.conditioning,
      aux_dim=0 if model == "cgan" else aux_dim,
      aux_hidden=c.q_hidden if model == "infogan" else 0, dense=c.dense,
      norm=c.critic_norm)
  loss_options = dict(c.loss_options or {})
  if c.label_smoothing:
    loss_options["label_smoothing"] = c.label_smoothing
  pair = adversarial.make_loss(c.loss, **loss_options)
  pen = (c.penalty_or_none and
         adversarial.make_penalty(c.penalty, **(c.penalty_options or {})))

  def sample_latent(key, n):
    return c.latent_std * jax.random.normal(key, (n, latent_dim), jnp.float32)

  policy = adversarial.check_policy(c.augment)
  q_policy = adversarial.check_policy(c.q_augment, "q_augment")
  common = dict(loss=pair, penalty=pen, noise_std=c.noise_std,
                augment=adversarial.diff_augment(policy, c.shape)
                if policy else None)
  if model == "gan":
    game = adversarial.gan(critic.apply, generator.apply, sample_latent,
                           **common)
  elif model == "infogan":
    game = adversarial.infogan(critic.apply, generator.apply, sample_latent,
                               n_categorical=n_cat, n_continuous=n_cont,
                               q_params=(None if c.q_trains_body else
                                         nets.stop_body_gradient),
                               q_augment=adversarial.diff_augment(
                                   q_policy, c.shape) if q_policy else None,
                               **common)
  else:
    build = (adversarial.conditional_gan if model == "cgan" else
             adversarial.acgan)
    game = build(critic.apply, generator.apply, sample_latent,
                 n_classes=c.n_classes, **common)
  players = (c.players(project_v=minimax.clip_weights(c.clip)) if c.clip
             else c.players())
  ema = c.ema_decay or None
  step = minimax.make_step(game, c.method, players, n_v=c.n_critic,
                           order=c.order, ema_decay=ema)

  @jax.jit      # one compile, not one per initialiser op
  def init(key, data=None):
    del data                  # initialised without the data
    k_u, k_v = jax.random.split(jax.random.fold_in(key, 1))
    u = generator.init(k_u, jnp.zeros((1, latent_dim + code_dim)))
    v = critic.init(k_v, jnp.zeros((1, data_dim)),
                    jnp.zeros((1,), jnp.int32) if model == "cgan" else None)
    return minimax.init(u, v, players, key=key, ema=ema is not None)

  def generate(u, z, code):
    return generator.apply(u, jnp.concatenate([z, code], 1) if code_dim
                           else z)

  def sample_params(u, key, n):
    k_z, k_c = jax.random.split(key)
    z = sample_latent(k_z if code_dim else key, n)
    if conditional:
      code = jax.nn.one_hot(jnp.arange(n) % n_cat, n_cat)
    elif model == "infogan":
      code = adversarial.code_vector(*adversarial.sample_codes(
          k_c, n, n_cat, n_cont), n_cat)
    else:
      code = None
    return generate(u, z, code)

  def sample(state, key, n):
    return sample_params(generator_params(state), key, n)

  def train_data(dataset, *, draw=0):
    del draw                                      # no labelled subsets
    x = _base.flat(dataset.x_train, data_dim, "dataset.x_train")
    return ({"x": x, "y": jnp.asarray(dataset.y_train, jnp.int32)}
            if conditional else x)

  parts = Parts(generator, critic, game, players, generate)
  model_ = _base.Model(
      config, init, step, train.minibatch(c.batch_size),
      c.two_player_hparams(**{w: getattr(c, w)
                              for w in _WEIGHTS.get(model, ())}),
      train_data, sample, None, None, parts)
  return model_._replace(evaluate=_evaluator(model_),
                         figures=_figure_writer(model_))


def _evaluator(m: _base.Model) -> Callable:
  """``evaluate(state, dataset, *, samples=None, key=None)``."""
  c = m.config
  sample = jax.jit(m.sample, static_argnums=2)    # one compile, many calls
  critic_apply = jax.jit(m.parts.critic.apply)
  scorers = {}                                    # reference features, once

  def evaluate(state, dataset, *, samples=None, key=None):
    """The GAN's metrics on the dataset's test split.

    Args:
      state: a :class:`jgen.minimax.MinimaxState` of this model; None when
        ``samples`` are given and the metrics that need the state
        (InfoGAN's code accuracy) are not wanted.
      dataset: a :class:`jgen.data.Dataset` (the training data's); its
        ``modes`` (a known 2-D mixture) give mode coverage.
      samples: the samples to score ([n, D]); by default 2,500 drawn with
        ``key``.
      key: PRNG key of the samples (default ``PRNGKey(10_000)``).

    Returns:
      2-D mixtures with ``dataset.modes``:
      :func:`jgen.metrics.mode_coverage`;
      images: :class:`jgen.metrics.SampleQuality`, plus
      ``conditional_accuracy`` (:func:`jgen.metrics.conditional_accuracy`)
      for CGAN/AC-GAN; for InfoGAN, Q's categorical code on the test
      images (a batch-normalised critic in evaluation mode,
      :func:`critic_variables`) as ``code_information`` with its two
      entropies (:func:`jgen.metrics.code_information`, no labels) and,
      with labelled data, ``code_accuracy``
      (:func:`jgen.metrics.code_accuracy`); other points: ``{}``.
    """
    samples = _base.draw_samples(sample, state, samples, key)
    if dataset.modes is not None:
      out = metrics.mode_coverage(samples, *dataset.modes)
      return {**out, "counts": [int(n) for n in out["counts"]]}
    if c.image_shape is None:
      return {}
    out = _base.sample_quality(scorers, dataset, sample, state, samples)
    n_cat = c.codes[0]
    if c.model in ("cgan", "acgan"):
      out["conditional_accuracy"] = metrics.conditional_accuracy(
          samples, np.arange(len(samples)) % n_cat)
    if c.model == "infogan" and n_cat and state is not None:
      code = code_logits(m, state, dataset, critic_apply)
      out.update(metrics.code_information(code))
      if np.min(dataset.y_test) >= 0:
        out["code_accuracy"] = metrics.code_accuracy(code, dataset.y_test)
    return out
  return evaluate


EVAL_BATCHES = 50     # training batches behind batch norm's statistics


def code_logits(m: _base.Model, state: minimax.MinimaxState, dataset,
                critic_apply: Callable | None = None) -> np.ndarray:
  """InfoGAN's ``Q`` on the test images: the logits of its categorical
  code (Chen et al. 2016, Section 5), the critic read in evaluation mode
  (:func:`critic_variables`).

  Args:
    m: an InfoGAN of this family (``n_categorical >= 2``).
    state: its :class:`jgen.minimax.MinimaxState`.
    dataset: the :class:`jgen.data.Dataset` it was trained on.
    critic_apply: the critic's apply, e.g. jitted (default
      ``m.parts.critic.apply``).

  Returns:
    ``[N_test, n_categorical]`` float32 logits.
  """
  apply = critic_apply or m.parts.critic.apply
  _, q = apply(critic_variables(m, state, dataset),
               _base.flat(dataset.x_test))
  return np.asarray(q)[:, :m.config.codes[0]]


def critic_variables(m: _base.Model, state: minimax.MinimaxState,
                     dataset) -> dict:
  """The critic's variables for evaluation: ``state.v``, plus, for a
  batch-normalised critic (``critic_norm="batch"``), the population
  statistics of its :class:`jgen.nets.BatchStatNorm` layers over
  :data:`EVAL_BATCHES` batches of ``batch_size`` training examples (a fixed
  draw; :func:`jgen.nets.population_statistics`, Ioffe & Szegedy 2015,
  Algorithm 2), so that evaluation (e.g. InfoGAN's ``Q`` on the test
  images) does not normalise by the test batch's own statistics.

  Args:
    m: a model of this family.
    state: its :class:`jgen.minimax.MinimaxState`.
    dataset: the :class:`jgen.data.Dataset` it was trained on.

  Returns:
    Variables for ``m.parts.critic.apply``.
  """
  c = m.config
  if c.critic_norm != "batch":
    return state.v
  x = _base.flat(dataset.x_train, c.data_dim, "dataset.x_train")
  n = min(EVAL_BATCHES, len(x) // c.batch_size)
  if n < 1:
    raise ValueError(f"dataset.x_train: batch norm's statistics need at "
                     f"least batch_size={c.batch_size} examples, got "
                     f"{len(x)}.")
  rows = np.random.default_rng(0).permutation(len(x))[:n * c.batch_size]
  batches = jnp.asarray(x)[rows].reshape(n, c.batch_size, -1)
  stats = _population_statistics(m.parts.critic.apply, state.v, batches)
  # beside the spectral norm's power-iteration vectors, also batch_stats
  merged = {**traverse_util.flatten_dict(state.v.get("batch_stats", {})),
            **traverse_util.flatten_dict(stats)}
  return {**state.v, "batch_stats": traverse_util.unflatten_dict(merged)}


# compiled once per critic (its apply is the static argument), not per call
_population_statistics = jax.jit(nets.population_statistics,
                                 static_argnums=0)


def _figure_writer(m: _base.Model) -> Callable:
  """``figures(state, dataset, workdir) -> paths``: ``classes.png`` (one row
  per class) or InfoGAN's ``traversals.png`` (Chen et al. 2016, Fig. 2:
  rows of the categorical code, then each continuous code from -2 to 2)
  and, with labelled test images, ``codes.png`` (Q's code on them against
  their classes, :func:`jgen.metrics.matched_table`); none for the
  unconditional GAN or points."""
  c = m.config

  def figures(state, dataset, workdir):
    if c.model == "gan" or c.image_shape is None:
      return []
    paths = []
    if (c.model == "infogan" and c.codes[0]
        and np.min(dataset.y_test) >= 0):
      table = metrics.matched_table(
          np.argmax(code_logits(m, state, dataset), 1), dataset.y_test)
      fig, axes = plotting.figure(1, 1, 4.5)
      plotting.counts(axes[0, 0], table, "class of the test image",
                      "Q's code, matched to a class")
      axes[0, 0].set_title(f"code accuracy {np.trace(table) / table.sum():.3f}")
      paths.append(os.path.join(workdir, "codes.png"))
      plotting.save(fig, paths[-1])
    u = generator_params(state)
    variants = [None] + (list(range(c.codes[1])) if c.model == "infogan"
                         else [])
    fig, axes = plotting.figure(len(variants), 1, 3.6)
    for ax, vary in zip(axes[0], variants):
      z, code = grid_inputs(m, jax.random.PRNGKey(1), n_cols=10, vary=vary)
      plotting.image_grid(ax, np.asarray(m.parts.generate(u, z, code)),
                          c.image_shape, 10)
      ax.set_title("rows: class" if c.model != "infogan" else
                   "rows: c1" if vary is None else
                   f"rows: c1, columns: c{vary + 2} from -2 to 2")
    paths.append(os.path.join(workdir, "traversals.png"
                              if c.model == "infogan" else "classes.png"))
    plotting.save(fig, paths[-1])
    return paths
  return figures


def generator_params(state: minimax.MinimaxState):
  """The generator's parameters to sample from: the EMA when kept, else
  ``state.u``.

  Args:
    state: a GAN's :class:`jgen.minimax.MinimaxState`.

  Returns:
    A parameter pytree of the generator.
  """
  return state.u if state.ema_u is None else state.ema_u


def grid_inputs(m: _base.Model, key: jax.Array, *, n_cols: int = 10,
                vary: int | None = None) -> tuple[jax.Array, jax.Array]:
  """Latents and codes of the figures of structured GANs, row by row.

  * CGAN / AC-GAN: one row per class, the columns' ``z`` shared by every row
    (the class-conditional grid of Mirza & Osindero 2014, Fig. 2).
  * InfoGAN with ``vary=None``: one row per value of the categorical code,
    continuous codes 0 (Chen et al. 2016, Fig. 2(a)); with ``vary=j``: the
    ``j``-th continuous code from -2 to 2 along the columns, one ``z`` for
    the whole grid (Fig. 2(c)-(d); the prior covers [-1, 1]).

  Args:
    m: a model of this family, ``cgan``, ``acgan`` or ``infogan``.
    key: PRNG key of the latents.
    n_cols: columns.
    vary: InfoGAN's continuous code to traverse (0-based), or None.

  Returns:
    ``(z [R * n_cols, L], code [R * n_cols, K + M])``;
    ``m.parts.generate(u, z, code)`` draws the grid.

  Raises:
    ValueError: an unstructured model, ``n_cols < 1``, ``vary`` with a
      class-conditional model or out of range.
  """
  _checks.integer(n_cols, "n_cols", low=1)
  c = m.config
  if c.model == "gan":
    raise ValueError("grid_inputs needs a structured model (cgan, acgan, "
                     "infogan), got 'gan'.")
  k, n_cont = c.codes
  if vary is not None:
    if not n_cont:
      raise ValueError(f"vary needs continuous codes; the {c.model} has "
                       "none.")
    _checks.integer(vary, "vary", low=0, high=n_cont - 1)
  rows = max(k, 1)
  z = c.latent_std * jax.random.normal(
      key, (1 if vary is not None else n_cols, c.latent_dim))
  z = jnp.tile(z, (rows, 1)) if vary is None else jnp.broadcast_to(
      z, (rows * n_cols, c.latent_dim))
  cat = jnp.repeat(jnp.arange(rows), n_cols)
  cont = jnp.zeros((rows * n_cols, n_cont))
  if vary is not None:
    cont = cont.at[:, vary].set(jnp.tile(jnp.linspace(-2.0, 2.0, n_cols),
                                         rows))
  return z, adversarial.code_vector(cat, cont, k)


def make_run(m: _base.Model, *, num_steps: int, n_samples: int = 2500,
             sample_seed: int = 0) -> Callable:
  """A whole GAN run that returns samples: what :func:`jgen.sweep.run` vmaps.

  Args:
    m: a model of this family (its config's ``batch_size`` real examples
      per step, drawn with replacement).
    num_steps: training steps.
    n_samples: generated examples returned at the end (2,500 in the
      VEEGAN/PacGAN protocol).
    sample_seed: seed of the latents of the returned samples.

  Returns:
    ``run(key, hparams, x) -> (samples [n_samples, D], metrics)`` with
    ``metrics`` the per-step metrics of :func:`jgen.minimax.make_step` plus
    ``finite`` ([num_steps] each).

  Raises:
    ValueError: ``num_steps`` or ``n_samples`` < 1.
  """
  _checks.integer(num_steps, "num_steps", low=1)
  _checks.integer(n_samples, "n_samples", low=1)
  run = train.make_run(lambda key, hp, x: m.init(key), m.step, m.batch_fn,
                       num_steps)

  def sampled(key, hparams, x):
    state, per_step = run(key, hparams, x)
    return m.sample(state, jax.random.PRNGKey(sample_seed),
                    n_samples), per_step
  return sampled
