r"""InfoGAN (Chen et al. 2016, Table 1 networks) on mnist5k: Adam 1e-3 for G,
2e-4 for D, 64/128 channels, a 1,024-unit dense layer, batch norm in G and
in D with Q, no penalty, 16 noise dimensions, 10,000 steps.

  python -m launch.train --config=launch/configs/infogan.py --workdir=runs/infogan

Result (3 seeds, 2 CPU cores, 2026-12; carried over): categorical code
accuracy after matching 86.0% ± 2.1%, FID 38.9 ± 8.8.
"""

from launch import configs


def get_config():
  return configs.make(
      "infogan", configs.MNIST_GAN, lr_g=1e-3, lr_d=2e-4, penalty="none",
      num_steps=10_000, n_continuous=2, width=64, dense=1024, generator_norm="batch",
      critic_norm="batch", latent_dim=16)
