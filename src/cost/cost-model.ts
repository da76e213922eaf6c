import type { ChannelAnalysis } from '../graph/channel-groups.js';
import type { ParamCount, ResourceTerm, SlotRef } from '../graph/handlers/handler.js';
import { handlerFor } from '../graph/handlers/registry.js';
import { spatialSize, type GraphNode } from '../graph/types.js';
import { latencyModelOf, type Hardware } from './hardware.js';
import type { LayerAtWidths } from './latency-model.js';
import { scaleForm, type LinearForm } from './linear-form.js';

export type { LinearForm } from './linear-form.js';

export const RESOURCES = ['flops', 'size', 'latency', 'activations'] as const;
export type Resource = (typeof RESOURCES)[number];

const BYTES_PER_ELEMENT = 4;

/** Per-layer costs, with the field names of DESIGN.md. */
export interface LayerCost {
  name: string;
  className: string;
  outputShape: Array<number | null>;
  macs: number;
  flops: number;
  params: number;
  totalParams: number;
  activations: number;
  activationElements: number;
  /** Latency at the given batch size, in ms (roofline, or a measured table); present when hardware was given. */
  latency?: number;
}

export type CostTotals = Omit<LayerCost, 'name' | 'className' | 'outputShape'>;

export interface CostOptions {
  hardware?: Hardware;
  batchSize?: number;
  /** Layers that are not built (removed with a width-0 branch): they cost nothing. */
  excludedLayers?: ReadonlySet<string>;
}

interface Counts {
  aliveIn: number;
  aliveOut: number;
  softIn: LinearForm;
  softOut: LinearForm;
}

/**
 * One term of a layer's cost, MorphNet's formulas. Cost: bilinear C*A_in*A_out, linear
 * (depthwise) C*A_out, perOutput C*A_out. Regularization (`isRegularization`), the same term in
 * differentiable form: bilinear C*(A_in*S_out + A_out*S_in), linear C*(S_in + S_out), perOutput
 * C*S_out; S are sums of scores.
 */
function termValue(term: ResourceTerm, counts: Counts, isRegularization: false): number;
function termValue(term: ResourceTerm, counts: Counts, isRegularization: true): LinearForm;
function termValue(term: ResourceTerm, counts: Counts, isRegularization: boolean): number | LinearForm {
  const c = term.coefficient;
  if (term.kind === 'bilinear') {
    return isRegularization
      ? [...scaleForm(counts.softOut, c * counts.aliveIn), ...scaleForm(counts.softIn, c * counts.aliveOut)]
      : c * counts.aliveIn * counts.aliveOut;
  }
  if (term.kind === 'perOutput') return isRegularization ? scaleForm(counts.softOut, c) : c * counts.aliveOut;
  return isRegularization ? [...scaleForm(counts.softIn, c), ...scaleForm(counts.softOut, c)] : c * counts.aliveOut;
}

/** A layer with everything the cost needs precomputed from the graph. */
interface PreparedLayer {
  node: GraphNode;
  inputComponents?: Int32Array;
  outputComponents: Int32Array;
  macTerms: ResourceTerm[];
  weightTerms: ResourceTerm[];
  nonTrainableTerms: ResourceTerm[];
  /** Parameters of layers morphnet has no formula for (barriers), counted from their weights. */
  fixedParams?: { trainable: number; nonTrainable: number };
}

const sizeOf = (shape: Array<number | null>) => shape.reduce<number>((a, b) => a * Number(b), 1);

/** A frozen layer's weights are all non-trainable, as Keras counts them. */
function paramsAsTrained(node: GraphNode, params: ParamCount): ParamCount {
  return node.trainable ? params : { trainable: 0, nonTrainable: params.trainable + params.nonTrainable };
}

/**
 * The resource functions of a network, as functions of which channels are alive. `alive` has
 * one entry per channel component (1 alive, 0 dead; fixed components always count as alive).
 */
export class CostModel {
  private readonly layers: PreparedLayer[];

  constructor(readonly analysis: ChannelAnalysis) {
    this.layers = analysis.graph.nodes.map((node) => {
      const handler = handlerFor(node.className);
      const layer: PreparedLayer = {
        node,
        inputComponents: node.inputs.length ? analysis.outputComponents.get(node.inputs[0]) : undefined,
        outputComponents: analysis.outputComponents.get(node.id)!,
        macTerms: handler?.macTerms?.(node) ?? [],
        weightTerms: handler?.weightTerms?.(node) ?? [],
        nonTrainableTerms: handler?.nonTrainableTerms?.(node) ?? [],
      };
      if (!handler?.weightTerms && node.layer.weights.length > 0) {
        const count = (weights: typeof node.layer.weights) => weights.reduce((sum, w) => sum + sizeOf(w.shape), 0);
        layer.fixedParams = { trainable: count(node.layer.trainableWeights), nonTrainable: count(node.layer.nonTrainableWeights) };
      }
      return layer;
    });
  }

