import { isAbsolute, resolve } from 'node:path';
import type { MorphnetConfig } from './schema.js';

/**
 * Latency table paths under `hardware:` are relative to the config file; made absolute when the
 * file is read, so the resolved config in a run dir finds them from any working directory.
 */
export function resolveTablePaths(config: MorphnetConfig, configDir: string): MorphnetConfig {
  for (const entry of Object.values(config.hardware)) {
    if (entry.table !== undefined && !isAbsolute(entry.table)) entry.table = resolve(configDir, entry.table);
  }
  return config;
}
