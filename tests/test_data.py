"""jgen.data: names, dtypes, ranges, determinism, user files."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgen import data


@pytest.mark.parametrize("name, dim", [("ring8", 2), ("grid25", 2),
                                       ("two_moons", 2), ("blobs", 2),
                                       ("digits", 64), ("mnist5k", 784)])
def test_builtin_sets(name, dim):
  d = data.load(name, seed=1, n_samples=500)
  assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int32
  assert d.x_train.shape[1] == dim and len(d.x_train) == len(d.y_train)
  again = data.load(name, seed=1, n_samples=500)
  np.testing.assert_array_equal(d.x_train, again.x_train)
  if name in ("digits", "mnist5k"):
    assert d.x_train.min() >= 0 and d.x_train.max() <= 1


def test_mnist5k_split_is_fixed_and_balanced():
  d = data.load("mnist5k", seed=3)
  assert d.x_train.shape == (4000, 784) and d.x_test.shape == (1000, 784)
  np.testing.assert_array_equal(np.bincount(d.y_test), np.full(10, 100))
  np.testing.assert_array_equal(d.x_test, data.load("mnist5k", seed=4).x_test)


def test_toy_geometry():
  d = data.load("grid25", n_samples=5000)
  x = np.concatenate([d.x_train, d.x_test])
  nearest = np.round(x / 2) * 2
  assert np.abs(x - nearest).max() < 0.4 and set(np.unique(nearest)) == {
      -4, -2, 0, 2, 4}
  r = np.linalg.norm(np.concatenate(data.load("ring8").x_train[None]), axis=-1)
  assert np.allclose(r, 2.0, atol=0.15)


def test_npz_files(tmp_path):
  path = tmp_path / "mine.npz"
  np.savez(path, x=np.arange(20.0).reshape(10, 2))
  d = data.load(f"npz:{path}", test_fraction=0.2)
  assert len(d.x_train) == 8 and np.all(d.y_train == -1)
  with pytest.raises(ValueError, match="does not exist"):
    data.load(f"npz:{tmp_path}/missing.npz")


def test_unknown_name():
  with pytest.raises(ValueError, match="name must be one of"):
    data.load("imagenet")


def test_every_package_is_an_attribute_of_jgen():
  import jgen
  for name in ("adversarial", "classifiers", "data", "divergences", "dynamics",
               "em", "evidence", "games", "hybrid", "likelihoods", "metrics",
               "minimax", "nets", "plotting", "sweep", "train", "variational"):
    assert hasattr(jgen, name), name


def test_npz_paths_that_are_not_archives(tmp_path):
  np.save(tmp_path / "a.npy", np.zeros(3))
  (tmp_path / "junk.npz").write_text("not a zip")
  for path, what in [(tmp_path, "directory"), (tmp_path / "a.npy", "not an .npz"),
                     (tmp_path / "junk.npz", "could not be read")]:
    with pytest.raises(ValueError, match=what):
      data.load(f"npz:{path}")


def test_binarize_is_bernoulli_of_the_intensity():
  x = jnp.full((200000,), 0.3)
  b = np.asarray(data.binarize(jax.random.PRNGKey(0), x))
  assert set(np.unique(b)) <= {0.0, 1.0}
  assert abs(b.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / b.size)


def _moved(img, dy, dx):
  """``img`` [H, W, ...] moved by (dy, dx), zero-filled (the NumPy
  reference)."""
  h, w = img.shape[:2]
  out = np.zeros_like(img)
  for i in range(h):
    for j in range(w):
      if 0 <= i - dy < h and 0 <= j - dx < w:
        out[i, j] = img[i - dy, j - dx]
  return out


def test_random_shift_moves_each_flat_image_by_its_own_shift_in_range():
  rng = np.random.default_rng(0)
  x = rng.uniform(0.1, 1.0, (32, 8 * 8)).astype(np.float32)
  out = np.asarray(data.random_shift(jax.random.PRNGKey(1), jnp.asarray(x), 2,
                                     (8, 8)))
  assert out.shape == x.shape and out.dtype == x.dtype
  shifts = []
  for img, got in zip(x.reshape(-1, 8, 8), out.reshape(-1, 8, 8)):
    hits = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
            if np.array_equal(_moved(img, dy, dx), got)]
    assert len(hits) == 1                 # one shift, none beyond 2 pixels
    shifts.append(hits[0])
  assert len(set(shifts)) > 10            # each image draws its own
  assert {abs(dy) for dy, _ in shifts} == {0, 1, 2}
  np.testing.assert_array_equal(np.asarray(data.random_shift(
      jax.random.PRNGKey(1), jnp.asarray(x), 0, (8, 8))), x)


def test_random_shift_refuses_bad_arguments():
  x = jnp.zeros((4, 64))
  for shift, match in [(-1, "max_shift"), (8, "max_shift"), (1.5, "max_shift")]:
    with pytest.raises((ValueError, TypeError), match=match):
      data.random_shift(jax.random.PRNGKey(0), x, shift, (8, 8))
  with pytest.raises(ValueError, match="max_shift: one integer or a pair"):
    data.random_shift(jax.random.PRNGKey(0), x, (1, 1, 1), (8, 8))
  with pytest.raises(ValueError, match="x: flat images of 7x7"):
    data.random_shift(jax.random.PRNGKey(0), x, 1, (7, 7))
  with pytest.raises(ValueError, match="x: images"):
    data.random_shift(jax.random.PRNGKey(0), x, 1)


def test_labelled_subset_is_class_balanced_distinct_and_reproducible():
  y = jnp.asarray(np.random.default_rng(0).integers(0, 3, 200))
  idx = np.asarray(data.labelled_subset(y, 15, n_classes=3, seed=4))
  assert idx.shape == (15,) and len(set(idx)) == 15
  np.testing.assert_array_equal(np.asarray(y)[idx], np.repeat([0, 1, 2], 5))
  np.testing.assert_array_equal(
      idx, np.asarray(data.labelled_subset(y, 15, n_classes=3, seed=4)))
  draws = jax.vmap(lambda d: data.labelled_subset(y, 15, n_classes=3, seed=4,
                                                  draw=d))(jnp.arange(4))
  assert len({tuple(d) for d in np.asarray(draws)}) == 4
  # the vmapped draws are the draws one at a time (one convention)
  for d in range(4):
    np.testing.assert_array_equal(draws[d], data.labelled_subset(
        y, 15, n_classes=3, seed=4, draw=d))
  # draw d of seed s is keyed by fold_in(PRNGKey(s), d), class c by
  # fold_in(that key, c): the first class's draw by hand
  key = jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(4), 2), 0)
  want = jax.random.choice(key, 200, (5,), replace=False,
                           p=((y == 0) / jnp.sum(y == 0)).astype(jnp.float32))
  np.testing.assert_array_equal(draws[2][:5], want)
  with pytest.raises(ValueError, match="class 1 has 1"):
    data.labelled_subset(jnp.asarray([0, 0, 0, 1]), 4, n_classes=2)


def test_labelled_subsets_of_digits_are_balanced_reproducible_and_differ():
  y = data.load("digits").y_train
  a = data.labelled_subset(y, 50, n_classes=10, seed=0)
  b = data.labelled_subset(y, 50, n_classes=10, seed=0)
  c = data.labelled_subset(y, 50, n_classes=10, seed=1)
  np.testing.assert_array_equal(a, b)
  assert len(np.unique(a)) == 50
  np.testing.assert_array_equal(np.bincount(np.asarray(y)[a], minlength=10),
                                np.full(10, 5))
  assert set(np.asarray(a).tolist()) != set(np.asarray(c).tolist())


@pytest.mark.parametrize("kwargs,match", [
    ({"n_labels": 5}, "n_labels"), ({"n_labels": 10**6}, "n_labels"),
    ({"n_labels": 55}, "multiple"), ({"n_classes": 1}, "n_classes"),
    ({"seed": -1}, "seed"), ({"draw": 1.5}, "draw"), ({"draw": True}, "draw")])
def test_bad_labelled_subsets(kwargs, match):
  y = data.load("digits").y_train
  with pytest.raises(ValueError, match=match):
    data.labelled_subset(y, **{"n_labels": 20, "n_classes": 10, **kwargs})


def test_labels_outside_the_classes_are_refused():
  y = np.array(data.load("digits").y_train)
  y[3] = 10
  with pytest.raises(ValueError, match="y"):
    data.labelled_subset(y, 20, n_classes=10)


def test_pca_matches_the_svd_of_the_centred_data():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6))
  xt = rng.normal(size=(20, 6))
  f_train, f_test = data.pca(x, xt, n_components=3)
  mean = x.mean(0)
  _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
  scale = s[0] / np.sqrt(len(x) - 1)
  for f, a in ((f_train, x), (f_test, xt)):
    ref = (a - mean) @ vt[:3].T / scale
    np.testing.assert_allclose(np.abs(f), np.abs(ref), rtol=1e-3, atol=1e-4)
  assert f_train.dtype == np.float32
  with pytest.raises(ValueError, match="n_components"):
    data.pca(x, n_components=7)
  with pytest.raises(ValueError, match="others"):
    data.pca(x, xt[:, :5], n_components=2)
