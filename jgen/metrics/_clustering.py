"""Clustering accuracy under the best cluster -> label map, and the
contingency table so matched."""

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
  table = matched_table(clusters, labels)
  return float(np.trace(table) / len(np.asarray(labels)))


def matched_table(clusters, labels) -> np.ndarray:
  """The contingency table of clusters against labels, its rows ordered by
  the best one-to-one cluster -> label map (the Hungarian algorithm of
  :func:`cluster_accuracy`): row ``j`` is the cluster matched to label
  ``j``, so the matched counts lie on the diagonal; clusters left without a
  label follow, and a label left without a cluster has a row of zeros.

  Args:
    clusters: predicted cluster per example, non-negative ints, [N].
    labels: true class per example, non-negative ints, [N].

  Returns:
    ``[max(K, C), C]`` int64 counts (``K`` clusters, ``C`` labels).

  Raises:
    ValueError: ``clusters`` and ``labels`` not 1-D of equal length.
  """
  clusters, labels = np.asarray(clusters), np.asarray(labels)
  if clusters.shape != labels.shape or clusters.ndim != 1:
    raise ValueError(f"clusters and labels must be 1-D of equal length, got "
                     f"{clusters.shape} and {labels.shape}.")
  n_labels = labels.max() + 1
  table = np.zeros((max(clusters.max() + 1, n_labels), n_labels), np.int64)
  np.add.at(table, (clusters, labels), 1)
  # at least as many rows as labels (zero rows pad), so every label is
  # matched to a row
  rows, cols = linear_sum_assignment(-table)
  order = rows[np.argsort(cols)]
  rest = np.setdiff1d(np.arange(len(table)), rows)
  return table[np.concatenate([order, rest])]
