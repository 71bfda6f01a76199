r"""The adversarial autoencoder (Makhzani et al. 2015) on mnist5k, a Gaussian prior.

  python -m launch.train --config=launch/configs/aae.py --workdir=runs/aae

Result: not yet measured with this config.
"""

from launch import configs


def get_config():
  return configs.make("aae", configs.MNIST_TWO_PLAYER, penalty="none",
      hidden=(1000, 1000), latent_dim=8)
