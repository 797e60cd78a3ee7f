/** Background analysis jobs: the queue with progress, fed by job.* events. */
import { defineStore } from 'pinia';
import type { ApiEvent, JobView } from '../../../contract/api.js';
import { api } from '../api/index.js';
import { describeError } from '../api/errors.js';

export const isJobDone = (j: Pick<JobView, 'status'>) => j.status === 'succeeded' || j.status === 'failed' || j.status === 'cancelled';

export const useJobsStore = defineStore('jobs', {
  state: () => ({ list: [] as JobView[], error: null as string | null }),
  getters: {
    active: (s) => s.list.filter((j) => !isJobDone(j)),
    byId: (s) => (id: string) => s.list.find((j) => j.id === id) ?? null,
  },
  actions: {
    async refresh() {
      try {
        this.list = await api().listJobs({});
        this.error = null;
      } catch (err) {
        this.error = describeError(err);
      }
    },
    upsert(job: JobView) {
      const i = this.list.findIndex((j) => j.id === job.id);
      if (i >= 0) this.list[i] = job;
      else this.list.unshift(job);
    },
    async cancel(jobId: string) {
      await api().cancelJob({ jobId });
    },
    handleEvent(e: ApiEvent): boolean {
      if (e.type === 'job.state') {
        this.upsert(e.job);
        return true;
      }
      if (e.type === 'job.progress') {
        const j = this.list.find((x) => x.id === e.jobId);
        if (j) {
          if (e.fraction !== null) j.fraction = e.fraction;
          j.message = e.message;
        }
        return true;
      }
      return false;
    },
  },
});
