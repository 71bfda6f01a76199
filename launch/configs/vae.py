r"""The Bernoulli VAE (Kingma & Welling 2014) on mnist5k: 784-400-20 MLPs, Adam 1e-3,
batch 128, 10,000 steps; log p(x) importance-sampled with K = 1,000.

  python -m launch.train --config=launch/configs/vae.py --workdir=runs/vae

Result (2 CPU cores, 2026-11, launch.train_vae; carried over): test log p(x)
-99.18 nats.
"""

from launch import configs


def get_config():
  return configs.make("vae", dataset="mnist5k", num_steps=10_000, amortization_gap=200)
