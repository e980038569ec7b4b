import { describe, expect, it } from 'vitest';

import { BoundedSerialQueue } from './bounded-serial-queue.js';

/** A promise and the functions that settle it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Lets every pending microtask and I/O callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('BoundedSerialQueue', () => {
  it('runs tasks one at a time in the order they were accepted', async () => {
    const queue = new BoundedSerialQueue({ capacity: 8, onError: () => undefined });
    const log: string[] = [];
    let running = 0;
    for (let i = 0; i < 5; i += 1) {
      await queue.submit(async () => {
        running += 1;
        expect(running).toBe(1);
        log.push(`start ${i}`);
        await settle();
        log.push(`end ${i}`);
        running -= 1;
      });
    }
    await queue.idle();
    expect(log).toEqual([0, 1, 2, 3, 4].flatMap((i) => [`start ${i}`, `end ${i}`]));
  });

  it('makes submit wait once capacity tasks are pending, and accepts waiters first come first served', async () => {
    const queue = new BoundedSerialQueue({ capacity: 2, onError: () => undefined });
    const slow = gate();
    const ran: number[] = [];
    const accepted: number[] = [];
    const task = (n: number) => async () => {
      if (n === 0) await slow.promise;
      ran.push(n);
    };
    const submissions = [0, 1, 2, 3].map((n) => queue.submit(task(n)).then(() => accepted.push(n)));
    await settle();
    expect(accepted).toEqual([0, 1]);
    expect(queue.pending).toBe(2);
    expect(queue.waiting).toBe(2);

    slow.open();
    await Promise.all(submissions);
    await queue.idle();
    expect(accepted).toEqual([0, 1, 2, 3]);
    expect(ran).toEqual([0, 1, 2, 3]);
    expect(queue.pending).toBe(0);
  });

  it('reports a failing task and goes on', async () => {
    const errors: unknown[] = [];
    const queue = new BoundedSerialQueue({ capacity: 1, onError: (error) => errors.push(error) });
    const ran: string[] = [];
    await queue.submit(async () => {
      throw new Error('disk full');
    });
    await queue.submit(async () => {
      ran.push('after');
    });
    await queue.idle();
    expect(errors).toHaveLength(1);
    expect(ran).toEqual(['after']);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new BoundedSerialQueue({ capacity: 0, onError: () => undefined })).toThrow(
      RangeError,
    );
  });
});
