r"""The DCGAN-style unconditional GAN on mnist5k (classifier FID against the test split).

  python -m launch.train --config=launch/configs/dcgan_mnist.py --workdir=runs/dcgan_mnist

Result (2 CPU cores, 2026-11, seed 0, 5,000 steps; carried over): FID 191.3
(real-vs-real floor 17.3), Inception-style score 7.85, precision 0.414,
recall 0.775.
"""

from launch import configs


def get_config():
  return configs.make("gan", configs.MNIST_GAN)
