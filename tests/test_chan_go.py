"""Go's own channel tests, ported (issue 4, point 6).

Each test names the Go test it comes from: ``test/chan/<file>.go`` (Go's run tests) or
``runtime/chan_test.go``. They are written anew in Python from what each Go test checks.
Where the Go test sleeps to let a goroutine block ("time.Sleep(time.Millisecond)"), the
port waits until ``gort.runtime.sched_snapshot()`` shows that goroutine parked with the
expected wait reason. Select tests are in test_select_go.py.

Not ported: test/chan/perm.go (compile-time direction checks), powser1/powser2.go (power
series, too big for what they add), sieve.go (sieve1.go's test without the check).
"""

from __future__ import annotations

import gc
import heapq
from collections import Counter, deque
from typing import Any

import pytest
from helpers import go_id, wait_blocked, wait_until
from helpers import state as _state

import gort


@pytest.fixture(params=[1, 2, 4], ids=lambda p: f"P{p}")
def procs(request: pytest.FixtureRequest) -> int:
    return int(request.param)




async def try_send(c: gort.Chan[Any], v: Any) -> bool:
    """Go's ``select { case c <- v: return true; default: return false }``."""
    i, _ = await gort.select((c.send, v), gort.default)
    return bool(i == 0)


async def try_recv(c: gort.Chan[Any]) -> tuple[Any, bool, bool]:
    """Go's ``select { case v, ok := <-c: ...; default: }`` -> (v, ok, selected)."""
    i, r = await gort.select(c.recv_ok, gort.default)
    if i == 1:
        return None, False, False
    v, ok = r
    return v, ok, True


def primes_upto(n: int) -> list[int]:
    return [p for p in range(2, n + 1) if all(p % d for d in range(2, int(p**0.5) + 1))]


# ------------------------------------------------------------- test/chan/fifo.go


@pytest.mark.timeout(30)
def test_fifo_asynch(procs: int) -> None:
    # test/chan/fifo.go AsynchFifo: a buffered channel of N delivers in order
    n = 10

    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan(n)
        for i in range(n):
            await ch.send(i)
        for i in range(n):
            assert await ch.recv() == i, "bad receive"

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(30)
def test_fifo_synch(procs: int) -> None:
    # test/chan/fifo.go SynchFifo: a daisy chain of goroutines reads the elements of an
    # unbuffered channel in sequence; each checks it got its own index
    n = 10

    async def chain(ch: gort.Chan[int], val: int, inp: gort.Chan[int], out: gort.Chan[int]) -> None:
        await inp.recv()
        v = await ch.recv()
        if v != val:
            raise AssertionError(f"chain {val} received {v}")
        await out.send(1)

    async def main() -> None:
        ch: gort.Chan[int] = gort.Chan()
        inp: gort.Chan[int] = gort.Chan()
        start = inp
        for i in range(n):
            out: gort.Chan[int] = gort.Chan()
            gort.go(chain, ch, i, inp, out)
            inp = out
        await start.send(0)
        for i in range(n):
            await ch.send(i)
        await inp.recv()

    gort.run(main, gomaxprocs=procs)


# -------------------------------------------------------- test/chan/goroutines.go


@pytest.mark.timeout(60)
def test_goroutines_chain(procs: int) -> None:
    # test/chan/goroutines.go: 10,000 goroutines in a chain, each passing one value left
    n = 10_000

    async def f(left: gort.Chan[int], right: gort.Chan[int]) -> None:
        await left.send(await right.recv())  # type: ignore[arg-type]

    async def main() -> int:
        leftmost: gort.Chan[int] = gort.Chan()
        right = leftmost
        left = leftmost
        for _ in range(n):
            right = gort.Chan()
            gort.go(f, left, right)
            left = right

        # all of them are alive (and none can end before the value arrives)
        assert gort.numgoroutine() == n + 1

        async def first(c: gort.Chan[int]) -> None:
            await c.send(1)

        gort.go(first, right)
        return await leftmost.recv()  # type: ignore[return-value]

    assert gort.run(main, gomaxprocs=procs) == 1


# ---------------------------------------------------------- test/chan/nonblock.go


