"""Adversarial autoencoders: priors, games, the split critic, assembly."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

from jgen import adversarial
from jgen import data
from jgen import metrics
from jgen import nets
from jgen.models import ssvae
from jgen import train
from jgen.models import aae
from jgen.models import vaegan

KEY = jax.random.PRNGKey(0)


def _aae(data_dim, *, n_classes=0, **kwargs):
  """An AAE, semi-supervised with ``n_classes`` (50 labels)."""
  if n_classes:
    kwargs.update(model="ss_aae", n_classes=n_classes, n_labels=5 * n_classes)
  return aae.make(aae.AaeConfig(data_dim=data_dim, **kwargs))
RNG = np.random.default_rng(0)


def test_priors_have_their_moments():
  z = np.asarray(adversarial.sample_prior(KEY, 100_000, 3, "gaussian"))
  np.testing.assert_allclose(z.mean(0), 0, atol=0.02)
  np.testing.assert_allclose(z.std(0), 1, atol=0.02)
  z = np.asarray(adversarial.sample_prior(KEY, 100_000, 3, "mixture"))
  means = np.asarray(adversarial.mixture_means(3))
  np.testing.assert_allclose(np.linalg.norm(means[:, :2], axis=1), 4.0,
                             rtol=1e-6)
  comp = np.argmin(((z[:, None] - means[None]) ** 2).sum(-1), 1)
  np.testing.assert_allclose(np.bincount(comp) / len(z), 0.1, atol=0.01)
  resid = z - means[comp]
  np.testing.assert_allclose(resid.std(0), [0.5, 0.5, 1.0], atol=0.02)


@pytest.mark.parametrize("prior,dim,match", [
    ("laplace", 2, "prior.*mixture"), ("mixture", 1, "latent_dim"),
    ("gaussian", 0, "latent_dim")])
def test_bad_priors_are_refused(prior, dim, match):
  with pytest.raises(ValueError, match=match):
    adversarial.sample_prior(KEY, 3, dim, prior)


def _linear(latent=2, d=5):
  w_e, w_dec, w_c = (RNG.normal(size=(d, latent)),
                     RNG.normal(size=(latent, d)), RNG.normal(size=latent))
  encode = lambda u, x: x @ (u * w_e)
  decode_log_prob = lambda u, z, x: jnp.sum(
      x * (z @ w_dec) - jax.nn.softplus(z @ w_dec), 1)
  critic = lambda v, z: z @ (v * w_c)
  return encode, decode_log_prob, critic, w_e, w_dec, w_c


def test_aae_autoencoder_loss_matches_numpy():
  """loss_u = mean(-log p(x | enc(x))) + mean(-log s(D(enc(x))))."""
  encode, dlp, critic, w_e, w_dec, w_c = _linear()
  game = adversarial.aae(encode, dlp, critic, latent_dim=2,
                         loss="non_saturating")
  x = RNG.uniform(size=(6, 5))
  z = x @ w_e
  logits = z @ w_dec
  recon = -np.mean(np.sum(x * logits - np.logaddexp(0, logits), 1))
  want = recon + np.mean(np.logaddexp(0, -(z @ w_c)))
  got = game.loss_u(1.0, 1.0, KEY, jnp.asarray(x), {"reg_weight": 0.0})
  np.testing.assert_allclose(got, want, rtol=1e-5)


def test_aae_critic_sees_prior_draws_as_real():
  """The critic's loss is the GAN loss with prior draws as real examples:
  a critic that is 0 everywhere gives 2 log 2, one that is +big on the
  prior's region and -big on the codes gives about 0."""
  encode = lambda u, x: x[:, :2] + 100.0            # codes far from N(0, I)
  game = adversarial.aae(encode, lambda u, z, x: jnp.zeros(x.shape[0]),
                         lambda v, z: v * (50.0 - jnp.abs(z).sum(1)),
                         latent_dim=2)
  x = jnp.zeros((64, 5))
  np.testing.assert_allclose(game.loss_v(0.0, 0.0, KEY, x, {}),
                             2 * np.log(2), rtol=1e-6)
  assert float(game.loss_v(0.0, 1.0, KEY, x, {})) < 1e-6


def test_split_critic_columns_are_independent_critics():
  c = nets.SplitCritic(3, 2, (8,))
  x = jax.random.normal(KEY, (4, 5))
  p = c.init(KEY, x)
  out = c.apply(p, x)
  moved = c.apply(p, x.at[:, :3].add(1.0))
  assert out.shape == (4, 2)
  np.testing.assert_array_equal(out[:, 1], moved[:, 1])
  assert float(jnp.max(jnp.abs(out[:, 0] - moved[:, 0]))) > 1e-4


