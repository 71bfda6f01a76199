r"""The structured-GAN section of ``launch.reproduce``: one table, one row per
model, each trained from its config file (``launch/configs/<model>.py``) on
mnist5k (or its translation tasks) for ``N_SEEDS`` seeds as a user would
run ``launch.train``, the seeds of a model as one compiled computation
(``--config.n_seeds``):

* CGAN and AC-GAN: classifier FID, precision/recall, and the accuracy of the
  shipped classifier on samples asked for each class (the bar: 90%);
* InfoGAN: Q's categorical code as a classifier of the test images after the
  best one-to-one matching of codes to digits (Chen et al. 2016 report about
  5% error; the bar: 90% accuracy in every seed);
* the semi-supervised AAE's test error at 100 labels beside the label-only
  classifier of the same labels (Makhzani et al. 2015 report 1.90% on full
  MNIST; the bar: beat the label-only classifier);
* VAE-GAN's FID beside a plain VAE's (the same latent size and steps);
* pix2pix on ``mnist5k_inpaint``: L1 and PSNR on the test pairs, and the
  class the shipped classifier sees in its outputs;
* CycleGAN on ``digits_to_mnist5k``: the class kept from 8x8 digits to
  MNIST style and the cycle reconstruction error.
"""

from __future__ import annotations

import importlib
import os

import jax
import jax.numpy as jnp
import numpy as np

from jgen import data
from jgen import metrics
from jgen import models
from jgen.models import ssvae
from jgen import sweep
from jgen import train
from launch.sections import scripts

N_SEEDS = 3
# Each row's config file, launch/configs/<name>.py.
MODELS = ("cgan", "acgan", "infogan", "vaegan", "ss_aae", "pix2pix",
          "cyclegan")
# --quick: small networks on the 8x8 digits, 2 steps.
QUICK = {"num_steps": 2, "batch_size": 8}
DIGITS = {"dataset": "digits", "image_shape": (8, 8), "width": 4}
QUICK_MODEL = {
    "cgan": DIGITS, "acgan": DIGITS, "infogan": {**DIGITS, "dense": 16},
    "vaegan": {**DIGITS, "hidden": (16,)},
    "ss_aae": {"dataset": "digits", "hidden": (16, 16), "n_labels": 50},
    "pix2pix": {"width": 4}, "cyclegan": {"width": 4}}
# What each row reports (result.json keys), and the published figures.
HEADLINE = {
    "cgan": ("conditional_accuracy", "fid", "precision", "recall"),
    "acgan": ("conditional_accuracy", "fid", "precision", "recall"),
    "infogan": ("code_accuracy", "code_information", "fid"),
    "vaegan": ("fid", "precision", "recall"),
    "ss_aae": ("test_error", "fid"),
    "pix2pix": ("l1", "psnr", "class_kept"),
    "cyclegan": ("class_kept", "cycle_l1", "fid"),
}
PUBLISHED = {
    "infogan": "about 5% error of the categorical code on MNIST (Chen et "
               "al. 2016, Section 7.1)",
    "ss_aae": "1.90% error at 100 labels on full MNIST (Makhzani et al. 2015, "
           "Table 2)",
}


def _vae_fid(x, x_test, latent_dim: int, num_steps: int) -> float:
  """A plain VAE (Bernoulli MLP, 400 hidden units) on the same images:
  the FID of its decoded prior samples (pixel means) against the test
  images, VAE-GAN's baseline."""
  entry = models.get("vae")
  m = entry.make(entry.config(data_dim=x.shape[1], latent_dim=latent_dim,
                              hidden=(400,), batch_size=100))
  fit = train.train(m.init(jax.random.PRNGKey(0)), m.step,
                    {"x": jnp.asarray(x)}, m.hparams, num_steps=num_steps,
                    chunk_size=train.largest_divisor(num_steps, 1000),
                    batch_fn=m.batch_fn)
  means = m.sample(fit.state, jax.random.PRNGKey(1), 2500)
  f_fake, _ = metrics.mnist_features(np.asarray(means))
  f_test, _ = metrics.mnist_features(x_test)
  return metrics.frechet_distance(f_test, f_fake)