@pytest.mark.timeout(60)
@pytest.mark.parametrize("buffer", [0, 1])
def test_nonblock(procs: int, buffer: int) -> None:
    # test/chan/nonblock.go: non-blocking sends and receives (Go's old `ok = c <- v` and
    # `v, ok = <-c`, now select with default) on unbuffered and buffered channels, with
    # several kinds of values. Go sleeps to let the peer block; we wait until it has.
    kinds = [
        (123, 234),  # i32receiver / i32sender
        (123456, 234567),  # i64
        (True, True),  # bool
        ("hello", "hello again"),  # string
    ]

    async def main() -> None:
        sync: gort.Chan[bool] = gort.Chan()
        for to_receiver, from_sender in kinds:
            c: gort.Chan[Any] = gort.Chan(buffer)
            _, ok, selected = await try_recv(c)
            assert not selected and not ok, "blocked sender"

            async def receiver(c: gort.Chan[Any] = c, want: Any = to_receiver) -> None:
                if await c.recv() != want:
                    raise AssertionError("receiver value")
                await sync.send(True)

            async def sender(c: gort.Chan[Any] = c, v: Any = from_sender) -> None:
                await c.send(v)
                await sync.send(True)

            rid = await go_id(receiver)
            await wait_blocked(rid, "chan receive")
            assert await try_send(c, to_receiver), f"receiver buffer={buffer}"
            await sync.recv()

            sid = await go_id(sender)
            if buffer > 0:
                await sync.recv()
            else:
                await wait_blocked(sid, "chan send")
            v, ok, selected = await try_recv(c)
            assert selected and ok, f"sender buffer={buffer}"
            assert v == from_sender, "sender value"
            if buffer == 0:
                await sync.recv()

    gort.run(main, gomaxprocs=procs)


# ------------------------------------------------------------ test/chan/sieve1.go


@pytest.mark.timeout(60)
def test_sieve1(procs: int) -> None:
    # test/chan/sieve1.go: the concurrent prime sieve (a goroutine per prime filter);
    # Go checks the primes up to 97, we check the first 200 primes
    async def generate(ch: gort.Chan[int]) -> None:
        i = 2
        while True:
            await ch.send(i)
            i += 1

    async def filter_(inp: gort.Chan[int], out: gort.Chan[int], prime: int) -> None:
        while True:
            i = await inp.recv()
            assert i is not None
            if i % prime != 0:
                await out.send(i)

    async def sieve(primes: gort.Chan[int]) -> None:
        ch: gort.Chan[int] = gort.Chan()
        gort.go(generate, ch)
        while True:
            prime = await ch.recv()
            assert prime is not None
            await primes.send(prime)
            ch1: gort.Chan[int] = gort.Chan()
            gort.go(filter_, ch, ch1, prime)
            ch = ch1

    want = primes_upto(1223)  # the first 200 primes
    assert len(want) == 200

    async def main() -> list[int]:
        primes: gort.Chan[int] = gort.Chan()
        gort.go(sieve, primes)
        return [await primes.recv() for _ in want]  # type: ignore[misc]

    assert gort.run(main, gomaxprocs=procs) == want


# ------------------------------------------------------------ test/chan/sieve2.go


