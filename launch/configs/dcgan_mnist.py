r"""The DCGAN-style unconditional GAN on mnist5k (classifier FID against the
test split): Chen et al. (2016)'s InfoGAN networks without the codes (64
base channels, a 1,024-unit dense layer, batch norm in G), layer norm in the
critic with R1 (gamma 1), Adam at 1e-3 (G) and 2e-4 (D), 5,000 steps.

  python -m launch.train --config=launch/configs/dcgan_mnist.py --workdir=runs/dcgan_mnist

Seeds 3-5 (--config.seed=S; the levers were screened on seed 0, these seeds
not used; 2 CPU cores, 2026-12-06/07): FID 33.9, 27.5, 25.2, mean
28.9 ± 4.5 (real-vs-real floor 17.3), precision 0.745, recall 0.900
(docs/results.md). The earlier default (32 base channels, no norms, both
rates 5e-4) gave FID 191.3 at seed 0.
"""

from launch import configs


def get_config():
  return configs.make("gan", configs.MNIST_GAN, width=64, dense=1024,
                      generator_norm="batch", critic_norm="layer", lr_g=1e-3,
                      lr_d=2e-4)
