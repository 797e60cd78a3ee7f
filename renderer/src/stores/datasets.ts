/** Datasets: the workspace list, the import wizard's job, and the record browser. */
import { defineStore } from 'pinia';
import type { ApiEvent, DatasetKindName, DatasetSummaryView, DetectedDataset, EcgSignal, ImportReportView, RecordPage } from '../../../contract/api.js';
import { api } from '../api/index.js';
import { describeError } from '../api/errors.js';

export interface ImportJob {
  jobId: string;
  dataset: string;
  status: 'running' | 'finished' | 'failed';
  done: number;
  total: number;
  report: ImportReportView | null;
  message: string | null;
  startedAt: number;
}

export const useDatasetsStore = defineStore('datasets', {
  state: () => ({
    list: [] as DatasetSummaryView[],
    loading: false,
    creatingDemo: false,
    error: null as string | null,
    detected: null as DetectedDataset | null,
    detecting: false,
    detectError: null as string | null,
    job: null as ImportJob | null,
    selected: null as string | null,
    records: null as RecordPage | null,
    recordsLoading: false,
    search: '',
    pageSize: 50,
    recordIndex: null as number | null,
    view: 'standardised' as 'standardised' | 'raw',
    signal: null as EcgSignal | null,
    signalLoading: false,
    signalError: null as string | null,
  }),
  getters: {
    importing: (s) => s.job?.status === 'running',
    progress: (s) => (s.job && s.job.total > 0 ? s.job.done / s.job.total : 0),
    current: (s) => s.list.find((d) => d.name === s.selected) ?? null,
    /** The dataset forms start on: the one last pre-trained on, else the largest with records (never an empty one). */
    preferred: (s): string | null => {
      let saved: string | null = null;
      try {
        saved = localStorage.getItem('ecgfm.pretrain.dataset');
      } catch {
        saved = null;
      }
      const usable = s.list.filter((d) => d.count > 0);
      return (usable.find((d) => d.name === saved) ?? [...usable].sort((a, b) => b.count - a.count)[0] ?? s.list[0])?.name ?? null;
    },
  },
  actions: {
    async refresh() {
      this.loading = true;
      try {
        this.list = await api().listDatasets({});
        this.error = null;
      } catch (err) {
        this.error = describeError(err);
      } finally {
        this.loading = false;
      }
    },
    /** The first-run path: the demo's synthetic cohort, generated in the workspace. */
    async createDemo() {
      this.creatingDemo = true;
      this.error = null;
      try {
        const r = await api().createDemoDataset({});
        await this.refresh();
        return r;
      } catch (err) {
        this.error = describeError(err);
        return null;
      } finally {
        this.creatingDemo = false;
      }
    },
    async detect(path: string) {
      this.detecting = true;
      this.detectError = null;
      this.detected = null;
      try {
        this.detected = await api().detectDataset({ path });
      } catch (err) {
        this.detectError = describeError(err);
      } finally {
        this.detecting = false;
      }
    },
    async startImport(opts: { path: string; kind: DatasetKindName; name: string; rate?: 100 | 500 }) {
      const { jobId } = await api().importDataset(opts);
      this.job = { jobId, dataset: opts.name, status: 'running', done: 0, total: 0, report: null, message: null, startedAt: Date.now() };
      return jobId;
    },
    async cancelImport() {
      if (this.job?.status === 'running') await api().cancelImport({ jobId: this.job.jobId });
    },
    /** Applies one event from the host; returns true when it concerned datasets. */
    handleEvent(e: ApiEvent): boolean {
      if (e.type !== 'import.progress' && e.type !== 'import.finished' && e.type !== 'import.failed') return false;
      const job = this.job;
      if (!job || job.jobId !== e.jobId) return true;
      if (e.type === 'import.progress') {
        job.done = e.done;
        job.total = e.total;
      } else if (e.type === 'import.finished') {
        job.status = 'finished';
        job.report = e.report;
        job.done = job.total = Math.max(job.total, e.report.imported + e.report.failed + e.report.skipped);
        void this.refresh();
      } else {
        job.status = 'failed';
        job.message = e.message;
      }
      return true;
    },
    /** Removes a dataset and its cache (the page asks for confirmation first). */
    async remove(name: string): Promise<boolean> {
      try {
        await api().deleteDataset({ dataset: name });
        this.error = null;
      } catch (err) {
        this.error = describeError(err);
        return false;
      }
      if (this.selected === name) {
        this.selected = null;
        this.records = null;
        this.recordIndex = null;
        this.signal = null;
      }
      await this.refresh();
      return true;
    },
    async select(name: string) {
      this.selected = name;
      this.records = null;
      this.recordIndex = null;
      this.signal = null;
      this.search = '';
      await this.loadRecords(0);
    },
    async loadRecords(offset = 0) {
      if (!this.selected) return;
      this.recordsLoading = true;
      try {
        this.records = await api().listRecords({ dataset: this.selected, offset, limit: this.pageSize, search: this.search || undefined });
        this.error = null;
      } catch (err) {
        this.error = describeError(err);
      } finally {
        this.recordsLoading = false;
      }
    },
    async openRecord(index: number) {
      if (!this.selected) return;
      this.recordIndex = index;
      await this.loadSignal();
    },
    async setView(view: 'standardised' | 'raw') {
      this.view = view;
      if (this.recordIndex !== null) await this.loadSignal();
    },
    async loadSignal() {
      if (!this.selected || this.recordIndex === null) return;
      const want = { dataset: this.selected, index: this.recordIndex, view: this.view };
      this.signalLoading = true;
      this.signalError = null;
      try {
        const sig = await api().readRecord(want);
        // A slower answer for a record the user already left is dropped.
        if (this.recordIndex === want.index && this.selected === want.dataset) this.signal = sig;
      } catch (err) {
        this.signalError = describeError(err);
      } finally {
        this.signalLoading = false;
      }
    },
  },
});
