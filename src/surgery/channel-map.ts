import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { handlerFor } from '../graph/handlers/registry.js';
import type { GraphNode } from '../graph/types.js';
import type { GroupWidths } from '../structure/width-multiplier.js';

/**
 * For every layer output of the rebuilt model: which seed channel each of its channels comes
 * from, or -1 for a channel the seed does not have (an expanded group's new channels).
 * A layer that lays out its output otherwise than its groups do (Flatten) says how, from its
 * input's map (its handler's `outputChannelMap`); every other layer follows `groupLayoutMap`.
 */
export function channelMaps(analysis: ChannelAnalysis, widths: GroupWidths, kept: number[][]): Map<string, Int32Array> {
  const maps = new Map<string, Int32Array>();
  for (const node of analysis.graph.nodes) {
    const ownLayout = node.inputs.length ? handlerFor(node.className)?.outputChannelMap?.(node, maps.get(node.inputs[0])!) : undefined;
    maps.set(node.id, ownLayout ?? groupLayoutMap(analysis, node, widths, kept));
  }
  return maps;
}

/**
 * A layer's output map from its groups: group channel i of a rebuilt group is seed group channel
 * kept[i] (each of its copies, for a depthwise multiplier); a layer holding several groups (a
 * Concatenate) lays them out in the seed's order.
 */
function groupLayoutMap(analysis: ChannelAnalysis, node: GraphNode, widths: GroupWidths, kept: number[][]): Int32Array {
  const groupsHere: number[] = [];
  for (const c of analysis.outputComponents.get(node.id)!) {
    const g = analysis.componentGroup[c];
    if (!groupsHere.includes(g)) groupsHere.push(g);
  }
  const map: number[] = [];
  for (const g of groupsHere) {
    const group = analysis.groups[g];
    const member = group.members.find((m) => m.nodeId === node.id)!;
    const groupKept = group.fixed ? group.components.map((_, i) => i) : kept[g];
    const width = group.fixed ? group.width : widths[g];
    const copies = member.channels[0].length;
    for (let i = 0; i < width; i++) {
      const source = i < groupKept.length ? member.channels[groupKept[i]] : undefined;
      for (let t = 0; t < copies; t++) map.push(source ? source[t] : -1);
    }
  }
  return Int32Array.from(map);
}
