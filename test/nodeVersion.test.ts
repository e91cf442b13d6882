import { describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { MINIMUM_NODE, nodeVersionProblem } from '../src/nodeVersion.js';

describe('the Node.js version check', () => {
  it('accepts 20.12 and newer', () => {
    for (const version of ['20.12.0', '20.20.2', '22.0.0', '24.11.1', 'v21.7.3'])
      expect(nodeVersionProblem(version), version).toBeUndefined();
  });

  it('refuses older versions, naming the one needed', () => {
    for (const version of ['20.11.1', '20.0.0', '18.20.4', '16.0.0'])
      expect(nodeVersionProblem(version), version).toContain(`needs Node.js ${MINIMUM_NODE} or newer`);
  });

  it('agrees with package.json engines', () => {
    expect(packageJson.engines.node).toBe(`>=${MINIMUM_NODE.replace(/\.0$/, '')}`);
  });
});
