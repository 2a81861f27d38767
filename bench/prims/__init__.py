"""The few primitives some peers lack, written once so every workload uses the same ones.

One module per framework, so a child process imports only its own peer's library:
``aio`` (asyncio, uvloop), ``gev`` (gevent), ``tri`` (trio), ``thr`` (threads).

* ``AioChan``: asyncio has no unbuffered channel (``asyncio.Queue(1)`` is a one-slot
  buffer). This is a Go-style rendezvous channel on futures: a send hands its value
  straight to a waiting receiver (without yielding, as Go does) or parks until a
  receiver takes it; a receive takes from a parked sender or parks. ``aio_select``
  waits on the receive side of several of them, as Go's ``selectgo`` does: poll the
  cases in random order, else enqueue one waiter on every channel, and dequeue it
  from the losers once one sender has fired it. Used for asyncio and uvloop.
* ``GChan``/``g_select``: the same channel for gevent (parking on ``gevent.hub.Waiter``).
  gevent's own ``gevent.queue.Channel`` is used where no select is needed.
* ``TrioChan``/``trio_select``: the same for trio (``trio.lowlevel`` park/reschedule),
  used only for W5; elsewhere trio uses its own ``open_memory_channel(0)``.
* ``ThreadChan``/``thread_select``: the same for OS threads (a lock per channel, a
  parked thread waits on a lock of its own).
* Countdown latches (``AioLatch``, ``GLatch``): "wait until N goroutines are done" for
  asyncio and gevent (trio uses a nursery, threads ``join``).

None of these handles cancellation: the benchmarks never cancel a blocked operation.
"""
