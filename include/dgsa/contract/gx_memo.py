"""Make a Great Expectations validation build each expectation's objects once, not dozens of times.

Why this exists (measured, GX 1.24.1): while planning a validation, GX asks an expectation for
its `.configuration` inside dict comprehensions, once per key, and every access rebuilds an
`ExpectationConfiguration` from the pydantic model (`self.dict()`); `get_metric_kwargs` then
turns that configuration back into a fresh `Expectation` (`to_domain_obj()`) for every metric.
On our small per-province batches that bookkeeping was about 70 % of GX's time: a 22-rule
suite on 30 rows took 306 ms, 90 ms with this memo, with identical results.

What it does: during `memoised()` (our own validate calls only), `Expectation.configuration`
and `ExpectationConfiguration.to_domain_obj()` return the object built on the first call for
the same instance. Nothing in GX mutates either object after that first call within one
validation (the batch id is added to the copied configuration before it is first turned into
an expectation). Outside `memoised()` GX behaves exactly as shipped. The cache lives in a
context variable (one per thread) and holds its keys' objects, so an id is never reused.

Safety rails: it applies only to the GX version it was checked against (`CHECKED_VERSION`);
any other version runs unmodified (and slower) with a log line, so upgrading GX cannot silently
change results. `DGSA_GX_MEMO=0` turns it off. tests/test_contract.py checks that the
verdicts are identical with and without it on rows that break every expectation.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import os

log = logging.getLogger(__name__)
CHECKED_VERSION = "1.24.1"
_CACHE: contextvars.ContextVar[dict | None] = contextvars.ContextVar("dgsa_gx_memo", default=None)
_ALLOWED: contextvars.ContextVar[bool] = contextvars.ContextVar("dgsa_gx_memo_allowed", default=True)
_installed = False


def _memo(original):
    def wrapper(self):
        cache = _CACHE.get()
        if cache is None:
            return original(self)
        key = (original, id(self))
        hit = cache.get(key)
        if hit is None or hit[0] is not self:
            hit = cache[key] = (self, original(self))
        return hit[1]
    wrapper.__wrapped__ = original
    return wrapper


def install() -> bool:
    """Patch the two GX methods (once per process). Returns whether the memo is active."""
    global _installed
    if _installed:
        return True
    if os.environ.get("DGSA_GX_MEMO", "1") == "0":
        return False
    import great_expectations as gx  # noqa: PLC0415
    from great_expectations.expectations.expectation import Expectation  # noqa: PLC0415
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration  # noqa: PLC0415

    if gx.__version__ != CHECKED_VERSION:
        log.warning("GX %s is not the version the validation memo was checked against (%s): running GX "
                    "unmodified (slower); re-check dgsa.contract.gx_memo before enabling it", gx.__version__, CHECKED_VERSION)
        return False
    Expectation.configuration = property(_memo(Expectation.configuration.fget))
    ExpectationConfiguration.to_domain_obj = _memo(ExpectationConfiguration.to_domain_obj)
    _installed = True
    return True


@contextlib.contextmanager
def memoised():
    """Memoise for the duration of one validation (a no-op unless install() succeeded)."""
    token = _CACHE.set({} if _installed and _ALLOWED.get() else None)
    try:
        yield
    finally:
        _CACHE.reset(token)


@contextlib.contextmanager
def disabled():
    """Run GX unmodified inside this block, memoised() or not (for the equivalence test)."""
    token = _ALLOWED.set(False)
    try:
        yield
    finally:
        _ALLOWED.reset(token)


def active() -> bool:
    """Whether the memo is installed in this process."""
    return _installed
