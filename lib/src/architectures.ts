/**
 * Convolutional architectures as small TensorFlow.js builders: LeNet-5 for training on MNIST, and the
 * modern CNNs the lectures name (AlexNet, VGG, Inception, ResNet, DenseNet) for their structure and
 * parameter counts. Every initializer is seeded through `nextSeed()`. Lecture: CNN (000, 003), architectures.
 */
import { nextSeed } from "./random";
import { tf } from "./tf";

/** Options of `lenet5`. */
export interface LeNetOptions {
  /** Activation after each convolution and hidden dense layer (default "relu"; LeCun's original used tanh). */
  activation?: "relu" | "tanh";
  /** Sub-sampling layers (default "max"; the original averaged). */
  pooling?: "max" | "avg";
  /** Input image side in pixels, one channel (default 28, MNIST). */
  size?: number;
  /** Number of classes (default 10). */
  classes?: number;
}

function glorot(): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: nextSeed() });
}

/**
 * LeNet-5 (LeCun et al., 1998) for 28×28 digits: conv 5×5×6 "same" → pool 2 → conv 5×5×16 → pool 2 →
 * dense 120 → dense 84 → dense `classes` with softmax; 61,706 parameters for MNIST. Lecture: CNN (003), LeNet.
 */
export function lenet5(options: LeNetOptions = {}): tf.Sequential {
  const { activation = "relu", pooling = "max", size = 28, classes = 10 } = options;
  const pool = () => (pooling === "max" ? tf.layers.maxPooling2d({ poolSize: 2 }) : tf.layers.averagePooling2d({ poolSize: 2 }));
  return tf.sequential({
    name: "lenet5",
    layers: [
      tf.layers.conv2d({ inputShape: [size, size, 1], filters: 6, kernelSize: 5, padding: "same", activation, kernelInitializer: glorot(), name: "conv1" }),
      pool(),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation, kernelInitializer: glorot(), name: "conv2" }),
      pool(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation, kernelInitializer: glorot(), name: "fc1" }),
      tf.layers.dense({ units: 84, activation, kernelInitializer: glorot(), name: "fc2" }),
      tf.layers.dense({ units: classes, activation: "softmax", kernelInitializer: glorot(), name: "out" }),
    ],
  });
}
