/**
 * A persistent job queue kept in the experiment store. Any process may enqueue, pause or cancel; a runner claims
 * queued jobs inside an IMMEDIATE transaction so two processes never run the same job or exceed the per-resource
 * limit. Jobs whose process died are found again on start (`recover`) and re-queued; their handlers resume from the
 * last checkpoint.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { nowIso, whereClause, type Store } from '../store/store.js';
import type { EnqueueOptions, Job, JobContext, JobHandler, JobProgress, JobResource, JobStatus, RunnerEvent, RunnerOptions } from './types.js';

export * from './types.js';

type Row = Record<string, unknown>;

function parseJson(s: unknown): unknown {
  if (typeof s !== 'string' || !s) return null;
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

function toJob(r: Row): Job {
  return {
    id: Number(r.id),
    kind: String(r.kind),
    title: String(r.title ?? ''),
    resultId: r.result_id === null || r.result_id === undefined ? null : String(r.result_id),
    payload: (parseJson(r.payload) as Record<string, unknown> | null) ?? {},
    resource: String(r.resource) as JobResource,
    status: String(r.status) as JobStatus,
    priority: Number(r.priority),
    attempts: Number(r.attempts),
    owner: r.owner === null || r.owner === undefined ? null : String(r.owner),
    request: r.request === 'pause' || r.request === 'cancel' ? r.request : null,
    progress: parseJson(r.progress) as JobProgress | null,
    result: parseJson(r.result),
    error: r.error === null || r.error === undefined ? null : String(r.error),
    createdAt: String(r.created_at),
    startedAt: r.started_at ? String(r.started_at) : null,
    finishedAt: r.finished_at ? String(r.finished_at) : null,
  };
}

/** A concurrency limit from the environment (`ECGFM_GPU_JOBS=2`), else the default. */
function envLimit(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}".`);
  return n;
}

