r"""M1 (Kingma et al. 2014): a VAE (784-500-50) trained first on every training
image, then logistic regression (L2 = 1, Newton steps) on the posterior
means of the 100 labelled images.

  python -m launch.train --config=launch/configs/m1.py --workdir=runs/m1

Result (5 draws, H100, JAX 0.11.2, 2026-11, then launch.train_ssvae; carried
over): test error 29.40% (the paper's M1+TSVM: 11.82%).
"""

from launch import configs


def get_config():
  return configs.make("m1", dataset="mnist5k", num_steps=30, m1_steps=30_000, n_seeds=5)
