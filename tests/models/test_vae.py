"""The VAE family assembled (jgen.models.vae): every model from the
registry trains, samples and evaluates; its config refuses what does not
apply."""

import jax
import numpy as np
import pytest

from jgen import data
from jgen import models
from jgen import train
from jgen.models import vae

KEY = jax.random.PRNGKey(0)


@pytest.mark.parametrize("name", vae.MODELS)
def test_every_model_trains_samples_and_evaluates(name, tmp_path):
  ds = data.load("digits")
  entry = models.get(name)
  m = entry.make(entry.config(data_dim=64, latent_dim=2, hidden=(16,),
                              batch_size=32, eval_samples=20,
                              num_samples=3 if name == "iwae" else 1))
  out = train.train(m.init(KEY), m.step, m.train_data(ds), m.hparams,
                    num_steps=20, batch_fn=m.batch_fn, chunk_size=10)
  assert np.isfinite(out.history[-1]["loss"])
  s = np.asarray(m.sample(out.state, KEY, 12))
  assert s.shape == (12, 64) and 0 <= s.min() and s.max() <= 1
  res = m.evaluate(out.state, ds._replace(x_test=ds.x_test[:40],
                                          y_test=ds.y_test[:40]))
  # the importance-sampled log p(x) is a tighter bound than the ELBO
  # (Burda et al. 2016, Theorem 1), here with 20 samples against 10
  assert res["test_log_likelihood"] >= res["test_elbo"] - 0.5
  assert res["eval_samples"] == 20 and res["n"] == 40
  if name == "mog_vae":
    assert 0 <= res["cluster_accuracy"] <= 1
  paths = m.figures(out.state, ds, str(tmp_path))
  assert len(paths) == (2 if name == "cvae" else 3)
  for p in paths:
    assert (tmp_path / p.split("/")[-1]).stat().st_size > 1000


@pytest.mark.parametrize("name,kwargs,error,match", [
    ("iwae", {"beta": 2.0}, ValueError, "beta: an option of model=vae/"),
    ("vae", {"n_classes": 5}, ValueError, "n_classes: an option of "
     "model=cvae"),
    ("vae", {"n_clusters": 5}, ValueError, "n_clusters: an option of "
     "model=mog_vae"),
    ("vae", {"likelihood": "gaussian"}, ValueError, "binarize"),
    ("vae", {"likelihood": "poisson", "binarize": False}, ValueError,
     "likelihood"),
    ("vae", {"image_shape": (8, 8)}, ValueError, "image_shape .8, 8. holds"),
    ("vae", {"hidden": 400}, TypeError, "hidden must be a tuple"),
    ("vae", {"learning_rate": 0.0}, ValueError, "learning_rate"),
    ("vae", {"binarize": 1}, TypeError, "binarize must be a bool"),
    ("vae", {"latent_dim": 0}, ValueError, "latent_dim"),
    ("vae", {"shift": -1}, ValueError, "shift must be in"),
    ("vae", {"shift": 28}, ValueError, "shift must be in"),
    ("vae", {"shift": 1.0}, TypeError, "shift must be an integer"),
    ("vae", {"shift": 1, "data_dim": 10, "binarize": False,
             "likelihood": "gaussian"}, ValueError, "shift: shifts images")])
def test_config_refuses(name, kwargs, error, match):
  with pytest.raises(error, match=match):
    models.get(name).config(**kwargs)


def test_shift_moves_each_training_batch_and_leaves_no_shift_as_it_was():
  entry = models.get("vae")
  d = entry.make(entry.config()).train_data(data.load("mnist5k"))
  plain = entry.make(entry.config()).batch_fn(jax.random.PRNGKey(3), d)["x"]
  moved = entry.make(entry.config(shift=2)).batch_fn(jax.random.PRNGKey(3),
                                                     d)["x"]
  assert not np.array_equal(plain, moved)
  def moved_by(a, dy, dx):           # zero-filled, the NumPy reference
    return np.pad(a, 2)[2 - dy:30 - dy, 2 - dx:30 - dx]
  images = zip(np.asarray(plain).reshape(-1, 28, 28),
               np.asarray(moved).reshape(-1, 28, 28))
  assert all(any(np.array_equal(moved_by(a, dy, dx), b)
                 for dy in range(-2, 3) for dx in range(-2, 3))
             for a, b in images)


def test_train_data_refuses_another_size():
  m = models.get("vae").make(models.get("vae").config())   # 784 values
  with pytest.raises(ValueError, match="data_dim"):
    m.train_data(data.load("digits"))
