r"""M1+M2 (Kingma et al. 2014): M2 with a Gaussian likelihood on samples of
M1's q(z1 | x), drawn afresh every step (the posterior mean at test time).

  python -m launch.train --config=launch/configs/m1_m2.py --workdir=runs/m1_m2

Result (the 5 label draws of 100 labels, 2 CPU cores, 2026-12-06, 37 min):
test error 8.52% +- 1.15% (the paper: 3.33%; the target: below 6%); the
same draws continued to 60,000 steps: 7.68% +- 0.98%. The untuned draws
of seed 5 (--config.seed=5, 2026-12-07): 8.14% +- 1.29%; at 60,000 steps
8.40% +- 1.26%, and with alpha 100 8.20% +- 1.06%. docs/results.md has the
per-draw figures.
"""

from launch import configs


def get_config():
  return configs.make("m1_m2", dataset="mnist5k", num_steps=30_000, m1_steps=30_000,
      n_seeds=5)
