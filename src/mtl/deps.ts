// The nn / optim pieces src/mtl builds on, imported in one place.
export { Module, Linear, Embedding, EmbeddingBag, MLP, Sequential, ModuleList, ReLU, losses } from '../nn/index.js';
export { Optimizer, Adam } from '../optim/index.js';
