"""The SQLite writer's lock (api/db/writer_lock.py): one holder at a time, waiters in order, a
short transaction may take it when free even with others queued, a queue of holders that give
it back at once drains in one turn, and a cancelled waiter leaves the lock to the others."""

from __future__ import annotations

import asyncio

import pytest

from api.db.writer_lock import WriterLock


async def test_waiters_get_the_lock_one_at_a_time_in_the_order_they_came():
    lock = WriterLock()
    order: list[int] = []
    holding = 0

    async def writer(n: int) -> None:
        nonlocal holding
        async with lock:
            holding += 1
            assert holding == 1
            order.append(n)
            await asyncio.sleep(0)
            holding -= 1

    await lock.acquire()
    tasks = [asyncio.create_task(writer(n)) for n in range(5)]
    await asyncio.sleep(0)
    lock.release()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4] and not lock.locked()


async def test_a_free_lock_is_taken_at_once_ahead_of_woken_waiters_who_then_still_get_it():
    lock = WriterLock()
    await lock.acquire()
    waiter = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    lock.release()  # the waiter is woken but has not run yet
    assert lock.take_now()  # a short transaction runs before it
    assert not lock.take_now()  # and holds it alone
    lock.release()
    assert await waiter and lock.locked()
    lock.release()


async def test_a_woken_waiter_finding_the_lock_taken_waits_again_in_its_place():
    lock = WriterLock()
    await lock.acquire()
    first = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    second = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    lock.release()
    assert lock.take_now()  # held across the waiters' wake-up (it had to wait itself)
    await asyncio.sleep(0.01)
    assert not first.done() and not second.done()
    lock.release()
    await asyncio.sleep(0)
    assert first.done() and not second.done()
    lock.release()
    assert await second
    lock.release()
    assert not lock.locked()


async def test_a_queue_of_holders_that_give_the_lock_back_at_once_drains_in_one_turn():
    lock = WriterLock()
    await lock.acquire()
    served: list[int] = []

    async def short(n: int) -> None:
        await lock.acquire()
        served.append(n)
        lock.release()

    tasks = [asyncio.create_task(short(n)) for n in range(20)]
    await asyncio.sleep(0)
    lock.release()
    await asyncio.sleep(0)  # one turn
    assert served == list(range(20))
    await asyncio.gather(*tasks)


async def test_a_waiter_cancelled_after_being_woken_leaves_the_lock_to_the_next():
    lock = WriterLock()
    await lock.acquire()
    first = asyncio.create_task(lock.acquire())
    second = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    lock.release()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await asyncio.wait_for(second, 1)
    lock.release()


async def test_a_bounded_wait_that_times_out_leaves_the_lock_usable():
    lock = WriterLock()
    await lock.acquire()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(lock.acquire(), 0.01)
    lock.release()
    assert lock.take_now()
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()
