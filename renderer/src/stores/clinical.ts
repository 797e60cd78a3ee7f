/** The Clinical evaluation page: model packages, cohort runs (jobs), the run shown, its records and one record's saliency. */
import { defineStore } from 'pinia';
import type {
  ApiEvent,
  ClinicalFinetuneRequest,
  ClinicalModelView,
  ClinicalRecordDetail,
  ClinicalRecordPage,
  ClinicalRunRequest,
  ClinicalRunSummaryView,
  ClinicalRunView,
} from '../../../contract/api.js';
import { api } from '../api/index.js';
import { describeError } from '../api/errors.js';

export const useClinicalStore = defineStore('clinical', {
  state: () => ({
    models: [] as ClinicalModelView[],
    model: null as ClinicalModelView | null,
    runs: [] as ClinicalRunSummaryView[],
    current: null as ClinicalRunView | null,
    records: null as ClinicalRecordPage | null,
    record: null as ClinicalRecordDetail | null,
    recordBusy: false,
    pendingJob: null as string | null,
    finetuneJob: null as string | null,
    onnx: null as { path: string; bytes: number; opset: number; maxAbsDiff: number | null } | null,
    error: null as string | null,
  }),
  actions: {
    async guard<T>(f: () => Promise<T>): Promise<T | null> {
      this.error = null;
      try {
        return await f();
      } catch (err) {
        this.error = describeError(err);
        return null;
      }
    },
    async refresh() {
      await this.guard(async () => {
        [this.models, this.runs] = await Promise.all([api().listClinicalModels({}), api().listClinicalRuns({})]);
      });
    },
    async choose(ref: string) {
      const m = await this.guard(() => api().inspectClinicalModel({ model: ref }));
      if (m) this.model = m;
      this.onnx = null;
    },
    async importModel(path: string) {
      const m = await this.guard(() => api().importClinicalModel({ path }));
      if (m) {
        this.model = m;
        await this.refresh();
      }
      return m;
    },
    async finetune(req: ClinicalFinetuneRequest) {
      const r = await this.guard(() => api().startClinicalFinetune(req));
      this.finetuneJob = r?.jobId ?? null;
    },
    async run(req: ClinicalRunRequest) {
      const r = await this.guard(() => api().startClinicalRun(req));
      if (r) this.pendingJob = r.jobId;
      return r;
    },
    async open(id: string) {
      const run = await this.guard(() => api().getClinicalRun({ id }));
      if (!run) return;
      this.current = run;
      this.record = null;
      await this.page(0, run.tasks[0]?.task);
    },
    async page(offset: number, task?: string, search?: string) {
      if (!this.current) return;
      const id = this.current.id;
      const p = await this.guard(() => api().clinicalRecords({ id, offset, limit: 25, task, search: search || undefined }));
      if (p) this.records = p;
    },
    async openRecord(recordId: string, task: string) {
      if (!this.current) return;
      const id = this.current.id;
      this.recordBusy = true;
      try {
        const r = await this.guard(() => api().clinicalRecord({ id, recordId, task }));
        if (r) this.record = r;
      } finally {
        this.recordBusy = false;
      }
    },
    async report() {
      if (!this.current) return null;
      const id = this.current.id;
      return this.guard(() => api().clinicalReport({ id }));
    },
    async pdf() {
      if (!this.current) return null;
      const id = this.current.id;
      return this.guard(() => api().saveClinicalPdf({ id }));
    },
    async exportOnnx() {
      if (!this.model) return;
      const model = this.model.path;
      this.onnx = await this.guard(() => api().exportClinicalOnnx({ model, verify: true }));
    },
    handleEvent(e: ApiEvent): boolean {
      if (e.type !== 'job.state' || !e.job.kind.startsWith('clinical-')) return false;
      if (e.job.status === 'succeeded' || e.job.status === 'failed' || e.job.status === 'cancelled') void this.refresh();
      if (e.job.id === this.finetuneJob && e.job.status === 'succeeded' && e.job.resultId) void this.choose(e.job.resultId);
      if (e.job.id === this.pendingJob && e.job.resultId && (e.job.status === 'succeeded' || e.job.status === 'cancelled')) void this.open(e.job.resultId);
      if ((e.job.id === this.pendingJob || e.job.id === this.finetuneJob) && e.job.status === 'failed') this.error = e.job.message;
      return false;
    },
  },
});
