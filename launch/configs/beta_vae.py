r"""beta-VAE (Higgins et al. 2017), beta = 4, with the VAE's networks.

  python -m launch.train --config=launch/configs/beta_vae.py --workdir=runs/beta_vae

Result: not yet measured with this config (launch.reproduce's vae section
sweeps beta as one vmapped call).
"""

from launch import configs


def get_config():
  return configs.make("beta_vae", dataset="mnist5k", num_steps=10_000, beta=4.0)
