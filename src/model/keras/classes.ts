import * as tf from '@tensorflow/tfjs';
import { MorphnetError } from '../../errors.js';

/** Every `{class_name, config: {name}}` entry of a Keras model config, nested models included. */
function layerEntries(config: unknown): Array<{ className: string; config: Record<string, unknown> }> {
  const entries: Array<{ className: string; config: Record<string, unknown> }> = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      const inner = record.config as Record<string, unknown> | undefined;
      if (typeof record.class_name === 'string' && inner && typeof inner === 'object' && 'name' in inner) {
        entries.push({ className: record.class_name, config: inner });
      }
      Object.values(record).forEach(visit);
    }
  };
  visit(config);
  return entries;
}

function isKnownClass(name: string): boolean {
  if (['Sequential', 'Model', 'Functional'].includes(name)) return true;
  return tf.serialization.SerializationMap.getMap().classNameMap[name] !== undefined;
}

/**
 * Config fields tfjs does not implement whose non-default values change what a layer computes.
 * Fields that do not change the outputs (`registered_name`, `module`, `synchronized`, dtype
 * policies, `build_config`) are ignored.
 */
const BEHAVIOUR_FIELDS: Array<{ field: string; isDefault: (value: unknown) => boolean; why: string }> = [
  { field: 'groups', isDefault: (v) => v == null || v === 1, why: 'grouped convolutions, which tfjs does not have' },
  { field: 'lora_rank', isDefault: (v) => v == null || v === 0, why: 'a LoRA adapter, which tfjs does not have' },
  { field: 'renorm', isDefault: (v) => v == null || v === false, why: 'batch renormalization, which tfjs does not have' },
  { field: 'quantization_config', isDefault: (v) => v == null, why: 'quantized weights, which tfjs does not read' },
];

/** Refuses Keras models that no JavaScript runtime can rebuild, naming the layers and why. */
export function checkKerasLayers(config: unknown, path: string): void {
  const entries = layerEntries(config);
  const lambda = entries.find((e) => e.className === 'Lambda');
  if (lambda) {
    throw new MorphnetError('unsupported', `${path} has a Lambda layer (${String(lambda.config.name)}): it holds Python code, which cannot run in JavaScript`, 'replace the Lambda with built-in layers in Keras, save again, and retry');
  }
  const custom = [...new Set(entries.map((e) => e.className).filter((name) => !isKnownClass(name)))];
  if (custom.length > 0) {
    throw new MorphnetError('unsupported', `${path} uses layer classes tfjs does not have: ${custom.join(', ')} (custom layers or layers tfjs has not ported)`, 'rebuild those parts with built-in Keras layers, or register them in tfjs before loading');
  }
  for (const { config: layer } of entries) {
    for (const { field, isDefault, why } of BEHAVIOUR_FIELDS) {
      if (!isDefault(layer[field])) {
        throw new MorphnetError('unsupported', `${path}: layer ${String(layer.name)} sets ${field}=${JSON.stringify(layer[field])}: ${why}`, `set ${field} to its default in Keras, save again, and retry`);
      }
    }
  }
}
