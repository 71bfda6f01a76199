r"""M2 (Kingma et al. 2014, eq. 9) on mnist5k with 100 labels; member d of
n_seeds trains on draw d of the seed's labelled subsets. alpha is the
per-example weight of the classification term (the paper's 0.1 N on
data-set sums is 0.1 N / n_labels here); 1,000 was the best of a search
on mnist5k at 100 labels. Every step moves each labelled and unlabelled
image by a random shift of up to 2 pixels (``shift``, Simard et al. 2003;
not in Kingma et al.), chosen on seed 0's draws with 15,000 steps.

  python -m launch.train --config=launch/configs/m2.py --workdir=runs/m2

Result (the untuned draws of seed 5, --config.seed=5, 2 CPU cores,
2026-12-07, 69 minutes on one core): test error 7.20% +- 0.82%, test
log p(x) -107.60 +- 0.65 nats.
Without shifts (30,000 steps): 16.78% on seed 0's draws (H100, 2026-11),
15.28% +- 1.55% on the untuned draws of seed 5 (2 CPU cores, 2026-12-07);
the paper: 11.97% with 50,000 unlabelled images. docs/results.md has the
per-draw figures.
"""

from launch import configs


def get_config():
  return configs.make("m2", dataset="mnist5k", num_steps=15_000, shift=2, n_seeds=5)
