"""Mode coverage (VEEGAN/PacGAN protocol) and the published toy geometry."""

import numpy as np
import pytest

from jgen import data
from jgen import metrics


def test_published_geometry():
  ring, std = data.MODES["ring8"]
  assert std == 0.02
  np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 2.0)
  angles = np.round(np.degrees(np.arctan2(ring[:, 1], ring[:, 0])) % 360, 6)
  assert sorted(angles) == [45.0 * i for i in range(8)]
  grid, std = data.MODES["grid25"]
  assert std == 0.05
  assert sorted({tuple(p) for p in grid}) == [
      (a, b) for a in (-4.0, -2.0, 0.0, 2.0, 4.0)
      for b in (-4.0, -2.0, 0.0, 2.0, 4.0)]


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_real_data_cover_every_mode(name):
  modes, std = data.MODES[name]
  x = data.load(name, seed=0, n_samples=2500, test_fraction=0.0).x_train
  res = metrics.mode_coverage(x, modes, std)
  assert res["modes_covered"] == res["n_modes"] == len(modes)
  assert res["high_quality_fraction"] > 0.98       # 3 std holds 98.9% in 2-D
  assert res["mode_kl"] < 0.05


def test_collapsed_and_off_manifold_samples():
  modes, std = data.MODES["ring8"]
  # Everything on mode 0, plus a quarter of the points far from any mode.
  x = np.concatenate([np.tile(modes[:1], (75, 1)), np.zeros((25, 2))])
  res = metrics.mode_coverage(x, modes, std)
  assert res["modes_covered"] == 1
  assert res["high_quality_fraction"] == pytest.approx(0.75)
  assert res["mode_kl"] == pytest.approx(np.log(8))   # all mass on one mode
  assert res["counts"] == [75, 0, 0, 0, 0, 0, 0, 0]
  assert metrics.mode_coverage(np.zeros((4, 2)), modes, std)["mode_kl"] == (
      float("inf"))
  with pytest.raises(ValueError, match="finite"):
    metrics.mode_coverage(np.full((3, 2), np.nan), modes, std)
  with pytest.raises(ValueError, match="std"):
    metrics.mode_coverage(x, modes, 0.0)
