import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A throwaway certificate authority and one server certificate it signed. */
export interface TestPki {
  /** PEM file of the CA: give it to keyport as NODE_EXTRA_CA_CERTS. */
  caFile: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Removes the folder holding caFile and the keys. */
  remove(): void;
}

/**
 * Makes a CA and a server certificate for `hostNames` with the openssl command (Debian's
 * openssl package). Nothing is trusted system-wide: only processes given `caFile` trust it.
 */
export function createTestPki(hostNames: string[]): TestPki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyport-pki-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=keyport test CA']);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${hostNames[0]}`]);
  writeFileSync(file('ext.cnf'), `subjectAltName=${hostNames.map((h) => `DNS:${h}`).join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf']);
  return {
    caFile: file('ca.pem'),
    caPem: readFileSync(file('ca.pem'), 'utf8'),
    certPem: readFileSync(file('server.pem'), 'utf8'),
    keyPem: readFileSync(file('server.key'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
