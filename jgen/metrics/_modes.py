"""Mode coverage of samples from a mixture with known modes (VEEGAN/PacGAN)."""

from __future__ import annotations

import numpy as np

from jgen import _checks


def mode_coverage(samples, modes, std: float) -> dict:
  """Modes covered, high-quality fraction and mode KL of 2-D GAN samples.

  The protocol of VEEGAN (Srivastava et al. 2017, Section 5.1) and PacGAN
  (Lin et al. 2018, Section 5.1): a sample is *high quality* if its distance
  to the nearest mode is below 3 standard deviations; a mode is *covered* if
  it is the nearest mode of at least one high-quality sample. ``mode_kl`` is
  ``KL(p || uniform)`` of the histogram of high-quality samples over their
  nearest modes (PacGAN's reverse KL), ``inf`` when no sample is high quality.

  Args:
    samples: generated points, [N, D] (the protocol uses N = 2,500).
    modes: the mixture's means, [M, D] (``data.MODES[name][0]``).
    std: the components' standard deviation (``data.MODES[name][1]``).

  Returns:
    ``{"modes_covered": int, "n_modes": M, "high_quality_fraction": float,
    "mode_kl": float, "counts": [M] high-quality samples per mode}``.

  Raises:
    ValueError: mismatched shapes, non-finite samples or ``std <= 0``.
  """
  x = _checks.data_matrix(samples, "samples").astype(np.float64)
  mu = _checks.data_matrix(modes, "modes").astype(np.float64)
  if x.shape[1] != mu.shape[1]:
    raise ValueError(f"samples [N, D] and modes [M, D] must share D, got "
                     f"{x.shape} and {mu.shape}.")
  _checks.real(std, "std", low=np.finfo(float).tiny)
  d2 = ((x[:, None, :] - mu[None]) ** 2).sum(-1)                 # [N, M]
  nearest = d2.argmin(1)
  good = np.sqrt(d2[np.arange(len(x)), nearest]) < 3 * std
  counts = np.bincount(nearest[good], minlength=len(mu))
  if good.any():
    p = counts / counts.sum()
    nz = p > 0
    kl = float(np.sum(p[nz] * np.log(p[nz] * len(mu))))
  else:
    kl = float("inf")
  return {"modes_covered": int((counts > 0).sum()), "n_modes": len(mu),
          "high_quality_fraction": float(good.mean()), "mode_kl": kl,
          "counts": counts.tolist()}
