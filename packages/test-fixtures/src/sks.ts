import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface RunningSks {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Debian installs sks in /usr/sbin, which is not on every PATH. */
const SKS = process.env.SKS_BIN ?? (existsSync('/usr/sbin/sks') ? '/usr/sbin/sks' : 'sks');

export function hasSks(): boolean {
  return spawnSync(SKS, ['version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * Starts Debian's real SKS key server on 127.0.0.1, loaded with the given keyring files.
 * Debian's sks resolves its paths under `-basedir`; the DB folder must not exist before
 * `sks build`. Ready when `op=stats` answers.
 */
export async function startSks(keyrings: string[]): Promise<RunningSks> {
  if (!hasSks()) throw new Error('sks is required for this test (apt-get install sks)');
  const base = mkdtempSync(path.join(os.tmpdir(), 'keyport-sks-'));
  for (const d of ['var/lib/sks', 'var/log/sks', 'var/run/sks', 'dump']) mkdirSync(path.join(base, d), { recursive: true });
  const dumps = keyrings.map((file, i) => {
    const target = path.join(base, 'dump', `k${i}.pgp`);
    copyFileSync(file, target);
    return target;
  });
  const build = spawnSync(SKS, ['build', '-basedir', base, ...dumps, '-n', '10', '-cache', '100'], { cwd: base, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`sks build failed: ${build.stderr || build.stdout}`);
  const port = await freePort();
  const recon = await freePort();
  const child: ChildProcess = spawn(SKS, ['db', '-basedir', base, '-hkp_address', '127.0.0.1', '-hkp_port', String(port), '-recon_port', String(recon)], {
    cwd: base,
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/pks/lookup?op=stats`);
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (child.exitCode !== null) throw new Error(`sks db exited with ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('sks db did not answer within 30 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    stop: async () => {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
      // The database copy is large (hundreds of MB for the Debian keyring): never leave it behind.
      rmSync(base, { recursive: true, force: true });
    },
  };
}
