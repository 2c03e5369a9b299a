// Every public op. Op files hold a forward call and its gradient side by side.
export * from './core.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './matmul.js';
export * from './conv.js';
export * from './softmax.js';
export * from './loss.js';
export * from './embedding.js';
export * from './optim.js';
export { backward } from '../autograd/engine.js';
import './tensor-methods.js';
