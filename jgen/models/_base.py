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

import jax.numpy as jnp


class Model(NamedTuple):
  """An assembled model: everything a training run and its evaluation need.

  Attributes:
    config: the frozen config it was made from.
    init: ``init(key) -> state`` (the key also seeds the run).
    step: ``step(state, batch, hparams) -> (state, metrics)``, the step
      contract of :func:`jgen.train.train` and :func:`jgen.minimax.make_step`.
    batch_fn: ``batch_fn(key, data) -> batch`` drawing a training batch from
      the data that :attr:`train_data` gives.
    hparams: the config's traced hyperparameters as float32 scalars, a dict
      that :func:`jgen.sweep.run` may replace by sweep axes.
    train_data: ``train_data(dataset) -> pytree`` the training arrays that
      :attr:`batch_fn` draws from, from a :class:`jgen.data.Dataset`.
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


def float32_hparams(**values: float) -> dict:
  """Traced hyperparameters as float32 scalars (a sweep may replace any)."""
  return {k: jnp.float32(v) for k, v in values.items()}


def refuse_inapplicable(config, model: str, applies: dict) -> None:
  """Refuses options set away from their defaults for a model they do not
  apply to.

  Args:
    config: a dataclass config.
    model: the config's model name.
    applies: ``{field: models it applies to}``.

  Raises:
    ValueError: naming the first such field, the models it applies to and
      the model given.
  """
  defaults = {f.name: f.default for f in dataclasses.fields(config)}
  for name, models in applies.items():
    if model not in models and getattr(config, name) != defaults[name]:
      raise ValueError(f"{name}: an option of model={'/'.join(models)}, "
                       f"got {getattr(config, name)!r} with model="
                       f"{model!r}.")
