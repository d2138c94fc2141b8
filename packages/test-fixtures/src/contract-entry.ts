// Separate entry so importing the fixtures never loads vitest.
export * from './contract.js';
