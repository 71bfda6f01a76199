r"""CycleGAN (Zhu et al. 2017) from 8x8 digits to MNIST style, least squares, no penalty.

  python -m launch.train --config=launch/configs/cyclegan.py --workdir=runs/cyclegan

Result (--config.n_seeds=3, H100, JAX 0.11.2, 2026-11; carried over): class
kept 89.4%, cycle L1 0.0126 ± 0.0006.
"""

from launch import configs


def get_config():
  return configs.make("cyclegan", configs.MNIST_TWO_PLAYER,
      dataset="digits_to_mnist5k", loss="least_squares", penalty="none", width=32)
