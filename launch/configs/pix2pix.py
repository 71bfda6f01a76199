r"""pix2pix (Isola et al. 2017) on mnist5k_inpaint (the masked centre filled in).

  python -m launch.train --config=launch/configs/pix2pix.py --workdir=runs/pix2pix

Result (--config.n_seeds=3, H100, JAX 0.11.2, 2026-11; carried over): test
L1 0.0423 ± 0.0002, PSNR 17.32 ± 0.04 dB, class kept 86.0% ± 0.7%.
"""

from launch import configs


def get_config():
  return configs.make("pix2pix", configs.MNIST_TWO_PLAYER,
      dataset="mnist5k_inpaint", width=32)
