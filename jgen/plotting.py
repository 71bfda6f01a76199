"""Matplotlib figures for fitted models (returns figures; writes no files)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from jgen import distributed
from jgen.em import mixture


def _dense_covariances(params: mixture.GMMParams) -> np.ndarray:
  """Covariances as [K, D, D] whatever the covariance type."""
  cov = np.asarray(params.covariances)
  k, d = np.asarray(params.means).shape
  if params.covariance_type == "full":
    return cov
  if params.covariance_type == "tied":
    return np.broadcast_to(cov, (k, d, d))
  if params.covariance_type == "diag":
    return np.stack([np.diag(c) for c in cov])
  return cov[:, None, None] * np.eye(d)


def gmm_2d(ax, x: np.ndarray, params: mixture.GMMParams, title: str = "") -> None:
  """Scatter of 2-D data with 1- and 2-sigma ellipses of each component.

  Args:
    ax: a matplotlib Axes.
    x: data, [N, 2].
    params: mixture parameters with D = 2.
    title: axes title.
  """
  ax.scatter(x[:, 0], x[:, 1], s=2, alpha=0.3, color="0.4")
  t = np.linspace(0, 2 * np.pi, 100)
  circle = np.stack([np.cos(t), np.sin(t)])
  for w, mu, cov in zip(np.asarray(params.weights), np.asarray(params.means),
                        _dense_covariances(params)):
    if w <= 0:
      continue
    chol = np.linalg.cholesky(cov)
    for r in (1, 2):
      e = mu[:, None] + r * chol @ circle
      ax.plot(e[0], e[1], color="C3", lw=0.8 + 2 * w, alpha=0.8)
  ax.set_title(title)
  ax.set_aspect("equal", "datalim")


def history(ax, histories: dict[str, np.ndarray], ylabel: str) -> None:
  """Objective per EM iteration for several runs (NaN tails are dropped)."""
  for name, h in histories.items():
    h = np.asarray(h)
    h = h[np.isfinite(h)]
    ax.plot(np.arange(len(h)), h, marker=".", label=name)
  ax.set_xlabel("EM iteration")
  ax.set_ylabel(ylabel)
  ax.legend()


def figure(n_cols: int = 1, n_rows: int = 1, size: float = 4.0):
  """A figure with a grid of axes (always a 2-D array)."""
  fig, axes = plt.subplots(n_rows, n_cols, figsize=(size * n_cols, size * n_rows),
                           squeeze=False)
  return fig, axes


def image_grid(ax, images, shape: tuple[int, int], n_cols: int) -> None:
  """Draws images as one grey-scale grid, row by row, on white.

  Args:
    ax: matplotlib axes.
    images: [N, H * W] or [N, H, W] intensities in [0, 1].
    shape: ``(H, W)``.
    n_cols: images per row.
  """
  images = np.asarray(images).reshape(-1, *shape)
  n_rows = int(np.ceil(len(images) / n_cols))
  canvas = np.ones((n_rows * shape[0], n_cols * shape[1]))
  for i, im in enumerate(images):
    r, c = divmod(i, n_cols)
    canvas[r * shape[0]:(r + 1) * shape[0],
           c * shape[1]:(c + 1) * shape[1]] = im
  ax.imshow(canvas, cmap="gray", vmin=0, vmax=1)
  ax.axis("off")


def counts(ax, table, xlabel: str, ylabel: str) -> None:
  """Draws a table of counts as a heat map with each count written in its
  cell (e.g. :func:`jgen.metrics.matched_table`).

  Args:
    ax: matplotlib axes.
    table: [R, C] non-negative counts.
    xlabel, ylabel: what the columns and the rows are.
  """
  table = np.asarray(table)
  ax.imshow(table, cmap="Blues")
  top = max(table.max(), 1)
  for (r, col), n in np.ndenumerate(table):
    if n:
      ax.text(col, r, str(n), ha="center", va="center", fontsize=7,
              color="white" if n > top / 2 else "black")
  ax.set_xticks(range(table.shape[1]))
  ax.set_yticks(range(table.shape[0]))
  ax.set_xlabel(xlabel)
  ax.set_ylabel(ylabel)


def save(fig, path: str) -> None:
  """Saves (on process 0 of a multi-process run, :mod:`jgen.distributed`)
  and closes a figure.

  Args:
    fig: the figure.
    path: the PNG file.
  """
  if distributed.is_main():
    fig.tight_layout()
    fig.savefig(path, dpi=110)
  plt.close(fig)
