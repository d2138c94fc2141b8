import { packageTestConfig } from '../../vitest.shared.ts';

// This package builds the setup it shares with the others.
export default packageTestConfig({ globalSetup: './dist/test-tmp.js' });
