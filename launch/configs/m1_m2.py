r"""M1+M2 (Kingma et al. 2014): M2 with a Gaussian likelihood on samples of
M1's q(z1 | x), drawn afresh every step (the posterior mean at test time).
M1 trains on its images moved by a random shift of up to 2 pixels every
step (``m1_shift``, Simard et al. 2003; not in Kingma et al.), chosen on
seed 0's draws.

  python -m launch.train --config=launch/configs/m1_m2.py --workdir=runs/m1_m2

Result (the untuned draws of seed 5, --config.seed=5, 2 CPU cores,
2026-12-07, 38 minutes on one core): test error 5.06% +- 0.80% (the
paper: 3.33% with 50,000 unlabelled images; the target: below 6%).
Without shifts (2 CPU cores, 2026-12-06 and -07): 8.52% +- 1.15% on seed
0's draws, 8.14% +- 1.29% on the untuned draws of seed 5 (--config.seed=5;
8.40% at 60,000 steps, 8.20% with alpha 100); the paper: 3.33%, the
target: below 6%. docs/results.md has the per-draw figures.
"""

from launch import configs


def get_config():
  return configs.make("m1_m2", dataset="mnist5k", num_steps=30_000, m1_steps=30_000,
      m1_shift=2, n_seeds=5)
