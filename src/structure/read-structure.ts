import { existsSync, readFileSync } from 'node:fs';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { runDirError } from '../errors.js';
import { STRUCTURE_FORMAT, type StructureFile } from './structure-file.js';

/** Reads a structure file and checks that it describes this model's groups. */
export function readStructure(path: string, analysis: ChannelAnalysis, modelName: string): StructureFile {
  if (!existsSync(path)) throw runDirError(`${path} does not exist`, 'run morphnet shrink first');
  let structure: StructureFile;
  try {
    structure = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw runDirError(`${path} is not valid JSON: ${(error as Error).message}`, 'run morphnet shrink --force to write it again');
  }
  if (structure.format !== STRUCTURE_FORMAT) {
    throw runDirError(`${path}: format ${JSON.stringify(structure.format)}, expected "${STRUCTURE_FORMAT}"`, 'write it with morphnet shrink');
  }
  const mismatch =
    structure.model !== modelName
      ? `it was learned on ${structure.model}, the run's model is ${modelName}`
      : structure.groups.length !== analysis.groups.length || structure.groups.some((g, i) => g.original !== analysis.groups[i].width || g.layers[0] !== analysis.groups[i].members[0].nodeId)
        ? 'its groups do not match the model\'s channel groups'
        : undefined;
  if (mismatch) throw runDirError(`${path} belongs to another model: ${mismatch}`, 'use the structure of this run\'s shrink, or run shrink again for this model');
  return structure;
}
