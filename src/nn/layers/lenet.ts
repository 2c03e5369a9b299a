// LeNet-5 style convolutional classifier for 28x28 greyscale images (MNIST-like):
// conv5(pad 2)-relu-pool2, conv5-relu-pool2, then 400-120-84-classes.
import type { Tensor } from '../../tensor/tensor.js';
import { Sequential } from './container.js';
import { Conv2d, MaxPool2d } from './conv.js';
import { Flatten, ReLU } from './activation.js';
import { Linear } from './linear.js';

export class LeNet extends Sequential {
  constructor(numClasses = 10, { inChannels = 1 }: { inChannels?: number } = {}) {
    super(
      new Conv2d(inChannels, 6, 5, { padding: 2 }),
      new ReLU(),
      new MaxPool2d(2),
      new Conv2d(6, 16, 5),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(16 * 5 * 5, 120),
      new ReLU(),
      new Linear(120, 84),
      new ReLU(),
      new Linear(84, numClasses),
    );
  }

  /** images [N, C, 28, 28] -> logits [N, numClasses]. */
  override forward(x: Tensor): Tensor {
    return super.forward(x);
  }
}