@pytest.mark.timeout(60)
def test_sieve2(procs: int) -> None:
    # test/chan/sieve2.go: an Eratosthenes sieve over odd candidates that merges the
    # channels of multiples of each prime with a heap, and a send proxy goroutine (a
    # select with a disabled, nil, send case) that buffers without bound
    async def odds() -> gort.Chan[int]:
        out: gort.Chan[int] = gort.Chan(50)

        async def gen() -> None:
            n = 5
            while True:
                await out.send(n)
                n += 2

        gort.go(gen)
        return out

    def multiples(p: int) -> gort.Chan[int]:
        out: gort.Chan[int] = gort.Chan(10)

        async def gen() -> None:
            n = p * p
            while True:
                await out.send(n)
                n += 2 * p

        gort.go(gen)
        return out

    def sendproxy(out: gort.Chan[int]) -> gort.Chan[int]:
        proxy: gort.Chan[int] = gort.Chan(10)

        async def run() -> None:
            buf: deque[int] = deque()  # Go's expanding ring buffer
            while True:
                if buf:
                    c, e = out, buf[0]
                else:  # buffer empty: disable output
                    c, e = gort.nilchan, 0
                i, v = await gort.select(proxy.recv, (c.send, e))
                if i == 0:
                    buf.append(v)
                else:
                    buf.popleft()

        gort.go(run)
        return proxy

    async def sieve() -> gort.Chan[int]:
        out: gort.Chan[int] = gort.Chan(10)  # the output values
        await out.send(2)
        await out.send(3)
        # the channel of all composites to be eliminated, in increasing order
        composites: gort.Chan[int] = gort.Chan(50)
        # the feedback loop
        primes: gort.Chan[int] = gort.Chan(10)
        await primes.send(3)

        async def merge() -> None:
            # merge the channels of multiples of `primes` into `composites`
            h: list[tuple[int, int, gort.Chan[int]]] = []  # (head, tie-break, channel)
            tie = 0
            mn = 15

            async def advance() -> int:
                # pop the channel with the smallest head, refill its head, push it back
                nonlocal tie
                head, _, ch = heapq.heappop(h)
                nxt = await ch.recv()
                assert nxt is not None
                tie += 1
                heapq.heappush(h, (nxt, tie, ch))
                return head

            while True:
                p = await primes.recv()
                assert p is not None
                m = multiples(p)
                head = await m.recv()
                assert head is not None
                while mn < head:
                    await composites.send(mn)
                    mn = await advance()
                while mn == head:
                    mn = await advance()
                await composites.send(head)
                nxt = await m.recv()
                assert nxt is not None
                tie += 1
                heapq.heappush(h, (nxt, tie, m))

        async def filt() -> None:
            # sieve out `composites` from the candidates; the proxy keeps the feedback
            # sends from blocking (the merger receives from `primes` much more slowly)
            pr = sendproxy(primes)
            candidates = await odds()
            p = await candidates.recv()
            assert p is not None
            while True:
                c = await composites.recv()
                assert c is not None
                while p < c:
                    await pr.send(p)
                    await out.send(p)
                    p = await candidates.recv()  # type: ignore[assignment]
                if p == c:
                    p = await candidates.recv()  # type: ignore[assignment]

        gort.go(merge)
        gort.go(filt)
        return out

    want = primes_upto(2000)

    async def main() -> list[int]:
        primes = await sieve()
        return [await primes.recv() for _ in want]  # type: ignore[misc]

    assert gort.run(main, gomaxprocs=procs) == want


# ---------------------------------------------------------- test/chan/zerosize.go


@pytest.mark.timeout(30)
def test_zerosize() -> None:
    # test/chan/zerosize.go makes channels of zero-sized types (chan [0]byte, chan
    # struct{}), buffered and not. The Python analogue: values that carry nothing.
    async def main() -> None:
        for cap in (0, 1):
            for v in (None, (), b""):
                c: gort.Chan[Any] = gort.Chan(cap)

                async def send(c: gort.Chan[Any] = c, v: Any = v) -> None:
                    await c.send(v)

                gort.go(send)
                assert await c.recv_ok() == (v, True)

    gort.run(main, gomaxprocs=1)


# ---------------------------------------------------------- test/chan/sendstmt.go


@pytest.mark.timeout(30)
def test_sendstmt_chanchan() -> None:
    # test/chan/sendstmt.go chanchan: `case <-cc <- 2:` sends on the channel received
    # from a channel of channels, without blocking
    async def main() -> None:
        cc: gort.Chan[gort.Chan[int]] = gort.Chan(1)
        c: gort.Chan[int] = gort.Chan(1)
        await cc.send(c)
        inner = await cc.recv()
        assert inner is c
        assert await gort.select((inner.send, 2), gort.default) == (0, None), "nonblock"
        assert await c.recv() == 2, "bad receive"

    gort.run(main, gomaxprocs=1)


# ------------------------------------------------------- runtime/chan_test.go


