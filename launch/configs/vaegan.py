r"""VAE-GAN (Larsen et al. 2016) on mnist5k, a 32-D latent.

  python -m launch.train --config=launch/configs/vaegan.py --workdir=runs/vaegan

Result (--config.n_seeds=3, H100, JAX 0.11.2, 2026-11; carried over): FID
239.7 ± 18.9; a plain VAE of the same latent size and steps: 430.5.
"""

from launch import configs


def get_config():
  return configs.make("vaegan", configs.MNIST_TWO_PLAYER, image_shape=(28, 28),
      latent_dim=32, hidden=(128,), width=32)
