import type { ChannelAnalysis } from '../graph/channel-groups.js';
import type { GroupWidths } from '../structure/width-multiplier.js';

/**
 * For every layer output of the rebuilt model: which seed channel each of its channels comes
 * from, or -1 for a channel the seed does not have (an expanded group's new channels).
 * Group channel i of a rebuilt group is seed group channel kept[i]; a layer holding several
 * groups (a Concatenate) lays them out in the seed's order.
 */
export function channelMaps(analysis: ChannelAnalysis, widths: GroupWidths, kept: number[][]): Map<string, Int32Array> {
  const maps = new Map<string, Int32Array>();
  for (const node of analysis.graph.nodes) {
    const components = analysis.outputComponents.get(node.id)!;
    if (node.className === 'Flatten' || (node.className === 'Reshape' && node.outputShape.length === 2 && node.inputShapes[0].length > 2)) {
      maps.set(node.id, flattenMap(maps.get(node.inputs[0])!, Number(node.inputShapes[0].at(-1)), components.length));
      continue;
    }
    // Groups in the order the seed lays them out in this layer.
    const groupsHere: number[] = [];
    for (const c of components) {
      const g = analysis.componentGroup[c];
      if (!groupsHere.includes(g)) groupsHere.push(g);
    }
    const map: number[] = [];
    for (const g of groupsHere) {
      const group = analysis.groups[g];
      const member = group.members.find((m) => m.nodeId === node.id)!;
      const groupKept = group.fixed ? group.components.map((_, i) => i) : kept[g];
      const width = group.fixed ? group.width : widths[g];
      for (let i = 0; i < width; i++) {
        const source = i < groupKept.length ? member.channels[groupKept[i]] : undefined;
        const copies = member.channels[0].length;
        for (let t = 0; t < copies; t++) map.push(source ? source[t] : -1);
      }
    }
    maps.set(node.id, Int32Array.from(map));
  }
  return maps;
}

/** Flatten (channels last): rebuilt element p*C' + c' is seed element p*C + map[c']. */
function flattenMap(inputMap: Int32Array, seedChannels: number, seedLength: number): Int32Array {
  const positions = seedLength / seedChannels;
  const out = new Int32Array(positions * inputMap.length);
  for (let p = 0; p < positions; p++) {
    for (let c = 0; c < inputMap.length; c++) out[p * inputMap.length + c] = inputMap[c] < 0 ? -1 : p * seedChannels + inputMap[c];
  }
  return out;
}