@pytest.mark.timeout(120)
def test_chan(procs: int) -> None:
    # runtime/chan_test.go TestChan (its -short size, N = 20 capacities)
    n_caps = 20

    async def one_cap(cap: int) -> None:
        # Ensure that receive from empty chan blocks.
        ce: gort.Chan[int] = gort.Chan(cap)
        flags = {"recv1": False, "recv2": False}
        finished: gort.Chan[bool] = gort.Chan(2)

        async def r1() -> None:
            await ce.recv()
            flags["recv1"] = True
            await finished.send(True)

        async def r2() -> None:
            await ce.recv_ok()
            flags["recv2"] = True
            await finished.send(True)

        g1 = await go_id(r1)
        g2 = await go_id(r2)
        await wait_blocked(g1, "chan receive")
        await wait_blocked(g2, "chan receive")
        assert not flags["recv1"] and not flags["recv2"], f"chan[{cap}]: recv from empty"
        # Ensure that non-blocking receive does not block.
        assert await gort.select(ce.recv, gort.default) == (1, None)
        assert await gort.select(ce.recv_ok, gort.default) == (1, None)
        await ce.send(0)
        await ce.send(0)
        await finished.recv()
        await finished.recv()
        assert flags == {"recv1": True, "recv2": True}

        # Ensure that send to full chan blocks.
        cf: gort.Chan[int] = gort.Chan(cap)
        for i in range(cap):
            await cf.send(i)
        sent = [False]

        async def s() -> None:
            await cf.send(0)
            sent[0] = True

        gs = await go_id(s)
        await wait_blocked(gs, "chan send")
        assert not sent[0], f"chan[{cap}]: send to full chan"
        # Ensure that non-blocking send does not block.
        assert await gort.select((cf.send, 0), gort.default) == (1, None)
        await cf.recv()
        await wait_until(lambda sn: _state(sn, gs) is None, "the sender ends")
        assert sent[0]

        # Ensure that we receive 0 (None) from closed chan.
        cz: gort.Chan[int] = gort.Chan(cap)
        for i in range(cap):
            await cz.send(i)
        cz.close()
        for i in range(cap):
            assert await cz.recv() == i
        assert await cz.recv() is None
        assert await cz.recv_ok() == (None, False)

        # Ensure that close unblocks receive.
        cu: gort.Chan[int] = gort.Chan(cap)
        done: gort.Chan[bool] = gort.Chan()

        async def closed_recv() -> None:
            v, ok = await cu.recv_ok()
            await done.send(v is None and ok is False)

        gr = await go_id(closed_recv)
        await wait_blocked(gr, "chan receive")
        cu.close()
        assert await done.recv() is True, f"chan[{cap}]: received non zero from closed chan"

        # Send 100 integers, ensure that we receive them non-corrupted in FIFO order.
        cq: gort.Chan[int] = gort.Chan(cap)

        async def send100() -> None:
            for i in range(100):
                await cq.send(i)

        gort.go(send100)
        for i in range(100):
            assert await cq.recv() == i
        # Same, but using recv2.
        gort.go(send100)
        for i in range(100):
            assert await cq.recv_ok() == (i, True)

        # Send 1000 integers in 4 goroutines, ensure that we receive what we send.
        P, L = 4, 1000
        results: gort.Chan[Counter[int]] = gort.Chan()

        async def send_l() -> None:
            for i in range(L):
                await cq.send(i)

        async def recv_l() -> None:
            recv: Counter[int] = Counter()
            for _ in range(L):
                recv[await cq.recv()] += 1  # type: ignore[index]
            await results.send(recv)

        for _ in range(P):
            gort.go(send_l)
        for _ in range(P):
            gort.go(recv_l)
        total: Counter[int] = Counter()
        for _ in range(P):
            total.update(await results.recv())  # type: ignore[arg-type]
        assert len(total) == L, f"chan[{cap}]: received {len(total)} values, expected {L}"
        assert set(total.values()) == {P}

        # Test len/cap.
        cl: gort.Chan[int] = gort.Chan(cap)
        assert (len(cl), cl.cap) == (0, cap)
        for i in range(cap):
            await cl.send(i)
        assert (len(cl), cl.cap) == (cap, cap)

    async def main() -> None:
        for cap in range(n_caps):
            await one_cap(cap)

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(120)
def test_nonblock_recv_race(procs: int) -> None:
    # runtime/chan_test.go TestNonblockRecvRace: a value is buffered, then the channel is
    # closed and drained while another goroutine does a non-blocking receive. The
    # channel is ready (a value, or closed) at every moment, so the non-blocking
    # receive must never take the default case.
    n = 2_000

    async def main() -> int:
        defaults: gort.Chan[int] = gort.Chan(n)

        async def probe(c: gort.Chan[int]) -> None:
            i, _ = await gort.select(c.recv, gort.default)
            await defaults.send(i)

        for _ in range(n):
            c: gort.Chan[int] = gort.Chan(1)
            await c.send(1)
            gort.go(probe, c)
            c.close()
            await c.recv()
        took = [await defaults.recv() for _ in range(n)]
        return took.count(1)

    assert gort.run(main, gomaxprocs=procs) == 0, "chan is not ready"


