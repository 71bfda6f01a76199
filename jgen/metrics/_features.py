"""Sample-quality metrics on classifier features: Frechet distance, the
Inception-style score, improved precision/recall and density/coverage.

All take features or class probabilities as arrays (for images, those of a
fixed classifier) and compute in float64 NumPy on the host: they are
evaluation, run once per checkpoint, where accuracy matters more than speed.
"""

from __future__ import annotations

import numpy as np

from jgen import _checks

_CHUNK = 2048          # rows of a pairwise-distance block


def _features(a, name: str) -> np.ndarray:
  a = _checks.data_matrix(a, name).astype(np.float64)
  if a.shape[0] < 2:
    raise ValueError(f"{name} must hold at least 2 rows, got shape {a.shape}.")
  return a


def frechet_distance(real, fake) -> float:
  """Frechet distance between Gaussians fitted to two feature sets.

  ``||mu_r - mu_f||^2 + Tr(S_r + S_f - 2 (S_r S_f)^{1/2})`` (Dowson & Landau
  1982; the FID of Heusel et al. 2017, eq. (6), on any features). The trace
  of the square root is ``sum sqrt(eig(S_r^{1/2} S_f S_r^{1/2}))``, a
  symmetric eigenproblem, so no complex parts arise.

  Args:
    real: features of real examples, [N, D].
    fake: features of generated examples, [M, D].

  Returns:
    The squared Frechet distance (>= 0 up to round-off).
  """
  real, fake = _features(real, "real"), _features(fake, "fake")
  if real.shape[1] != fake.shape[1]:
    raise ValueError(f"real and fake must have the same feature dimension, "
                     f"got {real.shape[1]} and {fake.shape[1]}.")
  mu_r, mu_f = real.mean(0), fake.mean(0)
  s_r, s_f = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
  w, v = np.linalg.eigh(s_r)
  root_r = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
  m = root_r @ s_f @ root_r
  tr_root = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
  return float(np.sum((mu_r - mu_f) ** 2) + np.trace(s_r) + np.trace(s_f)
               - 2 * tr_root)


def inception_score(probs) -> float:
  """``exp(E_x KL(p(y|x) || p(y)))`` with ``p(y)`` the mean prediction
  (Salimans et al. 2016, Section 4), on any classifier's probabilities.

  Args:
    probs: class probabilities of generated examples, [N, C], rows sum to 1.

  Returns:
    The score, in [1, C].
  """
  p = _features(probs, "probs")
  if np.any(p < 0) or not np.allclose(p.sum(1), 1.0, atol=1e-4):
    raise ValueError("probs must hold probabilities (non-negative rows "
                     "summing to 1).")
  marginal = p.mean(0)
  with np.errstate(divide="ignore", invalid="ignore"):
    kl = np.where(p > 0, p * (np.log(p) - np.log(marginal)), 0.0).sum(1)
  return float(np.exp(kl.mean()))


def _sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
  return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None]
                    - 2 * a @ b.T, 0.0)


def _kth_neighbour_sq(a: np.ndarray, k: int) -> np.ndarray:
  """Squared distance of each row of ``a`` to its k-th nearest other row."""
  out = np.empty(len(a))
  for s in range(0, len(a), _CHUNK):
    d = _sq_dist(a[s:s + _CHUNK], a)
    out[s:s + _CHUNK] = np.partition(d, k, axis=1)[:, k]   # index 0 is self
  return out


def _ball_counts(real, r_real, fake, r_fake):
  """One pass over the real-fake distances (strict inequalities, as in the
  reference code): per fake point, how many real balls hold it; per real
  ball, whether it holds a fake point; per real point, whether some fake
  ball holds it."""
  fake_hits = np.zeros(len(fake), np.int64)
  real_covered = np.zeros(len(real), bool)
  real_recalled = np.zeros(len(real), bool)
  for s in range(0, len(real), _CHUNK):
    d = _sq_dist(real[s:s + _CHUNK], fake)
    inside = d < r_real[s:s + _CHUNK, None]
    fake_hits += inside.sum(0)
    real_covered[s:s + _CHUNK] = inside.any(1)
    real_recalled[s:s + _CHUNK] = (d < r_fake[None]).any(1)
  return fake_hits, real_covered, real_recalled


def precision_recall_density_coverage(real, fake, *, k: int = 5) -> dict:
  """Improved precision/recall and density/coverage of generated features.

  Each real feature ``x_i`` has a ball of radius ``NND_k(x_i)``, its
  distance to its k-th nearest real neighbour (likewise for fake features).
  Precision is the fraction of fake features inside some real ball and
  recall the fraction of real features inside some fake ball (Kynkaanniemi
  et al. 2019, eq. (1)-(3); k = 3 there). Density is ``1/(kM) sum_j sum_i
  1[y_j in B(x_i)]`` and coverage the fraction of real balls holding at
  least one fake feature (Naeem et al. 2020, eq. (3)-(4); k = 5 there).

  Args:
    real: real features, [N, D].
    fake: generated features, [M, D].
    k: neighbour order, 1 <= k < min(N, M).

  Returns:
    ``{"precision", "recall", "density", "coverage"}`` as floats.
  """
  real, fake = _features(real, "real"), _features(fake, "fake")
  if real.shape[1] != fake.shape[1]:
    raise ValueError(f"real and fake must have the same feature dimension, "
                     f"got {real.shape[1]} and {fake.shape[1]}.")
  _checks.integer(k, "k", low=1, high=min(len(real), len(fake)) - 1)
  r_real = _kth_neighbour_sq(real, k)
  r_fake = _kth_neighbour_sq(fake, k)
  fake_hits, real_covered, real_recalled = _ball_counts(real, r_real, fake,
                                                        r_fake)
  return {"precision": float(np.mean(fake_hits > 0)),
          "recall": float(np.mean(real_recalled)),
          "density": float(fake_hits.sum() / (k * len(fake))),
          "coverage": float(np.mean(real_covered))}
