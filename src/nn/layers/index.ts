export { Linear } from './linear.js';
export { Conv2d, MaxPool2d, AvgPool2d, type Conv2dLayerOptions, type Pool2dLayerOptions } from './conv.js';
export { ReLU, LeakyReLU, GELU, Sigmoid, Tanh, Softmax, Flatten, Identity, activationLayer, type ActivationName } from './activation.js';
export { Dropout, dropout } from './dropout.js';
export { Sequential, ModuleList } from './container.js';
export { Embedding, EmbeddingBag } from './embedding.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, type BatchNormOptions } from './norm.js';
export { MLP, type MLPOptions } from './mlp.js';
export { LeNet } from './lenet.js';
