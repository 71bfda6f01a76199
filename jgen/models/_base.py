"""The one interface of jgen's assembled models, and the checks their
configs share.

A model family is a module of :mod:`jgen.models` with a frozen dataclass
config (every field checked when the config is built, options of other
models refused) and ``make(config) -> Model``. :func:`jgen.models.get` finds
a family's entry by model name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgen import _checks
from jgen import adversarial
from jgen import data
from jgen import metrics
from jgen import minimax
from jgen import nets


class Model(NamedTuple):
  """An assembled model: everything a training run and its evaluation need.

  Attributes:
    config: the frozen config it was made from.
    init: ``init(key, data=None) -> state`` (the key also seeds the run);
      ``data``, what :attr:`train_data` gives, is needed only by models
      whose initialisation trains on it (M1 and M1+M2 train M1 first).
    step: ``step(state, batch, hparams) -> (state, metrics)``, the step
      contract of :func:`jgen.train.train` and :func:`jgen.minimax.make_step`.
    batch_fn: ``batch_fn(key, data) -> batch`` drawing a training batch from
      the data that :attr:`train_data` gives.
    hparams: the config's traced hyperparameters as float32 scalars, a dict
      that :func:`jgen.sweep.run` may replace by sweep axes.
    train_data: ``train_data(dataset, *, draw=0) -> pytree`` the training
      arrays that :attr:`batch_fn` draws from, from a
      :class:`jgen.data.Dataset` (a :class:`jgen.data.Task` for
      translation); ``draw`` picks the labelled subset of the
      semi-supervised models (:func:`jgen.data.labelled_subset`).
    sample: ``sample(state, key, n) -> [n, D]`` generated examples, or None
      for a model that does not generate.
    evaluate: ``evaluate(state, dataset, **options) -> dict`` the family's
      metrics on the dataset's test split.
    figures: ``figures(state, dataset, workdir) -> list[str]`` writes the
      family's PNG figures and returns their paths.
    parts: the family's own pieces (networks, game, ...), a NamedTuple.
  """
  config: Any
  init: Callable
  step: Callable
  batch_fn: Callable
  hparams: dict
  train_data: Callable
  sample: Callable | None
  evaluate: Callable
  figures: Callable
  parts: Any


class Entry(NamedTuple):
  """A registry entry: ``config(**fields)`` builds the model's config (its
  ``model`` field set), ``make(config)`` the :class:`Model`."""
  name: str
  config: Callable
  make: Callable


def expect(config, cls: type) -> None:
  """Raises ``TypeError`` unless ``config`` is a ``cls`` (a family's
  ``make`` takes its own config only)."""
  if not isinstance(config, cls):
    raise TypeError(f"config must be a {cls.__name__} instance, got "
                    f"{type(config).__name__}.")


def float32_hparams(**values: float) -> dict:
  """Traced hyperparameters as float32 scalars (a sweep may replace any)."""
  return {k: jnp.float32(v) for k, v in values.items()}


def refuse_inapplicable(config, model: str, applies: dict) -> None:
  """Refuses options set away from their defaults for a model they do not
  apply to (a list equal to a tuple default is not set away from it).

  Args:
    config: a dataclass config.
    model: the config's model name.
    applies: ``{field: models it applies to}``.

  Raises:
    ValueError: naming the first such field, the models it applies to and
      the model given.
  """
  defaults = {f.name: f.default for f in dataclasses.fields(config)}
  # a run's config.json gives its tuples back as lists
  same = lambda a, b: (tuple(a) if isinstance(a, list) else a) == b
  for name, models in applies.items():
    if model not in models and not same(getattr(config, name),
                                        defaults[name]):
      raise ValueError(f"{name}: an option of model={'/'.join(models)}, "
                       f"got {getattr(config, name)!r} with model="
                       f"{model!r}.")


def flat(x, data_dim: int | None = None, name: str = "x") -> jax.Array:
  """Examples as a float32 matrix ``[N, D]`` (images flattened).

  Args:
    x: examples, [N, ...].
    data_dim: the D a model was built for, checked when given.
    name: the data's name in the message.

  Raises:
    ValueError: examples that are not ``data_dim`` values each.
  """
  x = jnp.asarray(x, jnp.float32)
  x = x.reshape(len(x), -1)
  if data_dim is not None and x.shape[1] != data_dim:
    raise ValueError(f"{name}: the model was built for {data_dim} values "
                     f"per example (data_dim), got {x.shape[1]}.")
  return x


def pixels(x, data_dim: int, name: str) -> jax.Array:
  """:func:`flat` examples that must lie in [0, 1] (the pixel intensities
  a Bernoulli decoder models).

  Raises:
    ValueError: examples of another size, or values outside [0, 1].
  """
  x = flat(x, data_dim, name)
  if x.size and (float(jnp.min(x)) < 0 or float(jnp.max(x)) > 1):
    raise ValueError(f"{name}: the Bernoulli decoder models pixel "
                     f"intensities in [0, 1], got values in "
                     f"[{float(jnp.min(x)):.3g}, {float(jnp.max(x)):.3g}].")
  return x


def check_labelled_draws(config) -> None:
  """Checks a semi-supervised config's ``n_classes`` (>= 2), ``n_labels``
  (a multiple of C: class-balanced draws, :func:`jgen.data.labelled_subset`)
  and ``label_seed`` (>= 0).

  Raises:
    ValueError: naming the field.
    TypeError: a field that is not an integer.
  """
  _checks.integer(config.n_classes, "n_classes", low=2)
  _checks.integer(config.n_labels, "n_labels", low=config.n_classes)
  if config.n_labels % config.n_classes:
    raise ValueError(f"n_labels: must be a multiple of n_classes="
                     f"{config.n_classes} (class-balanced draws), got "
                     f"{config.n_labels}.")
  _checks.integer(config.label_seed, "label_seed", low=0)


def labelled_split(config, x, dataset, draw: int) -> dict:
  """A semi-supervised model's training data: draw ``draw`` of
  ``label_seed``'s class-balanced labelled subset
  (:func:`jgen.data.labelled_subset`) and every image as unlabelled.

  Args:
    config: a config with ``model``, ``n_labels``, ``n_classes`` and
      ``label_seed``.
    x: the flat training images, [N, D].
    dataset: their :class:`jgen.data.Dataset` (its ``y_train``).
    draw: the draw.

  Returns:
    ``{"x_l", "y_l", "x_u", "labelled"}``, the last the subset's indices.

  Raises:
    ValueError: an unlabelled dataset, or labels the draw cannot give.
  """
  y = jnp.asarray(dataset.y_train, jnp.int32)
  if int(jnp.min(y)) < 0:
    raise ValueError(f"dataset.y_train: {config.model} draws its labelled "
                     f"examples from labels 0..C-1; the dataset has none.")
  i = data.labelled_subset(y, config.n_labels, n_classes=config.n_classes,
                           seed=config.label_seed, draw=draw)
  return {"x_l": x[i], "y_l": y[i], "x_u": x, "labelled": i}


def image_shape(data_dim: int | None) -> tuple[int, int] | None:
  """The ``(H, W)`` of :data:`jgen.nets.IMAGE_SHAPES` holding ``data_dim``
  pixels, or None (points)."""
  return {h * w: (h, w) for h, w in nets.IMAGE_SHAPES}.get(data_dim)


def check_shift(shift, data_dim: int, name: str = "shift") -> int:
  """A random-translation range ``shift`` in pixels, checked against the
  images of ``data_dim`` pixels (:data:`jgen.nets.IMAGE_SHAPES`).

  Raises:
    TypeError: not an integer.
    ValueError: below 0, as large as a side, or images of no known shape.
  """
  _checks.integer(shift, name, low=0)
  if not shift:
    return 0
  shape = image_shape(data_dim)
  if shape is None:
    raise ValueError(f"{name}: shifts images of {nets.IMAGE_SHAPES}; data_dim "
                     f"{data_dim} is none of them.")
  return _checks.integer(shift, name, low=0, high=min(shape) - 1)


def shifted(batch_fn: Callable, shift: int, names: tuple[str, ...]
            ) -> Callable:
  """``batch_fn`` with the flat images under ``names`` moved by a random
  shift of up to ``shift`` pixels (:func:`jgen.data.random_shift`, each
  image its own, drawn from ``fold_in(key, 1)``); ``batch_fn`` itself when
  ``shift`` is 0.

  Raises:
    ValueError: (when a batch is drawn) images of no known shape, or a
      shift as large as a side.
  """
  if not shift:
    return batch_fn

  def shifted_fn(key, d):
    b = dict(batch_fn(key, d))
    for i, name in enumerate(names):
      dim = b[name].shape[-1]
      check_shift(shift, dim)
      b[name] = data.random_shift(jax.random.fold_in(jax.random.fold_in(
          key, 1), i), b[name], shift, image_shape(dim))
    return b
  return shifted_fn


def as_tuple(value, name: str) -> tuple:
  """``value`` (a list or tuple) as a tuple.

  Raises:
    TypeError: naming ``name`` when ``value`` is not a list or tuple.
  """
  if not isinstance(value, (list, tuple)):
    raise TypeError(f"{name} must be a tuple, got {value!r}.")
  return tuple(value)


def check_image_shape(image_shape, data_dim: int):
  """``image_shape`` as a tuple of :data:`jgen.nets.IMAGE_SHAPES` holding
  ``data_dim`` pixels, or None.

  Raises:
    ValueError: another shape, or one that does not hold ``data_dim``.
  """
  if image_shape is None:
    return None
  shape = as_tuple(image_shape, "image_shape")
  if shape not in nets.IMAGE_SHAPES:
    raise ValueError(f"image_shape must be one of {nets.IMAGE_SHAPES} or "
                     f"None, got {image_shape!r}.")
  if shape[0] * shape[1] != data_dim:
    raise ValueError(f"image_shape {shape} holds {shape[0] * shape[1]} "
                     f"pixels but data_dim is {data_dim}.")
  return shape


@dataclasses.dataclass(frozen=True)
class TwoPlayerConfig:
  """The settings every adversarially trained family shares: the game's
  loss and critic penalty, the update schedule, Adam for both players
  (Kingma & Ba 2015; Radford et al. 2016's ``betas = (0.5, 0.999)``) with
  traced learning rates, and the batch size.

  Attributes:
    loss: a name of :data:`jgen.adversarial.LOSSES`.
    penalty: ``"none"`` or a name of :data:`jgen.adversarial.PENALTIES`.
    method: a name of :data:`jgen.minimax.METHODS`.
    betas: Adam's ``(b1, b2)`` for both players, each in [0, 1).
    lr_g: the generating player's learning rate (traced as ``lr_u``).
    lr_d: the critic's learning rate (traced as ``lr_v``).
    penalty_weight: the penalty's weight (traced as ``reg_weight``).
    batch_size: examples per step.
    lr_decay_start: the step from which both learning rates fall linearly
      to 0 over ``lr_decay_steps`` steps (:func:`jgen.minimax.linear_decay`;
      Zhu et al. 2017, Section 4).
    lr_decay_steps: the length of that decay; 0 (the default) keeps the
      learning rates constant.
  """
  loss: str = "non_saturating"
  penalty: str = "r1"
  method: str = "simultaneous"
  betas: tuple[float, float] = (0.5, 0.999)
  lr_g: float = 1e-3
  lr_d: float = 1e-3
  penalty_weight: float = 0.1
  batch_size: int = 128
  lr_decay_start: int = 0
  lr_decay_steps: int = 0

  def __post_init__(self):
    _checks.choice(self.loss, "loss", adversarial.LOSSES)
    _checks.choice(self.penalty, "penalty", ("none", *adversarial.PENALTIES))
    _checks.choice(self.method, "method", minimax.METHODS)
    object.__setattr__(self, "betas", as_tuple(self.betas, "betas"))
    if len(self.betas) != 2:
      raise ValueError(f"betas must be (b1, b2), got {self.betas!r}.")
    for i, b in enumerate(self.betas):
      _checks.real(b, f"betas[{i}]", low=0.0, high=0.999999)
    object.__setattr__(self, "betas", tuple(self.betas))
    for name in ("lr_g", "lr_d", "penalty_weight"):
      _checks.real(getattr(self, name), name, low=0.0, high=1e30)
    _checks.integer(self.batch_size, "batch_size", low=1)
    _checks.integer(self.lr_decay_start, "lr_decay_start", low=0)
    _checks.integer(self.lr_decay_steps, "lr_decay_steps", low=0)
    if self.lr_decay_start and not self.lr_decay_steps:
      raise ValueError(f"lr_decay_start={self.lr_decay_start} needs "
                       f"lr_decay_steps >= 1 (0 keeps the learning rates "
                       f"constant).")

  @property
  def penalty_or_none(self) -> str | None:
    """The penalty's name, or None for ``"none"``."""
    return None if self.penalty == "none" else self.penalty

  def players(self, **projections) -> minimax.Players:
    """Adam with :attr:`betas` for both players (``project_v=`` etc.), and
    the learning-rate decay when :attr:`lr_decay_steps` is set."""
    adam = optax.scale_by_adam(*self.betas)
    scale = (minimax.linear_decay(self.lr_decay_start, self.lr_decay_steps)
             if self.lr_decay_steps else None)
    return minimax.Players(adam, adam, **projections, lr_scale=scale)

  def two_player_hparams(self, **weights: float) -> dict:
    """``{"lr_u", "lr_v", "reg_weight", **weights}`` as float32 scalars."""
    return float32_hparams(lr_u=self.lr_g, lr_v=self.lr_d,
                           reg_weight=self.penalty_weight, **weights)


def check_widths(hidden, name: str = "hidden") -> tuple[int, ...]:
  """``hidden`` as a non-empty tuple of widths >= 1 (the field ``name``).

  Raises:
    ValueError: an empty sequence or a width below 1, naming ``name``.
  """
  hidden = as_tuple(hidden, name)
  if not hidden:
    raise ValueError(f"{name} must list at least one width, got ().")
  for h in hidden:
    _checks.integer(h, name, low=1)
  return hidden


EVAL_SAMPLES = 2500  # the VEEGAN/PacGAN protocol's sample count


def draw_samples(sample, state, samples=None, key=None) -> np.ndarray:
  """``samples`` as a NumPy array, or 2,500 fresh ones from ``state``
  (the VEEGAN/PacGAN protocol's count) with ``key`` (default
  ``PRNGKey(10_000)``).

  Raises:
    ValueError: neither a state nor samples.
  """
  if samples is None:
    if state is None:
      raise ValueError("evaluate needs a state or samples.")
    key = jax.random.PRNGKey(10_000) if key is None else key
    samples = sample(state, key, EVAL_SAMPLES)
  return np.asarray(samples)


def sample_quality(scorers: dict, dataset, sample, state, samples=None,
                   key=None) -> dict:
  """:class:`jgen.metrics.SampleQuality` of a generator's samples against
  the dataset's test split (the reference features computed once per
  dataset, kept in ``scorers``).

  Args:
    scorers: a dict the caller keeps, ``{id(dataset): SampleQuality}``.
    dataset: a :class:`jgen.data.Dataset` of images.
    sample: ``sample(state, key, n) -> [n, D]``.
    state: the model's state (unused when ``samples`` are given).
    samples: samples to score instead of fresh ones.
    key: PRNG key of fresh samples (default ``PRNGKey(10_000)``).

  Returns:
    The scores.

  Raises:
    ValueError: neither a state nor samples.
  """
  samples = draw_samples(sample, state, samples, key)
  if id(dataset) not in scorers:
    scorers[id(dataset)] = metrics.SampleQuality(flat(dataset.x_train),
                                                 flat(dataset.x_test))
  return scorers[id(dataset)](samples)
