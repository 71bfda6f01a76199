"""Input validation for public entry points, run on the host before tracing.

docs/design.md, contract 7: bad input raises ``ValueError`` (or ``TypeError``)
naming the argument and what is accepted, before any compilation happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jax
import numpy as np


def data_matrix(x: Any, name: str = "x", *, ndim: int = 2) -> np.ndarray:
  """Returns `x` as a finite floating NumPy array of rank `ndim`.

  Args:
    x: array-like data.
    name: argument name used in error messages.
    ndim: required rank.

  Returns:
    `x` as a NumPy array (float32 unless it already is float64).

  Raises:
    TypeError: when `x` is not numeric.
    ValueError: when `x` has the wrong rank, is empty, or holds NaN/inf.
  """
  arr = np.asarray(x)
  if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
    raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}.")
  if arr.ndim != ndim:
    raise ValueError(
        f"{name} must have rank {ndim}, got shape {arr.shape}."
    )
  if arr.size == 0:
    raise ValueError(f"{name} must not be empty, got shape {arr.shape}.")
  if arr.dtype != np.float64:
    arr = arr.astype(np.float32)
  if not np.all(np.isfinite(arr)):
    raise ValueError(f"{name} contains NaN or inf; only finite values are accepted.")
  return arr


def choice(value: Any, name: str, options: Iterable[str]) -> str:
  """Checks that `value` is one of `options` and returns it."""
  options = tuple(options)
  if value not in options:
    raise ValueError(f"{name} must be one of {options}, got {value!r}.")
  return value


def has_keys(mapping: Any, name: str, keys: Iterable[str]) -> Any:
  """``mapping`` holds every one of ``keys`` (e.g. the entries of hparams)."""
  for key in keys:
    if key not in mapping:
      raise ValueError(f"{name} must hold {key!r} (got {sorted(mapping)}).")
  return mapping


def boolean(value: Any, name: str) -> bool:
  """Checks that `value` is a bool (not merely truthy) and returns it."""
  if not isinstance(value, bool):
    raise TypeError(f"{name} must be a bool, got {value!r}.")
  return value


def integer(value: Any, name: str, *, low: int, high: float = np.inf) -> int:
  """Checks that `value` is an integer in [low, high] and returns it."""
  if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
    raise TypeError(f"{name} must be an integer, got {value!r}.")
  if not low <= value <= high:
    raise ValueError(f"{name} must be in [{low}, {high}], got {value}.")
  return int(value)


def real(value: Any, name: str, *, low: float = -np.inf,
         high: float = np.inf) -> float:
  """Checks that `value` is a finite-or-bounded real in [low, high]."""
  try:
    value = float(value)
  except (TypeError, ValueError):
    raise TypeError(f"{name} must be a real number, got {value!r}.") from None
  if np.isnan(value) or not low <= value <= high:
    raise ValueError(f"{name} must be in [{low}, {high}], got {value}.")
  return value


def labels(y: Any, name: str, *, n: int, low: int, high: int) -> np.ndarray:
  """Checks an integer label vector of length `n` with values in [low, high]."""
  arr = np.asarray(y)
  if arr.ndim != 1 or arr.shape[0] != n:
    raise ValueError(f"{name} must have shape ({n},), got {arr.shape}.")
  if not np.issubdtype(arr.dtype, np.integer):
    if not np.all(np.equal(np.mod(arr, 1), 0)):
      raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}.")
  arr = arr.astype(np.int32)
  if arr.size and (arr.min() < low or arr.max() > high):
    raise ValueError(
        f"{name} must lie in {low}..{high}, got values in "
        f"{arr.min()}..{arr.max()}."
    )
  return arr


def traced_or_real(value: Any, name: str, *, low: float = -np.inf,
                   high: float = np.inf) -> Any:
  """Range-checks `value` when it is concrete; a traced value (inside
  ``jit``/``vmap``) passes unchanged (check sweeps with ``sweep.grid(...,
  check=...)`` on the host)."""
  if not isinstance(value, jax.core.Tracer):
    real(value, name, low=low, high=high)
  return value
