"""Semi-supervised VAEs assembled: runs as sweeps, M1, M1+M2."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.semi_supervised import LabelSpreading
from sklearn.semi_supervised import SelfTrainingClassifier
from sklearn.svm import SVC

from jgen import data
from jgen import nets
from jgen.models import ssvae
from jgen import sweep
from jgen import train
from jgen import variational


def _digits():
  ds = data.load("digits")
  f = lambda a: jnp.asarray(a, jnp.float32)
  return {"x": f(ds.x_train), "y": jnp.asarray(ds.y_train, jnp.int32),
          "x_test": f(ds.x_test), "y_test": jnp.asarray(ds.y_test, jnp.int32)}


@pytest.mark.parametrize("hp,name", [
    ({"alpha": -1.0, "lr": 1e-3, "draw": 0}, "alpha"),
    ({"alpha": 1.0, "lr": 0.0, "draw": 0}, "lr"),
    ({"alpha": 1.0, "lr": 1e-3, "draw": 0.5}, "draw"),
    ({"alpha": 1.0, "lr": 1e-3}, "draw"),
])
def test_bad_hparams(hp, name):
  with pytest.raises(ValueError, match=name):
    ssvae.check_hparams(hp)


def test_bad_make_arguments():
  with pytest.raises(ValueError, match="test_features"):
    ssvae.build_m2(64, features=lambda k, x: x)
  with pytest.raises(ValueError, match="hidden"):
    ssvae.build_m2(64, hidden=(0,))


def test_label_draws_are_one_vmapped_call_matching_single_runs():
  d = _digits()
  s = ssvae.build_m2(64, latent_dim=4, hidden=(32,), likelihood="gaussian")
  run = ssvae.make_run(s, num_steps=300, n_labels=50, batch_size=32)
  grid = sweep.grid(seeds=[0], alpha=[5.0], lr=[3e-3], draw=[0, 1, 2])
  res = sweep.run(run, grid, jax.random.PRNGKey(0), d)
  errors = np.asarray(res.outputs[0]).ravel()
  assert errors.shape == (3,) and np.all(errors < 0.5), errors  # chance: 0.9
  one = jax.jit(run)(jax.random.fold_in(jax.random.PRNGKey(0), 0),
                     {k: jnp.asarray(v[1]) for k, v in grid.hparams.items()}, d)
  member = np.asarray(sweep.member(res, draw=1.0)[0]).item()
  assert abs(float(one[0]) - member) <= 1.5 / len(d["y_test"])


def test_make_run_shifts_the_images_it_trains_on():
  d = _digits()
  s = ssvae.build_m2(64, latent_dim=4, hidden=(16,), likelihood="gaussian")
  hp = {"alpha": jnp.float32(5.0), "lr": jnp.float32(3e-3), "draw": 0}
  per_step = lambda shift: np.asarray(ssvae.make_run(
      s, num_steps=5, n_labels=50, batch_size=32, shift=shift)(
          jax.random.PRNGKey(0), hp, d)[1]["loss"])
  np.testing.assert_array_equal(per_step(0), per_step(0))
  assert not np.allclose(per_step(0), per_step(1))   # other images, other loss
  with pytest.raises(ValueError, match="shift"):
    ssvae.make_run(s, num_steps=5, n_labels=50, shift=-1)
  with pytest.raises(ValueError, match="shift: shifts images"):
    ssvae.make_run(s, num_steps=5, n_labels=50, shift=1)(
        jax.random.PRNGKey(0), hp, {**d, "x": d["x"][:, :60]})


def test_batched_training_gives_each_draw_its_own_labels():
  d = _digits()
  s = ssvae.build_m2(64, latent_dim=4, hidden=(16,), likelihood="gaussian")
  idx = [data.labelled_subset(d["y"], 20, n_classes=10, draw=i)
         for i in range(2)]
  per_draw = {"x_l": jnp.stack([d["x"][i] for i in idx]),
              "y_l": jnp.stack([d["y"][i] for i in idx]), "x_u": d["x"]}
  hp = {"alpha": jnp.ones(2), "lr": jnp.full(2, 1e-3)}
  states = jax.vmap(s.init)(jax.random.split(jax.random.PRNGKey(0), 2), hp)
  out = train.train(states, s.step, per_draw, hp, num_steps=20, chunk_size=10,
                    batch_fn=ssvae.batches(16), batched=True,
                    data_axes={"x_l": 0, "y_l": 0, "x_u": None})
  single = train.train(
      jax.tree.map(lambda a: a[1], states), s.step,
      {"x_l": per_draw["x_l"][1], "y_l": per_draw["y_l"][1], "x_u": d["x"]},
      {k: v[1] for k, v in hp.items()}, num_steps=20, chunk_size=10,
      batch_fn=ssvae.batches(16))
  for a, b in zip(jax.tree.leaves(out.state.params),
                  jax.tree.leaves(single.state.params)):
    np.testing.assert_allclose(a[1], b, rtol=2e-4, atol=2e-5)
  with pytest.raises(ValueError, match="batched"):
    train.train(single.state, s.step, per_draw, hp, num_steps=10,
                chunk_size=10, data_axes=0)


def test_m1_and_m1_m2_run_on_m1_features():
  d = _digits()
  vae = nets.VAE(latent_dim=6, output_dim=64, hidden=(32,),
                 likelihood="gaussian", log_scale=np.log(0.3))
  loss = variational.make_loss(vae, "vae")
  import optax
  opt = optax.adam(3e-3)
  params = vae.init(jax.random.PRNGKey(0), d["x"][:2])
  fit = train.train(train.init_state(params, opt, jax.random.PRNGKey(1)),
                    train.gradient_step(loss, opt), {"x": d["x"]}, None,
                    num_steps=400, chunk_size=200,
                    batch_fn=train.minibatch(64))
  sample, mean = ssvae.m1_features(vae, fit.state.params)
  assert sample(jax.random.PRNGKey(0), d["x"][:3]).shape == (3, 6)
  idx = data.labelled_subset(d["y"], 50, n_classes=10)
  predict = ssvae.fit_m1_classifier(mean, d["x"][idx], d["y"][idx])
  m1_error = float(jnp.mean(predict(d["x_test"]) != d["y_test"]))
  assert m1_error < 0.5, m1_error
  s = ssvae.build_m2(6, latent_dim=4, hidden=(32,), likelihood="gaussian",
                 features=sample, test_features=mean)
  run = ssvae.make_run(s, num_steps=50, n_labels=50, batch_size=32)
  err, metrics = jax.jit(run)(jax.random.PRNGKey(0), {
      "alpha": jnp.float32(1.0), "lr": jnp.float32(1e-3),
      "draw": jnp.float32(0)}, d)
  assert 0.0 <= float(err) <= 1.0 and np.all(metrics["finite"])


def test_make_run_weighs_m1_m2s_features_by_the_mask():
  """``make_run(mask=...)`` hands M1+M2's active dimensions to every
  step's loss: the unlabelled bound changes when a dimension is masked out,
  and a mask of ones is no mask."""
  d = _digits()
  first = lambda key, x: x[:, :6]
  s = ssvae.build_m2(6, latent_dim=2, hidden=(16,), likelihood="gaussian",
                     learn_scale=True, features=first,
                     test_features=lambda x: x[:, :6])
  hp = {"alpha": jnp.float32(1.0), "lr": jnp.float32(1e-3),
        "draw": jnp.float32(0)}
  bound = {}
  for name, mask in (("none", None), ("ones", jnp.ones(6)),
                     ("five", jnp.array([1.0, 1, 1, 1, 1, 0]))):
    run = ssvae.make_run(s, num_steps=3, n_labels=50, batch_size=16,
                         mask=mask)
    bound[name] = np.asarray(jax.jit(run)(jax.random.PRNGKey(0), hp, d)[1][
        "unlabelled_bound"])
  np.testing.assert_allclose(bound["ones"], bound["none"], rtol=1e-6)
  assert np.all(np.abs(bound["five"] - bound["none"]) > 1e-3)
  batch = ssvae.batches(4)(jax.random.PRNGKey(0), {
      "x_l": d["x"][:8], "y_l": d["y"][:8], "x_u": d["x"], "mask": jnp.ones(6)})
  assert batch["mask"].shape == (6,) and batch["x_u"].shape == (4, 64)


def _model(name, **fields):
  from jgen import models
  entry = models.get(name)
  return entry.make(entry.config(data_dim=64, n_labels=50, hidden=(16,),
                                 **fields))


@pytest.mark.parametrize("name,fields,match", [
    ("m2", {"alpha": -1.0}, "alpha"),
    ("m2", {"n_labels": 55}, "n_labels: must be a multiple"),
    ("m2", {"l2": 2.0}, "l2: an option of model=m1"),
    ("m1", {"latent_dim": 4}, "latent_dim: an option of model=m2/m1_m2"),
    ("m1", {"alpha": 3.0}, "alpha: an option of model=m2/m1_m2"),
    ("m1_m2", {"m1_steps": 0}, "m1_steps"),
    ("m2", {"learn_scale": False}, "learn_scale: an option of model=m1_m2"),
    ("m1_m2", {"eval_samples": 5}, "eval_samples: an option of model=m2"),
    ("m2", {"hidden": ()}, "hidden must list"),
    ("m2", {"binarize": 1}, "binarize must be a bool"),
    ("m2", {"m1_hidden": (8,)}, "m1_hidden: an option of model=m1/m1_m2"),
    ("m2", {"active_threshold": 0.2}, "active_threshold: an option"),
    ("m1", {"m1_validation": -1}, "m1_validation"),
    ("m1", {"m1_validate_every": 0}, "m1_validate_every"),
    ("m1", {"active_threshold": -0.1}, "active_threshold"),
    ("m1_m2", {"m1_hidden": ()}, "m1_hidden must list"),
    ("m2", {"m1_shift": 1}, "m1_shift: an option of model=m1/m1_m2"),
    ("m1", {"m1_shift": -1}, "m1_shift must be in"),
    ("m1_m2", {"m1_shift": 8}, "m1_shift must be in"),
    ("m1", {"shift": 1}, "shift: an option of model=m2/m1_m2"),
    ("m2", {"shift": 2.0}, "shift must be an integer"),
])
def test_config_refuses(name, fields, match):
  from jgen import models
  entry = models.get(name)
  with pytest.raises((ValueError, TypeError), match=match):
    entry.config(**{"data_dim": 64, "n_labels": 50, **fields})


@pytest.mark.filterwarnings("ignore:The `probability`:FutureWarning")  # sklearn 1.9
def test_m1s_newton_steps_reach_fit_logistic():
  """M1's steps minimise the same convex objective as
  :func:`fit_m1_classifier` (scikit-learn's L2 logistic regression, tested
  against it in tests/test_classifiers.py): after its Newton steps the
  predictions on the test images are the same."""
  ds = data.load("digits")
  m = _model("m1", m1_latent_dim=4, m1_steps=30)
  d = m.train_data(ds)
  state = m.init(jax.random.PRNGKey(0), d)
  step = jax.jit(m.step)
  for i in range(30):
    state, out = step(state, m.batch_fn(jax.random.PRNGKey(i), d), m.hparams)
  _, mean = ssvae.m1_features(m.parts.m1.parts.net, state.params["m1"])
  active = state.params["m1_active"]
  features = lambda x: mean(x) * active          # the active dimensions
  _, masked = ssvae.m1_features(m.parts.m1.parts.net, state.params["m1"],
                                active)
  np.testing.assert_array_equal(masked(d["x_l"]), features(d["x_l"]))
  predict = ssvae.fit_m1_classifier(features, d["x_l"], d["y_l"])
  x_test = jnp.asarray(ds.x_test, jnp.float32)
  want = np.asarray(predict(x_test))
  logits = jnp.asarray(features(x_test)) @ state.params["w"]["w"].T + \
      state.params["w"]["b"]
  np.testing.assert_array_equal(np.argmax(np.asarray(logits), 1), want)
  result = m.evaluate(state, ds)
  assert result["test_error"] == pytest.approx(
      float(np.mean(want != ds.y_test)))
  # The SVM on the same labelled features: scikit-learn's SVC, fitted here.
  svm = SVC().fit(np.asarray(features(d["x_l"])), np.asarray(d["y_l"]))
  assert result["test_error_svm"] == pytest.approx(float(np.mean(
      svm.predict(np.asarray(features(x_test))) != ds.y_test)))
  # The same SVM self-trained on every training image's features.
  self_trained = SelfTrainingClassifier(
      SVC(probability=True, random_state=0), threshold=0.7).fit(
          np.concatenate([np.asarray(features(d["x_l"])), np.asarray(
              features(jnp.asarray(ds.x_train, jnp.float32)))]),
          np.concatenate([np.asarray(d["y_l"]), np.full(len(ds.x_train), -1)]))
  assert result["test_error_self_training"] == pytest.approx(float(np.mean(
      self_trained.predict(np.asarray(features(x_test))) != ds.y_test)))
  # Label spreading over the labelled and every training image's features.
  f_u = np.asarray(features(jnp.asarray(ds.x_train, jnp.float32)))
  spread = LabelSpreading(kernel="knn", alpha=0.99, max_iter=1000).fit(
      np.concatenate([np.asarray(features(d["x_l"])), f_u]),
      np.concatenate([np.asarray(d["y_l"]), np.full(len(f_u), -1)]))
  assert result["test_error_spreading"] == pytest.approx(float(np.mean(
      spread.predict(np.asarray(features(x_test))) != ds.y_test)))
  assert result["active_dims"] == int(np.sum(np.asarray(active)))


def test_m1_spreading_uses_the_unlabelled_points():
  """Two interleaved half-moons, one label each: label spreading follows
  each moon through the unlabelled points (Zhou et al. 2004, Fig. 1), where
  an SVM on the two labels alone cuts across them."""
  from sklearn.datasets import make_moons
  x, y = make_moons(400, noise=0.05, random_state=0)
  x_test, y_test = make_moons(200, noise=0.05, random_state=1)
  first = [int(np.argmin(x[:, 0] + 10 * (y != 0))),     # each moon's tip
           int(np.argmax(x[:, 0] - 10 * (y != 1)))]
  ident = lambda a: np.asarray(a)
  spread = ssvae.fit_m1_spreading(ident, x[first], y[first], x)
  svm = ssvae.fit_m1_svm(ident, x[first], y[first])
  assert np.mean(spread(x_test) == y_test) > 0.97
  assert np.mean(svm(x_test) == y_test) < 0.9
  with pytest.raises(ValueError, match="y_l"):
    ssvae.fit_m1_spreading(ident, x[first], y[:3], x)
  with pytest.raises(ValueError, match="n_neighbors"):
    ssvae.fit_m1_spreading(ident, x[first], y[first], x[:3], n_neighbors=5)
  with pytest.raises(ValueError, match="alpha"):
    ssvae.fit_m1_spreading(ident, x[first], y[first], x, alpha=1.0)


@pytest.mark.filterwarnings("ignore:The `probability`:FutureWarning")  # sklearn 1.9
def test_m1_self_training_follows_its_definition():
  """Self-training (Yarowsky 1995) written out: refit the SVM on the labels
  so far, adopt every unlabelled prediction whose probability is above the
  threshold, stop when a round adopts none or after ``max_iter`` rounds,
  refit; ``fit_m1_svm`` with unlabelled images predicts as this loop."""
  from sklearn.datasets import make_moons
  x, y = make_moons(400, noise=0.05, random_state=0)
  x_test, _ = make_moons(200, noise=0.05, random_state=1)
  first = np.concatenate([np.flatnonzero(y == 0)[:5], np.flatnonzero(y == 1)[:5]])
  ident = lambda a: np.asarray(a)
  svc = lambda: SVC(probability=True, random_state=0)
  for threshold, max_iter in ((0.7, 10), (0.9, 2)):
    feats = np.concatenate([x[first], x])
    labels = np.concatenate([y[first], np.full(len(x), -1)])
    for _ in range(max_iter):
      known = labels >= 0
      if known.all():
        break
      clf = svc().fit(feats[known], labels[known])
      proba = clf.predict_proba(feats[~known])
      adopt = proba.max(1) > threshold
      if not adopt.any():
        break
      labels[np.flatnonzero(~known)[adopt]] = clf.classes_[proba.argmax(1)][adopt]
    want = svc().fit(feats[labels >= 0], labels[labels >= 0]).predict(x_test)
    got = ssvae.fit_m1_svm(ident, x[first], y[first], x, threshold=threshold,
                           max_iter=max_iter)(x_test)
    np.testing.assert_array_equal(got, want)
  with pytest.raises(ValueError, match="threshold"):
    ssvae.fit_m1_svm(ident, x[first], y[first], x, threshold=1.0)
  with pytest.raises(ValueError, match="max_iter"):
    ssvae.fit_m1_svm(ident, x[first], y[first], x, max_iter=0)
  with pytest.raises(ValueError, match="y_l"):
    ssvae.fit_m1_svm(ident, x[first], y[:3], x)


def test_m1_spreading_reports_images_no_label_reaches():
  """A graph in two pieces, labels in one: the fit and the predictions in
  the other piece say so, instead of a silent class from NaN mass."""
  rng = np.random.default_rng(0)
  near, far = rng.normal(size=(20, 2)), 100 + rng.normal(size=(20, 2))
  ident = lambda a: np.asarray(a)
  with pytest.warns(RuntimeWarning, match="20 of 42 images"):
    predict = ssvae.fit_m1_spreading(ident, near[:2], np.array([0, 1]),
                                     np.concatenate([near, far]),
                                     n_neighbors=10)
  with pytest.warns(RuntimeWarning, match="5 of 5 points"):
    predict(far[:5])


def test_fit_m1_keeps_its_best_validation_elbo_and_drops_flat_dimensions():
  ds = data.load("digits")
  m1 = _model("m1", m1_latent_dim=4).parts.m1
  x = jnp.asarray(ds.x_train, jnp.float32)
  key = jax.random.PRNGKey(3)
  fit = ssvae.fit_m1(m1, key, x, steps=40, validation=200, validate_every=10,
                     active_threshold=0.1)
  assert fit.scores.shape == (4,)
  # The kept parameters score the best of the four validations, recomputed
  # here on the same held-out images (Prechelt 1998's early stopping).
  held = x[jax.random.permutation(jax.random.fold_in(key, 4), len(x))[:200]]
  kept = -m1.parts.loss(fit.params, jax.random.fold_in(key, 5), {"x": held},
                        hparams=m1.hparams)[0]
  assert float(kept) == pytest.approx(float(jnp.max(fit.scores)), rel=1e-6)
  # The active mask: dimensions whose posterior mean varies, by NumPy.
  means = np.asarray(ssvae.m1_features(m1.parts.net, fit.params)[1](x))
  np.testing.assert_array_equal(fit.active, means.std(0) > 0.1)
  dropped = ssvae.fit_m1(m1, key, x, steps=10, validation=0,
                         validate_every=10, active_threshold=1e9)
  assert float(jnp.sum(dropped.active)) == 0.0
  # Without validation: the last state of one plain run on all the images.
  plain = ssvae.fit_m1(m1, key, x, steps=40, validation=0, validate_every=10,
                       active_threshold=0.0)
  order = jax.random.permutation(jax.random.fold_in(key, 4), len(x))
  run = train.make_run(lambda k, hp, d: m1.init(k), m1.step, m1.batch_fn, 40)
  state, _ = run(jax.random.fold_in(key, 2), m1.hparams,
                 {"x": x[order], "y": jnp.zeros(len(x), jnp.int32)})
  for a, b in zip(jax.tree.leaves(plain.params), jax.tree.leaves(state.params)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
  with pytest.raises(ValueError, match="m1_validation: must leave"):
    ssvae.fit_m1(m1, key, x, steps=10, validation=len(x), validate_every=10,
                 active_threshold=0.1)


def test_m1_m2_keeps_m1_frozen_and_init_needs_the_data():
  ds = data.load("digits")
  m = _model("m1_m2", m1_latent_dim=4, m1_steps=10, latent_dim=2)
  with pytest.raises(ValueError, match="trains M1 on the training images"):
    m.init(jax.random.PRNGKey(0))
  d = m.train_data(ds)
  state = m.init(jax.random.PRNGKey(0), d)
  before = state.params["m1"]
  state, out = jax.jit(m.step)(state, m.batch_fn(jax.random.PRNGKey(1), d),
                               m.hparams)
  for a, b in zip(jax.tree.leaves(before), jax.tree.leaves(state.params["m1"])):
    np.testing.assert_array_equal(a, b)
  moved = [float(jnp.max(jnp.abs(a - b))) for a, b in zip(
      jax.tree.leaves(m.init(jax.random.PRNGKey(0), d).params["m2"]),
      jax.tree.leaves(state.params["m2"]))]
  assert max(moved) > 0 and np.isfinite(float(out["loss"]))


def test_m1_m2_learns_the_scale_of_the_active_features_only():
  """M2's Gaussian on M1's features learns a log-scale per dimension
  (learn_scale, the default) and leaves those of the dropped dimensions
  where they started; with learn_scale=False it has none."""
  ds = data.load("digits")
  m = _model("m1_m2", m1_latent_dim=6, m1_steps=30, latent_dim=2,
             m1_hidden=(16,), m1_validation=0)
  d = m.train_data(ds)
  state = m.init(jax.random.PRNGKey(0), d)
  active = np.asarray(state.params["m1_active"])
  assert 0 < active.sum() < len(active), active
  step = jax.jit(m.step)
  for i in range(3):
    state, _ = step(state, m.batch_fn(jax.random.PRNGKey(i), d), m.hparams)
  scale = np.asarray(state.params["m2"]["params"]["vae"]["pixel_log_scale"])
  assert np.all(scale[active == 0] == 0) and np.all(scale[active == 1] != 0)
  fixed = _model("m1_m2", m1_latent_dim=6, m1_steps=30, latent_dim=2,
                 m1_hidden=(16,), m1_validation=0, learn_scale=False)
  assert "pixel_log_scale" not in str(jax.tree_util.tree_structure(
      fixed.init(jax.random.PRNGKey(0), d).params["m2"]))


def test_shift_moves_m2s_labelled_and_unlabelled_images_only():
  from jgen import models
  entry = models.get("m2")
  x = jnp.asarray(data.load("digits").x_train[:256])
  d = {"x_l": x[:50], "y_l": jnp.arange(50) % 10, "x_u": x}
  batch = lambda shift: entry.make(entry.config(
      data_dim=64, n_labels=50, shift=shift)).batch_fn(jax.random.PRNGKey(0), d)
  plain, moved = batch(0), batch(1)
  np.testing.assert_array_equal(plain["y_l"], moved["y_l"])
  for name in ("x_l", "x_u"):
    assert not np.array_equal(plain[name], moved[name])
    assert np.asarray(moved[name]).sum() < np.asarray(plain[name]).sum()


def test_m1_shift_reaches_m1s_training_batches():
  from jgen import models
  entry = models.get("m1_m2")
  d = {"x": jnp.asarray(data.load("digits").x_train[:256])}
  batch = lambda shift: entry.make(entry.config(
      data_dim=64, n_labels=50, m1_shift=shift)).parts.m1.batch_fn(
          jax.random.PRNGKey(0), d)["x"]
  plain, moved = np.asarray(batch(0)), np.asarray(batch(1))
  assert plain.shape == moved.shape and not np.array_equal(plain, moved)
  assert moved.sum() < plain.sum()     # some ink shifted out of the 8x8 frame
