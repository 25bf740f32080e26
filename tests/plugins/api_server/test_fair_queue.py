"""Per-model turns: first come, first served; a waiter that leaves gives up its place."""

from __future__ import annotations

import asyncio

from llamadesk.plugins.api_server.fair_queue import FairModelQueue


def test_turns_are_handed_out_in_arrival_order() -> None:
    async def scenario() -> list[int]:
        queue = FairModelQueue()
        order: list[int] = []

        async def client(number: int) -> None:
            await queue.acquire("m")
            order.append(number)
            await asyncio.sleep(0.001)
            queue.release("m")

        await asyncio.gather(*(client(n) for n in range(8)))
        assert queue.running_total == 0 and queue.waiting_total == 0
        return order

    assert asyncio.run(scenario()) == list(range(8))


def test_models_do_not_wait_for_each_other() -> None:
    async def scenario() -> None:
        queue = FairModelQueue()
        await queue.acquire("a")
        await asyncio.wait_for(queue.acquire("b"), timeout=5)
        assert queue.running("a") == 1 and queue.running("b") == 1

    asyncio.run(scenario())


def test_a_cancelled_waiter_leaves_the_line() -> None:
    async def scenario() -> None:
        queue = FairModelQueue()
        await queue.acquire("m")
        leaving = asyncio.ensure_future(queue.acquire("m"))
        staying = asyncio.ensure_future(queue.acquire("m"))
        await asyncio.sleep(0)
        assert queue.waiting("m") == 2
        leaving.cancel()
        await asyncio.sleep(0)
        assert queue.waiting("m") == 1
        queue.release("m")
        await asyncio.wait_for(staying, timeout=5)
        assert queue.running("m") == 1 and queue.waiting_total == 0
        queue.release("m")
        assert queue.running_total == 0

    asyncio.run(scenario())


def test_a_model_with_slots_gives_that_many_turns_at_once() -> None:
    async def scenario() -> None:
        queue = FairModelQueue()
        await queue.acquire("m", 2)
        await asyncio.wait_for(queue.acquire("m", 2), timeout=5)
        third = asyncio.ensure_future(queue.acquire("m", 2))
        await asyncio.sleep(0)
        assert queue.running("m") == 2 and queue.waiting("m") == 1
        queue.release("m")
        await asyncio.wait_for(third, timeout=5)
        assert queue.running("m") == 2 and queue.waiting("m") == 0
        queue.release("m")
        queue.release("m")
        assert queue.running_total == 0 and queue.waiting_total == 0

    asyncio.run(scenario())


def test_more_slots_after_a_reload_let_waiters_in() -> None:
    async def scenario() -> None:
        queue = FairModelQueue()
        await queue.acquire("m", 1)
        waiting = asyncio.ensure_future(queue.acquire("m", 1))
        await asyncio.sleep(0)
        assert queue.waiting("m") == 1
        await asyncio.wait_for(queue.acquire("m", 4), timeout=5)  # reloaded with 4 slots
        await asyncio.wait_for(waiting, timeout=5)
        assert queue.running("m") == 3 and queue.waiting("m") == 0

    asyncio.run(scenario())
