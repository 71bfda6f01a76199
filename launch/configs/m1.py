r"""M1 (Kingma et al. 2014) as its authors built it: a VAE (784-500-500-50,
dynamic binarisation, kept at its best ELBO on 500 held-out training images,
flat latent dimensions dropped; ``ssvae.fit_m1``), then logistic
regression (L2 = 1, Newton steps), an RBF SVM, and label spreading over
every training image (``ssvae.fit_m1_spreading``, transductive as the
paper's TSVM) on the active posterior means of the 100 labelled images.

  python -m launch.train --config=launch/configs/m1.py --workdir=runs/m1

Result (5 draws of seed 0, 2 CPU cores, 2026-12-06): test error 28.46%
(logistic regression), 21.60% (SVM), 15 of 50 dimensions active. On the
untuned draws of seed 5 (the M1s of an M1+M2 run, 2026-12-07): 26.32%,
21.20%, and 14.64% with label spreading (the paper's M1+TSVM: 11.82%).
"""

from launch import configs


def get_config():
  return configs.make("m1", dataset="mnist5k", num_steps=30, m1_steps=30_000, n_seeds=5)