  get numComponents(): number {
    return this.analysis.numComponents;
  }

  /** Every component alive: the cost of the network as it is. */
  allAlive(): Float64Array {
    return new Float64Array(this.numComponents).fill(1);
  }

  private slotComponents(layer: PreparedLayer, ref: SlotRef): Int32Array {
    return ref.side === 'input' ? layer.inputComponents! : layer.outputComponents;
  }

  private aliveCount(components: Int32Array | undefined, repeat: number, alive: Float64Array): number {
    if (!components) return 0;
    let sum = 0;
    for (const c of components) sum += this.analysis.componentFixed[c] ? 1 : alive[c];
    // Channel counts are whole; fractional alive values (widths other than the seed's) sum to them up to rounding.
    return Math.round(sum) * repeat;
  }

  /** Scores of fixed channels are not regularized (MorphNet counts them as constants). */
  private softCount(components: Int32Array, repeat: number): LinearForm {
    return [{ components, weight: repeat }];
  }

  private counts(layer: PreparedLayer, term: ResourceTerm, alive: Float64Array): Counts {
    const inComponents = this.slotComponents(layer, term.in);
    const outComponents = this.slotComponents(layer, term.out);
    return {
      aliveIn: this.aliveCount(inComponents, term.in.repeat, alive),
      aliveOut: this.aliveCount(outComponents, term.out.repeat, alive),
      softIn: this.softCount(inComponents, term.in.repeat),
      softOut: this.softCount(outComponents, term.out.repeat),
    };
  }

  private sumTerms(layer: PreparedLayer, terms: ResourceTerm[], alive: Float64Array): number {
    return terms.reduce((sum, term) => sum + termValue(term, this.counts(layer, term, alive), false), 0);
  }

  private formTerms(layer: PreparedLayer, terms: ResourceTerm[], alive: Float64Array): LinearForm {
    return terms.flatMap((term) => termValue(term, this.counts(layer, term, alive), true));
  }

  /** Bytes a layer moves: input and output activations at the batch size, plus its weights. */
  private bytes(layer: PreparedLayer, alive: Float64Array, batchSize: number): number {
    const inElements = layer.inputComponents ? spatialSize(layer.node.inputShapes[0]) * this.aliveCount(layer.inputComponents, 1, alive) : 0;
    const outElements = spatialSize(layer.node.outputShape) * this.aliveCount(layer.outputComponents, 1, alive);
    return BYTES_PER_ELEMENT * (batchSize * (inElements + outElements) + this.sumTerms(layer, layer.weightTerms, alive));
  }

  /** Bytes a layer moves in differentiable form: its activations' channels and its weight terms. */
  private bytesForm(layer: PreparedLayer, alive: Float64Array, batchSize: number): LinearForm {
    const input = layer.inputComponents ? scaleForm(this.softCount(layer.inputComponents, 1), batchSize * spatialSize(layer.node.inputShapes[0])) : [];
    const output = scaleForm(this.softCount(layer.outputComponents, 1), batchSize * spatialSize(layer.node.outputShape));
    return scaleForm([...input, ...output, ...this.formTerms(layer, layer.weightTerms, alive)], BYTES_PER_ELEMENT);
  }

  /** A layer at the given alive channels, as latency models see it. */
  private atWidths(layer: PreparedLayer, alive: Float64Array, batchSize: number): LayerAtWidths {
    return {
      node: layer.node,
      isFlopLayer: layer.macTerms.length > 0,
      inWidth: this.aliveCount(layer.inputComponents, 1, alive),
      outWidth: this.aliveCount(layer.outputComponents, 1, alive),
      batchSize,
      macs: () => this.sumTerms(layer, layer.macTerms, alive),
      bytes: () => this.bytes(layer, alive, batchSize),
      macForm: () => this.formTerms(layer, layer.macTerms, alive),
      bytesForm: () => this.bytesForm(layer, alive, batchSize),
      inputForm: () => (layer.inputComponents ? this.softCount(layer.inputComponents, 1) : []),
      outputForm: () => this.softCount(layer.outputComponents, 1),
    };
  }

  private latencyMs(layer: PreparedLayer, alive: Float64Array, hardware: Hardware, batchSize: number): number {
    return latencyModelOf(hardware).layerMs(this.atWidths(layer, alive, batchSize));
  }

