/**
 * Keras 3 writes model configs (`config.json` in a `.keras` file) in a newer form than Keras 2
 * and tfjs-layers: every object carries `module`/`registered_name`, dtypes are `DTypePolicy`
 * objects, InputLayer has `batch_shape`, and a layer's `inbound_nodes` are recorded calls
 * (`{args: [__keras_tensor__...], kwargs}`) instead of `[layer, node, tensor, kwargs]` lists.
 * This file converts both ways, so the rest of the code sees one (tfjs/Keras 2) form.
 */
import { MorphnetError } from '../../errors.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keys Keras 3 adds that change nothing tfjs computes. */
const KERAS3_ONLY_KEYS = ['module', 'registered_name', 'build_config', 'compile_config', 'shared_object_id'];
/** Config keys tfjs layers do not take, whose Keras 3 values do not change the outputs. */
const IGNORED_CONFIG_KEYS = ['optional', 'synchronized', 'build_input_shape', 'lora_alpha'];

const DTYPE_POLICIES = ['DTypePolicy', 'FloatDTypePolicy'];

/** A Keras 3 tensor reference, `[layer, node index, tensor index]`, or nothing. */
function kerasHistory(value: Json): Json[] | undefined {
  if (!isObject(value) || value.class_name !== '__keras_tensor__' || !isObject(value.config)) return undefined;
  const history = value.config.keras_history;
  return Array.isArray(history) ? history : undefined;
}

function collectTensors(value: Json, into: Json[][]): void {
  const history = kerasHistory(value);
  if (history) into.push(history);
  else if (Array.isArray(value)) value.forEach((item) => collectTensors(item, into));
}

/** A call's keyword arguments that tfjs can pass on: plain values only. */
function plainKwargs(kwargs: Json | undefined): JsonObject {
  if (!isObject(kwargs)) return {};
  return Object.fromEntries(Object.entries(kwargs).filter(([, v]) => v === null || typeof v !== 'object'));
}

/** `{args, kwargs}` (Keras 3) -> `[[layer, node, tensor, kwargs], ...]` (Keras 2 / tfjs). */
function legacyNode(node: Json): Json {
  if (!isObject(node) || !('args' in node)) return node;
  const tensors: Json[][] = [];
  collectTensors(node.args, tensors);
  const kwargs = plainKwargs(node.kwargs);
  return tensors.map((history) => [history[0], history[1], history[2], kwargs]);
}

/** `["input_layer", 0, 0]` (one tensor, Keras 3) -> `[["input_layer", 0, 0]]`. */
function tensorList(value: Json): Json {
  return Array.isArray(value) && typeof value[0] === 'string' ? [value] : value;
}

function policyName(policy: JsonObject, where: string): string {
  const name = isObject(policy.config) ? String(policy.config.name) : 'float32';
  if (!DTYPE_POLICIES.includes(String(policy.class_name)) || !/^(float(16|32|64)|bfloat16|mixed_(b?float16))$/.test(name)) {
    throw new MorphnetError('unsupported', `${where} uses the dtype policy ${String(policy.class_name)}(${name}): quantized layers cannot be read`, 'save the float model from Keras, before quantizing');
  }
  return 'float32';
}

/**
 * A Keras 3 model config in the form tfjs-layers reads. Mixed-precision and float16 policies
 * become float32 (tfjs computes in float32, so outputs differ only by rounding).
 */
export function fromKeras3Config(value: Json, where: string): Json {
  if (Array.isArray(value)) return value.map((item) => fromKeras3Config(item, where));
  if (!isObject(value)) return value;
  if (DTYPE_POLICIES.includes(String(value.class_name)) || value.class_name === 'QuantizedDTypePolicy') return policyName(value, where);
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (KERAS3_ONLY_KEYS.includes(key) || IGNORED_CONFIG_KEYS.includes(key)) continue;
    if (key === 'inbound_nodes' && Array.isArray(item)) out[key] = item.map(legacyNode);
    else if (key === 'input_layers' || key === 'output_layers') out[key] = tensorList(item);
    else if (key === 'batch_shape') out.batch_input_shape = item;
    else if (key === 'class_name' && item === 'Functional') out[key] = 'Model';
    else out[key] = fromKeras3Config(item, where);
  }
  if ((out.class_name === 'L2' || out.class_name === 'L1') && isObject(out.config)) {
    out.config = { l1: out.config.l1 ?? 0, l2: out.config.l2 ?? 0 };
    out.class_name = 'L1L2';
  }
  return out;
}

