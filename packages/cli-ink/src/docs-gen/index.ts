export type { ArgumentSpec, CommandSpec, OptionSpec } from './spec.js';
export { manPage, roffEscape } from './man.js';
export { bashCompletion, fishCompletion, zshCompletion } from './completion.js';
export { commanderSpec } from './from-commander.js';
