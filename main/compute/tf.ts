/** The one tfjs namespace of the process; backends register themselves on it. */
import * as tf from '@tensorflow/tfjs';

export { tf };
export type Tensor = tf.Tensor;
