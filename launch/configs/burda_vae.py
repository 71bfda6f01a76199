r"""The VAE of Burda et al. (2016) on mnist5k, the IWAE's fair baseline
(``configs.BURDA``: 784-200-200-50, dynamic binarisation, batch 20, model
selection on 500 held-out training images by log p(x)).

  python -m launch.train --config=launch/configs/burda_vae.py --workdir=runs/burda_vae

Result: ``result.json``'s ``selected`` (the best-on-validation state's test
and training log p(x)); docs/results.md gives the figures.
"""

from launch import configs


def get_config():
  return configs.make("vae", configs.BURDA)
