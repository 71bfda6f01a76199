"""One sample-quality evaluator of image generators against a test split."""

from __future__ import annotations

import numpy as np

from jgen.metrics._classifier import mnist_features
from jgen.metrics._features import frechet_distance
from jgen.metrics._features import inception_score
from jgen.metrics._features import precision_recall_density_coverage


class SampleQuality:
  """Scores generated images on the shipped MNIST classifier's features
  against a test split, with the real-vs-real floor.

  The reference features are computed once, at construction. Each call
  gives the classifier FID (Heusel et al. 2017, on
  :func:`jgen.metrics.mnist_features`), the Inception-style score (Salimans
  et al. 2016), improved precision/recall (Kynkaanniemi et al. 2019, k = 3)
  and density/coverage (Naeem et al. 2020, k = 5), the last four on at most
  as many samples as test images, and ``fid_real_floor``: the FID of the test images
  against as many training images drawn at random, the value a perfect
  generator of the training distribution would get.

  Args:
    x_train: training images in [0, 1], [N, 784] or [N, 64].
    x_test: test images, [M, D] with the same D.
    seed: seed of the draw of training images for the floor.
  """

  def __init__(self, x_train, x_test, *, seed: int = 0):
    x_train, x_test = np.asarray(x_train), np.asarray(x_test)
    if x_train.ndim != 2 or x_test.ndim != 2 or \
        x_train.shape[1] != x_test.shape[1]:
      raise ValueError(f"x_train and x_test must be [N, D] with the same D, "
                       f"got {x_train.shape} and {x_test.shape}.")
    if len(x_train) < len(x_test):
      raise ValueError(f"x_train needs at least as many images as x_test "
                       f"({len(x_test)}) for the floor, got {len(x_train)}.")
    self.n_test = len(x_test)
    self.f_test, _ = mnist_features(x_test)
    # as many training images as test images, drawn at random (a data set
    # may be ordered by class)
    pick = np.random.default_rng(seed).choice(len(x_train), self.n_test,
                                              replace=False)
    self.floor = frechet_distance(self.f_test, mnist_features(x_train[pick])[0])

  def __call__(self, samples) -> dict:
    """The scores of ``samples``.

    Args:
      samples: generated images, [S, D] with S > 5 (the VEEGAN/PacGAN
        protocol draws 2,500; fewer than the test images bias FID upward).

    Returns:
      ``{"fid", "inception_score", "precision", "recall", "density",
      "coverage", "fid_real_floor", "n_test", "n_samples"}``.

    Raises:
      ValueError: 5 samples or fewer, or images the classifier does not
        take.
    """
    samples = np.asarray(samples)
    if samples.ndim != 2 or len(samples) <= 5:
      raise ValueError(f"samples must be [S, D] with S > 5 (the k-nearest "
                       f"neighbour balls), got {samples.shape}.")
    f_fake, p_fake = mnist_features(samples)
    n = self.n_test
    pr = precision_recall_density_coverage(self.f_test, f_fake[:n], k=3)
    dc = precision_recall_density_coverage(self.f_test, f_fake[:n], k=5)
    return {"fid": frechet_distance(self.f_test, f_fake),
            "inception_score": inception_score(p_fake),
            "precision": pr["precision"], "recall": pr["recall"],
            "density": dc["density"], "coverage": dc["coverage"],
            "fid_real_floor": self.floor, "n_test": n,
            "n_samples": len(samples)}
