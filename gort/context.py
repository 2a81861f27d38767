"""``gort.context``: cancellation, deadlines and request-scoped values (Go's package
``context``).

A context is a node in a tree rooted at ``background()`` (or ``todo()``). Each
``with_*`` call derives a child from a parent:

- ``with_cancel(parent)`` / ``with_cancel_cause(parent)``: a *cancel context*
  (Go's ``cancelCtx``), cancelled by its cancel function or when its parent is;
- ``with_deadline(parent, t)`` / ``with_timeout(parent, d)`` (and their
  ``*_cause`` forms): a cancel context that a runtime timer also cancels at
  ``t`` (Go's ``timerCtx``); ``t`` is a ``time.monotonic()`` instant;
- ``with_value(parent, key, val)``: carries one key/value pair (Go's
  ``valueCtx``); everything else is its parent's;
- ``without_cancel(parent)``: the parent's values, never cancelled;
- ``after_func(ctx, f)``: runs ``f`` in its own goroutine once ``ctx`` is done.

``ctx.done()`` is a ``Chan`` that is closed when the context is cancelled
(``gort.nilchan`` for a context that can never be: ``background()``,
``todo()``, ``without_cancel``); ``ctx.err()`` is then ``Canceled`` or
``DeadlineExceeded`` - the module's two exception *instances*, compared with
``is`` and returned, never raised - and ``cause(ctx)`` the cause given to
``with_cancel_cause``'s cancel function (or the error).

Propagation
-----------
A cancel context registers itself in the ``children`` of its nearest cancel
ancestor (found through ``value(_CANCEL_CTX_KEY)``, as Go does with
``&cancelCtxKey``); cancelling a context cancels its whole subtree, with the
same error and cause, and unregisters it from its parent. The subtree is
walked with an explicit stack, so a chain of thousands of contexts does not
reach Python's recursion limit; for the same reason ``value``, ``done``,
``err`` and ``deadline`` walk the chain in a loop. A parent that is not one of
these types (a user's ``Context``) is watched by a goroutine that selects on
its ``done()`` and the child's, as Go does.

Deadlines use the runtime's timers (``_runtime/timers.py``): no thread, no
goroutine; the timer's callback cancels the context on the M that ran it.
Cancelling a deadline context stops its timer.

Locks
-----
Each cancel context has a ``threading.Lock`` (Go's ``cancelCtx.mu``) guarding
``_done``, ``_err``, ``_cause``, ``_children`` and (deadline contexts)
``_timer``; cancel functions may be called from goroutines on different Ms at
once, and from foreign threads. A parent's lock is never held while a child's
is taken: cancellation snapshots and clears the children under the parent's
lock, releases it, then cancels each child under the child's own. The done
channel is closed with the context's lock held, so once a cancel function
returns, every context of the subtree reports its error and has its channel
closed. Lock order: context lock -> channel lock -> scheduler; context lock
-> timer heap lock.

``err()`` reads ``_err`` without the lock: an attribute load is atomic on
both builds, and a goroutine that saw ``done()`` closed synchronised with the
close (through the channel's lock), which happened after ``_err`` was set.

Differences from Go
-------------------
- # Go: ``Background()`` and ``TODO()`` return nil ``Done`` channels; here
  ``gort.nilchan`` (the same behaviour).
- # Go: deriving from a nil parent or a nil key panics; here ``TypeError``.
- # Go: a custom parent that implements ``AfterFunc`` is used instead of a
  watcher goroutine; gort always uses the goroutine for custom parents.
"""

from __future__ import annotations

import numbers
import threading
import time as _time
from collections.abc import Callable
from typing import Any

from ._runtime import proc as _proc
from ._runtime import timers as _timers
from ._runtime.chan import Chan, nilchan
from ._runtime.selectgo import selectgo

