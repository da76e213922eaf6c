/** Options every zoo architecture takes. */
export interface ZooOptions {
  /** Width multiplier applied to every layer's channel count (alpha for MobileNets). */
  width: number;
  /** Input shape without the batch dimension, channels last. */
  inputShape: number[];
  classes: number;
}