@pytest.mark.timeout(120)
def test_multi_consumer(procs: int) -> None:
    # runtime/chan_test.go TestMultiConsumer: 23 workers range over a work channel
    # (some yield to mess with the FIFO-ish nature of range) and forward to a result
    # channel that is closed when all are done; the count and the sum must match.
    # Go runs niter = 271828; we run a tenth of it.
    nwork = 23
    niter = 27_183
    pn = [2, 3, 7, 11, 13, 17, 19, 23, 27, 31]

    async def main() -> tuple[int, int, int]:
        q: gort.Chan[int] = gort.Chan(nwork * 3)
        r: gort.Chan[int] = gort.Chan(nwork * 3)
        workers_done: gort.Chan[bool] = gort.Chan(nwork)
        expect = [0]

        async def worker(w: int) -> None:
            async for v in q:
                if pn[w % len(pn)] == v:
                    await gort.gosched()
                await r.send(v)
            await workers_done.send(True)

        for w in range(nwork):
            gort.go(worker, w)

        async def feeder() -> None:
            for i in range(niter):
                v = pn[i % len(pn)]
                expect[0] += v
                await q.send(v)
            q.close()  # no more work
            for _ in range(nwork):
                await workers_done.recv()  # workers done
            r.close()  # so there can be no more results

        gort.go(feeder)
        n = s = 0
        async for v in r:
            n += 1
            s += v
        return n, s, expect[0]

    n, s, expect = gort.run(main, gomaxprocs=procs)
    assert (n, s) == (niter, expect), f"Expected sum {expect} (got {s}) from {niter} (saw {n})"


@pytest.mark.timeout(60)
def test_blocked_send_survives_runtime_housekeeping(procs: int) -> None:
    # runtime/chan_test.go TestShrinkStackDuringBlockedSend: channel operations still
    # work while the sender is blocked and the runtime shrinks its stack. gort has no
    # stacks to move; the analogue is a sender parked in a send (its value held by the
    # runtime) while the world is stopped for a dump, the garbage collector runs and
    # GOMAXPROCS changes, with the sender using deep recursion between sends.
    n = 10

    def recurse(depth: int) -> int:
        return 0 if depth == 0 else 1 + recurse(depth - 1)

    async def main() -> None:
        c: gort.Chan[Any] = gort.Chan()
        done: gort.Chan[bool] = gort.Chan()

        async def sender() -> None:
            for i in range(n):
                await c.send([i, "payload" * i])  # a fresh object only the channel holds
                recurse(200)  # use a deep stack between sends
            await done.send(True)

        sid = await go_id(sender)
        for i in range(n):
            await wait_blocked(sid, "chan send")
            gort.runtime.stack(all=True)
            gc.collect()
            gort.gomaxprocs(1 + (i % 4))
            x = await c.recv()
            assert x == [i, "payload" * i], f"bad channel read: want {i}, got {x!r}"
        assert await done.recv() is True

    gort.run(main, gomaxprocs=procs)


@pytest.mark.timeout(30)
def test_chan_send_interface() -> None:
    # runtime/chan_test.go TestChanSendInterface: sends of an object in selects with
    # default on a full buffered channel do not block
    class MT:
        pass

    async def main() -> None:
        m = MT()
        c: gort.Chan[Any] = gort.Chan(1)
        await c.send(m)
        assert await gort.select((c.send, m), gort.default) == (1, None)
        assert await gort.select((c.send, m), (c.send, MT()), gort.default) == (2, None)
        assert await c.recv() is m

    gort.run(main, gomaxprocs=1)
