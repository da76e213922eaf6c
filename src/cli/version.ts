import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (two levels above dist/src/cli or src/cli). */
export function toolVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8'));
      if (pkg.name === 'morphnet') return pkg.version as string;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}
