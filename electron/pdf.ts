/**
 * "Save report as PDF": the cohort run's self-contained report.html printed by Chromium (webContents.printToPDF)
 * in a hidden window with scripts off and every non-file request cancelled, so the path stays offline.
 */
import { BrowserWindow, dialog, session } from 'electron';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PARTITION = 'ecgfm-report-pdf';

export async function printReportToPdf(reportPath: string, parent: BrowserWindow | null): Promise<string | null> {
  const ses = session.fromPartition(PARTITION);
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !details.url.startsWith('file://') }));
  const w = new BrowserWindow({ show: false, webPreferences: { session: ses, javascript: false, sandbox: true, contextIsolation: true, nodeIntegration: false } });
  try {
    await w.loadFile(reportPath);
    const pdf = await w.webContents.printToPDF({ printBackground: true, pageSize: 'A4', margins: { marginType: 'default' } });
    const options = { title: 'Save report as PDF', defaultPath: join(dirname(reportPath), 'report.pdf'), filters: [{ name: 'PDF', extensions: ['pdf'] }] };
    const choice = parent ? await dialog.showSaveDialog(parent, options) : await dialog.showSaveDialog(options);
    if (choice.canceled || !choice.filePath) return null;
    writeFileSync(choice.filePath, pdf);
    return choice.filePath;
  } finally {
    w.destroy();
  }
}