__all__ = [
    "CancelCauseFunc",
    "CancelFunc",
    "Canceled",
    "CanceledError",
    "Context",
    "DeadlineExceeded",
    "DeadlineExceededError",
    "after_func",
    "background",
    "cause",
    "todo",
    "with_cancel",
    "with_cancel_cause",
    "with_deadline",
    "with_deadline_cause",
    "with_timeout",
    "with_timeout_cause",
    "with_value",
    "without_cancel",
]

_monotonic = _time.monotonic

CancelFunc = Callable[[], None]
CancelCauseFunc = Callable[[BaseException | None], None]


# ---------------------------------------------------------------------------
# Errors


class CanceledError(Exception):
    """The type of ``Canceled``."""


class DeadlineExceededError(TimeoutError):
    """The type of ``DeadlineExceeded`` (a ``TimeoutError``, as Go's has ``Timeout()``)."""


Canceled = CanceledError("context canceled")
DeadlineExceeded = DeadlineExceededError("context deadline exceeded")


# ---------------------------------------------------------------------------
# The interface


class Context:
    """Go's ``context.Context``. Subclass it (or provide the same four methods) to
    make a custom context; the ``with_*`` functions accept any such object."""

    __slots__ = ()

    def deadline(self) -> float | None:
        """The ``time.monotonic()`` instant at which the context is cancelled, if any."""
        raise NotImplementedError

    def done(self) -> Chan[Any]:
        """A channel closed when the context is cancelled (``nilchan``: never)."""
        raise NotImplementedError

    def err(self) -> BaseException | None:
        """``None`` until ``done()`` is closed; then ``Canceled`` or ``DeadlineExceeded``."""
        raise NotImplementedError

    def value(self, key: Any) -> Any:
        """The value bound to ``key`` by ``with_value`` on the way to the root, or None."""
        raise NotImplementedError


# The key under which a cancel context answers value() with itself (Go's cancelCtxKey).
_CANCEL_CTX_KEY = object()

# A closed channel, for a context cancelled before anyone asked for done() (Go's closedchan).
_closedchan: Chan[Any] = Chan(0)
_closedchan.close()

# Watcher goroutines started for custom parents (for tests, as Go's goroutines counter).
_watchers_started = 0


class _EmptyCtx(Context):
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def deadline(self) -> float | None:
        return None

    def done(self) -> Chan[Any]:
        return nilchan

    def err(self) -> BaseException | None:
        return None

    def value(self, key: Any) -> Any:
        return None

    def __repr__(self) -> str:
        return self._name


_background = _EmptyCtx("context.Background")
_todo = _EmptyCtx("context.TODO")


def background() -> Context:
    """The root context: never cancelled, no values, no deadline."""
    return _background


def todo() -> Context:
    """Like ``background()``, for code where the right context is not clear yet."""
    return _todo


def _check_parent(parent: Any) -> None:
    if parent is None:
        raise TypeError("cannot create context from nil parent")


# ---------------------------------------------------------------------------
# Walking the chain without recursion


def _value(c: Any, key: Any) -> Any:
    """``c.value(key)``, following parents in a loop (Go's ``value``)."""
    while True:
        t = type(c)
        if t is _ValueCtx:
            k = c._key
            if k is key or k == key:
                return c._val
            c = c._parent
        elif t is _CancelCtx or t is _TimerCtx or t is _AfterFuncCtx:
            if key is _CANCEL_CTX_KEY:
                return c
            c = c._parent
        elif t is _WithoutCancelCtx:
            if key is _CANCEL_CTX_KEY:
                return None
            c = c._parent
        elif t is _EmptyCtx:
            return None
        else:
            return c.value(key)


def _deadline(c: Any) -> float | None:
    while True:
        t = type(c)
        if t is _TimerCtx:
            d: float = c._deadline
            return d
        if t is _CancelCtx or t is _AfterFuncCtx or t is _ValueCtx:
            c = c._parent
        elif t is _EmptyCtx or t is _WithoutCancelCtx:
            return None
        else:
            r: float | None = c.deadline()
            return r


def _name(c: Any) -> str:
    return repr(c) if isinstance(c, Context) else type(c).__name__


# ---------------------------------------------------------------------------
# Cancel contexts


