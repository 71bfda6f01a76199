r"""Semi-supervised VAEs assembled: M1, M2 and M1+M2 (Kingma, Rezende, Mohamed
& Welling 2014), with label draws and alpha as sweep axes.

:class:`SsvaeConfig` and :func:`make` give the three as
:class:`jgen.models.Model` (``models.get("m1" / "m2" / "m1_m2")``); the
pieces below them build sweeps directly:

* **M2** (:func:`build_m2`): an :class:`jgen.nets.M2` trained on ``J^alpha`` of
  eq. (9) (:func:`jgen.variational.make_m2_loss`) with Adam, one labelled and
  one unlabelled minibatch per step; the classifier ``q(y | x)`` answers.
* **M1** (:func:`fit_m1`, :func:`m1_features`, :func:`fit_m1_classifier`,
  :func:`fit_m1_svm`, :func:`fit_m1_spreading`): a VAE trained on
  all images (:mod:`jgen.variational`'s ``vae`` objective); a classifier on
  the posterior means of the labelled images. The paper used a transductive
  SVM; jgen reports its own softmax logistic regression
  (:func:`jgen.classifiers.fit_logistic`, an L2 penalty), scikit-learn's
  RBF SVM, the same SVM self-trained on every training image, and label
  spreading over the features of every training image (both using the
  unlabelled images, as the TSVM does).
* **M1+M2**: M2 with a Gaussian likelihood on M1's latent features, drawn
  afresh from ``q(z1 | x)`` at every step (the ``features`` of
  :func:`build_m2`), as the authors do; at test time the posterior mean.

A whole run is one pure function (:func:`make_run`) of ``(key, hparams,
data)`` with ``hparams = {"alpha", "lr", "draw"}``: ``draw`` picks the
class-balanced labelled subset (:func:`jgen.data.labelled_subset`), so
five label draws, or an alpha sweep, are one :func:`jgen.sweep.run` call.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgen import _checks
from jgen import classifiers
from jgen import data
from jgen import metrics
from jgen import nets
from jgen import plotting
from jgen import train
from jgen import variational
from jgen.models import _base
from jgen.models import vae as vae_family

MODELS = ("m1", "m2", "m1_m2")


class SSVAE(NamedTuple):
  """A configured M2 (on pixels, or on M1's features).

  Attributes:
    model: the :class:`jgen.nets.M2`.
    loss: ``loss(params, key, batch, *, hparams)`` (eq. 9).
    step: ``step(state, batch, hparams) -> (state, metrics)``.
    init: ``init(key, hparams=None) -> TrainState``.
    test_features: ``x -> M2's inputs`` at test time (identity for M2, M1's
      posterior mean for M1+M2).
    n_classes: C.
  """
  model: nets.M2
  loss: Callable
  step: Callable
  init: Callable
  test_features: Callable
  n_classes: int


def check_hparams(hparams: dict) -> dict:
  """Checks ``alpha`` (>= 0), ``lr`` (> 0) and ``draw`` (integer >= 0).

  Args:
    hparams: a dict of scalars or sweep lists.

  Returns:
    ``hparams`` unchanged.

  Raises:
    ValueError: a missing entry or a value out of range.
  """
  _checks.has_keys(hparams, "hparams", ("alpha", "lr", "draw"))
  for a in np.ravel(hparams["alpha"]):
    variational.check_alpha(float(a))
  for lr in np.ravel(hparams["lr"]):
    _checks.real(float(lr), "lr", low=np.finfo(np.float32).tiny)
  for d in np.ravel(hparams["draw"]):
    if d != int(d) or d < 0:
      raise ValueError(f"draw must be a non-negative integer, got {d}.")
  return hparams


def optimizer(hparams) -> optax.GradientTransformation:
  """Adam with the traced learning rate ``hparams["lr"]`` (Kingma et al.
  2014 used Adam/AdaGrad-style steps; Pyro's example Adam at 3e-4)."""
  return optax.adam(hparams["lr"])


def build_m2(data_dim: int, *, n_classes: int = 10, latent_dim: int = 50,
         hidden=(500,), likelihood: str = "bernoulli",
         learn_prior: bool = False, learn_scale: bool = False,
         num_samples: int = 1,
         binarize_data: bool = False, features: Callable | None = None,
         test_features: Callable | None = None) -> SSVAE:
  """Builds M2 (or the M2 of M1+M2) from sizes and names, checked here.

  Args:
    data_dim: D, the size of M2's input (pixels, or M1's latent size).
    n_classes: C >= 2.
    latent_dim: size of z.
    hidden: hidden widths (Kingma et al. and Pyro: one layer of 500).
    likelihood: ``bernoulli`` or ``gaussian`` (M1+M2).
    learn_prior: learn ``p(y)``.
    learn_scale: learn the Gaussian likelihood's log-scale per dimension.
    num_samples: samples of z per example and class.
    binarize_data: dynamic binarisation of the pixels at every step.
    features: ``features(key, x)`` applied to every batch (M1+M2).
    test_features: ``x -> features`` at test time (with ``features``).

  Returns:
    The :class:`SSVAE`.

  Raises:
    ValueError: bad sizes or names; ``features`` without
      ``test_features`` or the reverse.
  """
  _checks.integer(data_dim, "data_dim", low=1)
  if (features is None) != (test_features is None):
    raise ValueError("features and test_features go together (M1+M2).")
  model = nets.M2(latent_dim, data_dim, n_classes=n_classes,
                  hidden=tuple(_checks.integer(h, "hidden", low=1)
                               for h in hidden),
                  likelihood=likelihood, learn_prior=learn_prior,
                  learn_scale=learn_scale)
  loss = variational.make_m2_loss(model, num_samples=num_samples,
                                  binarize_data=binarize_data,
                                  features=features)
  step = train.gradient_step(loss, optimizer)

  def init(key, hparams=None):
    hparams = {"lr": 1e-3} if hparams is None else hparams
    params = model.init(jax.random.fold_in(key, 1), jnp.zeros((1, data_dim)),
                        jnp.zeros((1,), jnp.int32))
    return train.init_state(params, optimizer, key, hparams)
  return SSVAE(model, loss, step, init,
               test_features or (lambda x: x), n_classes)


def batches(batch_size: int, labelled_batch_size: int | None = None
            ) -> Callable:
  """``batch_fn`` for :func:`jgen.train.train`: from ``{"x_l", "y_l",
  "x_u"}`` draws ``labelled_batch_size`` labelled and ``batch_size``
  unlabelled examples (with replacement), independently; a ``"mask"``
  (M1+M2's active dimensions) goes into every batch as it is.

  Args:
    batch_size: unlabelled examples per step.
    labelled_batch_size: labelled examples per step (``batch_size`` by
      default).

  Returns:
    ``batch_fn(key, data) -> {"x_l", "y_l", "x_u"}`` (and ``"mask"``).
  """
  _checks.integer(batch_size, "batch_size", low=1)
  b_l = _checks.integer(labelled_batch_size or batch_size,
                        "labelled_batch_size", low=1)

  def batch_fn(key, d):
    k_l, k_u = jax.random.split(key)
    i_l = jax.random.randint(k_l, (b_l,), 0, d["y_l"].shape[0])
    i_u = jax.random.randint(k_u, (batch_size,), 0, d["x_u"].shape[0])
    out = {"x_l": d["x_l"][i_l], "y_l": d["y_l"][i_l], "x_u": d["x_u"][i_u]}
    return {**out, "mask": d["mask"]} if "mask" in d else out
  return batch_fn


def class_logits(s: SSVAE, params, x) -> jax.Array:
  """M2's classifier ``q(y | x)`` (Kingma et al. 2014, eq. (9)) on images
  (through M1's test features for M1+M2), for
  :func:`jgen.metrics.error_rate`.

  Args:
    s: the :class:`SSVAE`.
    params: its parameters.
    x: images, [N, D].

  Returns:
    Class logits, [N, C] (traceable).
  """
  return s.model.apply(params, s.test_features(x), method=nets.M2.class_logits)


def make_run(s: SSVAE, *, num_steps: int, n_labels: int, batch_size: int = 100,
             label_seed: int = 0, labels_only: bool = False,
             mask: jax.Array | None = None, shift: int = 0) -> Callable:
  """A whole semi-supervised run, returning its test error (what
  :func:`jgen.sweep.run` vmaps over draws, alphas, learning rates, seeds).

  The labelled subset of ``hparams["draw"] = d`` is
  :func:`jgen.data.labelled_subset` with ``seed=label_seed, draw=d``; every
  training image is also an unlabelled example (as in Kingma et al.).

  Args:
    s: the :class:`SSVAE`.
    num_steps: training steps.
    n_labels: labelled examples (class-balanced).
    batch_size: labelled and unlabelled examples per step.
    label_seed: seed of the label draws.
    labels_only: train only the classifier ``q(y | x)``, by cross-entropy
      on the labelled examples (the baseline of the same architecture that
      ignores the unlabelled images).
    mask: M1+M2: [D] weights of the Gaussian decoder's dimensions, M1's
      active ones (:attr:`M1Fit.active`; a learned scale on a dropped,
      constant dimension would grow without bound); None weighs all.
    shift: the labelled and unlabelled images of each step moved by a
      random shift of up to this many pixels (:attr:`SsvaeConfig.shift`).

  Returns:
    ``run(key, hparams, data) -> (test_error, metrics)`` with ``data =
    {"x", "y", "x_test", "y_test"}`` and ``metrics`` per step.
  """
  _checks.integer(num_steps, "num_steps", low=1)
  _checks.integer(batch_size, "batch_size", low=1)
  _checks.integer(shift, "shift", low=0)
  step = s.step
  if labels_only:
    apply = lambda p, x: s.model.apply(p, s.test_features(x),
                                       method=nets.M2.class_logits)
    xent = classifiers.cross_entropy_loss(apply)
    step = train.gradient_step(
        lambda p, k, b, *, hparams: xent(p, k, {"x": b["x_l"], "y": b["y_l"]},
                                         hparams=hparams), optimizer)
  chunk = train.make_chunk(step, _base.shifted(
      batches(batch_size), shift, ("x_l", "x_u")), num_steps)

  def run(key, hparams, d):
    idx = data.labelled_subset(d["y"], n_labels, n_classes=s.n_classes,
                               seed=label_seed, draw=hparams["draw"])
    train_data = {"x_l": d["x"][idx], "y_l": d["y"][idx], "x_u": d["x"]}
    if mask is not None:
      train_data["mask"] = mask
    state, per_step = chunk(s.init(key, hparams), train_data, hparams)
    return metrics.error_rate(class_logits(s, state.params, d["x_test"]),
                              d["y_test"]), per_step
  return run


def m1_features(vae: nets.VAE, params,
                active: jax.Array | None = None) -> tuple[Callable, Callable]:
  """M1's features: a sample of ``q(z1 | x)`` (training) and its mean (test).

  Args:
    vae: the trained M1 :class:`jgen.nets.VAE`.
    params: its parameters.
    active: optional [L1] mask (:attr:`M1Fit.active`): the dropped
      dimensions are set to zero in both.

  Returns:
    ``(sample(key, x) -> [B, L1], mean(x) -> [B, L1])``.
  """
  keep = (lambda z: z) if active is None else (lambda z: z * active)

  def mean(x):
    return keep(vae.apply(params, x, method=nets.VAE.encode)[0])

  def sample(key, x):
    mu, log_scale = vae.apply(params, x, method=nets.VAE.encode)
    return keep(mu + jnp.exp(log_scale)
                * jax.random.normal(key, mu.shape, mu.dtype))
  return sample, mean


class M1Fit(NamedTuple):
  """What :func:`fit_m1` returns.

  Attributes:
    params: M1's parameters at its best validation ELBO.
    active: 1 for the latent dimensions kept, 0 for those dropped, [L1].
    scores: the validation ELBO after each chunk of ``validate_every``
      steps (zeros without validation), [steps // validate_every].
  """
  params: Any
  active: jax.Array
  scores: jax.Array


def fit_m1(m1: _base.Model, key: jax.Array, x: jax.Array, *, steps: int,
           validation: int, validate_every: int,
           active_threshold: float) -> M1Fit:
  """Trains M1 as Kingma et al. (2014, Section 3.1) and their code did.

  M1 trains on ``x`` less ``validation`` images held out (a permutation of
  ``fold_in(key, 4)``) and keeps the parameters of its best ELBO on them
  (early stopping, Prechelt 1998; one binarisation and one z per held-out
  image, from ``fold_in(key, 5)``). The latent dimensions whose posterior
  mean has a standard deviation over ``x`` of at most ``active_threshold``
  are dropped (``dpkingma/nips14-ssl`` drops those <= 0.1). Pure: it
  ``vmap``s over keys (label draws).

  Args:
    m1: the VAE :class:`jgen.models.Model` of M1.
    key: PRNG key; training starts from ``m1.init(fold_in(key, 2))``.
    x: the training images, [N, D].
    steps: Adam steps.
    validation: images held out (0: train on all, keep the last state).
    validate_every: steps between validations (rounded down to a divisor
      of ``steps``).
    active_threshold: the standard deviation at or below which a latent
      dimension is dropped.

  Returns:
    :class:`M1Fit`.

  Raises:
    ValueError: ``validation`` leaves no training image.
  """
  if validation >= x.shape[0]:
    raise ValueError(f"m1_validation: must leave training images; there "
                     f"are {x.shape[0]}, got {validation}.")
  order = jax.random.permutation(jax.random.fold_in(key, 4), x.shape[0])
  held, fit = x[order[:validation]], x[order[validation:]]
  fit = {"x": fit, "y": jnp.zeros(len(fit), jnp.int32)}
  every = train.largest_divisor(steps, validate_every)
  chunk = train.make_chunk(m1.step, m1.batch_fn, every)
  score_key = jax.random.fold_in(key, 5)

  def score(params):
    if not validation:
      return jnp.zeros(())
    return -m1.parts.loss(params, score_key, {"x": held},
                          hparams=m1.hparams)[0]

  def body(carry, _):
    state, best, best_score = carry
    state, _ = chunk(state, fit, m1.hparams)
    new = score(state.params)
    better = new >= best_score
    best = jax.tree.map(lambda a, b: jnp.where(better, a, b), state.params,
                        best)
    return (state, best, jnp.maximum(new, best_score)), new

  state = m1.init(jax.random.fold_in(key, 2))
  (_, params, _), scores = jax.lax.scan(
      body, (state, state.params, jnp.array(-jnp.inf)), None,
      length=steps // every)
  means = m1_features(m1.parts.net, params)[1](x)
  active = (jnp.std(means, 0) > active_threshold).astype(means.dtype)
  return M1Fit(params, active, scores)


def fit_m1_classifier(features: Callable, x_l, y_l, *, n_classes: int = 10,
                      l2: float = 1.0) -> Callable:
  """M1's classifier: softmax logistic regression on M1's posterior means.

  Args:
    features: ``x -> [B, L1]`` (the mean of :func:`m1_features`).
    x_l: labelled images, [N_l, D].
    y_l: their labels, [N_l].
    n_classes: C.
    l2: the logistic regression's L2 penalty.

  Returns:
    ``predict(x) -> [B]`` class predictions.
  """
  w = classifiers.fit_logistic(np.asarray(features(jnp.asarray(x_l))), y_l,
                               l2=l2, n_classes=n_classes)
  return lambda x: jnp.argmax(classifiers.linear_logits(w, features(x)), -1)


def _labels(x_l, y_l) -> np.ndarray:
  """``y_l`` as NumPy, checked to give one label per image of ``x_l``."""
  y_l = np.asarray(y_l)
  if y_l.shape != (len(x_l),):
    raise ValueError(f"y_l must give one label per image of x_l: "
                     f"{len(x_l)} images, labels of shape {y_l.shape}.")
  return y_l


def fit_m1_svm(features: Callable, x_l, y_l, x_u=None, *,
               threshold: float = 0.7, max_iter: int = 10) -> Callable:
  """M1's SVM: an RBF support-vector machine (Cortes & Vapnik 1995;
  scikit-learn's ``SVC`` with its defaults) on M1's features of the
  labelled images, fitted on the host; given unlabelled images, it is
  self-trained on them (Yarowsky 1995; scikit-learn's
  ``SelfTrainingClassifier``): each round refits the SVM on the labels so
  far and adopts its prediction for every unlabelled image whose
  probability (libsvm's: Platt 1999's sigmoids on each pair of classes,
  coupled by Wu, Lin & Weng 2004) is above ``threshold``, the off-the-shelf
  relative of the paper's transductive SVM (Joachims 1999), which also
  fits its margin to labels it assigns to the unlabelled images. The
  threshold of 0.7 was the best of 0.5, 0.6, 0.7 and 0.8 for M1's features
  on mnist5k with 100 labels (five label draws of seed 0).

  Args:
    features: ``x -> [B, L1]`` (the mean of :func:`m1_features`).
    x_l: labelled images, [N_l, D].
    y_l: their labels, [N_l].
    x_u: unlabelled images, [N_u, D], or None: a plain SVM on the labelled
      images.
    threshold: self-training: the probability above which a prediction
      becomes a label, in (0, 1).
    max_iter: self-training: the most rounds, >= 1.

  Returns:
    ``predict(x) -> [B]`` class predictions (NumPy).

  Raises:
    ValueError: ``y_l`` not one label per labelled image, ``threshold``
      outside (0, 1) or ``max_iter`` below 1.
  """
  from sklearn.svm import SVC
  y_l = _labels(x_l, y_l)
  if not 0.0 < _checks.real(threshold, "threshold") < 1.0:
    raise ValueError(f"threshold must be in (0, 1), got {threshold}.")
  _checks.integer(max_iter, "max_iter", low=1)
  f_l = np.asarray(features(jnp.asarray(x_l)))
  if x_u is None:
    svm = SVC().fit(f_l, y_l)
  else:
    from sklearn.semi_supervised import SelfTrainingClassifier
    f_u = np.asarray(features(jnp.asarray(x_u)))
    with warnings.catch_warnings():
      # libsvm's own multi-class probabilities: scikit-learn 1.9 deprecates
      # them for one-vs-rest calibration, with which self-training on M1's
      # features errs twice as often (docs/results.md)
      warnings.filterwarnings("ignore", "The `probability`", FutureWarning)
      svm = SelfTrainingClassifier(
          SVC(probability=True, random_state=0), threshold=threshold,
          max_iter=max_iter).fit(np.concatenate([f_l, f_u]), np.concatenate(
              [y_l, np.full(len(f_u), -1)]))
  return lambda x: svm.predict(np.asarray(features(x)))


def fit_m1_spreading(features: Callable, x_l, y_l, x_u, *,
                     n_neighbors: int = 7, alpha: float = 0.99,
                     max_iter: int = 1000) -> Callable:
  """M1's transductive classifier, in the place of the paper's TSVM: label
  spreading (Zhou, Bousquet, Lal, Weston & Scholkopf 2004, "Learning with
  local and global consistency", Section 2: ``F <- alpha S F + (1 - alpha)
  Y`` iterated towards its fixed point, with their alpha of 0.99) over the
  k-nearest-neighbour graph of M1's features of the labelled and the
  unlabelled images; scikit-learn's ``LabelSpreading``, fitted on the host.
  scikit-learn's own defaults (``alpha`` 0.2, ``max_iter`` 30) let a label
  travel only a few hops, so that images far from every label keep no
  label mass.

  Args:
    features: ``x -> [B, L1]`` (the mean of :func:`m1_features`).
    x_l: labelled images, [N_l, D].
    y_l: their labels, ints in ``[0, C)``, [N_l].
    x_u: unlabelled images, [N_u, D] (in jgen every training image, the
      labelled ones included).
    n_neighbors: k of the graph.
    alpha: the share of each step's label mass that comes from the
      neighbours, in (0, 1).
    max_iter: the most iterations (scikit-learn stops earlier at its
      tolerance of 1e-3).

  Returns:
    ``predict(x) -> [B]`` class predictions (NumPy; new points take the
    labels of their neighbours in the graph). A ``RuntimeWarning`` says how
    many images no label reaches (a graph in pieces, at the fit) or how
    many points have only such neighbours (at a prediction); they are
    given the first class.

  Raises:
    ValueError: ``y_l`` not one label per labelled image, ``n_neighbors``
      not below the number of images, ``alpha`` outside (0, 1) or
      ``max_iter`` below 1.
  """
  from sklearn.semi_supervised import LabelSpreading
  y_l = _labels(x_l, y_l)
  _checks.integer(n_neighbors, "n_neighbors", low=1,
                  high=len(x_l) + len(x_u) - 1)
  _checks.integer(max_iter, "max_iter", low=1)
  if not 0.0 < _checks.real(alpha, "alpha") < 1.0:
    raise ValueError(f"alpha must be in (0, 1), got {alpha}.")
  f = np.concatenate([np.asarray(features(jnp.asarray(x_l))),
                      np.asarray(features(jnp.asarray(x_u)))])
  labels = np.concatenate([y_l, np.full(len(x_u), -1)])
  with np.errstate(invalid="ignore"), warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)     # reported below
    spread = LabelSpreading(kernel="knn", n_neighbors=n_neighbors,
                            alpha=alpha, max_iter=max_iter).fit(f, labels)
  mass = spread.label_distributions_
  unreached = int(np.sum(~(np.isfinite(mass).all(1) & (mass.sum(1) > 0))))
  if unreached:
    warnings.warn(f"fit_m1_spreading: {unreached} of {len(f)} images lie in "
                  f"parts of the {n_neighbors}-nearest-neighbour graph that "
                  f"no label reaches.", RuntimeWarning, stacklevel=2)

  def predict(x):
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
      warnings.simplefilter("ignore", RuntimeWarning)   # reported here
      probs = spread.predict_proba(np.asarray(features(x)))
    lost = ~np.isfinite(probs).all(1)
    if lost.any():
      warnings.warn(f"fit_m1_spreading: {int(lost.sum())} of {len(probs)} "
                    f"points have no labelled image's mass among their "
                    f"{n_neighbors} nearest neighbours; they are given "
                    f"class {spread.classes_[0]}.", RuntimeWarning,
                    stacklevel=2)
    return spread.classes_[np.argmax(np.nan_to_num(probs, nan=-1.0), 1)]
  return predict


_M1_FIELDS = ("m1_latent_dim", "m1_hidden", "m1_steps", "m1_validation",
              "m1_validate_every", "m1_shift", "active_threshold")
_APPLIES = {"latent_dim": ("m2", "m1_m2"), "alpha": ("m2", "m1_m2"),
            "shift": ("m2", "m1_m2"),
            **dict.fromkeys(_M1_FIELDS, ("m1", "m1_m2")),
            "l2": ("m1",), "eval_samples": ("m2",), "learn_scale": ("m1_m2",)}


@dataclasses.dataclass(frozen=True)
class SsvaeConfig:
  """A semi-supervised VAE of Kingma et al. (2014), every field checked
  when built.

  Attributes:
    model: ``"m1"`` (a VAE's posterior means and a logistic regression on
      the labelled ones), ``"m2"`` (eq. 9 on the pixels) or ``"m1_m2"`` (M2
      on samples of M1's ``q(z1 | x)``, drawn afresh every step).
    data_dim: D of a flat image in [0, 1].
    n_classes: C >= 2.
    n_labels: labelled training images, a multiple of C (class-balanced
      draws, :func:`jgen.data.labelled_subset`).
    label_seed: the seed of the labelled subsets.
    latent_dim: M2's z.
    hidden: hidden widths of M2's MLPs (Kingma et al.: one layer of 500).
    shift: M2 trains on its labelled and unlabelled images moved by a
      random integer shift of up to this many pixels in each direction,
      each image its own, drawn afresh every step (before M1's encoder in
      M1+M2; :func:`jgen.data.random_shift`; Simard et al. 2003's
      augmentation, not in Kingma et al.); 0 for none.
    m1_latent_dim: M1's z1.
    m1_hidden: hidden widths of M1's encoder and decoder (the authors'
      code, ``dpkingma/nips14-ssl``: 500-500).
    m1_steps: Adam steps of M1, trained first (inside ``init``) on the
      training images.
    m1_validation: training images held out from M1's training; M1 keeps
      the parameters of its best ELBO on them (early stopping, Prechelt
      1998; 0: the last parameters, every image trained on).
    m1_validate_every: M1's steps between validations.
    m1_shift: M1 trains on its images moved by a random integer shift of up
      to this many pixels in each direction, drawn afresh every step
      (:func:`jgen.data.random_shift`; Simard et al. 2003's augmentation,
      not in Kingma et al.); 0 for none. It makes up in part for a small
      unlabelled set (docs/results.md measures it on mnist5k).
    active_threshold: M1's latent dimensions whose posterior mean varies
      over the training images by a standard deviation at most this are
      dropped (set to zero) from the features (the authors drop those
      <= 0.1; 0 keeps every dimension).
    alpha: M2's per-example weight of the classification term (traced; the
      paper's ``0.1 N`` on data-set sums is ``0.1 N / n_labels`` here).
    learning_rate: Adam's step size (traced as ``lr``).
    batch_size: labelled and unlabelled examples per step.
    l2: M1's logistic-regression penalty (scikit-learn's ``1 / C``); M1's
      steps are Newton steps of that convex fit on the labelled features.
    binarize: binarise the pixels dynamically (Bernoulli decoders); M1+M2's
      M2 models M1's features with a Gaussian.
    learn_scale: M1+M2: M2's Gaussian on M1's features learns its
      log-scale per dimension, over the active dimensions only (the
      authors' code, ``dpkingma/nips14-ssl``); False fixes it at 1.
    eval_samples: M2's importance samples of the test ``log p(x)``.

  Raises:
    ValueError: naming the field: an unknown model, a size or rate out of
      range, an option of another model.
    TypeError: a field of the wrong type.
  """
  model: str = "m2"
  data_dim: int = 784
  n_classes: int = 10
  n_labels: int = 100
  label_seed: int = 0
  latent_dim: int = 10
  hidden: tuple[int, ...] = (500,)
  shift: int = 0
  m1_latent_dim: int = 50
  m1_hidden: tuple[int, ...] = (500, 500)
  m1_steps: int = 30_000
  m1_validation: int = 500
  m1_validate_every: int = 1000
  m1_shift: int = 0
  active_threshold: float = 0.1
  alpha: float = 1000.0
  learning_rate: float = 1e-3
  batch_size: int = 100
  l2: float = 1.0
  binarize: bool = True
  learn_scale: bool = True
  eval_samples: int = 1000

  def __post_init__(self):
    _checks.choice(self.model, "model", MODELS)
    _base.refuse_inapplicable(self, self.model, _APPLIES)
    for name in ("data_dim", "latent_dim", "m1_latent_dim", "m1_steps",
                 "m1_validate_every", "batch_size", "eval_samples"):
      _checks.integer(getattr(self, name), name, low=1)
    _checks.integer(self.m1_validation, "m1_validation", low=0)
    _base.check_shift(self.shift, self.data_dim)
    _base.check_shift(self.m1_shift, self.data_dim, "m1_shift")
    _checks.real(self.active_threshold, "active_threshold", low=0.0,
                 high=1e30)
    _base.check_labelled_draws(self)
    object.__setattr__(self, "hidden", _base.check_widths(self.hidden))
    object.__setattr__(self, "m1_hidden", _base.check_widths(self.m1_hidden,
                                                           "m1_hidden"))
    variational.check_alpha(self.alpha)
    _checks.real(self.learning_rate, "learning_rate", low=1e-30, high=1e30)
    _checks.real(self.l2, "l2", low=1e-30, high=1e30)
    _checks.boolean(self.binarize, "binarize")
    _checks.boolean(self.learn_scale, "learn_scale")


class Parts(NamedTuple):
  """The pieces of a :func:`make` model: M1's VAE model (None for M2) and
  the :class:`SSVAE` of its M2 (None for M1)."""
  m1: _base.Model | None
  m2: SSVAE | None


def make(config: SsvaeConfig) -> _base.Model:
  """Builds the :class:`jgen.models.Model` of an :class:`SsvaeConfig`.

  Args:
    config: the checked config.

  Returns:
    The model. ``train_data(dataset, draw=d)`` gives ``{"x_l", "y_l",
    "x_u", "labelled"}`` (draw ``d`` of ``label_seed``; every training
    image is also unlabelled); ``init(key, data)`` trains M1 on
    ``data["x_u"]`` first for ``m1``/``m1_m2`` (``m1_steps`` Adam steps, a
    pure function of the key); hparams ``{"alpha", "lr"}`` (M2) or ``{}``
    (M1); ``evaluate`` gives ``test_error`` (and M2's importance-sampled
    ``test_log_likelihood``); M2 samples images of classes ``i mod C`` and
    draws ``analogies.png`` (and, for a 2-D z, ``styles.png``).

  Raises:
    TypeError: ``config`` is not an :class:`SsvaeConfig`.
  """
  _base.expect(config, SsvaeConfig)
  c = config
  m1 = None
  if c.model != "m2":
    m1 = vae_family.make(vae_family.VaeConfig(
        data_dim=c.data_dim, latent_dim=c.m1_latent_dim, hidden=c.m1_hidden,
        likelihood="bernoulli" if c.binarize else "gaussian",
        binarize=c.binarize, shift=c.m1_shift,
        learning_rate=c.learning_rate, batch_size=c.batch_size))
  def mean(p, x):           # M1's test features: active dimensions' means
    return m1_features(m1.parts.net, p["m1"], p["m1_active"])[1](x)

  def sample_z1(p, key, x):  # a fresh draw of q(z1 | x), same dimensions
    return m1_features(m1.parts.net, p["m1"], p["m1_active"])[0](key, x)

  def train_m1(key, data):
    if data is None:
      raise ValueError(f"{c.model}: init(key, data) trains M1 on the "
                       f"training images first; pass model.train_data(...)")
    fitted = fit_m1(m1, key, data["x_u"], steps=c.m1_steps,
                    validation=c.m1_validation,
                    validate_every=c.m1_validate_every,
                    active_threshold=c.active_threshold)
    return {"m1": fitted.params, "m1_active": fitted.active}

  def train_data(dataset, *, draw=0):
    return _base.labelled_split(c, _base.pixels(
        dataset.x_train, c.data_dim, "dataset.x_train"), dataset, draw)

  def test_x(dataset):
    return _base.flat(dataset.x_test, c.data_dim, "dataset.x_test")

  if c.model == "m1":
    def objective(w, feats, y):
      return classifiers.logistic_objective(w, feats, y, c.l2)

    def init(key, data=None):
      params = {**train_m1(key, data),
                "w": {"w": jnp.zeros((c.n_classes, c.m1_latent_dim)),
                      "b": jnp.zeros(c.n_classes)},
                # the labelled images, for the SVM fitted at evaluation
                "labelled": {"x": data["x_l"], "y": data["y_l"]}}
      return train.init_state(params, optax.set_to_zero(), key)

    def step(state, batch, hparams):
      del hparams
      feats = mean(state.params, batch["x_l"])
      w = classifiers.newton(
          lambda w: objective(w, feats, batch["y_l"]), state.params["w"], 1)
      return state.replace(step=state.step + 1,
                           params={**state.params, "w": w}), {
          "loss": objective(w, feats, batch["y_l"]) / len(batch["y_l"])}

    def logits(state, x):
      return classifiers.linear_logits(state.params["w"],
                                       mean(state.params, x))

    def evaluate(state, dataset):
      """``test_error`` of the logistic regression on M1's features (the
      active dimensions' posterior means), ``test_error_svm`` of an RBF SVM
      (scikit-learn's ``SVC`` defaults) on the same labelled features,
      ``test_error_self_training`` of that SVM self-trained on every
      training image's features (:func:`fit_m1_svm`),
      ``test_error_spreading`` of label spreading over them
      (:func:`fit_m1_spreading`), and ``active_dims``."""
      x = test_x(dataset)
      p = state.params
      feats = lambda xx: mean(p, xx)
      x_l, y_l = p["labelled"]["x"], p["labelled"]["y"]
      x_u = _base.pixels(dataset.x_train, c.data_dim, "dataset.x_train")
      svm = fit_m1_svm(feats, x_l, y_l)
      self_trained = fit_m1_svm(feats, x_l, y_l, x_u)
      spread = fit_m1_spreading(feats, x_l, y_l, x_u)
      y = np.asarray(dataset.y_test)
      return {"test_error": float(metrics.error_rate(
          logits(state, x), jnp.asarray(y))),
              "test_error_svm": float(np.mean(svm(x) != y)),
              "test_error_self_training": float(np.mean(self_trained(x) != y)),
              "test_error_spreading": float(np.mean(spread(x) != y)),
              "active_dims": int(np.sum(np.asarray(p["m1_active"]))),
              "n_test": len(x)}
    return _base.Model(
        config, init, step, lambda key, d: {"x_l": d["x_l"], "y_l": d["y_l"]},
        {}, train_data, None, evaluate, lambda state, dataset, workdir: [],
        Parts(m1, None))

  on_pixels = c.model == "m2"
  s = build_m2(c.data_dim if on_pixels else c.m1_latent_dim,
               n_classes=c.n_classes, latent_dim=c.latent_dim,
               hidden=c.hidden,
               likelihood="bernoulli" if on_pixels and c.binarize
               else "gaussian", binarize_data=on_pixels and c.binarize,
               learn_scale=not on_pixels and c.learn_scale)
  frozen = lambda p: {**jax.tree.map(lambda _: "frozen", {
      k: p[k] for k in ("m1", "m1_active")}),
                      "m2": jax.tree.map(lambda _: "train", p["m2"])}
  opt = optimizer if on_pixels else lambda hp: optax.multi_transform(
      {"train": optax.adam(hp["lr"]), "frozen": optax.set_to_zero()}, frozen)

  def loss(params, key, batch, *, hparams):
    if on_pixels:
      return s.loss(params, key, batch, hparams=hparams)
    k_l, k_u, k = jax.random.split(key, 3)
    p1 = jax.lax.stop_gradient(params)
    return s.loss(params["m2"], k, {"x_l": sample_z1(p1, k_l, batch["x_l"]),
                                    "y_l": batch["y_l"],
                                    "x_u": sample_z1(p1, k_u, batch["x_u"]),
                                    "mask": p1["m1_active"]},
                  hparams=hparams)

  def init(key, data=None):
    m2_params = s.init(key).params
    if on_pixels:
      params = m2_params
    else:
      params = {**train_m1(key, data), "m2": m2_params}
    return train.init_state(params, opt, key, {"lr": c.learning_rate})

  def logits(state, x):
    if on_pixels:
      return s.model.apply(state.params, x, method=nets.M2.class_logits)
    return s.model.apply(state.params["m2"], mean(state.params, x),
                         method=nets.M2.class_logits)

  @jax.jit       # compiled once per model, not per evaluation
  def log_likelihood(params, key, xb):
    return variational.m2_log_likelihood(
        key, xb, num_samples=c.eval_samples,
        chunk_size=train.largest_divisor(c.eval_samples, 100),
        **variational.m2_fns(s.model, params))

  def evaluate(state, dataset, *, seed=0):
    """``test_error`` of ``q(y | x)``; M2 on pixels adds the importance-
    sampled ``test_log_likelihood`` (the sum over classes inside each
    weight, ``eval_samples`` samples; test images binarised once with
    ``PRNGKey(seed)``)."""
    x = test_x(dataset)
    out = {"test_error": float(metrics.error_rate(
        logits(state, x), jnp.asarray(dataset.y_test))), "n_test": len(x)}
    if on_pixels:
      xt = data.binarize(jax.random.PRNGKey(seed), x) if c.binarize else x
      out["test_log_likelihood"] = float(np.mean(np.concatenate([
          np.asarray(log_likelihood(state.params, jax.random.PRNGKey(i),
                                    xt[i:i + 100]))
          for i in range(0, len(xt), 100)])))
      out["eval_samples"] = c.eval_samples
    return out

  def sample(state, key, n):
    z = jax.random.normal(key, (n, c.latent_dim))
    return s.model.apply(state.params, z, jnp.arange(n) % c.n_classes,
                         method=nets.M2.decode_mean)

  return _base.Model(
      config, init, train.gradient_step(loss, opt),
      _base.shifted(batches(c.batch_size), c.shift, ("x_l", "x_u")),
      _base.float32_hparams(alpha=c.alpha, lr=c.learning_rate), train_data,
      sample if on_pixels else None, evaluate,
      _figures(s, c) if on_pixels else lambda state, dataset, workdir: [],
      Parts(m1, s))


def _figures(s: SSVAE, c: SsvaeConfig) -> Callable:
  def figures(state, dataset, workdir):
    """``analogies.png`` (eight test images' z, each decoded with every
    class) and, for a 2-D z, ``styles.png`` (one row per class, z along
    each axis; Kingma et al. 2014, Fig. 1); none for non-image data."""
    shape = _base.image_shape(c.data_dim)
    if shape is None:
      return []
    params = state.params
    decode = jax.jit(lambda z, yy: s.model.apply(params, z, yy,
                                                 method=nets.M2.decode_mean))
    x_test = np.asarray(_base.flat(dataset.x_test, c.data_dim))
    pick = np.linspace(0, len(x_test) - 1, 8).astype(int)
    mu, _ = s.model.apply(params, jnp.asarray(x_test[pick]),
                          jnp.asarray(dataset.y_test[pick]),
                          method=nets.M2.encode)
    rows = [x_test[pick]] + [np.asarray(decode(mu, jnp.full(8, k)))
                             for k in range(c.n_classes)]
    fig, axes = plotting.figure(1, 1, 7)
    plotting.image_grid(axes[0, 0], np.stack(rows, 1).reshape(
        -1, c.data_dim), shape, c.n_classes + 1)
    axes[0, 0].set_title("test image, then its z decoded with each class")
    paths = [os.path.join(workdir, "analogies.png")]
    plotting.save(fig, paths[0])
    if c.latent_dim == 2:
      from scipy.stats import norm
      g = jnp.asarray(norm.ppf(np.linspace(0.05, 0.95, 10)), jnp.float32)
      z = jnp.concatenate([jnp.stack([g, jnp.zeros_like(g)], -1),
                           jnp.stack([jnp.zeros_like(g), g], -1)])
      imgs = np.concatenate([np.asarray(decode(z, jnp.full(len(z), k)))
                             for k in range(c.n_classes)])
      fig, axes = plotting.figure(1, 1, 9)
      plotting.image_grid(axes[0, 0], imgs, shape, len(z))
      axes[0, 0].set_title("one row per class; z varied along each axis")
      paths.append(os.path.join(workdir, "styles.png"))
      plotting.save(fig, paths[1])
    return paths
  return figures
