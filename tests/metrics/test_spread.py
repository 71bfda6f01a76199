"""The spread over seeds against Python's ``statistics`` module."""

import statistics

import numpy as np
import pytest

from jgen import metrics


def test_mean_std_is_the_sample_std():
  v = [0.941, 0.923, 0.957, 0.949, 0.935]
  mean, std = metrics.mean_std(v)
  assert mean == pytest.approx(statistics.mean(v), rel=1e-12)
  assert std == pytest.approx(statistics.stdev(v), rel=1e-12)
  assert std > statistics.pstdev(v)                # not NumPy's default ddof=0


def test_mean_std_over_an_axis():
  rng = np.random.default_rng(0)
  err = rng.uniform(size=(4, 3))
  mean, std = metrics.mean_std(err, axis=1)
  assert mean.shape == std.shape == (4,)
  for i, row in enumerate(err.tolist()):
    assert mean[i] == pytest.approx(statistics.mean(row))
    assert std[i] == pytest.approx(statistics.stdev(row))


def test_one_value_has_no_spread_and_inf_is_kept():
  assert metrics.mean_std([3.0])[0] == 3.0
  assert np.isnan(metrics.mean_std([3.0])[1])
  mean, std = metrics.mean_std([1.0, np.inf])
  assert mean == np.inf and np.isnan(std)


@pytest.mark.parametrize("values, axis, match", [
    ([], None, "values"), ([[1.0, 2.0]], 2, "axis")])
def test_mean_std_rejects_bad_input(values, axis, match):
  with pytest.raises(ValueError, match=match):
    metrics.mean_std(values, axis=axis)