/** What one layer of the model looks like from outside, for Keras 3's records of calls. */
export interface LayerShapes {
  /** The shape each output tensor of the layer has (batch dimension null). */
  outputShapes(layerName: string): Array<Array<number | null>>;
  /** The shape(s) the layer was built for. */
  inputShape(layerName: string): Json;
}

const FLOAT32_POLICY: JsonObject = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

const OBJECT_MODULES: Record<string, string> = { _initializer: 'keras.initializers', _regularizer: 'keras.regularizers', _constraint: 'keras.constraints' };

/** Adds the `module`/`registered_name` Keras writes beside initializer, regularizer and constraint configs. */
export function annotateKerasObjects(config: JsonObject): JsonObject {
  const out: JsonObject = { ...config };
  for (const [key, value] of Object.entries(config)) {
    const suffix = Object.keys(OBJECT_MODULES).find((s) => key.endsWith(s));
    if (suffix && isObject(value) && 'class_name' in value) out[key] = { module: OBJECT_MODULES[suffix], class_name: value.class_name, config: value.config ?? {}, registered_name: null };
  }
  return out;
}

/** `[[["conv1", 0, 0, {}]]]` (tfjs) -> `[{args: [tensor], kwargs: {}}]` (Keras 3). */
function recordedCalls(nodes: Json, shapes: LayerShapes): Json {
  if (!Array.isArray(nodes)) return [];
  return nodes.map((node) => {
    const inputs = (Array.isArray(node) ? node : []).map((entry) => {
      const [layer, nodeIndex, tensorIndex] = entry as [string, number, number];
      return {
        class_name: '__keras_tensor__',
        config: { shape: shapes.outputShapes(layer)[tensorIndex] ?? null, dtype: 'float32', keras_history: [layer, nodeIndex, tensorIndex] },
      } as JsonObject;
    });
    const kwargs = Array.isArray(node) && Array.isArray(node[0]) && isObject(node[0][3]) ? node[0][3] : {};
    return { args: inputs.length === 1 ? inputs : [inputs], kwargs };
  });
}

function keras3InputLayer(config: JsonObject): JsonObject {
  return {
    module: 'keras.layers',
    class_name: 'InputLayer',
    config: { batch_shape: config.batch_input_shape ?? null, dtype: config.dtype ?? 'float32', sparse: false, name: config.name },
    registered_name: null,
  };
}

/** One layer entry of a tfjs topology as Keras 3 writes it. */
function keras3Layer(entry: JsonObject, shapes: LayerShapes, functional: boolean): JsonObject {
  const className = String(entry.class_name);
  const config = entry.config as JsonObject;
  const name = String(config.name);
  const head: JsonObject =
    className === 'InputLayer'
      ? keras3InputLayer(config)
      : className === 'Sequential' || className === 'Model'
        ? keras3Model(entry, shapes)
        : (() => {
            const { batch_input_shape: _drop, ...rest } = annotateKerasObjects(config);
            return { module: 'keras.layers', class_name: className, config: { ...rest, dtype: FLOAT32_POLICY }, registered_name: null, build_config: { input_shape: shapes.inputShape(name) } };
          })();
  return functional ? { ...head, name, inbound_nodes: recordedCalls(entry.inbound_nodes ?? [], shapes) } : head;
}

/** A tfjs model topology (`model.toJSON(null, false)`) as Keras 3 writes its config.json. */
export function keras3Model(topology: JsonObject, shapes: LayerShapes): JsonObject {
  const config = topology.config as JsonObject;
  const layers = (config.layers ?? []) as JsonObject[];
  if (topology.class_name === 'Sequential') {
    const first = layers[0]?.config as JsonObject | undefined;
    const input = first && first.batch_input_shape && layers[0].class_name !== 'InputLayer' ? [keras3InputLayer({ batch_input_shape: first.batch_input_shape, name: 'input_layer' })] : [];
    return {
      module: 'keras',
      class_name: 'Sequential',
      config: { name: config.name, trainable: true, dtype: FLOAT32_POLICY, layers: [...input, ...layers.map((layer) => keras3Layer(layer, shapes, false))] },
      registered_name: null,
      build_config: { input_shape: first?.batch_input_shape ?? null },
    };
  }
  const single = (list: Json) => (Array.isArray(list) && list.length === 1 ? list[0] : list);
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: config.name,
      trainable: true,
      layers: layers.map((layer) => keras3Layer(layer, shapes, true)),
      input_layers: single(config.input_layers),
      output_layers: single(config.output_layers),
    },
    registered_name: 'Functional',
    build_config: { input_shape: null },
  };
}

export type { Json, JsonObject };