class _CancelCtx(Context):
    """Go's ``cancelCtx``. Fields: see the module's Locks."""

    __slots__ = ("_parent", "_lock", "_done", "_err", "_cause", "_children")

    def __init__(self, parent: Any) -> None:
        self._parent = parent
        self._lock = threading.Lock()
        self._done: Chan[Any] | None = None  # made on first done() (lock)
        self._err: BaseException | None = None  # (lock; read without it, see the essay)
        self._cause: BaseException | None = None  # (lock)
        self._children: dict[_CancelCtx, None] | None = {}  # None once cancelled (lock)

    def deadline(self) -> float | None:
        return _deadline(self)

    def done(self) -> Chan[Any]:
        d = self._done
        if d is not None:
            return d
        with self._lock:
            d = self._done
            if d is None:
                d = self._done = Chan(0) if self._err is None else _closedchan
            return d

    def err(self) -> BaseException | None:
        return self._err

    def value(self, key: Any) -> Any:
        return _value(self, key)

    def __repr__(self) -> str:
        return f"{_name(self._parent)}.WithCancel"

    # -- cancellation

    def _cancel(
        self, remove_from_parent: bool, err: BaseException, cause: BaseException | None
    ) -> None:
        """Cancel this context and its subtree with ``err`` (and ``cause``, default ``err``).

        Go's ``cancelCtx.cancel``, iterative: each context is cancelled under its
        own lock (a no-op if it already was); children are collected under it and
        cancelled after it is released."""
        if cause is None:
            cause = err
        stack: list[_CancelCtx] = [self]
        cancelled_self = False
        while stack:
            c = stack.pop()
            with c._lock:
                if c._err is not None:
                    continue  # already cancelled
                c._err = err
                c._cause = cause
                d = c._done
                if d is None:
                    c._done = _closedchan
                else:
                    d.close()
                children = c._children
                c._children = None
            if c is self:
                cancelled_self = True
            if children:
                stack.extend(reversed(list(children)))
            c._on_cancel()
        if cancelled_self and remove_from_parent:
            _remove_child(self._parent, self)

    def _on_cancel(self) -> None:
        """Run once, by the canceller, after the context is cancelled (lock not held)."""

    # -- propagation

    def _propagate(self, parent: Any) -> None:
        """Arrange for this context to be cancelled when ``parent`` is (Go's propagateCancel)."""
        done = parent.done()
        if done is nilchan or done is None:
            return  # the parent is never cancelled
        _, _, selected = done.try_recv()
        if selected:  # the parent is already cancelled
            self._cancel(False, parent.err(), cause(parent))
            return
        p = _parent_cancel_ctx(parent)
        if p is not None:
            with p._lock:
                children = p._children
                if children is not None:
                    children[self] = None
                    return
                err, pcause = p._err, p._cause
            assert err is not None
            self._cancel(False, err, pcause)  # cancelled meanwhile
            return
        # a parent of an unknown kind: watch it from a goroutine
        global _watchers_started
        _watchers_started += 1
        child_done = self.done()

        async def watch() -> None:
            i, _ = await selectgo((done.recv, child_done.recv))
            if i == 0:
                self._cancel(False, parent.err(), cause(parent))

        _proc.newproc(watch, (), None, None)


def _parent_cancel_ctx(parent: Any) -> _CancelCtx | None:
    """The cancel context whose done channel ``parent.done()`` is, if any (Go's parentCancelCtx)."""
    done = parent.done()
    if done is _closedchan or done is nilchan or done is None:
        return None
    p = _value(parent, _CANCEL_CTX_KEY)
    if not isinstance(p, _CancelCtx):
        return None
    if p.done() is not done:
        return None  # a custom context wrapping p with a done channel of its own
    return p


def _remove_child(parent: Any, child: _CancelCtx) -> None:
    p = _parent_cancel_ctx(parent)
    if p is None:
        return
    with p._lock:
        if p._children is not None:
            p._children.pop(child, None)


