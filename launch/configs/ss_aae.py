r"""The semi-supervised AAE (Makhzani et al. 2015) on mnist5k with 100 labels;
member d of n_seeds takes draw d of the seed's labelled subsets.

  python -m launch.train --config=launch/configs/ss_aae.py --workdir=runs/ss_aae

Result (--config.n_seeds=3, 2 CPU cores, 2026-12-06, 20 minutes): test
error 14.9% ± 1.3% (15.5, 13.4, 15.7), FID 264.7 ± 15.3; the label-only
classifier on the same labels 23.6% ± 1.5%.
"""

from launch import configs


def get_config():
  return configs.make("ss_aae", configs.MNIST_TWO_PLAYER, penalty="none",
      hidden=(1000, 1000), latent_dim=10, n_labels=100, alpha=100.0)
