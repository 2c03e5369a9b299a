// The nn namespace: Module, layers, initialisers (nn.init) and losses (nn.losses).
export { Module, type LoadStateDictOptions, type StateValue } from './module.js';
export * from './layers/index.js';
export * as init from './init.js';
export * as losses from './losses.js';
