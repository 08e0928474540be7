/**
 * The cpu backend's ResizeBilinearGrad (tfjs-backend-cpu 4.22) computes dx correctly but labels
 * it [B, W, H, C] instead of [B, H, W, C], so every gradient through a bilinear resize of a
 * non-square image throws on cpu ("The gradient of input 'images' has shape ..."). The cpu
 * backend stores no shape with its data, so relabelling the returned TensorInfo is the fix.
 */
import * as tf from '@tensorflow/tfjs-core';

interface RelabellingKernelFunc {
  (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo;
  builtIn?: tf.KernelConfig;
}

/** Re-registers cpu ResizeBilinearGrad so its output carries the images' shape. */
export function registerCpuResizeBilinearGradFix(): void {
  const current = tf.getKernel(tf.ResizeBilinearGrad, 'cpu');
  if (current === undefined || (current.kernelFunc as RelabellingKernelFunc).builtIn !== undefined) return;
  const kernelFunc: RelabellingKernelFunc = (args) => {
    const out = current.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const images = (args.inputs as unknown as { images: tf.TensorInfo }).images;
    return { ...out, shape: images.shape.slice() };
  };
  kernelFunc.builtIn = current;
  tf.unregisterKernel(tf.ResizeBilinearGrad, 'cpu');
  tf.registerKernel({ ...current, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}
