"""Sample-quality metrics against SciPy / NumPy brute force and published
sanity figures."""

import numpy as np
import pytest
from scipy import linalg

from jgen import metrics


def _fid_scipy(a, b):
  mu_a, mu_b = a.mean(0), b.mean(0)
  s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
  root = linalg.sqrtm(s_a @ s_b).real
  return np.sum((mu_a - mu_b) ** 2) + np.trace(s_a + s_b - 2 * root)


def test_frechet_distance_against_scipy_sqrtm():
  rng = np.random.default_rng(0)
  a = rng.normal(size=(400, 8)) @ rng.normal(size=(8, 8))
  b = rng.normal(size=(300, 8)) @ rng.normal(size=(8, 8)) + 0.5
  assert metrics.frechet_distance(a, b) == pytest.approx(_fid_scipy(a, b),
                                                         rel=1e-8)
  assert abs(metrics.frechet_distance(a, a)) < 1e-8


def test_frechet_distance_of_gaussians_closed_form():
  # Equal isotropic covariances: only the means differ.
  rng = np.random.default_rng(1)
  a = rng.normal(size=(200_000, 2))
  b = rng.normal(size=(200_000, 2)) + np.array([3.0, 4.0])
  assert metrics.frechet_distance(a, b) == pytest.approx(25.0, rel=2e-3)


def test_inception_score_limits():
  assert metrics.inception_score(np.full((50, 10), 0.1)) == pytest.approx(1.0)
  onehot = np.eye(10)[np.arange(100) % 10]
  assert metrics.inception_score(onehot) == pytest.approx(10.0)
  rng = np.random.default_rng(0)
  p = rng.dirichlet(np.ones(5), 40)
  marg = p.mean(0)
  ref = np.exp(np.mean(np.sum(p * np.log(p / marg), 1)))
  assert metrics.inception_score(p) == pytest.approx(ref, rel=1e-10)
  with pytest.raises(ValueError, match="probs"):
    metrics.inception_score(np.full((5, 3), 0.5))


def _prdc_brute(real, fake, k):
  d_rr = np.linalg.norm(real[:, None] - real[None], axis=-1)
  d_ff = np.linalg.norm(fake[:, None] - fake[None], axis=-1)
  d_rf = np.linalg.norm(real[:, None] - fake[None], axis=-1)
  r_r = np.sort(d_rr, 1)[:, k]
  r_f = np.sort(d_ff, 1)[:, k]
  inside = d_rf < r_r[:, None]                               # [N, M]
  return {"precision": inside.any(0).mean(),
          "recall": (d_rf < r_f[None]).any(1).mean(),
          "density": inside.sum() / (k * len(fake)),
          "coverage": inside.any(1).mean()}


@pytest.mark.parametrize("k", [3, 5])
def test_prdc_against_numpy_brute_force(k):
  rng = np.random.default_rng(k)
  real = rng.normal(size=(300, 6))
  fake = rng.normal(size=(250, 6)) * 1.3 + 0.3
  got = metrics.precision_recall_density_coverage(real, fake, k=k)
  ref = _prdc_brute(real, fake, k)
  for name in ref:
    assert got[name] == pytest.approx(ref[name], abs=1e-12), name


def test_prdc_published_gaussian_sanity_figures():
  """prdc's README (Naeem et al. 2020): N(0, I) 10k vs 10k in 1000-D, k = 5
  gives precision ~0.48, recall ~0.47, density ~1.06, coverage ~0.97 (one
  draw). One draw varies a lot in 1000-D (hubness: measured here over seeds
  0-2, precision 0.46-0.50, density 0.91-1.07), so the test averages three
  draws; for identical distributions E[density] = 1 and E[coverage] =
  1 - prod_i (N - i) / (N + M - i) = 0.969 (Naeem et al., Lemmas 1-2)."""
  got = []
  for seed in range(3):
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(10_000, 1000)).astype(np.float32)
    fake = rng.normal(size=(10_000, 1000)).astype(np.float32)
    got.append(metrics.precision_recall_density_coverage(real, fake, k=5))
  mean = {n: np.mean([g[n] for g in got]) for n in got[0]}
  assert mean["precision"] == pytest.approx(0.48, abs=0.02)
  assert mean["recall"] == pytest.approx(0.47, abs=0.02)
  assert mean["density"] == pytest.approx(1.0, abs=0.08)
  expected = 1 - np.prod([(10_000 - i) / (20_000 - i) for i in range(1, 6)])
  assert mean["coverage"] == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("call, name", [
    (lambda: metrics.frechet_distance(np.ones((5, 2)), np.ones((5, 3))),
     "dimension"),
    (lambda: metrics.frechet_distance(np.ones(5), np.ones((5, 1))), "real"),
    (lambda: metrics.precision_recall_density_coverage(
        np.ones((5, 2)), np.ones((5, 2)), k=5), "k"),
    (lambda: metrics.precision_recall_density_coverage(
        np.full((5, 2), np.nan), np.ones((5, 2))), "real"),
])
def test_bad_input(call, name):
  with pytest.raises(ValueError, match=name):
    call()
