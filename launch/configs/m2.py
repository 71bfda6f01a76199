r"""M2 (Kingma et al. 2014, eq. 9) on mnist5k with 100 labels; member d of
n_seeds trains on draw d of the seed's labelled subsets. alpha is the
per-example weight of the classification term (the paper's 0.1 N on
data-set sums is 0.1 N / n_labels here); 1,000 was the best of a search
on mnist5k at 100 labels.

  python -m launch.train --config=launch/configs/m2.py --workdir=runs/m2

Result (5 draws, H100, JAX 0.11.2, 2026-11, then launch.train_ssvae; carried
over): test error 16.78% (the paper: 11.97% with 50,000 unlabelled images).
The untuned draws of seed 5 (--config.seed=5, 2 CPU cores, 2026-12-07):
15.28% +- 1.55%; docs/results.md has the per-draw figures.
"""

from launch import configs


def get_config():
  return configs.make("m2", dataset="mnist5k", num_steps=30_000, n_seeds=5)
