r"""Discriminative and generative classifiers (Ng & Jordan 2002; Bishop 2006, Ch. 4).

Discriminative models give ``p(y | x, w)`` directly: binary logistic
regression ``p(y=1 | x) = sigmoid(w^T x + b)`` and softmax regression
``p(y=c | x) = softmax(W x + b)_c`` (Bishop 2006, eqs. 4.87, 4.104),
:func:`logistic_log_likelihood`; an MLP classifier is :class:`jgen.nets.MLP`
with ``jgen.likelihoods.categorical_log_prob`` of its logits.

Generative models give ``log p(x, y=c | w) = log pi_c + log p(x | c, w)``
and the posterior by Bayes' rule in log space,
``log p(c | x) = log p(x, c) - logsumexp_c' log p(x, c')``:

* Gaussian class-conditionals with a shared covariance (LDA, ``"tied"``), a
  covariance per class (QDA, ``"full"``), or diagonal (Gaussian naive Bayes,
  ``"diag"``) -- :func:`fit_gaussian_classifier`, :func:`gaussian_log_joint`;
* Bernoulli naive Bayes for binary features -- :func:`fit_bernoulli_nb`,
  :func:`bernoulli_log_joint`.

With a shared covariance the posterior is a softmax (a sigmoid for two
classes) of a linear function, whose weights :func:`lda_logistic_weights`
gives in closed form (Bishop 2006, eqs. 4.65-4.70; notes 000, "The decision
function is a sigmoid").

:func:`newton` minimises a smooth convex objective of a flat parameter
vector; :func:`fit_logistic` uses it for penalised maximum likelihood (the
objective of scikit-learn's ``LogisticRegression`` with ``C = 1 / l2``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct
from jax.flatten_util import ravel_pytree

from jgen import _checks
from jgen import likelihoods


def check_labelled(x, y, *, n_classes: int | None = None, x_name: str = "x",
                   y_name: str = "y") -> tuple[np.ndarray, np.ndarray, int]:
  """Validates ``x`` [N, D] and integer labels ``y`` [N] in 0..C-1.

  Returns:
    ``(x, y, n_classes)`` as NumPy arrays and an int (``max(y) + 1`` when
    ``n_classes`` is None).

  Raises:
    ValueError: lengths differ, labels are not integers in 0..C-1, or x is
      not a finite matrix.
  """
  x = _checks.data_matrix(x, x_name)
  y_arr = np.asarray(y)
  if y_arr.ndim != 1 or y_arr.shape[0] != x.shape[0]:
    raise ValueError(f"{y_name} must have one label per row of {x_name}: "
                     f"expected shape ({x.shape[0]},), got {y_arr.shape}.")
  high = int(np.max(y_arr)) if n_classes is None else n_classes - 1
  y_arr = _checks.labels(y_arr, y_name, n=x.shape[0], low=0, high=high)
  return x, y_arr, (high + 1 if n_classes is None else n_classes)


# ----------------------------------------------------------------------------
# Discriminative


def linear_logits(params: dict, x: jax.Array) -> jax.Array:
  """``x W^T + b``: [N, C] for ``W`` [C, D], or [N] for a vector ``w`` [D].

  Args:
    params: ``{"w": [C, D] or [D], "b": [C] or []}``.
    x: inputs, [N, D].
  """
  return x @ params["w"].T + params["b"]


def logistic_log_likelihood(params: dict, x: jax.Array,
                            y: jax.Array) -> jax.Array:
  """``log p(y_n | x_n, w)`` of binary or softmax logistic regression.

  Binary (``w`` [D]): ``y log s(a) + (1 - y) log s(-a)`` with ``a = w^T x +
  b`` (Bishop 2006, eq. 4.90); softmax (``w`` [C, D]): ``log softmax(W x +
  b)_y`` (eq. 4.108). Both are computed from logits, so they are finite for
  any weights.

  Args:
    params: ``{"w", "b"}`` as in :func:`linear_logits`.
    x: inputs, [N, D].
    y: labels, [N] (0/1 for binary).

  Returns:
    [N] log-likelihoods.
  """
  logits = linear_logits(params, x)
  if params["w"].ndim == 1:
    return likelihoods.bernoulli_log_prob(y[:, None].astype(logits.dtype),
                                          logits=logits[:, None])
  return likelihoods.categorical_log_prob(y, logits=logits)


def newton(objective: Callable, params, num_iter: int = 30,
           ridge: float = 1e-10):
  """Minimises a smooth convex ``objective(params)`` by Newton's method.

  The Hessian of the flattened parameters is formed exactly (``jax.hessian``);
  ``ridge`` is added to its diagonal so directions the objective is flat in
  (e.g. a shift of all softmax intercepts) do not make the solve singular.
  Run under ``jit`` by the caller; ``num_iter`` iterations, no line search
  (enough for penalised GLMs started at zero).

  Args:
    objective: scalar function of a parameter pytree.
    params: starting point.
    num_iter: Newton iterations.
    ridge: diagonal jitter of the Hessian.

  Returns:
    The minimiser, same structure as ``params``.
  """
  flat, unravel = ravel_pytree(params)
  f = lambda v: objective(unravel(v))
  eye = jnp.eye(flat.size, dtype=flat.dtype)

  def body(_, v):
    g, h = jax.grad(f)(v), jax.hessian(f)(v)
    return v - jnp.linalg.solve(h + ridge * eye, g)
  return unravel(jax.lax.fori_loop(0, num_iter, body, flat))


def fit_logistic(x, y, *, l2: float = 1.0, n_classes: int | None = None,
                 num_iter: int = 30) -> dict:
  """Penalised maximum likelihood for binary or softmax logistic regression.

  Minimises ``-sum_n log p(y_n | x_n) + l2 / 2 ||W||^2`` (intercepts not
  penalised), which is scikit-learn's ``LogisticRegression(C=1/l2)``.

  Args:
    x: inputs, [N, D].
    y: labels in 0..C-1, [N].
    l2: penalty on the weights (> 0).
    n_classes: C; ``max(y) + 1`` by default. C = 2 fits the binary model.
    num_iter: Newton iterations.

  Returns:
    ``{"w": [D], "b": []}`` for two classes, ``{"w": [C, D], "b": [C]}``
    otherwise.
  """
  x, y, c = check_labelled(x, y, n_classes=n_classes)
  l2 = _checks.real(l2, "l2", low=np.finfo(float).tiny)
  d = x.shape[1]
  binary = c == 2
  params = ({"w": jnp.zeros(d, x.dtype), "b": jnp.zeros((), x.dtype)} if binary
            else {"w": jnp.zeros((c, d), x.dtype), "b": jnp.zeros(c, x.dtype)})
  return _fit_logistic(params, jnp.asarray(x), jnp.asarray(y), l2, num_iter)


def logistic_objective(params: dict, x: jax.Array, y: jax.Array,
                       l2: float) -> jax.Array:
  """The objective :func:`fit_logistic` minimises: ``-sum_n log p(y_n |
  x_n) + l2 / 2 ||W||^2`` (Bishop 2006, eqs. 4.108 and 5.112), plus, for
  softmax weights, ``(sum_c b_c)^2 / 2``.

  The last term pins the one direction the softmax likelihood is flat in
  (a shift of every intercept, which changes no probability) to ``sum_c
  b_c = 0``: it is zero at the reported minimiser and keeps Newton's
  Hessian non-singular, where in float32 a ridge alone lets the intercepts
  drift to ~1e10 and swamp the logits.

  Args:
    params: ``{"w", "b"}`` of :func:`linear_logits`.
    x: inputs, [N, D].
    y: labels in 0..C-1, [N].
    l2: the weights' penalty.

  Returns:
    The scalar objective.
  """
  out = (-jnp.sum(logistic_log_likelihood(params, x, y))
         + 0.5 * l2 * jnp.sum(params["w"] ** 2))
  if params["b"].ndim:
    out = out + 0.5 * jnp.sum(params["b"]) ** 2
  return out


@functools.partial(jax.jit, static_argnames=("num_iter",))
def _fit_logistic(params, x, y, l2, num_iter):
  return newton(lambda p: logistic_objective(p, x, y, l2), params, num_iter)


def cross_entropy_loss(apply: Callable) -> Callable:
  """The mean negative log-likelihood of a softmax classifier, as an objective.

  ``-1/N sum_n log softmax(f(x_n))_{y_n}`` (Bishop 2006, eq. 4.108) in the
  objective contract ``(params, key, batch, *, hparams) -> (loss, aux)``, so
  ``train.gradient_step`` trains any logit network with it.

  Args:
    apply: ``apply(params, x) -> logits [N, C]``.

  Returns:
    ``loss(params, key, batch, *, hparams)`` with ``batch = {"x", "y"}``;
    ``aux`` holds the batch ``accuracy``. ``key`` and ``hparams`` are unused.
  """
  def loss(params, key, batch, *, hparams):
    del key, hparams
    logits = apply(params, batch["x"])
    ll = likelihoods.categorical_log_prob(batch["y"], logits=logits)
    return -jnp.mean(ll), {"accuracy": jnp.mean(
        jnp.argmax(logits, -1) == batch["y"])}
  return loss


# ----------------------------------------------------------------------------
# Generative


class GaussianClassifier(struct.PyTreeNode):
  """Class priors and Gaussian class-conditionals ``N(x | mu_c, Sigma_c)``.

  Attributes:
    log_prior: ``log pi_c``, [C].
    mean: ``mu_c``, [C, D].
    precision_cholesky: in the layout of ``covariance_type``
      (:mod:`jgen.likelihoods`), ``"tied"`` for LDA.
    covariance_type: ``"tied"`` (LDA), ``"full"`` (QDA), ``"diag"`` (Gaussian
      naive Bayes) or ``"spherical"``; static.
  """
  log_prior: jax.Array
  mean: jax.Array
  precision_cholesky: jax.Array
  covariance_type: str = struct.field(pytree_node=False, default="tied")


def fit_gaussian_classifier(x, y, *, covariance_type: str = "tied",
                            n_classes: int | None = None, ddof: int = 0,
                            reg_covar: float = 0.0) -> GaussianClassifier:
  """Maximum-likelihood Gaussian class-conditional classifier (closed form).

  ``pi_c = N_c / N``, ``mu_c`` the class means, and the covariances: per class
  ``S_c / (N_c - ddof)`` (``full``, ``diag``, ``spherical``), or pooled
  ``sum_c S_c / (N - ddof)`` (``tied``), where ``S_c`` is the class scatter
  matrix; ``reg_covar`` is added to the diagonal (Bishop 2006, Section 4.2.2).

  scikit-learn equivalents: ``LinearDiscriminantAnalysis(solver="lsqr")`` is
  ``tied`` with ``ddof=0``; ``QuadraticDiscriminantAnalysis`` (scikit-learn
  1.9) is ``full`` with ``ddof=0`` (older versions used ``ddof=1``);
  ``GaussianNB`` is ``diag`` with ``reg_covar = var_smoothing *
  max_j var(x_j)``.

  Args:
    x: inputs, [N, D].
    y: labels in 0..C-1, [N]; every class must occur.
    covariance_type: one of ``jgen.likelihoods.COVARIANCE_TYPES``.
    n_classes: C; ``max(y) + 1`` by default.
    ddof: delta degrees of freedom of the covariance estimate (0 or 1).
    reg_covar: non-negative ridge added to the covariance diagonal.

  Returns:
    A :class:`GaussianClassifier`.
  """
  x, y, c = check_labelled(x, y, n_classes=n_classes)
  _checks.choice(covariance_type, "covariance_type",
                 likelihoods.COVARIANCE_TYPES)
  ddof = _checks.integer(ddof, "ddof", low=0, high=1)
  reg_covar = _checks.real(reg_covar, "reg_covar", low=0.0)
  counts = np.bincount(y, minlength=c)
  if counts.min() <= ddof:
    raise ValueError(f"y: every class needs more than ddof={ddof} points, got "
                     f"counts {counts.tolist()}.")
  onehot = np.eye(c, dtype=x.dtype)[y]                          # [N, C]
  mean = onehot.T @ x / counts[:, None]                          # [C, D]
  centred = x - mean[y]                                          # [N, D]
  d = x.shape[1]
  if covariance_type == "tied":
    cov = centred.T @ centred / (len(x) - ddof) + reg_covar * np.eye(d)
  elif covariance_type == "full":
    cov = np.einsum("nc,nd,ne->cde", onehot, centred, centred)
    cov = cov / (counts - ddof)[:, None, None] + reg_covar * np.eye(d)
  else:
    cov = onehot.T @ centred**2 / (counts - ddof)[:, None] + reg_covar
    if covariance_type == "spherical":
      cov = cov.mean(axis=1)
  chol = likelihoods.precision_cholesky(jnp.asarray(cov, x.dtype),
                                        covariance_type)
  if not np.all(np.isfinite(chol)):
    raise ValueError("x: a class covariance is singular; raise reg_covar "
                     "(or use covariance_type='tied' or 'diag').")
  return GaussianClassifier(log_prior=jnp.log(counts / counts.sum()),
                            mean=jnp.asarray(mean), precision_cholesky=chol,
                            covariance_type=covariance_type)


def gaussian_log_joint(params: GaussianClassifier, x: jax.Array) -> jax.Array:
  """``log p(x_n, y = c) = log pi_c + log N(x_n | mu_c, Sigma_c)``, [N, C]."""
  return params.log_prior + likelihoods.mvn_log_prob(
      x, mean=params.mean, precision_cholesky=params.precision_cholesky,
      covariance_type=params.covariance_type)


def lda_logistic_weights(params: GaussianClassifier) -> dict:
  """The softmax weights equal to an LDA posterior (Bishop 2006, 4.68-4.70).

  ``w_c = Sigma^{-1} mu_c`` and ``b_c = -1/2 mu_c^T Sigma^{-1} mu_c +
  log pi_c``, so ``p(c | x) = softmax(W x + b)_c``; for two classes
  ``sigmoid((w_1 - w_0)^T x + b_1 - b_0)``.

  Args:
    params: a ``"tied"`` :class:`GaussianClassifier`.

  Returns:
    ``{"w": [C, D], "b": [C]}`` for :func:`linear_logits`.
  """
  if params.covariance_type != "tied":
    raise ValueError("params.covariance_type must be 'tied' (a shared "
                     f"covariance), got {params.covariance_type!r}.")
  p = params.precision_cholesky
  w = params.mean @ p @ p.T                                      # [C, D]
  b = -0.5 * jnp.sum(w * params.mean, axis=1) + params.log_prior
  return {"w": w, "b": b}


class BernoulliNB(struct.PyTreeNode):
  """Bernoulli naive Bayes: ``p(x_j = 1 | c) = sigmoid(logits[c, j])``.

  Attributes:
    log_prior: ``log pi_c``, [C].
    logits: [C, D].
  """
  log_prior: jax.Array
  logits: jax.Array


def fit_bernoulli_nb(x, y, *, n_classes: int | None = None,
                     alpha: float = 1.0, threshold: float | None = 0.0
                     ) -> BernoulliNB:
  """Bernoulli naive Bayes with additive smoothing.

  ``p(x_j = 1 | c) = (N_cj + alpha) / (N_c + 2 alpha)`` with ``N_cj`` the
  number of class-c points whose feature j is on (Manning et al. 2008,
  Section 13.3; scikit-learn ``BernoulliNB`` with ``binarize=threshold``).

  Args:
    x: inputs, [N, D]; binarised as ``x > threshold`` (None: already 0/1).
    y: labels in 0..C-1, [N].
    n_classes: C; ``max(y) + 1`` by default.
    alpha: smoothing (>= 0).
    threshold: binarisation threshold.

  Returns:
    A :class:`BernoulliNB`.
  """
  x, y, c = check_labelled(x, y, n_classes=n_classes)
  alpha = _checks.real(alpha, "alpha", low=0.0)
  xb = x > threshold if threshold is not None else x
  onehot = np.eye(c)[y]
  counts = onehot.sum(0)
  on = onehot.T @ xb.astype(np.float64)
  p = (on + alpha) / (counts[:, None] + 2 * alpha)
  return BernoulliNB(log_prior=jnp.asarray(np.log(counts / counts.sum())),
                     logits=jnp.asarray(np.log(p) - np.log1p(-p)))


def bernoulli_log_joint(params: BernoulliNB, x: jax.Array) -> jax.Array:
  """``log pi_c + sum_j log Bern(x_j | p_cj)``, [N, C]; ``x`` binary [N, D]."""
  return params.log_prior + likelihoods.bernoulli_log_prob(
      x[:, None, :], logits=params.logits)
