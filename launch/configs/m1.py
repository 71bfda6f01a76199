r"""M1 (Kingma et al. 2014) as its authors built it: a VAE (784-500-500-50,
dynamic binarisation, kept at its best ELBO on 500 held-out training
images, flat latent dimensions dropped; ``ssvae.fit_m1``), then logistic
regression (L2 = 1, Newton steps), an RBF SVM, that SVM self-trained on
every training image (``ssvae.fit_m1_svm``, in the place of the paper's
transductive SVM), and label spreading over every training image
(``ssvae.fit_m1_spreading``), on the active posterior means of the 100
labelled images.

  python -m launch.train --config=launch/configs/m1.py --workdir=runs/m1

Result (the untuned draws of seed 5, ``--config.seed=5``, 2 CPU cores,
2026-12-07, 22 minutes): test error 9.48% +- 1.44% with the self-trained
SVM (the paper's M1+TSVM: 11.82%), 26.90% (logistic regression), 21.24%
(SVM), 14.64% (label spreading); 14 to 16 of 50 dimensions active.
"""

from launch import configs


def get_config():
  return configs.make("m1", dataset="mnist5k", num_steps=30, m1_steps=30_000, n_seeds=5)
