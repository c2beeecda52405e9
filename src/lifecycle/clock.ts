// Every "now" of the lifecycle comes from here, so tests can walk a fleet through time
// without waiting for it. Timers (the scheduler's tick, HTTP timeouts) stay in real time.

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