/** Whether the process that owns a job is still alive (only decidable for owners on this host). */
export function ownerAlive(owner: string | null): boolean {
  if (!owner) return false;
  const [host, pidText] = owner.split(':');
  if (host !== hostname()) return true;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Queue operations that need no running runner (the CLI and the host use these too). */
export class JobQueue {
  constructor(readonly store: Store) {}

  get(id: number): Job | null {
    const r = this.store.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    return r ? toJob(r) : null;
  }

  list(filter: { status?: JobStatus; kind?: string } = {}): Job[] {
    const { where, values } = whereClause(filter, { status: 'status', kind: 'kind' });
    return (this.store.db.prepare(`SELECT * FROM jobs ${where} ORDER BY id`).all(values) as Row[]).map(toJob);
  }

  enqueue(kind: string, payload: Record<string, unknown> = {}, opts: EnqueueOptions = {}): Job {
    const info = this.store.db
      .prepare('INSERT INTO jobs (kind, payload, resource, priority, title, result_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(kind, JSON.stringify(payload), opts.resource ?? 'gpu', opts.priority ?? 0, opts.title ?? '', opts.resultId ?? null, nowIso());
    return this.get(Number(info.lastInsertRowid))!;
  }

  /** The process actually computing a job (its worker): a host restarted meanwhile waits for it to end. */
  setOwner(id: number, owner: string): void {
    this.store.db.prepare("UPDATE jobs SET owner = ? WHERE id = ? AND status = 'running'").run(owner, id);
  }

  private require(id: number): Job {
    const job = this.get(id);
    if (!job) throw new Error(`No job ${id} in the queue (\`ecgfm runs list\` shows runs; jobs are listed by the host).`);
    return job;
  }

  /** Pauses a queued job at once, or asks the process running it to stop at its next checkpoint. */
  pause(id: number): Job {
    return this.store.transaction(() => {
      const job = this.require(id);
      if (job.status === 'queued') this.store.db.prepare("UPDATE jobs SET status = 'paused' WHERE id = ?").run(id);
      else if (job.status === 'running') this.store.db.prepare("UPDATE jobs SET request = 'pause' WHERE id = ?").run(id);
      else throw new Error(`Job ${id} is ${job.status}; only queued or running jobs can be paused.`);
      return this.get(id)!;
    });
  }

  resume(id: number): Job {
    return this.store.transaction(() => {
      const job = this.require(id);
      if (job.status !== 'paused') throw new Error(`Job ${id} is ${job.status}; only paused jobs can be resumed.`);
      this.store.db.prepare("UPDATE jobs SET status = 'queued', request = NULL WHERE id = ?").run(id);
      return this.get(id)!;
    });
  }

  cancel(id: number): Job {
    return this.store.transaction(() => {
      const job = this.require(id);
      if (job.status === 'queued' || job.status === 'paused')
        this.store.db.prepare("UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE id = ?").run(nowIso(), id);
      else if (job.status === 'running') this.store.db.prepare("UPDATE jobs SET request = 'cancel' WHERE id = ?").run(id);
      else throw new Error(`Job ${id} is already ${job.status}.`);
      return this.get(id)!;
    });
  }
}

interface Active {
  job: Job;
  controller: AbortController;
  done: Promise<void>;
}

export class Runner {
  readonly queue: JobQueue;
  readonly owner: string;
  private readonly emitter = new EventEmitter();
  private readonly handlers: Record<string, JobHandler>;
  private readonly limits: Record<JobResource, number>;
  private readonly pollMs: number;
  private readonly active = new Map<number, Active>();
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private stopped = true;
  /** Announce 'idle' once per transition, not on every poll. */
  private idle = false;

  constructor(
    readonly store: Store,
    options: RunnerOptions,
  ) {
    this.queue = new JobQueue(store);
    this.handlers = options.handlers;
    this.limits = {
      gpu: options.concurrency?.gpu ?? envLimit('ECGFM_GPU_JOBS', 1),
      cpu: options.concurrency?.cpu ?? envLimit('ECGFM_CPU_JOBS', 2),
    };
    this.pollMs = options.pollMs ?? 500;
    this.owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  }

  /** Subscribes to every state change; returns the unsubscribe function. */
  on(_event: 'event', listener: (e: RunnerEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  off(_event: 'event', listener: (e: RunnerEvent) => void): void {
    this.emitter.off('event', listener);
  }

  private emit(e: RunnerEvent): void {
    this.emitter.emit('event', e);
  }

  enqueue(kind: string, payload: Record<string, unknown> = {}, opts: EnqueueOptions = {}): Job {
    if (!this.handlers[kind]) throw new Error(`No handler for jobs of kind "${kind}".`);
    const job = this.queue.enqueue(kind, payload, opts);
    this.emit({ type: 'queued', job });
    this.kick();
    return job;
  }

  pause(id: number): Job {
    const job = this.queue.pause(id);
    if (job.status === 'paused') this.emit({ type: 'paused', job });
    else this.emit({ type: 'pausing', job });
    this.active.get(id)?.controller.abort('pause');
    return job;
  }

  resume(id: number): Job {
    const job = this.queue.resume(id);
    this.emit({ type: 'resumed', job });
    this.kick();
    return job;
  }

  cancel(id: number): Job {
    const job = this.queue.cancel(id);
    if (job.status === 'cancelled') this.emit({ type: 'cancelled', job });
    this.active.get(id)?.controller.abort('cancel');
    return job;
  }

  /** Re-queues jobs left `running` by a process that no longer exists (an app restart, a kill). */
  recover(): Job[] {
    // Look before taking the write lock: this runs on every poll.
    const stale = (j: Job) => !this.active.has(j.id) && !ownerAlive(j.owner);
    if (!this.queue.list({ status: 'running' }).some(stale)) return [];
    const recovered: { job: Job; previousOwner: string | null }[] = [];
    this.store.transaction(() => {
      for (const job of this.queue.list({ status: 'running' })) {
        if (this.active.has(job.id) || ownerAlive(job.owner)) continue;
        const status = job.request === 'cancel' ? 'cancelled' : job.request === 'pause' ? 'paused' : 'queued';
        this.store.db.prepare('UPDATE jobs SET status = ?, owner = NULL, request = NULL WHERE id = ?').run(status, job.id);
        recovered.push({ job: this.queue.get(job.id)!, previousOwner: job.owner });
      }
    });
    for (const r of recovered) this.emit({ type: 'recovered', job: r.job, previousOwner: r.previousOwner });
    return recovered.map((r) => r.job);
  }

  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    this.recover();
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.kick();
    return this;
  }

  /**
   * Stops taking jobs; running ones are asked to pause unless `finish` is set. With `requeue` (a host shutting
   * down) they go back to the queue instead, so the next start resumes them from their checkpoints.
   */
  async stop(opts: { finish?: boolean; requeue?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!opts.finish) for (const a of this.active.values()) a.controller.abort(opts.requeue ? 'shutdown' : 'pause');
    await Promise.all([...this.active.values()].map((a) => a.done));
  }

  /** Runs until no job this runner could take is queued and none of its jobs is running. */
  async runUntilIdle(): Promise<void> {
    this.start();
    await new Promise<void>((resolve) => {
      const check = (e: RunnerEvent) => {
        if (e.type === 'idle') {
          this.off('event', check);
          resolve();
        }
      };
      this.on('event', check);
      this.idle = false;
      this.kick();
    });
    await this.stop({ finish: true });
  }

  get running(): Job[] {
    return [...this.active.values()].map((a) => a.job);
  }

  private kick(): void {
    if (this.stopped || this.ticking) return;
    this.ticking = true;
    try {
      // A process that died while we wait would otherwise hold its GPU slot forever.
      this.recover();
      this.pollRequests();
      for (;;) {
        const job = this.claim();
        if (!job) break;
        this.launch(job);
      }
      const idle = this.active.size === 0 && !this.hasRunnableQueued();
      if (idle && !this.idle) this.emit({ type: 'idle' });
      this.idle = idle;
    } finally {
      this.ticking = false;
    }
  }

  /** Pause/cancel requests written by other processes reach our handlers here. */
  private pollRequests(): void {
    for (const a of this.active.values()) {
      if (a.controller.signal.aborted) continue;
      const job = this.queue.get(a.job.id);
      if (job?.request) {
        if (job.request === 'pause') this.emit({ type: 'pausing', job });
        a.controller.abort(job.request);
      }
    }
  }

  private hasRunnableQueued(): boolean {
    const kinds = Object.keys(this.handlers);
    if (!kinds.length) return false;
    const row = this.store.db
      .prepare(`SELECT COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'running') AND kind IN (${kinds.map(() => '?').join(',')})`)
      .get(...kinds) as Row;
    // Jobs running in other processes still count: our caller waits for the queue, not just for us.
    return Number(row.n) > this.active.size;
  }

  private claim(): Job | null {
    const kinds = Object.keys(this.handlers);
    if (!kinds.length) return null;
    return this.store.transaction(() => {
      const busy = this.store.db.prepare("SELECT resource, COUNT(*) AS n FROM jobs WHERE status = 'running' GROUP BY resource").all() as Row[];
      const running: Record<string, number> = {};
      for (const b of busy) running[String(b.resource)] = Number(b.n);
      const free = (Object.keys(this.limits) as JobResource[]).filter((r) => (running[r] ?? 0) < this.limits[r]);
      if (!free.length) return null;
      const row = this.store.db
        .prepare(
          `SELECT * FROM jobs WHERE status = 'queued' AND kind IN (${kinds.map(() => '?').join(',')})
           AND resource IN (${free.map(() => '?').join(',')}) ORDER BY priority DESC, id LIMIT 1`,
        )
        .get(...kinds, ...free) as Row | undefined;
      if (!row) return null;
      this.store.db
        .prepare("UPDATE jobs SET status = 'running', owner = ?, request = NULL, attempts = attempts + 1, started_at = ?, error = NULL WHERE id = ?")
        .run(this.owner, nowIso(), row.id);
      return this.queue.get(Number(row.id));
    });
  }

  private launch(job: Job): void {
    const controller = new AbortController();
    const handler = this.handlers[job.kind]!;
    const ctx: JobContext = {
      job,
      store: this.store,
      signal: controller.signal,
      shouldStop: () => controller.signal.aborted,
      progress: (p) => {
        this.store.db.prepare('UPDATE jobs SET progress = ? WHERE id = ?').run(JSON.stringify(p), job.id);
        this.emit({ type: 'progress', job: { ...job, progress: p }, progress: p });
      },
    };
    const active: Active = { job, controller, done: Promise.resolve() };
    this.active.set(job.id, active);
    this.emit({ type: 'started', job });
    active.done = (async () => {
      let result: unknown = null;
      let error: string | null = null;
      try {
        result = await handler(ctx);
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      const reason = controller.signal.aborted ? String(controller.signal.reason) : null;
      const status: JobStatus =
        reason === 'cancel' ? 'cancelled' : reason === 'pause' ? 'paused' : reason === 'shutdown' ? 'queued' : error !== null ? 'failed' : 'succeeded';
      const finished = status === 'paused' || status === 'queued' ? null : nowIso();
      this.store.db
        .prepare('UPDATE jobs SET status = ?, owner = NULL, request = NULL, result = ?, error = ?, finished_at = ? WHERE id = ?')
        .run(status, JSON.stringify(result ?? null), status === 'failed' ? error : null, finished, job.id);
      this.active.delete(job.id);
      const final = this.queue.get(job.id)!;
      if (status === 'failed') this.emit({ type: 'failed', job: final, error: error ?? 'failed' });
      else if (status === 'queued') this.emit({ type: 'queued', job: final });
      else this.emit({ type: status, job: final } as RunnerEvent);
      this.kick();
    })();
  }
}

export function createRunner(store: Store, options: RunnerOptions): Runner {
  return new Runner(store, options);
}
