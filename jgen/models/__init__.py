"""Assembled models behind one interface.

Each family module holds a frozen dataclass config, checked when it is
built, and ``make(config) -> Model`` (:class:`Model`: ``init``, ``step``,
``batch_fn``, ``hparams``, ``train_data``, ``sample``, ``evaluate``,
``figures``, ``parts``). :func:`get` is the registry by model name::

    entry = models.get("cgan")
    model = entry.make(entry.config(data_dim=784, image_shape=(28, 28)))

A new family is one module and its lines of :data:`REGISTRY`; a named
preset of an existing family (fixed fields) is one line.
:mod:`jgen.models.experiment` trains any of them on a named dataset into a
work directory (``launch.train``'s engine).
"""

from __future__ import annotations

import dataclasses

from jgen.models import aae
from jgen.models import experiment
from jgen.models import gan
from jgen.models import ssvae
from jgen.models import translation
from jgen.models import vae
from jgen.models import vaegan
from jgen.models._base import Entry
from jgen.models._base import Model
from jgen.models._base import TwoPlayerConfig

# name -> (config class, make, the fields the name presets)
REGISTRY = {
    **{name: (gan.GanConfig, gan.make, {"model": name})
       for name in gan.MODELS},
    **{name: (aae.AaeConfig, aae.make, {"model": name})
       for name in aae.MODELS},
    "vaegan": (vaegan.VaeganConfig, vaegan.make, {"model": "vaegan"}),
    **{name: (vae.VaeConfig, vae.make, {"model": name}) for name in vae.MODELS},
    **{name: (translation.TranslationConfig, translation.make,
              {"model": name}) for name in translation.MODELS},
    **{name: (ssvae.SsvaeConfig, ssvae.make, {"model": name})
       for name in ssvae.MODELS},
}


def get(name: str) -> Entry:
  """The registry entry of a model.

  Args:
    name: a key of :data:`REGISTRY` (``names()`` lists them).

  Returns:
    An :class:`Entry`: ``config(**fields)`` builds the model's checked
    config with the fields its name presets (its ``model``; a field the
    config does not have is a ``ValueError`` naming it), and
    ``make(config)`` the :class:`Model`.

  Raises:
    ValueError: an unknown name (the message lists the known ones).
  """
  if name not in REGISTRY:
    raise ValueError(f"model must be one of {sorted(REGISTRY)}, got "
                     f"{name!r}.")
  config, make, preset = REGISTRY[name]
  known = {f.name for f in dataclasses.fields(config)}

  def build(**fields):
    unknown = sorted(set(fields) - known)
    if unknown:
      raise ValueError(f"{unknown[0]}: not an option of model={name!r}; its "
                       f"options: {sorted(known - set(preset))}.")
    return config(**{**fields, **preset})
  return Entry(name, build, make)


def names() -> list[str]:
  """The registered model names, sorted."""
  return sorted(REGISTRY)


__all__ = ["Entry", "Model", "REGISTRY", "TwoPlayerConfig", "aae",
           "experiment", "gan", "get", "names", "ssvae", "translation",
           "vae", "vaegan"]
