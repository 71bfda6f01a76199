"""Task metrics and the sample-quality evaluator against closed forms, NumPy,
SciPy and the shipped classifier's recorded test accuracy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special
from scipy import stats

from jgen import data
from jgen import metrics

RNG = np.random.default_rng(0)


def test_error_rate_matches_numpy_and_traces():
  logits = RNG.normal(size=(50, 4))
  y = RNG.integers(0, 4, 50)
  want = np.mean(logits.argmax(1) != y)
  assert float(metrics.error_rate(logits, y)) == pytest.approx(want)
  jitted = jax.jit(metrics.error_rate)(jnp.asarray(logits), jnp.asarray(y))
  assert float(jitted) == pytest.approx(want)
  with pytest.raises(ValueError, match="logits"):
    metrics.error_rate(logits[:, 0], y)
  with pytest.raises(ValueError, match="labels"):
    metrics.error_rate(logits, y[:3])


def test_code_accuracy_is_invariant_to_relabelling_codes():
  y = RNG.integers(0, 5, 200)
  perm = np.array([3, 0, 4, 1, 2])
  logits = np.eye(5)[perm[y]] + 0.01 * RNG.normal(size=(200, 5))
  assert metrics.code_accuracy(logits, y) == 1.0
  # 20 images moved to another code: by hand, 180 of 200 still match
  wrong = logits.copy()
  wrong[:20] = np.roll(wrong[:20], 1, axis=1)
  assert metrics.code_accuracy(wrong, y) == pytest.approx(180 / 200)
  with pytest.raises(ValueError, match="code_logits"):
    metrics.code_accuracy(logits[:, :1], y)


def test_code_information_against_scipy_entropies_and_its_bounds():
  logits = RNG.normal(size=(300, 6)) * 3
  q = special.softmax(logits, axis=1)
  want_h = stats.entropy(q.mean(0))
  want_given = np.mean([stats.entropy(row) for row in q])
  got = metrics.code_information(logits)
  assert got["code_entropy"] == pytest.approx(want_h, rel=1e-12)
  assert got["code_conditional_entropy"] == pytest.approx(want_given,
                                                          rel=1e-12)
  assert got["code_information"] == pytest.approx(want_h - want_given,
                                                  rel=1e-12)
  # codes used equally, each image certain: log K; one code for all: 0
  certain = 50.0 * np.eye(6)[np.arange(300) % 6]
  assert metrics.code_information(certain)["code_information"] == (
      pytest.approx(np.log(6)))
  assert metrics.code_information(np.zeros((10, 6)))["code_information"] == (
      pytest.approx(0.0, abs=1e-12))
  with pytest.raises(ValueError, match="code_logits"):
    metrics.code_information(logits[:, :1])


def test_class_metrics_on_real_images_give_the_classifiers_test_accuracy():
  ds = data.load("mnist5k")
  x = ds.x_test.reshape(len(ds.x_test), -1)
  recorded = metrics.classifier_info()["test_accuracy"]     # 0.982
  for fn in (metrics.conditional_accuracy, metrics.class_kept):
    assert fn(x, ds.y_test) == pytest.approx(recorded, abs=5e-4)
  assert metrics.conditional_accuracy(x[:100], (ds.y_test[:100] + 1) % 10) \
      < 0.1
  with pytest.raises(ValueError, match="asked"):
    metrics.conditional_accuracy(x[:10], ds.y_test[:9])
  with pytest.raises(ValueError, match="input_labels"):
    metrics.class_kept(x[:10], ds.y_test[:9])


def test_psnr_closed_form():
  x = RNG.uniform(size=(3, 10))
  np.testing.assert_allclose(metrics.psnr(x, x + 0.1), 20.0, rtol=1e-9)
  np.testing.assert_allclose(metrics.psnr(2 * x, 2 * x + 0.1, data_range=2.0),
                             10 * np.log10(4 / 0.01), rtol=1e-9)
  assert np.isinf(metrics.psnr(x, x)).all()
  with pytest.raises(ValueError, match="x and y"):
    metrics.psnr(x, x[:2])
  with pytest.raises(ValueError, match="data_range"):
    metrics.psnr(x, x, data_range=0.0)


def test_sample_quality_of_the_test_images_themselves():
  ds = data.load("digits")
  x = ds.x_train.reshape(len(ds.x_train), -1)
  x_test = ds.x_test.reshape(len(ds.x_test), -1)
  score = metrics.SampleQuality(x, x_test)
  out = score(x_test)
  # the samples are the reference: FID 0, every sample inside the real
  # manifold and every real ball covered (closed forms)
  assert out["fid"] == pytest.approx(0.0, abs=1e-4)  # sqrtm round-off
  assert out["precision"] == out["recall"] == out["coverage"] == 1.0
  assert out["n_test"] == out["n_samples"] == len(x_test)
  # the floor: test images against as many training images
  f_test, _ = metrics.mnist_features(x_test)
  pick = np.random.default_rng(0).choice(len(x), len(x_test), replace=False)
  floor = metrics.frechet_distance(f_test, metrics.mnist_features(x[pick])[0])
  assert out["fid_real_floor"] == pytest.approx(floor) and floor > 0
  assert score(x[pick])["fid"] == pytest.approx(floor)
  with pytest.raises(ValueError, match="samples"):
    score(x_test[:5])
  with pytest.raises(ValueError, match="x_train and x_test"):
    metrics.SampleQuality(x, x_test[:, :10])
  with pytest.raises(ValueError, match="x_train"):
    metrics.SampleQuality(x[:10], x_test)