def with_cancel(parent: Context) -> tuple[Context, CancelFunc]:
    """A child of ``parent`` and the function that cancels it (and its subtree).

    Call ``cancel`` as soon as the work is done: it releases the child's resources."""
    _check_parent(parent)
    c = _CancelCtx(parent)
    c._propagate(parent)

    def cancel() -> None:
        c._cancel(True, Canceled, None)

    return c, cancel


def with_cancel_cause(parent: Context) -> tuple[Context, CancelCauseFunc]:
    """Like ``with_cancel``, but ``cancel(cause)`` records ``cause`` for ``cause(ctx)``
    (``cancel(None)`` records ``Canceled``); ``ctx.err()`` is ``Canceled`` either way."""
    _check_parent(parent)
    c = _CancelCtx(parent)
    c._propagate(parent)

    def cancel(cause: BaseException | None = None) -> None:
        c._cancel(True, Canceled, cause)

    return c, cancel


def cause(ctx: Context) -> BaseException | None:
    """Why ``ctx`` was cancelled: the cause given to a ``with_cancel_cause`` (or
    ``*_cause``) cancellation of it or an ancestor, else ``ctx.err()``; None while
    it is not cancelled."""
    cc = _value(ctx, _CANCEL_CTX_KEY)
    if isinstance(cc, _CancelCtx):
        with cc._lock:
            return cc._cause
    return ctx.err()


# ---------------------------------------------------------------------------
# Deadlines


class _TimerCtx(_CancelCtx):
    """Go's ``timerCtx``: a cancel context that a runtime timer cancels at its deadline."""

    __slots__ = ("_deadline", "_timer", "_dcause")

    def __init__(self, parent: Any, deadline: float, dcause: BaseException | None) -> None:
        super().__init__(parent)
        self._deadline = deadline
        self._timer: _timers.Timer | None = None  # (lock)
        self._dcause = dcause  # the cause recorded when the deadline passes

    def _on_cancel(self) -> None:
        with self._lock:
            rt = self._timer
            self._timer = None
        if rt is not None:
            _timers.stoptimer(rt)
            # a firing in flight may still hold the timer: it must not keep this alive
            rt.arg = None

    def __repr__(self) -> str:
        left = self._deadline - _monotonic()
        return f"{_name(self._parent)}.WithDeadline({self._deadline:.6f} [{left:.6f}s])"


def _deadline_fired(c: _TimerCtx | None, version: int, delta: int) -> None:
    if c is not None:
        c._cancel(True, DeadlineExceeded, c._dcause)