  /** A layer's parameters as Keras counts them: its weight terms (trainable) and non-trainable terms. */
  private params(layer: PreparedLayer, alive: Float64Array): ParamCount {
    if (layer.fixedParams) return layer.fixedParams;
    return { trainable: this.sumTerms(layer, layer.weightTerms, alive), nonTrainable: this.sumTerms(layer, layer.nonTrainableTerms, alive) };
  }

  /** The layers the structure keeps (excluded ones are removed with a width-0 branch). */
  private builtLayers(options: CostOptions): PreparedLayer[] {
    return options.excludedLayers ? this.layers.filter((layer) => !options.excludedLayers!.has(layer.node.id)) : this.layers;
  }

  /** Per-layer and total cost of the network with the given channels alive. */
  evaluate(alive: Float64Array = this.allAlive(), options: CostOptions = {}): { layers: LayerCost[]; totals: CostTotals } {
    const batchSize = options.batchSize ?? 1;
    const totals: CostTotals = { macs: 0, flops: 0, params: 0, totalParams: 0, activations: 0, activationElements: 0 };
    if (options.hardware) totals.latency = latencyModelOf(options.hardware).overheadMs;
    const layers = this.builtLayers(options).map((layer) => {
      const { node } = layer;
      const aliveOut = this.aliveCount(layer.outputComponents, 1, alive);
      const macs = this.sumTerms(layer, layer.macTerms, alive);
      const isFlopLayer = layer.macTerms.length > 0;
      const params = paramsAsTrained(node, this.params(layer, alive));
      const cost: LayerCost = {
        name: node.id,
        className: node.className,
        outputShape: [...node.outputShape.slice(0, -1), aliveOut],
        macs,
        flops: 2 * macs,
        params: params.trainable,
        totalParams: params.trainable + params.nonTrainable,
        activations: isFlopLayer ? aliveOut : 0,
        activationElements: isFlopLayer ? spatialSize(node.outputShape) * aliveOut : 0,
      };
      if (options.hardware) cost.latency = this.latencyMs(layer, alive, options.hardware, batchSize);
      for (const key of Object.keys(totals) as Array<keyof CostTotals>) totals[key] = (totals[key] ?? 0) + (cost[key] ?? 0);
      return cost;
    });
    return { layers, totals };
  }

  /** One resource of the network as a number (the monitoring cost of MorphNet), computing only that resource. */
  resource(resource: Resource, alive: Float64Array, options: CostOptions = {}): number {
    const built = this.builtLayers(options);
    switch (resource) {
      case 'flops':
        return built.reduce((sum, layer) => sum + 2 * this.sumTerms(layer, layer.macTerms, alive), 0);
      case 'size':
        return built.reduce((sum, layer) => sum + this.sumTerms(layer, layer.weightTerms, alive), 0);
      case 'activations':
        return built.reduce((sum, layer) => sum + (layer.macTerms.length > 0 ? this.aliveCount(layer.outputComponents, 1, alive) : 0), 0);
      case 'latency': {
        const hardware = options.hardware;
        if (!hardware) return NaN;
        return built.reduce((sum, layer) => sum + this.latencyMs(layer, alive, hardware, options.batchSize ?? 1), latencyModelOf(hardware).overheadMs);
      }
    }
  }

  /**
   * The regularizer as weights over channel components: R = sum_c weights[c] * score[c], the
   * differentiable form of `resource` with the current alive counts as constants. Fixed
   * components get weight 0 (they are not regularized).
   */
  regularizationWeights(resource: Resource, alive: Float64Array, options: CostOptions = {}): Float64Array {
    const batchSize = options.batchSize ?? 1;
    const weights = new Float64Array(this.numComponents);
    const accumulate = (form: LinearForm, scale: number) => {
      for (const { components, weight } of form) for (const c of components) weights[c] += weight * scale;
    };
    for (const layer of this.layers) {
      // Only FLOP layers cost FLOPs and activations; a BN layer's scale and offset are size; the latency model says what a layer costs.
      if (layer.macTerms.length === 0 && resource !== 'latency' && !(resource === 'size' && layer.weightTerms.length > 0)) continue;
      switch (resource) {
        case 'flops':
          accumulate(this.formTerms(layer, layer.macTerms, alive), 2);
          break;
        case 'size':
          accumulate(this.formTerms(layer, layer.weightTerms, alive), 1);
          break;
        case 'activations':
          accumulate(this.softCount(layer.outputComponents, 1), 1);
          break;
        case 'latency':
          accumulate(latencyModelOf(options.hardware!).layerForm(this.atWidths(layer, alive, batchSize)), 1);
          break;
      }
    }
    for (let c = 0; c < weights.length; c++) if (this.analysis.componentFixed[c]) weights[c] = 0;
    return weights;
  }
}
