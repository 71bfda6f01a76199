"""Options of losses and penalties: their keyword-only arguments, by name.

A loss or penalty function's keyword-only arguments (with defaults) are its
options; :func:`jgen.adversarial.make_loss` and
:func:`jgen.adversarial.make_penalty` check the names and values a user gives
and bind them with ``functools.partial``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

from jgen import _checks

# Range checks of the options (name -> keyword arguments of _checks.real).
_OPTION_BOUNDS = {"label_smoothing": {"low": 0.0, "high": 1.0},
                  "target": {"low": 1e-12, "high": 1e30}}
# Options that are flags (True/False).
_FLAGS = ("one_sided",)


def options(*fns: Callable) -> tuple[str, ...]:
  """The keyword-only option names of functions (a loss pair's, a penalty's).

  Args:
    *fns: functions whose keyword-only arguments are their options.

  Returns:
    The sorted option names.
  """
  return tuple(sorted({
      p.name for fn in fns for p in inspect.signature(fn).parameters.values()
      if p.kind == inspect.Parameter.KEYWORD_ONLY}))


def bind(fn: Callable, given: dict) -> Callable:
  """``fn`` with those of ``given`` that are its keyword-only options bound.

  Args:
    fn: a loss or penalty function.
    given: option name -> value (already checked).

  Returns:
    ``functools.partial(fn, **own)``, or ``fn`` when none apply.
  """
  own = {k: v for k, v in given.items() if k in options(fn)}
  return functools.partial(fn, **own) if own else fn


def check_options(given: dict, accepted: tuple[str, ...], what: str) -> dict:
  """Checks option names and values (finite reals, or booleans for flags).

  Args:
    given: option name -> value.
    accepted: the accepted names.
    what: what the options belong to, for the message (e.g. ``loss 'hinge'``).

  Returns:
    The checked options.

  Raises:
    ValueError: an unknown option name (the message lists the accepted
      ones) or a non-finite or out-of-range value.
  """
  out = {}
  for name, value in given.items():
    if name not in accepted:
      raise ValueError(f"{what} has no option {name!r}; accepted options: "
                       f"{list(accepted) or 'none'}.")
    if name in _FLAGS:
      if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
      out[name] = value
    else:
      out[name] = _checks.real(value, name, **_OPTION_BOUNDS.get(
          name, {"low": -1e30, "high": 1e30}))
  return out
