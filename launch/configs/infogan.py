r"""InfoGAN (Chen et al. 2016, Table 1 networks) on mnist5k: Adam 1e-3 for G,
2e-4 for D, 64/128 channels, a 1,024-unit dense layer, batch norm in G and
in D with Q, no penalty, 16 noise dimensions, 10,000 steps.

  python -m launch.train --config=launch/configs/infogan.py --workdir=runs/infogan

Result (2 CPU cores): categorical code accuracy after matching 86.0% ±
2.1%, FID 38.9 ± 8.8 on seeds 0-2, which tuned it (test-batch statistics
in Q, 2026-12); on the untuned seeds 3-5 with Q in evaluation mode
(``--config.seed=3 --config.n_seeds=3``, 2026-12-07) 74.6% ± 12.5% (60.8,
85.1, 77.8), FID 33.7, 46.3, 35.2. Training on to 15,000 steps collapses
the samples (recall <= 0.10) without helping the code (docs/results.md).
``--config.validate_every=1000 --config.validation_metric=code_information``
keeps the state whose code says most about held-out training images
(``jgen.metrics.code_information``; no labels), not yet measured here.
"""

from launch import configs


def get_config():
  return configs.make(
      "infogan", configs.MNIST_GAN, lr_g=1e-3, lr_d=2e-4, penalty="none",
      num_steps=10_000, n_continuous=2, width=64, dense=1024, generator_norm="batch",
      critic_norm="batch", latent_dim=16)
