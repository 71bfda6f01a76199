"""How a result spreads over seeds or label draws."""

from __future__ import annotations

import numpy as np


def mean_std(values, axis: int | None = None):
  """The mean and the sample standard deviation (Bessel's correction,
  ``ddof=1``) of results over seeds or label draws, as reported throughout
  jgen (``mean ± std``).

  ``std = sqrt(sum_i (v_i - mean)^2 / (n - 1))``: the unbiased variance's
  square root over the ``n`` independent runs (Bessel; e.g. Wasserman,
  *All of Statistics*, 2004, Section 9.4), not NumPy's default ``ddof=0``.
  One value has no spread: its ``std`` is ``nan``. Infinite values (a
  diverged mode KL) give a mean of ``inf`` and a ``std`` of ``nan``.

  Args:
    values: the results, array-like of numbers (one per run along
      ``axis``).
    axis: the axis of runs; ``None`` takes all values as runs.

  Returns:
    ``(mean, std)``: floats for ``axis=None``, arrays otherwise.

  Raises:
    ValueError: ``values`` empty, or ``axis`` out of range.
  """
  v = np.asarray(values, dtype=np.float64)
  if v.size == 0:
    raise ValueError("values: need at least one result, got none.")
  if axis is not None and not -v.ndim <= axis < v.ndim:
    raise ValueError(f"axis must be None or in [{-v.ndim}, {v.ndim}) for "
                     f"values of shape {v.shape}, got {axis}.")
  n = v.size if axis is None else v.shape[axis]
  with np.errstate(invalid="ignore"):             # inf - inf: nan, as stated
    mean = v.mean(axis)
    std = v.std(axis, ddof=1) if n > 1 else np.full(np.shape(mean), np.nan)
  if axis is None:
    return float(mean), float(std)
  return mean, std
