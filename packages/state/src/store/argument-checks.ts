import { InvalidArgumentError } from '../errors.js';

// Checks of the arguments the store's repositories take: each throws `InvalidArgumentError`
// naming the argument, or returns the value.

/** A whole number, 0 or more (a count, a limit, a delay in seconds). */
export function checkedCount(argument: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      argument,
      `expected a non-negative integer, got ${String(value)}`,
    );
  }
  return value;
}

/** A whole number, 1 or more (a lease length, a cap, a generation). */
export function checkedPositive(argument: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(argument, `expected a positive integer, got ${String(value)}`);
  }
  return value;
}

/** A whole number from 1 to `max` (a page size, a limit). */
export function checkedUpTo(argument: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(
      argument,
      `expected an integer from 1 to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/** A finite number, 0 or more (days, hours). */
export function checkedNonNegative(argument: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(
      argument,
      `expected a non-negative number, got ${String(value)}`,
    );
  }
  return value;
}

/** Whole unix seconds (a watermark). */
export function checkedSeconds(argument: string, value: number): number {
  if (!Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(argument, `expected whole unix seconds, got ${String(value)}`);
  }
  return value;
}

/** The id a worker records with its claims. */
export function checkedWorkerId(value: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError('workerId', 'expected a non-empty string');
  }
  return value;
}

/** The ownership token of a claim. */
export function checkedToken(value: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError('ownershipToken', 'expected the token of a claim');
  }
  return value;
}

/** Any string (a reason, a memory). */
export function checkedText(argument: string, value: string): string {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(argument, `expected a string, got ${typeof value}`);
  }
  return value;
}

/** A time in unix milliseconds (a finite number), e.g. a query's `sinceMs`. */
export function checkedUnixMs(argument: string, value: number): number {
  if (!Number.isFinite(value)) {
    throw new InvalidArgumentError(argument, `expected unix milliseconds, got ${String(value)}`);
  }
  return value;
}
