r"""The VAE of Burda et al. (2016) on mnist5k, the IWAE's fair baseline
(``configs.BURDA``: 784-200-200-50, dynamic binarisation, batch 20, model
selection on 500 held-out training images by log p(x)).

  python -m launch.train --config=launch/configs/burda_vae.py --workdir=runs/burda_vae

Result (2 CPU cores, 2026-12-06, seeds 0-2): the selected state's test log
p(x) -103.50 ± 0.48, training log p(x) 12.1 nats higher (docs/results.md).
"""

from launch import configs


def get_config():
  return configs.make("vae", configs.BURDA)
