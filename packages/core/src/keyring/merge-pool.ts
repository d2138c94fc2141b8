import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runMergeJob, type MergeJob, type MergeJobResult } from './merge-job.js';

/** Below this many certificates a batch is merged inline: starting workers (~0.3 s) costs more. */
const PARALLEL_THRESHOLD = 200;

/**
 * Runs merge jobs (signature verification and summaries, the CPU-bound part of an import) on
 * worker threads, one per core, and returns results in job order. Falls back to inline work for
 * small batches, one core, or when the worker script is not built (tests running from sources).
 */
export async function runMergeJobs(
  jobs: MergeJob[],
  options: { signal?: AbortSignal; onDone?: (certificates: number) => void } = {},
): Promise<(MergeJobResult | undefined)[]> {
  const onDone = (job: MergeJob) => options.onDone?.(job.incoming.length);
  const workerFile = fileURLToPath(new URL('./merge-worker.js', import.meta.url));
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (jobs.length < PARALLEL_THRESHOLD || cores < 2 || !existsSync(workerFile)) {
    const out: MergeJobResult[] = [];
    for (const job of jobs) {
      if (options.signal?.aborted) break;
      out.push(await runMergeJob(job));
      onDone(job);
    }
    return out;
  }
  const results: (MergeJobResult | undefined)[] = new Array(jobs.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(cores, 8) }, () => new Worker(workerFile));
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              // Cancelling stops handing out work; what finished is kept.
              if (next >= jobs.length || options.signal?.aborted) return resolve();
              const index = next++;
              worker.once('message', (msg: { ok: true; result: MergeJobResult } | { ok: false; error: string }) => {
                if (!msg.ok) return reject(new Error(msg.error));
                results[index] = msg.result;
                onDone(jobs[index]!);
                feed();
              });
              worker.postMessage(jobs[index]);
            };
            worker.once('error', reject);
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
