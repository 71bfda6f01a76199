r"""M1+M2 (Kingma et al. 2014): M2 with a Gaussian likelihood on samples of
M1's q(z1 | x), drawn afresh every step (the posterior mean at test time).

  python -m launch.train --config=launch/configs/m1_m2.py --workdir=runs/m1_m2

Result (5 draws, H100, JAX 0.11.2, 2026-11, then launch.train_ssvae; carried
over, from the M1 of before 2026-12-06: 784-500-50, no early stopping, every
latent dimension, and M2's Gaussian at unit variance): test error 15.10%
(the paper: 3.33%). Not yet re-run with today's M1 (500-500, early
stopping, inactive dimensions dropped) and M2's learned variance.
"""

from launch import configs


def get_config():
  return configs.make("m1_m2", dataset="mnist5k", num_steps=30_000, m1_steps=30_000,
      n_seeds=5)
