"""GAN networks, the shipped classifier and its metrics."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgen import data
from jgen import metrics
from jgen import nets

KEY = jax.random.PRNGKey(0)


@pytest.mark.parametrize("shape,d", [(None, 2), ((28, 28), 784), ((8, 8), 64)])
def test_networks_shapes(shape, d):
  g = nets.Generator(d, shape, hidden=(16, 16), width=8)
  c = nets.Critic(d, shape, hidden=(16, 16), width=8)
  z = jax.random.normal(KEY, (5, 3))
  x = g.apply(g.init(KEY, z), z)
  assert x.shape == (5, d)
  if shape is not None:                      # images in [0, 1]
    assert float(x.min()) >= 0 and float(x.max()) <= 1
  assert c.apply(c.init(KEY, x), x).shape == (5,)


@pytest.mark.parametrize("make,match", [
    (lambda: nets.Critic(100, (28, 28)), "input_dim .100. must be the number"),
    (lambda: nets.Generator(64, (7, 7)), "image_shape must be one of"),
    (lambda: nets.Critic(2, None, width=0), "width"),
    (lambda: nets.Critic(784, (28, 28), norm="group"), "norm.*layer.*batch"),
    (lambda: nets.Generator(784, (28, 28), norm="group"), "norm.*batch"),
    (lambda: nets.Generator(784, (28, 28), dense=-1), "dense"),
    (lambda: nets.Critic(2, None, dense=16), "dense: 16 is the width of a layer "
     "of the conv"),
])
def test_bad_network_configurations(make, match):
  with pytest.raises(ValueError, match=match):
    make()


def test_critic_rejects_wrong_input_width():
  c = nets.Critic(2, None, hidden=(4,))
  params = c.init(KEY, jnp.zeros((1, 2)))
  with pytest.raises(ValueError, match=r"x must have shape \[B, 2\]"):
    c.apply(params, jnp.zeros((3, 5)))


def _numpy_norm(kind, h, scale, bias, eps=1e-5):
  """Float64 batch norm (statistics over the batch) or layer norm
  (statistics over an example), a scale and bias per feature."""
  axis = 0 if kind == "batch" else 1
  mean = h.mean(axis, keepdims=True)
  var = ((h - mean) ** 2).mean(axis, keepdims=True)
  return (h - mean) / np.sqrt(var + eps) * scale + bias


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_normalised_generator_matches_a_numpy_forward_pass(norm):
  """The MLP generator ``relu(norm(z W1 + b1)) W2 + b2`` against float64
  NumPy, with random scales and biases (Ioffe & Szegedy 2015, Algorithm 1;
  Ba et al. 2016, eq. (3))."""
  g = nets.Generator(3, None, hidden=(5,), norm=norm)
  z = jax.random.normal(KEY, (7, 4))
  params = g.init(KEY, z)
  params = jax.tree.map(
      lambda a: a + jax.random.normal(KEY, a.shape), params)
  p = jax.tree.map(lambda a: np.asarray(a, np.float64), params["params"])
  (norm_name,) = [k for k in p if not k.startswith("Dense")]
  h = np.asarray(z, np.float64) @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"]
  h = np.maximum(_numpy_norm(norm, h, p[norm_name]["scale"],
                             p[norm_name]["bias"]), 0)
  want = h @ p["Dense_1"]["kernel"] + p["Dense_1"]["bias"]
  np.testing.assert_allclose(np.asarray(g.apply(params, z)), want,
                             rtol=1e-4, atol=1e-4)


def test_batch_stat_norm_on_maps_matches_numpy():
  """Per channel over batch and space (Ioffe & Szegedy 2015, Section 3.2)."""
  x = jax.random.normal(KEY, (6, 3, 3, 4)) * 2 + 1
  norm = nets.BatchStatNorm()
  params = norm.init(KEY, x)
  xn = np.asarray(x, np.float64)
  mean = xn.mean((0, 1, 2))
  want = (xn - mean) / np.sqrt(((xn - mean) ** 2).mean((0, 1, 2)) + 1e-5)
  np.testing.assert_allclose(np.asarray(norm.apply(params, x)), want,
                             rtol=1e-4, atol=1e-5)


def test_population_statistics_give_batch_norm_evaluation_mode():
  """Ioffe & Szegedy 2015, Algorithm 2 (float64 NumPy): each layer's batch
  means and unbiased variances averaged over the batches; evaluation mode
  normalises a new batch by them, so an example no longer depends on its
  batch; with no statistics the layer stays in training mode."""

  class Net(nn.Module):
    @nn.compact
    def __call__(self, x):
      h = nets.BatchStatNorm()(nn.Dense(3)(x))
      return nets.BatchStatNorm()(nn.Dense(2)(nn.relu(h)))

  net = Net()
  batches = jax.random.normal(KEY, (4, 8, 5)) * 3 + 1
  variables = net.init(KEY, batches[0])
  stats = nets.population_statistics(net.apply, variables, batches)
  p = jax.tree.map(lambda a: np.asarray(a, np.float64), variables["params"])

  def norm(h, mean, var, q):
    return (h - mean) / np.sqrt(var + 1e-5) * q["scale"] + q["bias"]

  want = {0: [], 1: []}
  for xb in np.asarray(batches, np.float64):
    h = xb @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"]
    want[0].append((h.mean(0), h.var(0, ddof=1)))
    h = norm(h, h.mean(0), h.var(0), p["BatchStatNorm_0"])
    h = np.maximum(h, 0) @ p["Dense_1"]["kernel"] + p["Dense_1"]["bias"]
    want[1].append((h.mean(0), h.var(0, ddof=1)))
  for i in (0, 1):
    got = stats[f"BatchStatNorm_{i}"]
    np.testing.assert_allclose(got["mean"], np.mean([m for m, _ in want[i]],
                                                     0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["var"], np.mean([v for _, v in want[i]],
                                                   0), rtol=1e-5, atol=1e-6)
  x = np.asarray(jax.random.normal(jax.random.PRNGKey(1), (6, 5)), np.float64)
  h = x @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"]
  s0, s1 = stats["BatchStatNorm_0"], stats["BatchStatNorm_1"]
  h = norm(h, s0["mean"], s0["var"], p["BatchStatNorm_0"])
  h = np.maximum(h, 0) @ p["Dense_1"]["kernel"] + p["Dense_1"]["bias"]
  want_out = norm(h, s1["mean"], s1["var"], p["BatchStatNorm_1"])
  evaluation = {**variables, "batch_stats": stats}
  np.testing.assert_allclose(net.apply(evaluation, x), want_out, rtol=1e-4,
                             atol=1e-5)
  np.testing.assert_allclose(net.apply(evaluation, x[:2]), want_out[:2],
                             rtol=1e-4, atol=1e-5)
  assert not np.allclose(net.apply(variables, x[:2]), want_out[:2], atol=1e-2)
  with pytest.raises(ValueError, match="batches must be"):
    nets.population_statistics(net.apply, variables, batches[0])


def test_layer_normalised_critic_treats_examples_independently():
  """InfoGAN's conv critic with its dense layer, layer norm and Q head: an
  example's outputs do not depend on the rest of the batch, so the
  penalties' one backward pass holds every example's input gradient."""
  c = nets.Critic(784, (28, 28), width=4, dense=16, norm="layer", aux_dim=3,
                  aux_hidden=5)
  x = jax.random.uniform(KEY, (5, 784))
  params = c.init(KEY, x)
  logits, aux = c.apply(params, x)
  logits1, aux1 = c.apply(params, x[:1])
  np.testing.assert_allclose(logits1, logits[:1], rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(aux1, aux[:1], rtol=1e-5, atol=1e-6)
  batch_grad = jax.grad(lambda xs: jnp.sum(c.apply(params, xs)[0]))(x)
  single = jax.vmap(jax.grad(lambda xi: c.apply(params, xi[None])[0][0]))(x)
  np.testing.assert_allclose(batch_grad, single, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_batch_normalised_critic_removes_per_feature_shifts(norm):
  """Batch norm (Chen et al. 2016, Table 1) subtracts each feature's mean
  over the batch, so shifting a normalised layer's bias feature by feature
  leaves the critic and its Q head unchanged; layer norm subtracts one mean
  per example and does not remove such a shift. Batch statistics couple the
  examples: two examples scored alone are scored otherwise than in the
  batch."""
  c = nets.Critic(784, (28, 28), width=4, dense=16, norm=norm, aux_dim=3,
                  aux_hidden=5)
  x = jax.random.uniform(KEY, (6, 784))
  params = c.init(KEY, x)
  shifted = jax.tree.map(lambda a: a, params)
  for i, name in enumerate(("Conv_1", "Dense_0", "aux_hidden")):
    bias = shifted["params"][name]["bias"]
    shifted["params"][name]["bias"] = bias + 3 * jax.random.normal(
        jax.random.fold_in(KEY, i), bias.shape)
  out, out_shifted = c.apply(params, x), c.apply(shifted, x)
  alone = c.apply(params, x[:2])
  gap = max(float(np.abs(a - b).max()) for a, b in zip(out, out_shifted))
  coupled = max(float(np.abs(a[:2] - b).max()) for a, b in zip(out, alone))
  if norm == "batch":
    assert gap < 1e-4 and coupled > 1e-3
  else:
    assert gap > 1e-2 and coupled < 1e-5


def test_batch_normalised_generator_with_dense_layer_shapes():
  g = nets.Generator(784, (28, 28), width=4, dense=16, norm="batch")
  z = jax.random.normal(KEY, (5, 3))
  params = g.init(KEY, z)
  x = g.apply(params, z)
  assert x.shape == (5, 784) and float(x.min()) >= 0 and float(x.max()) <= 1
  assert params["params"]["Dense_0"]["kernel"].shape == (3, 16)


def test_spectral_norm_bounds_the_critic_gradient():
  """With every layer divided by its largest singular value and 1-Lipschitz
  leaky ReLUs, ||grad_x D|| <= 1 (Miyato et al. 2018, eq. (7)); without
  normalisation the same weights give a far larger gradient."""
  x = jax.random.normal(KEY, (64, 2)) * 3
  grads = {}
  for sn in (False, True):
    c = nets.Critic(2, None, hidden=(64, 64), spectral_norm=sn,
                    power_iterations=20)
    params = c.init(KEY, x)
    params = jax.tree.map(lambda a: 5 * a, params)    # large weights
    g = jax.vmap(jax.grad(lambda xi: c.apply(params, xi[None])[0]))(x)
    grads[sn] = np.linalg.norm(np.asarray(g), axis=1)
  assert grads[True].max() <= 1.0 + 1e-3
  assert grads[False].max() > 10


def test_shipped_classifier_accuracy_as_stated():
  """The shipped weights classify mnist5k's test images as well as the file
  says, and well (an independent check: argmax against the labels)."""
  ds = data.load("mnist5k")
  feats, probs = metrics.mnist_features(ds.x_test)
  acc = float(np.mean(np.argmax(probs, 1) == ds.y_test))
  info = metrics.classifier_info()
  assert acc == pytest.approx(info["test_accuracy"], abs=1e-9)
  assert acc > 0.95
  assert feats.shape == (1000, info["features"])
  np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)


def test_classifier_metrics_order_real_above_noise():
  """FID(test, train) is far below FID(test, noise); the Inception-style
  score of real digits is high and of one repeated digit near 1."""
  ds = data.load("mnist5k")
  f_test, _ = metrics.mnist_features(ds.x_test)
  # mnist5k is ordered by class: a seeded subset, not the first 1,000.
  pick = np.random.default_rng(0).choice(len(ds.x_train), 1000, replace=False)
  f_train, p_train = metrics.mnist_features(ds.x_train[pick])
  rng = np.random.default_rng(0)
  f_noise, _ = metrics.mnist_features(rng.random((1000, 784)))
  floor = metrics.frechet_distance(f_test, f_train)
  assert 0 < floor < 0.05 * metrics.frechet_distance(f_test, f_noise)
  assert metrics.inception_score(p_train) > 8
  _, p_one = metrics.mnist_features(np.repeat(ds.x_train[:1], 100, 0))
  assert metrics.inception_score(p_one) == pytest.approx(1.0, abs=1e-3)


def test_digits_upsampled_to_mnist_frame():
  ds = data.load("digits")
  x = metrics.to_28x28(ds.x_test[:5])
  assert x.shape == (5, 784)
  img = x.reshape(5, 28, 28)
  assert np.all(img[:, :4] == 0) and np.all(img[:, :, -4:] == 0)
  with pytest.raises(ValueError, match="784.*64"):
    metrics.to_28x28(np.zeros((2, 10)))