def _label_only_error(x, y, x_test, y_test, n_labels: int, seeds: int,
                      num_steps: int) -> np.ndarray:
  """The label-only classifier (M2's q(y|x), 500 hidden units) on
  ``seeds`` class-balanced draws of ``n_labels`` labels, one vmapped call."""
  s = ssvae.build_m2(x.shape[1], latent_dim=10, hidden=(500,), binarize_data=True)
  # label_seed 0, draw d: the labels of the AAE's member d (--seed=0)
  run = ssvae.make_run(s, num_steps=num_steps, n_labels=n_labels,
                       batch_size=100, label_seed=0, labels_only=True)
  grid = sweep.grid(seeds=[0], alpha=[1.0], lr=[1e-3],
                    draw=list(range(seeds)))
  d = {"x": jnp.asarray(x), "y": jnp.asarray(y, jnp.int32),
       "x_test": jnp.asarray(x_test), "y_test": jnp.asarray(y_test, jnp.int32)}
  return np.asarray(sweep.run(run, grid, jax.random.PRNGKey(0),
                              d).outputs[0]).ravel()


def _config(name: str) -> dict:
  """The fields of ``launch/configs/<name>.py``."""
  module = importlib.import_module(f"launch.configs.{name}")
  return module.get_config().to_dict()


def section(workdir: str, quick: bool) -> tuple[dict, str]:
  """The zoo table: ``(results, markdown)``."""
  seeds = 2 if quick else N_SEEDS
  runs, used = {}, {}
  for model in MODELS:
    over = {**QUICK, **QUICK_MODEL[model]} if quick else {}
    used[model] = {**_config(model), **over}
    runs[model] = scripts.run_script(
        "launch.train", os.path.join(workdir, "gan_zoo", model),
        config=os.path.join("launch", "configs", f"{model}.py"),
        **{f"config.{k}": v for k, v in {**over, "n_seeds": seeds}.items()}
    )["runs"]
  ds = data.load("digits" if quick else "mnist5k")
  x = ds.x_train.reshape(len(ds.x_train), -1)
  x_test = ds.x_test.reshape(len(ds.x_test), -1)
  n_labels = used["ss_aae"]["n_labels"]
  label_only = _label_only_error(x, ds.y_train, x_test, ds.y_test, n_labels,
                                 seeds, 20 if quick else 2000)
  vae_fid = _vae_fid(x, x_test, used["vaegan"]["latent_dim"],
                     used["vaegan"]["num_steps"] if not quick else 20)

  results = {"runs": {m: [{k: r[k] for k in HEADLINE[m]} for r in rs]
                      for m, rs in runs.items()},
             "label_only_test_error": label_only.tolist(),
             "vae_fid": vae_fid, "seeds": seeds,
             "num_steps": {m: f["num_steps"] for m, f in used.items()}}
  md = ["## Structured GANs (launch.train, launch/configs/)", "",
        f"Each model trained by `python -m launch.train "
        f"--config=launch/configs/<model>.py --config.n_seeds={seeds}`, "
        f"the seeds as one compiled computation (mean ± std over seeds); "
        f"metrics on the shipped MNIST classifier against the test split. "
        f"Steps: " + ", ".join(f"{m} {f['num_steps']}"
                               for m, f in used.items()) + ".", "",
        "| model | data | metric | jgen | published |", "|---|---|---|---|---|"]
  for model, rs in runs.items():
    for key in HEADLINE[model]:
      mean, std = metrics.mean_std([r[key] for r in rs])
      md.append(f"| {model} | {used[model]['dataset']} | {key} | "
                f"{mean:.4g} ± {std:.2g} | "
                f"{PUBLISHED.get(model, '-') if key == HEADLINE[model][0] else '-'} |")
  md.append(f"| label-only classifier ({n_labels} labels) | "
            f"{used['ss_aae']['dataset']} | test_error | "
            "{:.4g} ± {:.2g} | - |".format(*metrics.mean_std(label_only)))
  md.append(f"| plain VAE (latent {used['vaegan']['latent_dim']}) | "
            f"{used['vaegan']['dataset']} | fid | {vae_fid:.4g} | - |")
  md += ["", "Overrides of the config files in this run: " + ("; ".join(
      f"{m}: " + " ".join(f"`--config.{k}={v}`" for k, v in
                          {**QUICK, **QUICK_MODEL[m]}.items())
      for m in MODELS) if quick else "none") + ".",
         "", "![classes](gan_zoo/cgan/classes.png)",
         "![classes](gan_zoo/acgan/classes.png)",
         "![traversals](gan_zoo/infogan/traversals.png)",
         "![codes](gan_zoo/infogan/codes.png)",
         "![samples](gan_zoo/vaegan/samples.png)",
         "![latent](gan_zoo/ss_aae/latent.png)",
         "![triples](gan_zoo/pix2pix/triples.png)",
         "![cycles](gan_zoo/cyclegan/cycles.png)", ""]
  return results, "\n".join(md)
