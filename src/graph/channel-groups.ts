import { handlerFor } from './handlers/registry.js';
import { channelCount, type LayerGraph } from './types.js';
import { UnionFind } from './union-find.js';

/** One member of a group: the node and, per group channel in canonical order, its output channel indices. */
export interface GroupMember {
  nodeId: string;
  channels: number[][];
}

/**
 * A set of channel slices that must keep the same width: channel k of the group is one
 * "component", alive or dead in every member at once.
 */
export interface ChannelGroup {
  id: number;
  width: number;
  /** Component index of each group channel, in canonical order (the first member's channel order). */
  components: number[];
  members: GroupMember[];
  /** Members that create these channels (conv, dense): they get a width in structure files. */
  sources: string[];
  fixed: boolean;
  fixedReasons: string[];
}

export interface Barrier {
  nodeId: string;
  className: string;
  reason: string;
}

export interface ChannelAnalysis {
  graph: LayerGraph;
  /** Component index of each output channel of each node. */
  outputComponents: Map<string, Int32Array>;
  numComponents: number;
  componentGroup: Int32Array;
  componentFixed: Uint8Array;
  groups: ChannelGroup[];
  barriers: Barrier[];
}

/**
 * Ties channels across the graph with each layer's handler (union-find over every output
 * channel of every node), then collects the ties into groups. The model input and output
 * and everything around a barrier are fixed.
 */
export function analyzeChannels(graph: LayerGraph): ChannelAnalysis {
  const offsets = new Map<string, number>();
  let numElements = 0;
  for (const node of graph.nodes) {
    offsets.set(node.id, numElements);
    numElements += channelCount(node.outputShape);
  }
  const elementsOf = (id: string) => {
    const start = offsets.get(id)!;
    return Int32Array.from({ length: channelCount(graph.byId.get(id)!.outputShape) }, (_, i) => start + i);
  };
  const sets = new UnionFind(numElements);
  const fixedReasons = new Map<number, Set<string>>();
  const fix = (elements: Int32Array, reason: string) => {
    for (const e of elements) {
      if (!fixedReasons.has(e)) fixedReasons.set(e, new Set());
      fixedReasons.get(e)!.add(reason);
    }
  };

  const barriers: Barrier[] = [];
  for (const node of graph.nodes) {
    const handler = handlerFor(node.className);
    const inputs = node.inputs.map(elementsOf);
    const output = elementsOf(node.id);
    const result = handler
      ? handler.link({ node, inputs, output, union: (a, b) => sets.union(a, b) })
      : { barrier: `no handler for layer class ${node.className}` };
    if (result) {
      barriers.push({ nodeId: node.id, className: node.className, reason: result.barrier });
      const reason = `next to barrier ${node.id} (${node.className})`;
      inputs.forEach((input) => fix(input, reason));
      fix(output, reason);
    }
  }
  graph.inputIds.forEach((id) => fix(elementsOf(id), 'model input'));
  graph.outputIds.forEach((id) => fix(elementsOf(id), 'model output'));

  // Components, numbered in order of first appearance.
  const componentOfRoot = new Map<number, number>();
  const elementComponent = new Int32Array(numElements);
  for (let e = 0; e < numElements; e++) {
    const root = sets.find(e);
    if (!componentOfRoot.has(root)) componentOfRoot.set(root, componentOfRoot.size);
    elementComponent[e] = componentOfRoot.get(root)!;
  }
  const numComponents = componentOfRoot.size;
  const componentFixed = new Uint8Array(numComponents);
  const componentReasons: Array<Set<string>> = Array.from({ length: numComponents }, () => new Set());
  for (const [element, reasons] of fixedReasons) {
    componentFixed[elementComponent[element]] = 1;
    reasons.forEach((r) => componentReasons[elementComponent[element]].add(r));
  }

  // Members of each component: node -> its channels, in node order.
  const componentMembers: Array<Map<string, number[]>> = Array.from({ length: numComponents }, () => new Map());
  const outputComponents = new Map<string, Int32Array>();
  for (const node of graph.nodes) {
    const elements = elementsOf(node.id);
    const components = elements.map((e) => elementComponent[e]);
    outputComponents.set(node.id, components);
    components.forEach((c, channel) => {
      const members = componentMembers[c];
      if (!members.has(node.id)) members.set(node.id, []);
      members.get(node.id)!.push(channel);
    });
  }

  // Components with the same members form one group.
  const groupOfSignature = new Map<string, number>();
  const componentGroup = new Int32Array(numComponents);
  const groups: ChannelGroup[] = [];
  for (let c = 0; c < numComponents; c++) {
    const memberIds = [...componentMembers[c].keys()];
    const signature = memberIds.join('\u0000');
    let groupId = groupOfSignature.get(signature);
    if (groupId === undefined) {
      groupId = groups.length;
      groupOfSignature.set(signature, groupId);
      groups.push({
        id: groupId,
        width: 0,
        components: [],
        members: memberIds.map((nodeId) => ({ nodeId, channels: [] })),
        sources: memberIds.filter((id) => handlerFor(graph.byId.get(id)!.className)?.ownsChannels),
        fixed: false,
        fixedReasons: [],
      });
    }
    const group = groups[groupId];
    componentGroup[c] = groupId;
    group.width++;
    group.components.push(c);
    group.members.forEach((member) => member.channels.push(componentMembers[c].get(member.nodeId)!));
    if (componentFixed[c]) {
      group.fixed = true;
      componentReasons[c].forEach((r) => group.fixedReasons.includes(r) || group.fixedReasons.push(r));
    }
  }
  // A group is fixed as a whole when any of its channels is.
  for (const group of groups) if (group.fixed) group.components.forEach((c) => (componentFixed[c] = 1));
  return { graph, outputComponents, numComponents, componentGroup, componentFixed, groups, barriers };
}
