"""Features and class probabilities of jgen's shipped MNIST classifier.

The Frechet distance (Heusel et al. 2017) and the Inception score (Salimans
et al. 2016) were defined on an ImageNet Inception network; for digits the
usual practice (e.g. Lucic et al. 2018, "Are GANs created equal?", Section
5) is a classifier trained on MNIST. jgen ships one: a
:class:`jgen.nets.ConvClassifier` trained by ``python -m
launch.train_classifier`` (seeded) on mnist5k's 4,000 training images, its
weights in ``mnist_cnn.npz`` beside this module (float16, about 250 KB; no
download). :func:`classifier_info` gives its test accuracy on mnist5k's
1,000 test images and how it was trained.

Scores computed on these features are comparable with each other, not with
Inception-network FIDs published for MNIST.
"""

from __future__ import annotations

import functools
import os

import flax.traverse_util
import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen import nets

WEIGHTS = os.path.join(os.path.dirname(__file__), "mnist_cnn.npz")


def save_classifier(path: str, params, info: dict) -> None:
  """Writes classifier parameters (float16) and scalar ``info`` to an npz.

  Args:
    path: the .npz path.
    params: the :class:`jgen.nets.ConvClassifier` parameters.
    info: scalars to keep beside them (accuracy, seed, steps).

  Returns:
    None.
  """
  flat = flax.traverse_util.flatten_dict(params, sep="/")
  np.savez_compressed(path, **{f"param:{k}": np.asarray(v, np.float16)
                               for k, v in flat.items()},
                      **{f"info:{k}": np.asarray(v) for k, v in info.items()})


@functools.lru_cache(maxsize=4)
def _load(path: str):
  with np.load(path) as f:
    flat = {k[6:]: jnp.asarray(f[k], jnp.float32) for k in f.files
            if k.startswith("param:")}
    info = {k[5:]: f[k].item() for k in f.files if k.startswith("info:")}
  params = flax.traverse_util.unflatten_dict(flat, sep="/")
  model = nets.ConvClassifier(n_classes=int(info["n_classes"]),
                              features=int(info["features"]))
  return jax.jit(model.apply), params, info


def classifier_info(path: str = WEIGHTS) -> dict:
  """How the shipped classifier was trained and its mnist5k test accuracy.

  Args:
    path: the weights file (the shipped one by default).

  Returns:
    ``{"test_accuracy", "seed", "num_steps", "n_classes", "features", ...}``.
  """
  return dict(_load(path)[2])


def to_28x28(x) -> np.ndarray:
  """Flat 28x28 images as they are; flat 8x8 images (scikit-learn's digits)
  resized to 20x20 and centred in a 28x28 frame, as MNIST centres its digits
  in a 20x20 box (LeCun et al. 1998).

  Args:
    x: [N, 784] or [N, 64], values in [0, 1].

  Returns:
    [N, 784] float32.

  Raises:
    ValueError: another number of pixels.
  """
  x = _checks.data_matrix(x, "x").astype(np.float32)
  if x.shape[1] == 784:
    return x
  if x.shape[1] != 64:
    raise ValueError(f"x must hold flat 28x28 (784) or 8x8 (64) images, got "
                     f"{x.shape[1]} values per example.")
  small = jax.image.resize(jnp.asarray(x).reshape(-1, 8, 8), (len(x), 20, 20),
                           "linear")
  return np.asarray(jnp.pad(small, ((0, 0), (4, 4), (4, 4)))).reshape(-1, 784)


def mnist_features(x, *, batch_size: int = 500,
                   path: str = WEIGHTS) -> tuple[np.ndarray, np.ndarray]:
  """The shipped classifier's embedding and class probabilities of images.

  Args:
    x: flat images in [0, 1], [N, 784] (28x28) or [N, 64] (8x8, see
      :func:`to_28x28`).
    batch_size: images per compiled call.
    path: the weights file (the shipped one by default).

  Returns:
    ``(features [N, F], probs [N, C])`` as float64 NumPy arrays: the inputs of
    :func:`jgen.metrics.frechet_distance`,
    :func:`jgen.metrics.precision_recall_density_coverage` and
    :func:`jgen.metrics.inception_score`.

  Raises:
    ValueError: non-finite input or a wrong number of pixels.
  """
  _checks.integer(batch_size, "batch_size", low=1)
  x = to_28x28(x)
  apply, params, _ = _load(path)
  feats, probs = [], []
  for i in range(0, len(x), batch_size):
    xb = x[i:i + batch_size]
    pad = batch_size - len(xb)          # one compiled shape for every batch
    f, logits = apply(params, jnp.asarray(np.pad(xb, ((0, pad), (0, 0)))))
    feats.append(np.asarray(f, np.float64)[:len(xb)])
    probs.append(np.asarray(jax.nn.softmax(logits), np.float64)[:len(xb)])
  return np.concatenate(feats), np.concatenate(probs)
