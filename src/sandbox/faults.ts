/**
 * Fault requests checked (`--fault NAME[:VALUE]`, the control endpoint's JSON) and the set of
 * faults in force. A fault is switched on at start or at run time (./control.ts), optionally for
 * the next N requests it acts on only (`count`). The catalogue is ./fault-catalog.ts.
 */
import { FAULTS, faultNames, type FaultDefinition, type FaultPlace } from './fault-catalog.js';

export { FAULTS, faultNames, faultUsage, type FaultDefinition, type FaultPlace } from './fault-catalog.js';

const BY_NAME = new Map(FAULTS.map((definition) => [definition.name, definition]));

/** A fault asked for: the name is known, the value is of the right kind. */
export interface FaultRequest {
  fault: string;
  value?: number;
  /** The next N requests the fault acts on; absent: until cleared. */
  count?: number;
}

/** A fault in force, as the control endpoint lists it. */
export interface ActiveFault extends FaultRequest {
  place: FaultPlace;
  /** Uses left when a count was given. */
  remaining?: number;
}

/** A fault request that cannot be honoured; the message names the cause and what to write instead. */
export class FaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultError';
  }
}

const MAX_COUNT = 1_000_000;

/** `--fault NAME[:VALUE]` as typed on the command line. */
export function parseFaultArgument(text: string): FaultRequest {
  const colon = text.indexOf(':');
  const name = colon === -1 ? text : text.slice(0, colon);
  const value = colon === -1 ? undefined : text.slice(colon + 1);
  return checkFault({ fault: name, ...(value !== undefined ? { value } : {}) });
}

/**
 * A fault request from anywhere (the command line, a JSON body): the name must be one of ours,
 * the value of the kind the fault takes (a number or a string of digits), the count a whole
 * number from 1. Throws FaultError naming what is wrong.
 */
export function checkFault(input: { fault?: unknown; value?: unknown; count?: unknown }): FaultRequest {
  if (typeof input.fault !== 'string' || input.fault === '') {
    throw new FaultError(`name a fault: one of ${faultNames().join(', ')}`);
  }
  const definition = BY_NAME.get(input.fault);
  if (!definition) throw new FaultError(`unknown fault "${input.fault}"; the faults are ${faultNames().join(', ')}`);
  const request: FaultRequest = { fault: definition.name };

  const value = readValue(definition, input.value);
  if (value !== undefined) request.value = value;

  if (input.count !== undefined && input.count !== null) {
    if (!definition.countable) throw new FaultError(`${definition.name} happens once when switched on; it takes no count`);
    const count = wholeNumber(input.count);
    if (count === undefined || count < 1 || count > MAX_COUNT) {
      throw new FaultError(`count must be a whole number of requests from 1 to ${MAX_COUNT}, not ${JSON.stringify(input.count)}`);
    }
    request.count = count;
  }
  return request;
}

function readValue(definition: FaultDefinition, raw: unknown): number | undefined {
  const spec = definition.value;
  const given = raw !== undefined && raw !== null && raw !== '';
  if (spec.kind === 'none') {
    if (given) throw new FaultError(`${definition.name} takes no value (got ${JSON.stringify(raw)}); write just ${definition.name}`);
    return undefined;
  }
  if (!given) {
    if (spec.required) throw new FaultError(`${definition.name} needs a value in ${spec.unit}, as in ${definition.name}:${spec.example}`);
    return spec.default;
  }
  const number = wholeNumber(raw);
  if (number === undefined) {
    throw new FaultError(`${definition.name} takes a whole number of ${spec.unit}, not ${JSON.stringify(raw)}; as in ${definition.name}:${spec.example}`);
  }
  if (number < spec.min || number > spec.max) {
    throw new FaultError(`${definition.name} takes ${spec.min} to ${spec.max} ${spec.unit}, not ${number}`);
  }
  return number;
}

/** A whole number given as a JSON number or as digits (with a sign); undefined otherwise. */
function wholeNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : undefined;
  if (typeof raw === 'string' && /^[-+]?\d{1,15}$/.test(raw.trim())) return Number(raw.trim());
  return undefined;
}

/**
 * The faults in force. One per name: switching a fault on again replaces its value and count.
 * `take` is how a fault point asks "does this fault act on this request?": it answers the fault
 * and spends one use of its count (the fault goes once its count is spent).
 */
export class FaultSet {
  private readonly active = new Map<string, ActiveFault>();
  private readonly listeners = new Set<(change: { fault: string; on: boolean }) => void | Promise<void>>();
  /** The listeners' work still running (rotate-keys makes a key and restarts the provider). */
  private pending: Promise<void> = Promise.resolve();

  constructor(initial: readonly FaultRequest[] = []) {
    for (const request of initial) this.add(request);
  }

  add(request: FaultRequest): ActiveFault {
    const definition = BY_NAME.get(request.fault);
    if (!definition) throw new FaultError(`unknown fault "${request.fault}"`);
    const entry: ActiveFault = { fault: definition.name, place: definition.place };
    if (request.value !== undefined) entry.value = request.value;
    if (request.count !== undefined) {
      entry.count = request.count;
      entry.remaining = request.count;
    }
    this.active.set(definition.name, entry);
    this.emit(definition.name, true);
    return { ...entry };
  }

  /** The fault when it is on, without spending a use. */
  peek(name: string): ActiveFault | undefined {
    const entry = this.active.get(name);
    return entry ? { ...entry } : undefined;
  }

  has(name: string): boolean {
    return this.active.has(name);
  }

  /** The fault when it is on, spending one use of its count. */
  take(name: string): ActiveFault | undefined {
    const entry = this.active.get(name);
    if (!entry) return undefined;
    if (entry.remaining !== undefined) {
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.remove(name);
    }
    return { ...entry };
  }

  /** The first of `names` that is on, spending one use of it. */
  takeFirst(names: readonly string[]): ActiveFault | undefined {
    for (const name of names) {
      if (this.active.has(name)) return this.take(name);
    }
    return undefined;
  }

  list(): ActiveFault[] {
    return [...this.active.values()].map((entry) => ({ ...entry }));
  }

  remove(name: string): boolean {
    const removed = this.active.delete(name);
    if (removed) this.emit(name, false);
    return removed;
  }

  clear(): void {
    for (const name of [...this.active.keys()]) this.remove(name);
  }

  /** Called when a fault is switched on or off (rotate-keys acts at that moment). */
  onChange(listener: (change: { fault: string; on: boolean }) => void | Promise<void>): void {
    this.listeners.add(listener);
  }

  /** Resolves once every change so far has taken effect. */
  settled(): Promise<void> {
    return this.pending;
  }

  private emit(fault: string, on: boolean): void {
    for (const listener of this.listeners) {
      // One after the other, in the order of the changes; a failed one does not stop the next.
      this.pending = this.pending.then(() => listener({ fault, on })).catch(() => undefined);
    }
  }
}
