"""Clustering accuracy under the best cluster -> label map."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def cluster_accuracy(clusters, labels) -> float:
  """Accuracy of clusters under the best one-to-one cluster -> label map.

  The map maximises the number of matches (Hungarian algorithm on the
  contingency table; Yang et al. 2010, as used for unsupervised clustering of
  MNIST, e.g. Dilokthanakul et al. 2016). Clusters left without a label count
  as errors.

  Args:
    clusters: predicted cluster per example, ints, [N].
    labels: true class per example, ints, [N].

  Returns:
    The fraction of examples whose cluster maps to their label.
  """
  clusters, labels = np.asarray(clusters), np.asarray(labels)
  if clusters.shape != labels.shape or clusters.ndim != 1:
    raise ValueError(f"clusters and labels must be 1-D of equal length, got "
                     f"{clusters.shape} and {labels.shape}.")
  table = np.zeros((clusters.max() + 1, labels.max() + 1), np.int64)
  np.add.at(table, (clusters, labels), 1)
  rows, cols = linear_sum_assignment(-table)
  return float(table[rows, cols].sum() / len(labels))