def test_semi_supervised_aae_alpha_term_moves_only_the_encoder():
  """alpha * mean(-log q(y_l | x_l)) reaches the encoder, not the decoder,
  and equals a NumPy cross-entropy."""
  a = _aae(6, latent_dim=2, hidden=(8,), n_classes=3)
  state = a.init(KEY)
  x = jnp.asarray(RNG.uniform(size=(5, 6)), jnp.float32)
  batch = {"x_l": x, "y_l": jnp.array([0, 1, 2, 0, 1]), "x_u": x}

  def loss(u, alpha):
    return a.parts.game.loss_u(u, state.v, KEY, batch,
                         {"alpha": alpha, "reg_weight": 0.0})
  g0, g1 = (jax.grad(loss)(state.u, al) for al in (0.0, 1.0))
  jax.tree.map(lambda p, q: np.testing.assert_allclose(p, q, rtol=1e-6),
               g0["decoder"], g1["decoder"])
  logits = np.asarray(a.parts.encode(state.u, x)[0], np.float64)
  xent = -np.mean((logits - special.logsumexp(logits, 1, keepdims=True))[
      np.arange(5), np.asarray(batch["y_l"])])
  np.testing.assert_allclose(loss(state.u, 2.0) - loss(state.u, 0.0),
                             2 * xent, rtol=1e-4)


def test_aae_matches_the_aggregated_posterior_to_the_prior():
  """Trained on digits with a N(0, I) prior, the codes of the training
  images have about zero mean and unit variance; the same autoencoder
  without the critic's pull does not."""
  x = jnp.asarray(data.load("digits").x_train.reshape(-1, 64), jnp.float32)
  a = _aae(64, latent_dim=2, hidden=(64,), penalty="r1")
  stats = {}
  for name, lr_v in (("aae", 1e-3), ("no critic", 0.0)):
    out = train.train(a.init(KEY), a.step, x,
                      {"lr_u": 1e-3, "lr_v": lr_v, "reg_weight": 0.1},
                      num_steps=3000, batch_fn=train.minibatch(100),
                      chunk_size=1000)
    z = np.asarray(a.parts.encode(out.state.u, x))
    stats[name] = (np.abs(z.mean(0)).max(), np.abs(np.log(z.std(0))).max())
  assert stats["aae"][0] < 0.3 and stats["aae"][1] < 0.3, stats
  assert max(stats["no critic"]) > 1.0, stats


def test_make_refuses_bad_configurations():
  with pytest.raises(ValueError, match="n_classes"):
    _aae(4, n_classes=1)
  with pytest.raises(ValueError, match="prior: an option of model=aae"):
    _aae(4, n_classes=10, prior="mixture")
  with pytest.raises(ValueError, match="prior"):
    _aae(4, prior="cauchy")
  with pytest.raises(ValueError, match="alpha: an option of model=ss_aae"):
    _aae(4, alpha=3.0)
  with pytest.raises(ValueError, match="n_labels: must be a multiple"):
    aae.AaeConfig(model="ss_aae", n_labels=55)
  with pytest.raises(ValueError, match="hidden"):
    _aae(4, hidden=())
  with pytest.raises(TypeError, match="AaeConfig"):
    aae.make(vaegan.VaeganConfig())
  with pytest.raises(ValueError, match="semi-supervised"):
    a = _aae(4, hidden=(4,))
    aae.class_logits(a, None, None)


def test_semi_supervised_aae_trains_on_ssvae_batches():
  ds = data.load("digits")
  x = jnp.asarray(ds.x_train.reshape(-1, 64), jnp.float32)
  y = jnp.asarray(ds.y_train)
  i = data.labelled_subset(y, 50, n_classes=10)
  a = _aae(64, latent_dim=4, hidden=(64,), n_classes=10)
  d = a.train_data(ds)                  # draw 0 of label seed 0
  np.testing.assert_array_equal(d["x_l"], x[i])
  out = train.train(a.init(KEY), a.step, d,
                    {"lr_u": 1e-3, "lr_v": 1e-3, "reg_weight": 0.0,
                     "alpha": 1.0},
                    num_steps=1000, batch_fn=ssvae.batches(100, 50),
                    chunk_size=500)
  xt = jnp.asarray(ds.x_test.reshape(-1, 64), jnp.float32)
  err = float(metrics.error_rate(aae.class_logits(a, out.state.u, xt),
                                 jnp.asarray(ds.y_test)))
  assert err < 0.4                              # chance is 0.9
  assert a.sample(out.state, KEY, 5).shape == (5, 64)