def _seconds(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a number of seconds, not {type(x).__name__}")
    f = float(x)
    if f != f:
        raise ValueError(f"{what} is NaN")
    return f


def with_deadline_cause(
    parent: Context, d: float, cause: BaseException | None
) -> tuple[Context, CancelFunc]:
    """Like ``with_deadline``; ``cause(ctx)`` is ``cause`` once the deadline passes."""
    _check_parent(parent)
    d = _seconds(d, "deadline")
    cur = _deadline(parent)
    if cur is not None and cur < d:
        # the parent's deadline comes first: a plain cancel context is enough
        return with_cancel(parent)
    c = _TimerCtx(parent, d, cause)
    c._propagate(parent)
    left = d - _monotonic()
    if left <= 0:
        c._cancel(True, DeadlineExceeded, cause)  # the deadline has already passed

        def cancel_expired() -> None:
            c._cancel(False, Canceled, None)

        return c, cancel_expired
    with c._lock:
        if c._err is None:
            rt = _timers.Timer(_deadline_fired, c)
            c._timer = rt
            when = _timers._nanotime() + int(left * 1e9)
            _timers.modtimer(rt, when)

    def cancel() -> None:
        c._cancel(True, Canceled, None)

    return c, cancel


def with_deadline(parent: Context, d: float) -> tuple[Context, CancelFunc]:
    """A child of ``parent`` cancelled at instant ``d`` (``time.monotonic()``) with
    ``DeadlineExceeded``, or earlier by its cancel function (``Canceled``) or its parent."""
    return with_deadline_cause(parent, d, None)


def with_timeout(parent: Context, timeout: float) -> tuple[Context, CancelFunc]:
    """``with_deadline(parent, time.monotonic() + timeout)``."""
    return with_deadline_cause(parent, _monotonic() + _seconds(timeout, "timeout"), None)


def with_timeout_cause(
    parent: Context, timeout: float, cause: BaseException | None
) -> tuple[Context, CancelFunc]:
    """``with_deadline_cause(parent, time.monotonic() + timeout, cause)``."""
    return with_deadline_cause(parent, _monotonic() + _seconds(timeout, "timeout"), cause)


# ---------------------------------------------------------------------------
# Values


class _ValueCtx(Context):
    """Go's ``valueCtx``: one key/value pair; the rest is the parent's."""

    __slots__ = ("_parent", "_base", "_key", "_val")

    def __init__(self, parent: Any, key: Any, val: Any) -> None:
        self._parent = parent
        # the nearest ancestor that is not a value context: done/err go straight to it
        self._base: Any = parent._base if type(parent) is _ValueCtx else parent
        self._key = key
        self._val = val

    def deadline(self) -> float | None:
        return _deadline(self._base)

    def done(self) -> Chan[Any]:
        d: Chan[Any] = self._base.done()
        return d

    def err(self) -> BaseException | None:
        e: BaseException | None = self._base.err()
        return e

    def value(self, key: Any) -> Any:
        return _value(self, key)

    def __repr__(self) -> str:
        return f"{_name(self._parent)}.WithValue({self._key!r}, {self._val!r})"


def with_value(parent: Context, key: Any, val: Any) -> Context:
    """A child of ``parent`` in which ``value(key)`` is ``val`` (keys compare with ``==``)."""
    _check_parent(parent)
    if key is None:
        raise TypeError("nil key")
    return _ValueCtx(parent, key, val)


class _WithoutCancelCtx(Context):
    """Go's ``withoutCancelCtx``: the parent's values, never cancelled, no deadline."""

    __slots__ = ("_parent",)

    def __init__(self, parent: Any) -> None:
        self._parent = parent

    def deadline(self) -> float | None:
        return None

    def done(self) -> Chan[Any]:
        return nilchan

    def err(self) -> BaseException | None:
        return None

    def value(self, key: Any) -> Any:
        return _value(self, key)

    def __repr__(self) -> str:
        return f"{_name(self._parent)}.WithoutCancel"


def without_cancel(parent: Context) -> Context:
    """A context with ``parent``'s values that is not cancelled when ``parent`` is."""
    _check_parent(parent)
    return _WithoutCancelCtx(parent)


# ---------------------------------------------------------------------------
# after_func


class _AfterFuncCtx(_CancelCtx):
    """Go's ``afterFuncCtx``: a cancel context whose cancellation runs ``f`` once."""

    __slots__ = ("_f", "_once")

    def __init__(self, parent: Any, f: Callable[[], Any]) -> None:
        super().__init__(parent)
        self._f = f
        self._once = False  # f started, or stop() won (lock)

    def _take_once(self) -> bool:
        with self._lock:
            if self._once:
                return False
            self._once = True
            return True

    def _on_cancel(self) -> None:
        if self._take_once():
            _proc.newproc(self._f, (), None, None)

    def __repr__(self) -> str:
        return f"{_name(self._parent)}.AfterFunc"


def after_func(ctx: Context, f: Callable[[], Any]) -> Callable[[], bool]:
    """Run ``f()`` (a coroutine function or plain callable) in its own goroutine once
    ``ctx`` is done - at once if it already is. Returns ``stop()``: True if it
    prevented ``f`` from being started."""
    _check_parent(ctx)
    if f is None or not callable(f):
        raise TypeError("after_func: f must be callable")
    a = _AfterFuncCtx(ctx, f)
    a._propagate(ctx)

    def stop() -> bool:
        if not a._take_once():
            return False
        a._cancel(True, Canceled, None)
        return True

    return stop
