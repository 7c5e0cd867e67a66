#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A pool of actors sharing work: jobs are spread over workers running on
threads of their own, and the results gathered with futures.

Each Worker is a ThreadingActor, so the pure-Python work runs off the main
thread; the Dispatcher, in the main context, fans jobs out round-robin and
waits for all the results without blocking anything else on its thread.
"""

import sys

import pykka_glib as pykka


def is_prime(n: int) -> bool:
    if n < 2:
        return False
    return all(n % d for d in range(2, int(n ** 0.5) + 1))


class Worker(pykka.ThreadingActor):
    def __init__(self) -> None:
        super().__init__()
        self.jobs_done = 0

    def count_primes(self, start: int, stop: int) -> int:
        self.jobs_done += 1
        return sum(1 for n in range(start, stop) if is_prime(n))


class Dispatcher(pykka.Actor):
    def __init__(self, pool_size: int) -> None:
        super().__init__()
        self.workers = [Worker.start().proxy() for _ in range(pool_size)]

    def count_primes(self, stop: int, chunk: int) -> int:
        futures: list[pykka.Future[int]] = [self.workers[i % len(self.workers)].count_primes(start, min(start + chunk, stop))
                   for i, start in enumerate(range(0, stop, chunk))]
        # Suspends the dispatcher until every chunk is counted.
        return sum(pykka.get_all(futures))

    def jobs_per_worker(self) -> list[int]:
        return pykka.get_all([worker.jobs_done for worker in self.workers])


if __name__ == '__main__':
    pool_size = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    dispatcher = Dispatcher.start(pool_size).proxy()
    print('primes below 20000:', dispatcher.count_primes(20000, 1000).get())
    print('jobs per worker:', dispatcher.jobs_per_worker().get())
    pykka.ActorRegistry.stop_all()