def test_feature_distance_matches_numpy():
  a, b = RNG.normal(size=(4, 7)), RNG.normal(size=(4, 7))
  np.testing.assert_allclose(
      adversarial.feature_distance(jnp.asarray(a), jnp.asarray(b)),
      0.5 * ((a - b) ** 2).sum(1), rtol=1e-6)


def _vaegan_parts(latent=2, d=5, f=3):
  w_m, w_s = RNG.normal(size=(d, latent)), 0.1 * RNG.normal(size=(d, latent))
  w_dec, w_f = RNG.normal(size=(latent, d)), RNG.normal(size=(d, f))
  encode = lambda u, x: (x @ (u["enc"] * w_m), x @ w_s)
  decode = lambda u, z: z @ (u["dec"] * w_dec)
  critic = lambda v, x: (x @ v["a"], x @ (v["f"] * w_f))
  return encode, decode, critic, w_m, w_s


def test_vaegan_with_a_blind_critic_is_the_kl_plus_a_constant():
  """Zero features and logits: loss_u = mean KL(q(z|x) || N(0, I)) + log 2
  (the non-saturating loss at logit 0), loss_v = 2 log 2."""
  encode, decode, critic, w_m, w_s = _vaegan_parts()
  game = adversarial.vaegan(encode, decode, critic, latent_dim=2,
                            loss="non_saturating")
  x = RNG.normal(size=(6, 5))
  u, v = {"enc": 1.0, "dec": 1.0}, {"a": jnp.zeros(5), "f": 0.0}
  hp = {"recon_weight": 3.0, "reg_weight": 0.0}
  m, s = x @ w_m, np.exp(x @ w_s)
  kl = np.mean(np.sum(0.5 * (m ** 2 + s ** 2 - 1) - np.log(s), 1))
  np.testing.assert_allclose(game.loss_u(u, v, KEY, jnp.asarray(x), hp),
                             kl + np.log(2), rtol=1e-5)
  np.testing.assert_allclose(game.loss_v(u, v, KEY, jnp.asarray(x), hp),
                             2 * np.log(2), rtol=1e-6)


def test_vaegan_routes_each_term_to_its_network():
  """Larsen et al., Algorithm 1: the encoder's gradient ignores gamma and the
  GAN term; the decoder's is affine in gamma."""
  encode, decode, critic, *_ = _vaegan_parts()
  game = adversarial.vaegan(encode, decode, critic, latent_dim=2)
  x = jnp.asarray(RNG.normal(size=(6, 5)))
  u = {"enc": 1.0, "dec": 1.0}

  def grad(gamma, a):
    v = {"a": a * jnp.ones(5), "f": 1.0}
    return jax.grad(game.loss_u)(u, v, KEY, x, {"recon_weight": gamma,
                                                "reg_weight": 0.0})
  g = {(gm, a): grad(gm, a) for gm in (0.0, 1.0, 2.0) for a in (0.0, 1.0)}
  for key in g:
    np.testing.assert_allclose(g[key]["enc"], g[(0.0, 0.0)]["enc"],
                               rtol=1e-5)
  d = [float(g[(gm, 1.0)]["dec"]) for gm in (0.0, 1.0, 2.0)]
  np.testing.assert_allclose(d[2] - d[1], d[1] - d[0], rtol=1e-4)
  assert abs(d[1] - d[0]) > 1e-3
  assert abs(float(g[(0.0, 1.0)]["dec"]) - float(g[(0.0, 0.0)]["dec"])) > 1e-3


def test_make_vaegan_trains_and_samples():
  x = jnp.asarray(data.load("digits").x_train.reshape(-1, 64), jnp.float32)
  a = vaegan.make(vaegan.VaeganConfig(data_dim=64, image_shape=(8, 8),
                                      latent_dim=4, hidden=(16,), width=4))
  out = train.train(a.init(KEY), a.step, x,
                    {"lr_u": 1e-3, "lr_v": 1e-3, "reg_weight": 0.1,
                     "recon_weight": 1.0},
                    num_steps=4, batch_fn=train.minibatch(32), chunk_size=2,
                    unroll=True)
  assert all(np.isfinite(r["loss_u"]) for r in out.history)
  s = a.sample(out.state, KEY, 5)
  assert s.shape == (5, 64) and 0 <= float(s.min()) and float(s.max()) <= 1
