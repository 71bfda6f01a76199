r"""IWAE (Burda et al. 2016), K = 5, with the VAE's networks and schedule.

  python -m launch.train --config=launch/configs/iwae.py --workdir=runs/iwae

Result (2 CPU cores, 2026-11, launch.train_vae; carried over): test log p(x)
-99.19 nats, no better than the VAE of ``vae.py``. Compared as Burda et al.
did (``burda_iwae.py`` against ``burda_vae.py``), the IWAE is 1.44 nats
above the VAE.
"""

from launch import configs


def get_config():
  return configs.make("iwae", dataset="mnist5k", num_steps=10_000, num_samples=5,
      amortization_gap=200)
