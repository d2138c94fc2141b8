import { HttpTransport } from '@keyport/core';
import { startHkpFixture, type HkpDialect } from '@keyport/test-fixtures';
import { runProtocolEngineContract } from '@keyport/test-fixtures/contract';
import { HkpEngine } from '../src/index.js';

const http = () => new HttpTransport({ timeoutMs: 5000, connectTimeoutMs: 2000, maxBytes: 1 << 20, perHostConcurrency: 4, userAgent: 'contract', env: {} });

for (const dialect of ['sks', 'hockeypuck-2.2', 'hockeypuck-2.4', 'hagrid'] satisfies HkpDialect[]) {
  runProtocolEngineContract({
    name: `hkp on ${dialect}`,
    verbs: ['search', 'lookup', 'upload', 'probe'],
    engine: () => new HkpEngine(http()),
    startServer: (keys) => startHkpFixture({ dialect, keys }),
    exactOnly: dialect === 'hagrid' || dialect === 'hockeypuck-2.4',
  });
}
