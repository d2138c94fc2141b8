import { parentPort } from 'node:worker_threads';
import { runMergeJob, type MergeJob } from './merge-job.js';

// Worker side of merge-pool.ts: one job at a time, answered in order.
parentPort!.on('message', (job: MergeJob) => {
  runMergeJob(job).then(
    (result) => parentPort!.postMessage({ ok: true, result }),
    (error: unknown) => parentPort!.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
