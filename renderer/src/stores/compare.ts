/** The Compare page: every known run, the picked ones, and their configs/metrics/losses side by side. */
import { defineStore } from 'pinia';
import type { AnyRunView, CompareView } from '../../../contract/api.js';
import { api } from '../api/index.js';
import { describeError } from '../api/errors.js';

export const useCompareStore = defineStore('compare', {
  state: () => ({ runs: [] as AnyRunView[], picked: [] as string[], view: null as CompareView | null, error: null as string | null }),
  actions: {
    async refresh() {
      try {
        this.runs = await api().listAllRuns({});
      } catch (err) {
        this.error = describeError(err);
      }
    },
    toggle(id: string) {
      this.picked = this.picked.includes(id) ? this.picked.filter((x) => x !== id) : [...this.picked, id];
    },
    async compare() {
      this.error = null;
      try {
        this.view = await api().compareRuns({ runIds: this.picked });
      } catch (err) {
        this.view = null;
        this.error = describeError(err);
      }
    },
  },
});
